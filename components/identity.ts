import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "./config";
import { osRelease } from "./helm";
import { layersBefore } from "./layer";
import { password } from "./secrets";
import { KEYSTONE_ADMIN, Shared, horizonValues, keystoneValues } from "./values";

export interface IdentityArgs {
    readonly config: StackConfig;
    readonly namespace: pulumi.Input<string>;
    readonly shared: Shared;
}

/** The Service keystone's chart creates for its API (contract §2.4). */
export const KEYSTONE_API_SERVICE = { name: "keystone-api", port: 5000 } as const;

/**
 * Identity layer: Keystone and the Ingress in front of it, both built from the one public
 * host setting so the catalog and the route cannot disagree. Horizon (optional) sits here too:
 * it is the other user-facing door and talks only to Keystone.
 */
export class Identity extends pulumi.ComponentResource {
    public readonly publicUrl: pulumi.Output<string>;
    public readonly internalUrl: pulumi.Output<string>;
    /** Shell lines to source for the `openstack` client as admin (secret). */
    public readonly adminOpenrc: pulumi.Output<string>;
    public readonly ingressName: pulumi.Output<string>;
    public readonly releases: Partial<Record<"keystone" | "horizon", k8s.helm.v3.Release>>;

    constructor(name: string, args: IdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("openstack-helm-pulumi:components:Identity", name, {}, opts);
        const cfg = args.config;
        const host = cfg.identity.publicHost;
        const after = { parent: this, dependsOn: layersBefore(opts) };

        const keystone = osRelease(cfg, args.namespace, {
            chart: "keystone",
            values: keystoneValues(cfg, args.shared, {
                db: password(`${name}-keystone-db-password`, this),
                messaging: password(`${name}-keystone-rabbitmq-password`, this),
            }),
        }, after);
        this.releases = { keystone };

        const ingress = new k8s.networking.v1.Ingress(`${name}-keystone-ingress`, {
            metadata: {
                name: "keystone-ingress",
                namespace: args.namespace,
                annotations: {
                    // keystone-api becomes ready only after the chart's hooks; the install ends
                    // with one readiness check of the namespace instead of a wait here.
                    "pulumi.com/skipAwait": "true",
                },
            },
            spec: {
                ingressClassName: cfg.identity.ingressClass,
                rules: [{
                    host,
                    http: {
                        paths: [{
                            path: "/",
                            pathType: "Prefix",
                            backend: { service: { name: KEYSTONE_API_SERVICE.name, port: { number: KEYSTONE_API_SERVICE.port } } },
                        }],
                    },
                }],
            },
        }, { parent: this, dependsOn: [keystone], deleteBeforeReplace: true });
        this.ingressName = ingress.metadata.name;

        if (cfg.optional.horizon) {
            this.releases.horizon = osRelease(cfg, args.namespace, {
                chart: "horizon",
                values: horizonValues(args.shared, {
                    db: password(`${name}-horizon-db-password`, this),
                    secretKey: password(`${name}-horizon-secret-key`, this, 64),
                }),
            }, { parent: this, dependsOn: [...layersBefore(opts), keystone] });
        }

        this.publicUrl = pulumi.output(`http://${host}/v3`);
        this.internalUrl = pulumi.interpolate`http://${KEYSTONE_API_SERVICE.name}.${args.namespace}.svc.cluster.local:${KEYSTONE_API_SERVICE.port}/v3`;
        this.adminOpenrc = pulumi.secret(pulumi.interpolate`export OS_AUTH_URL=${this.publicUrl}
export OS_IDENTITY_API_VERSION=3
export OS_REGION_NAME=${KEYSTONE_ADMIN.region}
export OS_PROJECT_DOMAIN_NAME=${KEYSTONE_ADMIN.projectDomainName}
export OS_USER_DOMAIN_NAME=${KEYSTONE_ADMIN.userDomainName}
export OS_PROJECT_NAME=${KEYSTONE_ADMIN.projectName}
export OS_USERNAME=${KEYSTONE_ADMIN.username}
export OS_PASSWORD=${args.shared.keystoneAdmin}
`);

        this.registerOutputs({
            publicUrl: this.publicUrl,
            internalUrl: this.internalUrl,
            adminOpenrc: this.adminOpenrc,
            ingressName: this.ingressName,
        });
    }
}
