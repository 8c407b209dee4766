import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { shq } from "./ceph";
import { CHARTS } from "./charts";

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
objects=$(${kubectl} -n "$ns" get persistentvolumeclaims,secrets -o name)
volumes=$(echo "$objects" | grep -E ${shq(pvcPattern)} || true)
keys=$(echo "$objects" | grep -E ${shq(secretPattern)} || true)
releases=$(${kubectl} -n "$ns" get secrets -l owner=helm -o 'jsonpath={range .items[*]}{.metadata.labels.name}{"\\n"}{end}' | grep -E ${shq(releasePattern)} | sort -u || true)
if [ -z "$volumes$keys$releases" ]; then echo "namespace $ns holds nothing of an earlier install"; exit 0; fi
# Volumes may be carried over on purpose; the key Secrets and foreign releases make the install fail.
if ${allowLeftoverData ? "true" : "false"} && [ -z "$keys$releases" ]; then
  echo "namespace $ns holds volumes of an earlier install; going on because allowLeftoverData is true:" >&2
  echo "$volumes" | sed 's/^/  /' >&2
  exit 0
fi
{
  echo "namespace $ns holds what an earlier install left, which this stack cannot install over:"
  [ -z "$volumes" ] || echo "$volumes" | sed 's/$/  (a volume: its database holds that install'"'"'s credentials)/; s/^/  /'
  [ -z "$keys" ] || echo "$keys" | sed 's/$/  (kept by the Keystone chart: its pre-install hook fails on it)/; s/^/  /'
  [ -z "$releases" ] || echo "$releases" | sed 's/^/  helm release /; s/$/  (installed outside this stack)/'
  echo "Nothing has been changed. To start clean: kubectl delete namespace $ns"
  echo "  (or pulumi destroy the stack that made it, with purgeOnDestroy=true)."
  [ -z "$keys" ] || echo "Or remove the kept keys: kubectl -n $ns delete secret $(echo "$keys" | sed 's#^secret/##' | tr '\\n' ' ')"
  [ -z "$releases" ] || echo "Or uninstall those releases: helm -n $ns uninstall $(echo "$releases" | tr '\\n' ' ')"
  [ -z "$volumes" ] || echo "To keep the volumes (carrying that install's credentials over in chartValues): pulumi config set allowLeftoverData true"
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
