// The compute layer's charts: Placement, libvirt, Nova, Cinder, Heat (their endpoints: values/shared.ts).
import { StackConfig } from "../../config";
import { Values } from "../../release/valueTree";
import { CephClient, Secret } from "./shared";

export function placementValues(): Values {
    return {};
}

export function libvirtValues(ceph: CephClient): Values {
    return { conf: { ceph: { enabled: true, cinder: { user: ceph.user, secret_uuid: ceph.secretUuid } } } };
}

export function novaValues(cfg: Pick<StackConfig, "compute" | "storage">, metadataSecret: Secret, ceph: CephClient): Values {
    const libvirt: Values = { rbd_user: ceph.user, rbd_secret_uuid: ceph.secretUuid, virt_type: cfg.compute.virtType };
    if (cfg.compute.virtType === "qemu") libvirt.cpu_mode = "none";
    if (cfg.compute.ephemeralOnCeph) {
        libvirt.images_type = "rbd";
        libvirt.images_rbd_pool = "vms";
    }
    const values: Values = {
        conf: {
            ceph: { enabled: true, cinder: { user: ceph.user, secret_uuid: ceph.secretUuid } },
            nova: { libvirt, neutron: { metadata_proxy_shared_secret: metadataSecret } },
        },
        bootstrap: { wait_for_computes: { enabled: true } },
    };
    if (cfg.compute.ephemeralOnCeph) values.rbd_pool = { replication: cfg.storage.replication };
    return values;
}

export function cinderValues(cfg: Pick<StackConfig, "storage">, ceph: CephClient): Values {
    const replication = cfg.storage.replication;
    return {
        conf: {
            ceph: { pools: { "cinder.volumes": { replication }, backup: { replication } } },
            backends: { rbd1: { rbd_pool: "cinder.volumes", rbd_user: ceph.user, rbd_secret_uuid: ceph.secretUuid } },
        },
        // No Swift here, and the chart's backup defaults to Swift: leave backup off.
        manifests: { deployment_backup: false, job_backup_storage_init: false },
    };
}

export function heatValues(): Values {
    return {};
}
