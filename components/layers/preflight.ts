import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../catalog/charts";
import { Layer } from "./layer";
import { bashCommand, script } from "../commands/shell";

export interface PreflightArgs {
    /** The OpenStack namespace to check. */
    readonly namespace: string;
    /** The environment kubectl runs with (KUBECONFIG, KUBE_CONTEXT). */
    readonly environment: Record<string, string>;
    /** Let an earlier install's volumes (only) through. */
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

export const PREFLIGHT_SCRIPT = "preflight.sh";

/** The parameters of components/scripts/preflight.sh. */
export function preflightEnvironment(namespace: string, allowLeftoverData: boolean): Record<string, string> {
    return {
        NAMESPACE: namespace,
        ALLOW_LEFTOVER_DATA: String(allowLeftoverData),
        PVC_PATTERN: LEFTOVER_PVC_PREFIXES.map((p) => `^persistentvolumeclaim/${p}[0-9]+$`).join("|"),
        SECRET_PATTERN: LEFTOVER_SECRETS.map((s) => `^secret/${s}$`).join("|"),
        RELEASE_PATTERN: `^(${CHARTS.join("|")})$`,
    };
}

/**
 * Runs first, once per stack: refuses to install over an earlier install's leftovers before
 * anything in the cluster or in Ceph is changed.
 */
export class Preflight extends Layer {
    /** The check itself: what must not change before it passes depends on it. */
    public readonly check: command.local.Command;

    constructor(name: string, args: PreflightArgs, opts?: pulumi.ComponentResourceOptions) {
        super("Preflight", name, opts);
        this.check = bashCommand(
            `${name}-leftovers`,
            {
                create: script(PREFLIGHT_SCRIPT),
                // Later runs find this stack's own volumes and releases: the check belongs to the
                // first install only, so a changed script or setting re-runs nothing.
                update: "echo 'checked before the first install'",
                environment: { ...args.environment, ...preflightEnvironment(args.namespace, args.allowLeftoverData) },
            },
            this.child,
        );
        this.registerOutputs({ check: this.check });
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
