import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { CephCommandContext, MonitorMap, cephConf, cephPool, cephRead, parseMonDump } from "../commands/ceph";
import { StackConfig } from "../config";
import { scriptPath } from "../commands/shell";
import { Layer } from "./layer";

export const REFRESHER_SCRIPT_NAME = "update-ceph-config.sh";
export const REFRESHER_SCRIPT_PATH = scriptPath(REFRESHER_SCRIPT_NAME);
/** The two objects the charts read: ceph.conf from ConfigMap ceph-etc, the admin key from Secret pvc-ceph-client-key (key `key`). */
export const CEPH_ETC = "ceph-etc";
export const CEPH_ADMIN_SECRET = "pvc-ceph-client-key";
const REFRESHER_LABELS = { application: "ceph-config-refresher", "app.kubernetes.io/managed-by": "openstack-helm-pulumi" };

export interface StorageArgs {
    /** The validated stack config. */
    readonly config: StackConfig;
    /** How Ceph commands run (toolbox prefix and environment). */
    readonly ceph: CephCommandContext;
}

/**
 * Storage layer: the namespace OpenStack lives in, the StorageClass and pool behind every PVC,
 * and the Ceph client plumbing the charts read (ceph-etc, pvc-ceph-client-key) with the CronJob
 * that keeps ceph-etc's monitors current.
 *
 * The namespace is created here, not in the infra layer, because this is the first layer that
 * writes into it: putting it in infra would make storage -> infra a cycle.
 */
export class Storage extends Layer {
    /** The OpenStack namespace; consumers take its name from here so they wait for it. */
    public readonly namespace: pulumi.Output<string>;
    /** The StorageClass of the MariaDB and RabbitMQ volumes. */
    public readonly storageClassName: pulumi.Output<string>;
    /** The Ceph cluster's fsid, read from the live cluster. */
    public readonly fsid: pulumi.Output<string>;
    /** The monitors' v1 addresses, comma-separated, as ceph-etc has them. */
    public readonly monHost: pulumi.Output<string>;

    constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("Storage", name, opts);
        const cfg = args.config;
        this.namespace = this.openstackNamespace(cfg);
        this.storageClassName = this.storageClass(cfg);

        // The pool behind the StorageClass; its size is Rook's business, as in the seed.
        // Every child waits for what the layer comes after (the preflight check).
        cephPool(
            `${name}-pool-replicapool`,
            args.ceph,
            { name: "replicapool", pgs: cfg.storage.poolPgs, purge: cfg.storage.purgeOnDestroy },
            this.after,
        );

        // Facts read from the live cluster, never typed into config.
        const monDump = cephRead(`${name}-ceph-monmap`, args.ceph, "tb ceph mon dump -f json", false, this.after);
        const monMap = monDump.stdout.apply(parseMonDump);
        this.fsid = monMap.fsid;
        this.monHost = monMap.monHost.apply((h) => h.join(","));
        this.monitorRefresher(cfg, this.cephClientObjects(args.ceph, monMap));

        this.registerOutputs({
            namespace: this.namespace,
            storageClassName: this.storageClassName,
            fsid: this.fsid,
            monHost: this.monHost,
        });
    }

    /** The namespace, created (kept on destroy unless purging) or adopted (read, never managed). */
    private openstackNamespace(cfg: StackConfig): pulumi.Output<string> {
        const name = `${this.layerName}-namespace`;
        if (cfg.namespaceMode === "adopt") return k8s.core.v1.Namespace.get(name, cfg.namespace, this.after).metadata.name;
        const ns = new k8s.core.v1.Namespace(
            name,
            { metadata: { name: cfg.namespace, labels: { "app.kubernetes.io/managed-by": "openstack-helm-pulumi" } } },
            {
                ...this.after,
                // Deleting the namespace deletes the MariaDB/RabbitMQ volumes with it: only on purge.
                retainOnDelete: !cfg.storage.purgeOnDestroy,
                deleteBeforeReplace: true,
            },
        );
        return ns.metadata.name;
    }

    /** Exactly the seed's StorageClass (cluster-scoped: no namespace), or the existing one. */
    private storageClass(cfg: StackConfig): pulumi.Output<string> {
        const st = cfg.storage;
        const name = `${this.layerName}-storageclass`;
        if (!st.manageStorageClass) return k8s.storage.v1.StorageClass.get(name, st.storageClass, this.after).metadata.name;
        const sc = new k8s.storage.v1.StorageClass(
            name,
            {
                metadata: { name: st.storageClass },
                provisioner: "rook-ceph.rbd.csi.ceph.com",
                parameters: {
                    clusterID: st.rookNamespace,
                    pool: "replicapool",
                    imageFormat: "2",
                    imageFeatures: "layering",
                    "csi.storage.k8s.io/provisioner-secret-name": "rook-csi-rbd-provisioner",
                    "csi.storage.k8s.io/provisioner-secret-namespace": st.rookNamespace,
                    "csi.storage.k8s.io/controller-expand-secret-name": "rook-csi-rbd-provisioner",
                    "csi.storage.k8s.io/controller-expand-secret-namespace": st.rookNamespace,
                    "csi.storage.k8s.io/node-stage-secret-name": "rook-csi-rbd-node",
                    "csi.storage.k8s.io/node-stage-secret-namespace": st.rookNamespace,
                    "csi.storage.k8s.io/fstype": "ext4",
                },
                reclaimPolicy: "Delete",
                allowVolumeExpansion: true,
            },
            { ...this.after, deleteBeforeReplace: true },
        );
        return sc.metadata.name;
    }

    /** ceph-etc (where the cluster is, no keyring) and the admin key Secret the charts read. */
    private cephClientObjects(ceph: CephCommandContext, monMap: pulumi.Output<MonitorMap>): k8s.core.v1.ConfigMap {
        const name = this.layerName;
        // The charts splice this key under [client.admin]: it must be client.admin's.
        const adminKey = cephRead(`${name}-ceph-admin-key`, ceph, "tb ceph auth get-key client.admin", true, this.after);
        new k8s.core.v1.Secret(
            `${name}-ceph-admin-key`,
            {
                metadata: { name: CEPH_ADMIN_SECRET, namespace: this.namespace },
                // The type ceph-adapter-rook uses, so either tool can own it later.
                type: "kubernetes.io/rbd",
                stringData: { key: pulumi.secret(adminKey.stdout.apply((k) => k.trim())) },
            },
            { ...this.after, deleteBeforeReplace: true },
        );
        return new k8s.core.v1.ConfigMap(
            `${name}-ceph-etc`,
            { metadata: { name: CEPH_ETC, namespace: this.namespace }, data: { "ceph.conf": monMap.apply(cephConf) } },
            { ...this.after, deleteBeforeReplace: true },
        );
    }

    /** Script ConfigMap, CronJob and RBAC limited to reading Rook's mons and patching ceph-etc. */
    private monitorRefresher(cfg: StackConfig, cephEtc: k8s.core.v1.ConfigMap): void {
        const st = cfg.storage;
        const name = this.layerName;
        // Its objects wait for the namespace and ceph-etc through their names (data flow).
        const parent = { ...this.child, deleteBeforeReplace: true };
        const labels = REFRESHER_LABELS;

        const script = new k8s.core.v1.ConfigMap(
            `${name}-refresher-script`,
            {
                metadata: { name: "update-ceph-config-script", namespace: this.namespace, labels },
                data: { [REFRESHER_SCRIPT_NAME]: fs.readFileSync(REFRESHER_SCRIPT_PATH, "utf8") },
            },
            parent,
        );
        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-refresher-sa`,
            {
                metadata: { name: "ceph-config-refresher", namespace: this.namespace, labels },
                automountServiceAccountToken: true,
                // As the charts' ServiceAccounts get it (components/catalog/images.ts).
                ...(cfg.images.pullSecret ? { imagePullSecrets: [{ name: cfg.images.pullSecret }] } : {}),
            },
            parent,
        );
        this.refresherRole("read-mons", st.rookNamespace, sa, [
            { apiGroups: [""], resources: ["services"], verbs: ["list"] },
            { apiGroups: [""], resources: ["configmaps"], resourceNames: ["rook-ceph-mon-endpoints"], verbs: ["get"] },
        ]);
        this.refresherRole("patch-ceph-etc", this.namespace, sa, [
            { apiGroups: [""], resources: ["configmaps"], resourceNames: [CEPH_ETC], verbs: ["get", "patch"] },
        ]);
        this.refresherCronJob(st, cfg.images, script, sa, cephEtc);
    }

    /** Role `ceph-config-refresher-<what>` with these rules, bound to the refresher's ServiceAccount. */
    private refresherRole(
        what: string,
        namespace: pulumi.Input<string>,
        sa: k8s.core.v1.ServiceAccount,
        rules: k8s.types.input.rbac.v1.PolicyRule[],
    ): void {
        const name = `${this.layerName}-refresher-${what}`;
        const metadata = { name: `ceph-config-refresher-${what}`, namespace, labels: REFRESHER_LABELS };
        const parent = { ...this.child, deleteBeforeReplace: true };
        const role = new k8s.rbac.v1.Role(name, { metadata, rules }, parent);
        new k8s.rbac.v1.RoleBinding(
            name,
            {
                metadata,
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: this.namespace }],
            },
            parent,
        );
    }

    private refresherCronJob(
        st: StackConfig["storage"],
        images: StackConfig["images"],
        script: k8s.core.v1.ConfigMap,
        sa: k8s.core.v1.ServiceAccount,
        cephEtc: k8s.core.v1.ConfigMap,
    ): void {
        const name = this.layerName;
        const labels = REFRESHER_LABELS;
        const parent = { ...this.child, deleteBeforeReplace: true };
        new k8s.batch.v1.CronJob(
            `${name}-refresher`,
            {
                metadata: { name: "update-ceph-config", namespace: this.namespace, labels },
                spec: {
                    schedule: st.refresherSchedule,
                    concurrencyPolicy: "Forbid",
                    successfulJobsHistoryLimit: 1,
                    failedJobsHistoryLimit: 3,
                    jobTemplate: {
                        spec: {
                            backoffLimit: 2,
                            activeDeadlineSeconds: 120,
                            template: {
                                metadata: { labels },
                                spec: {
                                    serviceAccountName: sa.metadata.name,
                                    restartPolicy: "Never",
                                    containers: [
                                        {
                                            name: "update-ceph-config",
                                            image: images.refresher,
                                            imagePullPolicy: "IfNotPresent",
                                            // An explicit interpreter: the script need not be executable.
                                            command: ["/bin/bash", `/scripts/${REFRESHER_SCRIPT_NAME}`],
                                            env: [
                                                { name: "ROOK_NAMESPACE", value: st.rookNamespace },
                                                { name: "TARGET_NAMESPACE", value: this.namespace },
                                                { name: "CONFIGMAP", value: cephEtc.metadata.name },
                                                { name: "MON_PORT", value: String(st.monPort) },
                                            ],
                                            volumeMounts: [{ name: "scripts", mountPath: "/scripts", readOnly: true }],
                                            resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
                                        },
                                    ],
                                    volumes: [{ name: "scripts", configMap: { name: script.metadata.name, defaultMode: 0o555 } }],
                                },
                            },
                        },
                    },
                },
            },
            { ...parent, deleteBeforeReplace: true },
        );
    }
}
