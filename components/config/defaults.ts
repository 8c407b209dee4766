// The defaults of the stack config, and the one way to ask whether a key was set as a secret.

/** Chart repository of openstack-helm (tarballs published from master). */
export const DEFAULT_CHART_REPOSITORY = "https://tarballs.opendev.org/openstack/openstack-helm";

/** Scalar defaults; Pulumi.yaml's config schema declares the same (a test keeps them equal). */
export const DEFAULTS = {
    namespace: "openstack",
    namespaceMode: "create",
    allowLeftoverData: false,
    storageClass: "rook-ceph-block",
    manageStorageClass: true,
    rookNamespace: "rook-ceph",
    cephToolbox: "kubectl -n rook-ceph exec deploy/rook-ceph-tools --",
    cephReplication: 3,
    cephPoolPgs: 32,
    purgeOnDestroy: false,
    cephMonPort: 6789,
    refresherSchedule: "*/5 * * * *",
    refresherImage: "bitnamilegacy/kubectl:1.33.4",
    corednsNamespace: "kube-system",
    corednsDeployment: "coredns",
    chartSource: "repository",
    chartRepository: DEFAULT_CHART_REPOSITORY,
    helmTimeoutSeconds: 900,
    rabbitmqTimeoutSeconds: 1800,
    mariadbReplicas: 1,
    rabbitmqReplicas: 1,
    memcachedReplicas: 1,
    exposure: "ingress",
    ingressClass: "nginx",
    gatewayTls: false,
    glanceBootstrap: false,
    virtType: "kvm",
    ephemeralOnCeph: false,
    cephComputeUser: "cinder",
    externalBridge: "br-ex",
    flatNetworks: ["public"],
    enableCinder: false,
    enableHorizon: false,
    enableHeat: false,
    readinessTimeoutSeconds: 1800,
    verify: true,
} as const;

/**
 * Whether a config key was set with --secret. The Node SDK knows (the engine passes the secret
 * keys) but keeps the function out of its typings.
 */
export function isConfigSecret(fullKey: string): boolean {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
    if (typeof runtimeConfig.isConfigSecret !== "function") throw new Error("@pulumi/pulumi no longer has runtime.isConfigSecret");
    return runtimeConfig.isConfigSecret(fullKey);
}
