import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { CephCommandContext, cephConf, cephPool, cephRead, parseMonDump } from "./ceph";
import { StackConfig } from "./config";
import { Layer } from "./layer";

export const REFRESHER_SCRIPT_PATH = path.join(__dirname, "scripts", "update-ceph-config.sh");
export const REFRESHER_SCRIPT_NAME = "update-ceph-config.sh";
/** The two objects the charts read (contract §4.1). */
export const CEPH_ETC = "ceph-etc";
export const CEPH_ADMIN_SECRET = "pvc-ceph-client-key";

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
        const st = cfg.storage;
        // Every child waits for what the layer comes after (the preflight check).
        const parent = this.after;

        if (cfg.namespaceMode === "create") {
            const ns = new k8s.core.v1.Namespace(`${name}-namespace`, {
                metadata: { name: cfg.namespace, labels: { "app.kubernetes.io/managed-by": "openstack-helm-pulumi" } },
            }, {
                ...parent,
                // Deleting the namespace deletes the MariaDB/RabbitMQ volumes with it: only on purge.
                retainOnDelete: !st.purgeOnDestroy,
                deleteBeforeReplace: true,
            });
            this.namespace = ns.metadata.name;
        } else {
            // Adopt: read it (a clear error if it is missing), never manage or delete it.
            const ns = k8s.core.v1.Namespace.get(`${name}-namespace`, cfg.namespace, parent);
            this.namespace = ns.metadata.name;
        }

        if (st.manageStorageClass) {
            // Exactly the seed's StorageClass (cluster-scoped: no namespace).
            const sc = new k8s.storage.v1.StorageClass(`${name}-storageclass`, {
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
            }, { ...parent, deleteBeforeReplace: true });
            this.storageClassName = sc.metadata.name;
        } else {
            this.storageClassName = k8s.storage.v1.StorageClass.get(`${name}-storageclass`, st.storageClass, parent).metadata.name;
        }

        // The pool behind the StorageClass; its size is Rook's business, as in the seed.
        cephPool(`${name}-pool-replicapool`, args.ceph, {
            name: "replicapool", pgs: st.poolPgs, purge: st.purgeOnDestroy,
        }, parent);

        // Facts read from the live cluster, never typed into config.
        const monDump = cephRead(`${name}-ceph-monmap`, args.ceph, "tb ceph mon dump -f json", false, parent);
        const monMap = monDump.stdout.apply(parseMonDump);
        this.fsid = monMap.fsid;
        this.monHost = monMap.monHost.apply((h) => h.join(","));
        // The charts splice this key under [client.admin]: it must be client.admin's.
        const adminKey = cephRead(`${name}-ceph-admin-key`, args.ceph, "tb ceph auth get-key client.admin", true, parent);

        const cephEtc = new k8s.core.v1.ConfigMap(`${name}-ceph-etc`, {
            metadata: { name: CEPH_ETC, namespace: this.namespace },
            data: { "ceph.conf": monMap.apply(cephConf) },
        }, { ...parent, deleteBeforeReplace: true });

        new k8s.core.v1.Secret(`${name}-ceph-admin-key`, {
            metadata: { name: CEPH_ADMIN_SECRET, namespace: this.namespace },
            // The type ceph-adapter-rook uses, so either tool can own it later.
            type: "kubernetes.io/rbd",
            stringData: { key: pulumi.secret(adminKey.stdout.apply((k) => k.trim())) },
        }, { ...parent, deleteBeforeReplace: true });

        this.monitorRefresher(name, cfg, cephEtc);

        this.registerOutputs({ namespace: this.namespace, storageClassName: this.storageClassName, fsid: this.fsid, monHost: this.monHost });
    }

    /** Script ConfigMap, CronJob and RBAC limited to reading Rook's mons and patching ceph-etc. */
    private monitorRefresher(name: string, cfg: StackConfig, cephEtc: k8s.core.v1.ConfigMap): void {
        const st = cfg.storage;
        // Its objects wait for the namespace and ceph-etc through their names (data flow).
        const parent = this.child;
        const labels = { application: "ceph-config-refresher", "app.kubernetes.io/managed-by": "openstack-helm-pulumi" };

        const script = new k8s.core.v1.ConfigMap(`${name}-refresher-script`, {
            metadata: { name: "update-ceph-config-script", namespace: this.namespace, labels },
            data: { [REFRESHER_SCRIPT_NAME]: fs.readFileSync(REFRESHER_SCRIPT_PATH, "utf8") },
        }, { ...parent, deleteBeforeReplace: true });

        const sa = new k8s.core.v1.ServiceAccount(`${name}-refresher-sa`, {
            metadata: { name: "ceph-config-refresher", namespace: this.namespace, labels },
            automountServiceAccountToken: true,
        }, { ...parent, deleteBeforeReplace: true });

        const readMons = new k8s.rbac.v1.Role(`${name}-refresher-read-mons`, {
            metadata: { name: "ceph-config-refresher-read-mons", namespace: st.rookNamespace, labels },
            rules: [
                { apiGroups: [""], resources: ["services"], verbs: ["list"] },
                { apiGroups: [""], resources: ["configmaps"], resourceNames: ["rook-ceph-mon-endpoints"], verbs: ["get"] },
            ],
        }, { ...parent, deleteBeforeReplace: true });
        new k8s.rbac.v1.RoleBinding(`${name}-refresher-read-mons`, {
            metadata: { name: "ceph-config-refresher-read-mons", namespace: st.rookNamespace, labels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: readMons.metadata.name },
            subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: this.namespace }],
        }, { ...parent, deleteBeforeReplace: true });

        const patchEtc = new k8s.rbac.v1.Role(`${name}-refresher-patch-ceph-etc`, {
            metadata: { name: "ceph-config-refresher-patch-ceph-etc", namespace: this.namespace, labels },
            rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames: [CEPH_ETC], verbs: ["get", "patch"] }],
        }, { ...parent, deleteBeforeReplace: true });
        new k8s.rbac.v1.RoleBinding(`${name}-refresher-patch-ceph-etc`, {
            metadata: { name: "ceph-config-refresher-patch-ceph-etc", namespace: this.namespace, labels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: patchEtc.metadata.name },
            subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: this.namespace }],
        }, { ...parent, deleteBeforeReplace: true });

        new k8s.batch.v1.CronJob(`${name}-refresher`, {
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
                                containers: [{
                                    name: "update-ceph-config",
                                    image: st.refresherImage,
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
                                }],
                                volumes: [{ name: "scripts", configMap: { name: script.metadata.name, defaultMode: 0o555 } }],
                            },
                        },
                    },
                },
            },
        }, { ...parent, deleteBeforeReplace: true });
    }
}
