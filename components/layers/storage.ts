import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CephCommandContext, MonitorMap, cephConf, cephPool, cephRead, parseMonDump } from "../commands/ceph";
import { StackConfig } from "../config";
import { monitorRefresher } from "./cephRefresher";
import { Layer } from "./layer";

/** The two objects the charts read: ceph.conf from ConfigMap ceph-etc, the admin key from Secret pvc-ceph-client-key (key `key`). */
export const CEPH_ETC = "ceph-etc";
export const CEPH_ADMIN_SECRET = "pvc-ceph-client-key";

/** What the storage layer reads of the stack config: its sections, not the whole config. */
export type StorageConfig = Pick<StackConfig, "namespace" | "namespaceMode" | "storage" | "images">;

export interface StorageArgs {
    /** The sections of the stack config this layer reads (namespace, storage, images (the refresher's)). */
    readonly config: StorageConfig;
    /** How Ceph commands run (toolbox prefix and environment). */
    readonly ceph: CephCommandContext;
}

/**
 * Storage layer: the namespace OpenStack lives in, the StorageClass and pool behind every PVC,
 * and the Ceph client plumbing the charts read (ceph-etc, pvc-ceph-client-key) with the CronJob
 * that keeps ceph-etc's monitors current (cephRefresher.ts).
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
        const cephEtc = { object: this.cephClientObjects(args.ceph, monMap), name: CEPH_ETC };
        monitorRefresher({ layerName: name, namespace: this.namespace, child: this.child }, cfg, cephEtc);

        this.registerOutputs({
            namespace: this.namespace,
            storageClassName: this.storageClassName,
            fsid: this.fsid,
            monHost: this.monHost,
        });
    }

    /** The namespace, created (kept on destroy unless purging) or adopted (read, never managed). */
    private openstackNamespace(cfg: StorageConfig): pulumi.Output<string> {
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
    private storageClass(cfg: StorageConfig): pulumi.Output<string> {
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
}
