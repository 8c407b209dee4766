import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Layer } from "./layer";
import { bashCommand, script } from "../commands/shell";

export interface ReadinessArgs {
    /** The OpenStack namespace whose workloads must be ready. */
    readonly namespace: pulumi.Input<string>;
    /** Every release: the check runs after them, and again whenever one of them changes. */
    readonly releases: k8s.helm.v3.Release[];
    /** How long to wait for the namespace to be ready. */
    readonly timeoutSeconds: number;
    /** The environment kubectl runs with (KUBECONFIG, KUBE_CONTEXT). */
    readonly environment: Record<string, string>;
}

export const READINESS_SCRIPT = "readiness.sh";
/** The stuck-install doctor the check runs on a timeout. */
export const STUCK_PODS_SCRIPT = "stuck-pods.cjs";

/**
 * The install's last step: one readiness check of every Deployment, StatefulSet and DaemonSet
 * in the namespace, after all releases (whose service charts were not waited for one by one).
 */
export class Readiness extends Layer {
    /** What the check found (`all N workloads in <ns> are ready`). */
    public readonly summary: pulumi.Output<string>;

    constructor(name: string, args: ReadinessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("Readiness", name, opts);
        const check = bashCommand(
            `${name}-namespace-ready`,
            {
                create: script(READINESS_SCRIPT),
                environment: {
                    ...args.environment,
                    NAMESPACE: args.namespace,
                    TIMEOUT_SECONDS: String(args.timeoutSeconds),
                    STUCK_PODS_JS: script(STUCK_PODS_SCRIPT),
                },
                // Check again whenever any release changes.
                triggers: args.releases.map((r) => r.status.revision),
            },
            // After every layer, so a finished install has all of its resources.
            this.afterAnd(...args.releases),
        );
        this.summary = check.stdout;
        this.registerOutputs({ summary: this.summary });
    }
}
