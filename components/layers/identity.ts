import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig, keystoneAdmin } from "../config";
import { Credentials } from "./credentials";
import { PUBLIC_APIS, publicUrl } from "../catalog/endpoints";
import { ReleaseFactory } from "../release/release";
import { Layer } from "./layer";
import { publicRoutes } from "./routes";
import { password } from "./secrets";
import { horizonValues, keystoneValues } from "./values/identity";
import { Shared, valuesComposer } from "./values/shared";

/** What the identity layer reads of the stack config: its sections, not the whole config. */
export type IdentityConfig = Pick<StackConfig, "replicas" | "optional" | "exposure" | "charts">;

export interface IdentityArgs {
    /** The sections of the stack config this layer reads (replicas, optional charts, exposure, keystone's chartValues for the admin). */
    readonly config: IdentityConfig;
    /** Makes the releases (chart source, overrides, public endpoints, images, error hook). */
    readonly factory: ReleaseFactory;
    /** The OpenStack namespace (from the storage layer). */
    readonly namespace: pulumi.Input<string>;
    /** The shared secrets (infra layer). */
    readonly shared: Shared;
    /** One password per user across the stack (Keystone's and Horizon's own are generated here). */
    readonly credentials: Credentials;
    /** The control-plane node labels Keystone's and Horizon's pods select. */
    readonly controlPlaneLabels: readonly pulumi.Resource[];
    /** What Keystone's pre-delete hook needs (its credential cleanup drops a table: MariaDB). */
    readonly preDeleteNeeds: readonly k8s.helm.v3.Release[];
}

/** With TLS on: where a private issuer's CA goes. */
const CA_HINT =
    "# The public endpoints use TLS: if their issuer is private, point the client at its CA:\n# export OS_CACERT=/path/to/ca.pem\n";

/** The Service keystone's chart creates for its API (the chart has no `keystone` Service any more). */
export const KEYSTONE_API_SERVICE = PUBLIC_APIS.find((a) => a.service === "keystone")!.backend;

/**
 * Identity layer: Keystone and the Ingress in front of it, both built from the one public
 * host setting so the catalog and the route cannot disagree. Horizon (optional) sits here too:
 * it is the other user-facing door and talks only to Keystone.
 */
export class Identity extends Layer {
    /** Keystone's public URL, the one the catalog and the Ingress share. */
    public readonly publicUrl: pulumi.Output<string>;
    /** Keystone's in-cluster URL. */
    public readonly internalUrl: pulumi.Output<string>;
    /** Shell lines to source for the `openstack` client as admin (secret). */
    public readonly adminOpenrc: pulumi.Output<string>;
    public readonly releases: { readonly keystone: k8s.helm.v3.Release; horizon?: k8s.helm.v3.Release };

    constructor(name: string, args: IdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("Identity", name, opts);
        const cfg = args.config;
        const creds = args.credentials;
        creds.generate("identity", this, name);
        const values = valuesComposer(creds, args.shared, cfg.replicas.rabbitmq);
        // Not after MariaDB, RabbitMQ or Memcached: every hook and pod of these charts that
        // talks to them waits for their Service itself.
        const onControlPlane = this.afterAnd(...args.controlPlaneLabels);
        // Deleted before MariaDB (its pre-delete hook needs it), without installing after it.
        const deleteOrder = args.factory.deleteOrderMarker(`${name}-keystone-delete-order`, args.preDeleteNeeds, this.child);

        const keystone = args.factory.release(
            {
                chart: "keystone",
                values: values("keystone", keystoneValues()),
            },
            this.afterAnd(...args.controlPlaneLabels, deleteOrder),
        );
        this.releases = { keystone };

        publicRoutes(name, cfg.exposure, args.namespace, "keystone", keystone, this.child);

        if (cfg.optional.horizon) {
            const horizon = args.factory.release(
                {
                    chart: "horizon",
                    values: values("horizon", horizonValues({ secretKey: password(`${name}-horizon-secret-key`, this, 64) })),
                },
                // Not after Keystone: its pod waits for keystone-api itself.
                onControlPlane,
            );
            publicRoutes(name, cfg.exposure, args.namespace, "horizon", horizon, this.child);
            this.releases.horizon = horizon;
        }

        const api = cfg.exposure.apis.find((a) => a.service === "keystone")!;
        this.publicUrl = pulumi.output(publicUrl(api, cfg.exposure.scheme));
        this.internalUrl = pulumi.interpolate`http://${KEYSTONE_API_SERVICE.name}.${args.namespace}.svc.cluster.local:${KEYSTONE_API_SERVICE.port}/v3`;
        const admin = keystoneAdmin(cfg.charts);
        this.adminOpenrc = pulumi.secret(pulumi.interpolate`export OS_AUTH_URL=${this.publicUrl}
export OS_IDENTITY_API_VERSION=3
export OS_INTERFACE=public
export OS_REGION_NAME=${admin.region}
export OS_PROJECT_DOMAIN_NAME=${admin.projectDomainName}
export OS_USER_DOMAIN_NAME=${admin.userDomainName}
export OS_PROJECT_NAME=${admin.projectName}
export OS_USERNAME=${admin.username}
export OS_PASSWORD=${creds.password("keystone", "identity", "admin")}
${cfg.exposure.tls ? CA_HINT : ""}`);

        this.registerOutputs({
            publicUrl: this.publicUrl,
            internalUrl: this.internalUrl,
            adminOpenrc: this.adminOpenrc,
            releases: this.releases,
        });
    }
}
