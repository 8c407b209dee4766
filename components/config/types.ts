// The typed stack config: what loadConfig returns and every section fills.
import { ChartName } from "../catalog/charts";
import { PublicScheme, RoutedApi } from "../catalog/endpoints";
import { ImageSettings } from "../catalog/images";

/** Project name: the prefix of every config key (`openstack-helm-pulumi:<key>`). */
export const PROJECT = "openstack-helm-pulumi";

export type NodeRole = "control" | "compute";
export const NODE_ROLES: readonly NodeRole[] = ["control", "compute"];

export interface NodeSpec {
    /** Kubernetes node name. */
    readonly name: string;
    /** control: MariaDB, RabbitMQ, the APIs and the neutron agents; compute: libvirt and nova-compute. */
    readonly roles: readonly NodeRole[];
}

export interface GatewayRef {
    readonly namespace: string;
    readonly name: string;
    /** The listener to attach to; every listener that allows the routes when absent. */
    readonly sectionName?: string;
}

export type TlsSetting =
    | { readonly kind: "clusterIssuer"; readonly clusterIssuer: string }
    | { readonly kind: "secret"; readonly secretName: string }
    | { readonly kind: "gateway" };

export type ChartSource = { readonly kind: "repository"; readonly repository: string } | { readonly kind: "local"; readonly path: string };

export interface StackConfig {
    readonly kubeconfig?: string;
    readonly kubeContext?: string;
    readonly namespace: string;
    /** create: the program creates (and on purge deletes) the namespace; adopt: it must exist. */
    readonly namespaceMode: "create" | "adopt";
    /** Let the first install go on over an earlier install's volumes (see components/layers/preflight.ts). */
    readonly allowLeftoverData: boolean;
    readonly domain: string;
    readonly nodes: readonly NodeSpec[];

    readonly storage: {
        readonly storageClass: string;
        /** Create the StorageClass (the seed's); false when Rook already made it. */
        readonly manageStorageClass: boolean;
        readonly rookNamespace: string;
        /** Words put in front of every `ceph …` / `rbd …` command. */
        readonly cephToolbox: string;
        readonly replication: number;
        readonly poolPgs: number;
        /** Destroy also removes the Ceph pools and the namespace (with its volumes). */
        readonly purgeOnDestroy: boolean;
        readonly monPort: number;
        readonly refresherSchedule: string;
        readonly refresherImage: string;
    };

    readonly dns: { readonly corednsNamespace: string; readonly corednsDeployment: string };

    readonly charts: {
        readonly source: ChartSource;
        /** Pinned version per chart (repository source only). */
        readonly versions: Readonly<Record<ChartName, string>>;
        /** Extra values per chart, deep-merged after ours; every path checked against the chart. */
        readonly values: Readonly<Partial<Record<ChartName, Record<string, unknown>>>>;
        /** The extra values were set with --secret: every leaf of them is kept secret. */
        readonly valuesSecret: boolean;
        /**
         * Each installed chart's default users at the version installed (the committed inventory,
         * or the local checkout's values.yaml): `endpoints.<type>.auth.<key>` -> username. The
         * credentials are chosen by user (components/layers/credentials.ts).
         */
        readonly usernames: Readonly<Partial<Record<ChartName, Readonly<Record<string, string>>>>>;
        readonly timeoutSeconds: number;
        readonly rabbitmqTimeoutSeconds: number;
    };

    readonly replicas: { readonly mariadb: number; readonly rabbitmq: number; readonly memcached: number };

    readonly identity: {
        /** Keystone's public host (the route's and the catalog's): `exposure.apis`' keystone entry. */
        readonly publicHost: string;
    };

    /** How every OpenStack API is reached from outside the cluster. */
    readonly exposure: {
        /** ingress: one Ingress per API; gateway: one HTTPRoute per API on an existing Gateway. */
        readonly mode: "ingress" | "gateway";
        readonly ingressClass: string;
        /** The Gateway the HTTPRoutes attach to (gateway mode). */
        readonly gateway?: GatewayRef;
        /** TLS at the route: a cert-manager ClusterIssuer or an existing Secret (ingress mode), or the Gateway's listener. */
        readonly tls?: TlsSetting;
        readonly scheme: PublicScheme;
        /** Every API the stack installs, with its public host. */
        readonly apis: readonly RoutedApi[];
    };

    readonly image: { readonly bootstrap: boolean };

    readonly compute: {
        readonly virtType: "kvm" | "qemu";
        readonly ephemeralOnCeph: boolean;
        /** The one Ceph client user shared by libvirt, nova (and cinder). */
        readonly cephUser: string;
    };

    readonly network: {
        readonly tunnelInterface?: string;
        readonly externalInterface?: string;
        readonly externalBridge: string;
        readonly flatNetworks: readonly string[];
    };

    readonly optional: { readonly cinder: boolean; readonly horizon: boolean; readonly heat: boolean };

    readonly readinessTimeoutSeconds: number;

    /** The check that the cloud answers, after the readiness check. */
    readonly verification: {
        readonly enabled: boolean;
        /** host[:port] -> address:port the checks connect to instead (as curl --resolve), before DNS has the hosts. */
        readonly resolve: Readonly<Record<string, string>>;
    };

    /** Every image the stack's pods run, and where they pull from (imageRegistry, images, imagePullSecret). */
    readonly images: ImageSettings;

    /** What the config does that is allowed but unchecked (logged as warnings). */
    readonly warnings: readonly string[];
}
