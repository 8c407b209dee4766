import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { shq } from "./ceph";
import { CHARTS } from "./config";

export interface PreflightArgs {
    readonly namespace: string;
    /** `kubectl` with any --context flag. */
    readonly kubectl: string;
    readonly environment: Record<string, string>;
    readonly allowLeftoverData: boolean;
}

/**
 * What an earlier install leaves in the namespace that a new stack cannot use: the MariaDB and
 * RabbitMQ volumes (their databases hold the earlier, generated credentials), the Keystone key
 * Secrets the chart keeps on uninstall (its pre-install hook fails when they exist), and Helm
 * releases of our charts that no stack of ours owns (a hand install).
 */
export const LEFTOVER_PVC_PREFIXES = ["mysql-data-mariadb-server-", "rabbitmq-data-rabbitmq-rabbitmq-"] as const;
export const LEFTOVER_SECRETS = ["keystone-fernet-keys", "keystone-credential-keys"] as const;

export function preflightScript(kubectl: string, namespace: string, allowLeftoverData: boolean): string {
    const pvcPattern = LEFTOVER_PVC_PREFIXES.map((p) => `^persistentvolumeclaim/${p}[0-9]+$`).join("|");
    const secretPattern = LEFTOVER_SECRETS.map((s) => `^secret/${s}$`).join("|");
    const releasePattern = `^(${CHARTS.join("|")})$`;
    return `set -euo pipefail
ns=${shq(namespace)}
if ! ${kubectl} get namespace "$ns" -o name >/dev/null 2>&1; then echo "namespace $ns is new"; exit 0; fi
found=$( { ${kubectl} -n "$ns" get persistentvolumeclaims,secrets -o name | grep -E ${shq(`${pvcPattern}|${secretPattern}`)} || true
  ${kubectl} -n "$ns" get secrets -l owner=helm -o 'jsonpath={range .items[*]}{.metadata.labels.name}{"\\n"}{end}' | grep -E ${shq(releasePattern)} | sort -u | sed 's#^#helm release #' || true; } )
if [ -z "$found" ]; then echo "namespace $ns holds nothing of an earlier install"; exit 0; fi
if ${allowLeftoverData ? "true" : "false"}; then
  echo "namespace $ns holds data of an earlier install; going on because allowLeftoverData is true:" >&2
  echo "$found" >&2
  exit 0
fi
{
  echo "namespace $ns holds what an earlier install left, which this stack cannot use:"
  echo "$found" | sed 's/^/  /'
  echo "Its volumes hold databases set up with that install's credentials, and the Keystone chart"
  echo "cannot install over its kept key Secrets. Nothing has been changed. Either:"
  echo "  - remove it: kubectl delete namespace $ns (or pulumi destroy that stack with purgeOnDestroy=true)"
  echo "  - uninstall the Helm releases above if a hand install made them"
  echo "  - or, if you carry the old credentials over yourself: pulumi config set allowLeftoverData true"
} >&2
exit 1`;
}

/**
 * Runs first, once per stack: refuses to install over an earlier install's leftovers before
 * anything in the cluster or in Ceph is changed.
 */
export class Preflight extends pulumi.ComponentResource {
    public readonly summary: pulumi.Output<string>;
    /** The check itself: what must not change before it passes depends on it. */
    public readonly check: command.local.Command;

    constructor(name: string, args: PreflightArgs, opts?: pulumi.ComponentResourceOptions) {
        super("openstack-helm-pulumi:components:Preflight", name, {}, opts);
        const check = (this.check = new command.local.Command(`${name}-leftovers`, {
            create: preflightScript(args.kubectl, args.namespace, args.allowLeftoverData),
            // Later runs find this stack's own volumes and releases: the check belongs to the
            // first install only, so a changed script or setting re-runs nothing.
            update: "echo 'checked before the first install'",
            environment: args.environment,
            interpreter: ["/bin/bash", "-c"],
        }, { parent: this }));
        this.summary = check.stdout;
        this.registerOutputs({ summary: this.summary });
    }
}

/**
 * Makes every resource registered after this call wait for the check, so a refused install
 * changes nothing in the cluster or in Ceph (providers only configure themselves).
 */
export function nothingBefore(preflight: Preflight): void {
    pulumi.runtime.registerStackTransformation((args) => {
        if (!(args.resource instanceof pulumi.CustomResource) || args.type.startsWith("pulumi:providers:")) return undefined;
        return { props: args.props, opts: pulumi.mergeOptions(args.opts, { dependsOn: [preflight.check] }) };
    });
}
