import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { shq } from "./ceph";

export interface ReadinessArgs {
    readonly namespace: pulumi.Input<string>;
    readonly releases: k8s.helm.v3.Release[];
    readonly timeoutSeconds: number;
    /** `kubectl` with any --context flag. */
    readonly kubectl: string;
    readonly environment: Record<string, string>;
}

/**
 * The install's last step: one readiness check of every Deployment, StatefulSet and DaemonSet
 * in the namespace, after all releases (whose service charts were not waited for one by one).
 */
export function readinessScript(kubectl: string, namespace: string, timeoutSeconds: number): string {
    return `set -euo pipefail
ns=${shq(namespace)}
deadline=$(( $(date +%s) + ${timeoutSeconds} ))
q='{range .items[*]}{.kind}/{.metadata.name} {.spec.replicas}{.status.desiredNumberScheduled} {.status.readyReplicas}{.status.numberReady}{"\\n"}{end}'
while :; do
  pending=$(${kubectl} -n "$ns" get deployments,statefulsets,daemonsets -o "jsonpath=$q" | awk '{ want = ($2 == "" ? 0 : $2); have = ($3 == "" ? 0 : $3); if (have < want) print $1 " " have "/" want }')
  total=$(${kubectl} -n "$ns" get deployments,statefulsets,daemonsets -o name | wc -l)
  if [ -z "$pending" ]; then echo "all $total workloads in $ns are ready"; exit 0; fi
  if [ "$(date +%s)" -ge "$deadline" ]; then echo "not ready after ${timeoutSeconds}s:" >&2; echo "$pending" >&2; exit 1; fi
  sleep 5
done`;
}

export class Readiness extends pulumi.ComponentResource {
    public readonly summary: pulumi.Output<string>;

    constructor(name: string, args: ReadinessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("openstack-helm-pulumi:components:Readiness", name, {}, opts);
        const check = new command.local.Command(`${name}-namespace-ready`, {
            create: pulumi.output(args.namespace).apply((ns) => readinessScript(args.kubectl, ns, args.timeoutSeconds)),
            environment: args.environment,
            interpreter: ["/bin/bash", "-c"],
            // Check again whenever any release changes.
            triggers: args.releases.map((r) => r.status.revision),
        }, { parent: this, dependsOn: args.releases });
        this.summary = check.stdout;
        this.registerOutputs({ summary: this.summary });
    }
}
