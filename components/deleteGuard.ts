import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { script } from "./shell";

export const RELEASE_GONE_SCRIPT = "release-gone.sh";

/** Seconds a guard waits beyond the release's own Helm timeout (its pre-delete hooks run within that). */
const GUARD_MARGIN_SECONDS = 120;

export interface DeleteGuardArgs {
    /** The guarded release's name. */
    readonly release: string;
    /** The guarded release's namespace. */
    readonly namespace: pulumi.Input<string>;
    /** What the release's pre-delete hooks need: deleted only after the release is uninstalled. */
    readonly needs: readonly k8s.helm.v3.Release[];
    /** The environment kubectl runs with (KUBECONFIG, KUBE_CONTEXT). */
    readonly environment: Record<string, string>;
    /** The release's Helm timeout. */
    readonly helmTimeoutSeconds: number;
}

/**
 * Destroy order without install order. A release whose pre-delete hooks need other releases must
 * be uninstalled before them, but installing it after them would make the install wait for what
 * its own pods already wait for. So the release does not depend on them; this Command does, and
 * its delete waits until the release is gone: destroy deletes it (and so what it needs) only
 * after the release's hooks have run. It has no triggers, so it is never replaced: it is deleted
 * only with its release. Its create does nothing.
 */
export function deleteGuard(name: string, args: DeleteGuardArgs, opts: pulumi.CustomResourceOptions): command.local.Command {
    return new command.local.Command(
        name,
        {
            create: `echo 'kept until release ${args.release} is uninstalled'`,
            delete: script(RELEASE_GONE_SCRIPT),
            environment: {
                ...args.environment,
                NAMESPACE: args.namespace,
                RELEASE: args.release,
                TIMEOUT_SECONDS: String(args.helmTimeoutSeconds + GUARD_MARGIN_SECONDS),
            },
            interpreter: ["/bin/bash", "-c"],
        },
        { ...opts, dependsOn: [...args.needs] },
    );
}
