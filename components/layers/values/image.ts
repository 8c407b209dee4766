// The image layer's chart: Glance on RBD (its endpoints: values/shared.ts).
import { StackConfig } from "../../config";
import { Values } from "../../release/valueTree";
import { Secret } from "./shared";

export function glanceValues(
    cfg: Pick<StackConfig, "storage" | "image">,
    own: { objectStore: Secret },
    rbd: { pool: string; user: string; application: string },
): Values {
    return {
        storage: "rbd",
        // The chart's storage-init also ensures the pool: same name, user and replica count.
        conf: {
            glance: {
                rbd: {
                    rbd_store_pool: rbd.pool,
                    rbd_store_user: rbd.user,
                    rbd_store_replication: cfg.storage.replication,
                    // The application the program tagged the pool with: storage-init enables it again.
                    rbd_store_pool_app_name: rbd.application,
                },
            },
        },
        bootstrap: { enabled: cfg.image.bootstrap },
        endpoints: { ceph_object_store: { auth: { glance: { password: own.objectStore } } } },
    };
}
