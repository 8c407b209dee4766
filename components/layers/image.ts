import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CephCommandContext, CephUserSpec, cephPool, cephUser } from "../commands/ceph";
import { StackConfig } from "../config";
import { Credentials } from "./credentials";
import { ReleaseFactory } from "../release/release";
import { Layer } from "./layer";
import { publicRoutes } from "./routes";
import { password } from "./secrets";
import { glanceValues } from "./values/image";
import { Shared, valuesComposer } from "./values/shared";

/** Glance's pool and Ceph user: the chart's defaults, with the seed's caps. */
export const GLANCE_POOL = "glance.images";
/**
 * The pool's Ceph application: the one glance's storage-init enables
 * (`conf.glance.rbd.rbd_store_pool_app_name`), which fails while the pool carries another.
 */
export const GLANCE_POOL_APPLICATION = "glance-image";
export const GLANCE_CEPH_USER: CephUserSpec = {
    name: "glance",
    caps: { mon: "allow r", osd: "allow class-read object_prefix rbd_children, allow rwx pool=glance.images", mgr: undefined },
};

/** What the image layer reads of the stack config: its sections, not the whole config. */
export type ImageConfig = Pick<StackConfig, "replicas" | "exposure" | "storage" | "image">;

export interface ImageArgs {
    /** The sections of the stack config this layer reads (replicas, exposure, storage, image). */
    readonly config: ImageConfig;
    /** Makes the releases (chart source, overrides, public endpoints, images, error hook). */
    readonly factory: ReleaseFactory;
    /** The OpenStack namespace (from the storage layer). */
    readonly namespace: pulumi.Input<string>;
    /** The shared secrets (infra layer). */
    readonly shared: Shared;
    /** One password per user across the stack (glance's own are generated here). */
    readonly credentials: Credentials;
    /** How Ceph commands run (toolbox prefix and environment; kubectl uses the same). */
    readonly ceph: CephCommandContext;
    /** The control-plane node labels Glance's pods select. */
    readonly controlPlaneLabels: readonly pulumi.Resource[];
    /** What Glance's pre-delete hook needs (glance-clean deletes the bootstrap images through Keystone). */
    readonly preDeleteNeeds: readonly k8s.helm.v3.Release[];
}

/**
 * Image layer: Glance on RBD. The pool and user are made here, before the chart; the chart's
 * storage-init then finds them and writes Secret images-rbd-keyring itself (as kubernetes.io/rbd:
 * pre-creating it as Opaque would break that Job, so this layer does not).
 */
export class Image extends Layer {
    public readonly releases: Record<"glance", k8s.helm.v3.Release>;
    /** The password of each chart's own Keystone service user, by user name (the verification logs each in). */
    public readonly serviceUsers: Record<string, pulumi.Output<string>> = {};

    constructor(name: string, args: ImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("Image", name, opts);
        const cfg = args.config;
        const creds = args.credentials;
        creds.generate("image", this, name);
        const values = valuesComposer(creds, args.shared, cfg.replicas.rabbitmq);
        const [serviceUser, servicePassword] = creds.serviceUser("glance");
        this.serviceUsers[serviceUser] = servicePassword;

        const pool = cephPool(
            `${name}-pool-glance-images`,
            args.ceph,
            {
                name: GLANCE_POOL,
                pgs: cfg.storage.poolPgs,
                size: cfg.storage.replication,
                purge: cfg.storage.purgeOnDestroy,
                application: GLANCE_POOL_APPLICATION,
            },
            this.child,
        );
        // The user's caps name the pool: create it after the pool exists. Its key (stdout) stays
        // a secret in state; glance's storage-init reads the key from Ceph itself.
        const user = cephUser(`${name}-ceph-user-glance`, args.ceph, GLANCE_CEPH_USER, { ...this.child, dependsOn: [pool] });

        const glance = args.factory.release(
            {
                chart: "glance",
                values: values(
                    "glance",
                    glanceValues(
                        cfg,
                        { objectStore: password(`${name}-glance-object-store-password`, this) },
                        { pool: GLANCE_POOL, user: GLANCE_CEPH_USER.name, application: GLANCE_POOL_APPLICATION },
                    ),
                ),
            },
            // Not after Keystone: every hook and pod of glance that calls it waits for keystone-api.
            // Deleted before Keystone (its pre-delete hook needs it), without installing after it.
            this.afterAnd(
                pool,
                user,
                ...args.controlPlaneLabels,
                args.factory.deleteOrderMarker(`${name}-glance-delete-order`, args.preDeleteNeeds, this.child),
            ),
        );
        this.releases = { glance };
        publicRoutes(name, cfg.exposure, args.namespace, "glance", glance, this.child);

        this.registerOutputs({ releases: this.releases, serviceUsers: this.serviceUsers });
    }
}
