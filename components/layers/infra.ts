import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig, nodesWithRole } from "../config";
import { Credentials } from "./credentials";
import { ReleaseFactory } from "../release/release";
import { Layer } from "./layer";
import { password } from "./secrets";
import { mariadbValues, memcachedValues, rabbitmqValues } from "./values/infra";
import { Shared, valuesComposer } from "./values/shared";

export const CONTROL_PLANE_LABEL = "openstack-control-plane";

/** What the infra layer reads of the stack config: its sections, not the whole config. */
export type InfraConfig = Pick<StackConfig, "nodes" | "replicas" | "charts">;

export interface InfraArgs {
    /** The sections of the stack config this layer reads (nodes, replicas, charts (the RabbitMQ timeout)). */
    readonly config: InfraConfig;
    /** Makes the releases (chart source, overrides, public endpoints, images, error hook). */
    readonly factory: ReleaseFactory;
    /** The environment kubectl runs with (KUBECONFIG, KUBE_CONTEXT): the node label Command. */
    readonly environment: Record<string, string>;
    /** The OpenStack namespace (from the storage layer, so the releases wait for it). */
    readonly namespace: pulumi.Input<string>;
    /** The StorageClass the MariaDB and RabbitMQ volumes use. */
    readonly storageClassName: pulumi.Input<string>;
    /** One password per user across the stack: this layer generates the admins', MariaDB's and RabbitMQ's. */
    readonly credentials: Credentials;
}

/** Secrets generated here and shared by every chart that has the key (the users' passwords: Credentials). */
export type InfraShared = Shared & {
    /** Nova and Neutron's metadata proxy secret. */
    readonly metadataSecret: pulumi.Output<string>;
};

/**
 * Infra layer: control-plane node labels, MariaDB, RabbitMQ, Memcached, and the credentials
 * every chart shares (the DB root, RabbitMQ admin, Keystone admin and test users' passwords,
 * through Credentials; the memcache key, registry password, metadata secret).
 */
export class Infra extends Layer {
    /** The credentials every chart shares (each a secret). */
    public readonly shared: InfraShared;
    public readonly releases: Record<"mariadb" | "rabbitmq" | "memcached", k8s.helm.v3.Release>;
    /** The control-plane label on each control node: every chart with pods there waits for them. */
    public readonly controlPlaneLabels: readonly pulumi.Resource[];

    constructor(name: string, args: InfraArgs, opts?: pulumi.ComponentResourceOptions) {
        super("Infra", name, opts);
        const cfg = args.config;
        const labels = this.labelNodes(args.environment, CONTROL_PLANE_LABEL, nodesWithRole(cfg, "control"));
        this.controlPlaneLabels = [labels];

        const creds = args.credentials;
        creds.generate("infra", this, name);
        this.shared = {
            memcacheKey: password(`${name}-memcache-secret-key`, this, 64),
            registry: password(`${name}-registry-password`, this),
            metadataSecret: password(`${name}-metadata-proxy-secret`, this),
        };

        const values = valuesComposer(creds, this.shared, cfg.replicas.rabbitmq);
        // Pods select control-plane nodes: label them first.
        const releaseOpts = this.afterAnd(labels);
        const mariadb = args.factory.release(
            {
                chart: "mariadb",
                values: values("mariadb", mariadbValues(cfg, args.storageClassName)),
            },
            releaseOpts,
        );
        const rabbitmq = args.factory.release(
            {
                chart: "rabbitmq",
                // Its cluster-wait hook can take ~15 minutes on a slow cluster.
                timeoutSeconds: cfg.charts.rabbitmqTimeoutSeconds,
                values: values(
                    "rabbitmq",
                    rabbitmqValues(cfg, args.storageClassName, { erlangCookie: password(`${name}-rabbitmq-erlang-cookie`, this) }),
                ),
            },
            releaseOpts,
        );
        const memcached = args.factory.release({ chart: "memcached", values: values("memcached", memcachedValues(cfg)) }, releaseOpts);
        this.releases = { mariadb, rabbitmq, memcached };

        this.registerOutputs({ shared: this.shared, releases: this.releases, controlPlaneLabels: this.controlPlaneLabels });
    }
}
