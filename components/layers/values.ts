import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config";
import { KEYSTONE_ADMIN_USER } from "./credentials";
import { Values, deepMerge } from "../release/valueTree";

// Values builders, one per chart: pure functions from config and credentials to the nested
// values the real charts read. Every path here exists in the chart at the pinned commit
// (test/unit/values-paths.test.ts checks them against the charts' own values).

/** A credential: always an Output (a secret), never a plain string that could leak. */
type Secret = pulumi.Output<string>;

/**
 * Secrets every chart that has the key must get the same (each chart carries its own copy of
 * them). The users' passwords are not here: they come per user (components/layers/credentials.ts).
 */
export interface Shared {
    readonly memcacheKey: Secret;
    /** Image-registry credentials (used only if registry auth is switched on in chartValues). */
    readonly registry: Secret;
}

/**
 * A chart's user entries, `endpoints.<type>.auth.<key>` -> `{password}` (and the usernames the
 * program sets): Credentials.endpointAuth, one password per user across the stack.
 */
export type EndpointAuth = Values;

export const KEYSTONE_ADMIN = {
    username: KEYSTONE_ADMIN_USER,
    projectName: "admin",
    userDomainName: "default",
    projectDomainName: "default",
    region: "RegionOne",
} as const;

const registry = (chart: string, s: Shared): Values => ({ [chart]: { password: s.registry } });

/** The transport URL lists one host per RabbitMQ pod: match the real replica count. */
const rabbitmqPods = (cfg: StackConfig): Values => ({ statefulset: { replicas: cfg.replicas.rabbitmq } });

/** The user entries, with the chart's other endpoint values merged in. */
const endpoints = (auth: EndpointAuth, rest: Values): Values => deepMerge(auth, rest);

export function mariadbValues(cfg: StackConfig, storageClass: pulumi.Input<string>, auth: EndpointAuth, s: Shared): Values {
    return {
        pod: { replicas: { server: cfg.replicas.mariadb } },
        volume: { class_name: storageClass },
        endpoints: endpoints(auth, { oci_image_registry: { auth: registry("mariadb", s) } }),
    };
}

export function rabbitmqValues(
    cfg: StackConfig,
    storageClass: pulumi.Input<string>,
    auth: EndpointAuth,
    s: Shared,
    own: { erlangCookie: Secret },
): Values {
    return {
        pod: { replicas: { server: cfg.replicas.rabbitmq } },
        volume: { class_name: storageClass },
        endpoints: endpoints(auth, {
            oslo_messaging: { auth: { erlang_cookie: own.erlangCookie } },
            oci_image_registry: { auth: registry("rabbitmq", s) },
        }),
    };
}

export function memcachedValues(cfg: StackConfig, s: Shared): Values {
    return {
        pod: { replicas: { server: cfg.replicas.memcached } },
        endpoints: { oci_image_registry: { auth: registry("memcached", s) } },
    };
}

export function keystoneValues(cfg: StackConfig, auth: EndpointAuth, s: Shared): Values {
    return {
        endpoints: endpoints(auth, {
            identity: {
                auth: {
                    admin: {
                        project_name: KEYSTONE_ADMIN.projectName,
                        region_name: KEYSTONE_ADMIN.region,
                        user_domain_name: KEYSTONE_ADMIN.userDomainName,
                        project_domain_name: KEYSTONE_ADMIN.projectDomainName,
                    },
                },
            },
            oslo_messaging: rabbitmqPods(cfg),
            oci_image_registry: { auth: registry("keystone", s) },
        }),
        // The chart declares rabbit_init's wait under dependencies.dynamic while its Job reads
        // dependencies.static: without this, keystone-rabbit-init starts before RabbitMQ answers
        // and crash-loops until it does. With it, keystone needs no edge to RabbitMQ.
        dependencies: { static: { rabbit_init: { services: [{ endpoint: "internal", service: "oslo_messaging" }] } } },
    };
}

export function glanceValues(
    cfg: StackConfig,
    auth: EndpointAuth,
    s: Shared,
    own: { objectStore: Secret },
    rbd: { pool: string; user: string },
): Values {
    return {
        storage: "rbd",
        // The chart's storage-init also ensures the pool: same name, user and replica count.
        conf: { glance: { rbd: { rbd_store_pool: rbd.pool, rbd_store_user: rbd.user, rbd_store_replication: cfg.storage.replication } } },
        bootstrap: { enabled: cfg.image.bootstrap },
        endpoints: endpoints(auth, {
            oslo_messaging: rabbitmqPods(cfg),
            oslo_cache: { auth: { memcache_secret_key: s.memcacheKey } },
            ceph_object_store: { auth: { glance: { password: own.objectStore } } },
            oci_image_registry: { auth: registry("glance", s) },
        }),
    };
}

export function placementValues(auth: EndpointAuth, s: Shared): Values {
    return {
        endpoints: endpoints(auth, {
            oslo_cache: { auth: { memcache_secret_key: s.memcacheKey } },
            oci_image_registry: { auth: registry("placement", s) },
        }),
    };
}

/** What libvirt, nova (and cinder) must agree on to attach RBD volumes. */
export interface CephClient {
    readonly user: string;
    readonly secretUuid: pulumi.Input<string>;
}

export function libvirtValues(s: Shared, ceph: CephClient): Values {
    return {
        conf: { ceph: { enabled: true, cinder: { user: ceph.user, secret_uuid: ceph.secretUuid } } },
        endpoints: { oci_image_registry: { auth: registry("libvirt", s) } },
    };
}

export function novaValues(cfg: StackConfig, auth: EndpointAuth, s: Shared & { metadataSecret: Secret }, ceph: CephClient): Values {
    const libvirt: Values = { rbd_user: ceph.user, rbd_secret_uuid: ceph.secretUuid, virt_type: cfg.compute.virtType };
    if (cfg.compute.virtType === "qemu") libvirt.cpu_mode = "none";
    if (cfg.compute.ephemeralOnCeph) {
        libvirt.images_type = "rbd";
        libvirt.images_rbd_pool = "vms";
    }
    const values: Values = {
        conf: {
            ceph: { enabled: true, cinder: { user: ceph.user, secret_uuid: ceph.secretUuid } },
            nova: { libvirt, neutron: { metadata_proxy_shared_secret: s.metadataSecret } },
        },
        bootstrap: { wait_for_computes: { enabled: true } },
        endpoints: endpoints(auth, {
            oslo_messaging: rabbitmqPods(cfg),
            oslo_cache: { auth: { memcache_secret_key: s.memcacheKey } },
            oci_image_registry: { auth: registry("nova", s) },
        }),
    };
    if (cfg.compute.ephemeralOnCeph) values.rbd_pool = { replication: cfg.storage.replication };
    return values;
}

export function openvswitchValues(s: Shared): Values {
    return { endpoints: { oci_image_registry: { auth: registry("openvswitch", s) } } };
}

export function neutronValues(cfg: StackConfig, auth: EndpointAuth, s: Shared & { metadataSecret: Secret }, controlNodes: number): Values {
    const net = cfg.network;
    const [firstFlat] = net.flatNetworks;
    const metadata = { DEFAULT: { metadata_proxy_shared_secret: s.metadataSecret } };
    const values: Values = {
        conf: {
            plugins: {
                ml2_conf: { ml2_type_flat: { flat_networks: net.flatNetworks.join(",") } },
                openvswitch_agent: { ovs: { bridge_mappings: `${firstFlat}:${net.externalBridge}` } },
            },
            metadata_agent: metadata,
            ovn_agent: metadata,
            ovn_metadata_agent: metadata,
            // L3 HA needs two or more network nodes.
            ...(controlNodes < 2 ? { neutron: { DEFAULT: { l3_ha: false, max_l3_agents_per_router: 1 } } } : {}),
            ...(net.externalInterface ? { auto_bridge_add: { [net.externalBridge]: net.externalInterface } } : {}),
        },
        endpoints: endpoints(auth, {
            oslo_messaging: rabbitmqPods(cfg),
            oslo_cache: { auth: { memcache_secret_key: s.memcacheKey } },
            oci_image_registry: { auth: registry("neutron", s) },
        }),
    };
    if (net.tunnelInterface) values.network = { interface: { tunnel: net.tunnelInterface } };
    return values;
}

export function cinderValues(cfg: StackConfig, auth: EndpointAuth, s: Shared, ceph: CephClient): Values {
    const r = cfg.storage.replication;
    return {
        conf: {
            ceph: { pools: { "cinder.volumes": { replication: r }, backup: { replication: r } } },
            backends: { rbd1: { rbd_pool: "cinder.volumes", rbd_user: ceph.user, rbd_secret_uuid: ceph.secretUuid } },
        },
        // No Swift here, and the chart's backup defaults to Swift: leave backup off.
        manifests: { deployment_backup: false, job_backup_storage_init: false },
        endpoints: endpoints(auth, {
            oslo_messaging: rabbitmqPods(cfg),
            oslo_cache: { auth: { memcache_secret_key: s.memcacheKey } },
            oci_image_registry: { auth: registry("cinder", s) },
        }),
    };
}

export function horizonValues(auth: EndpointAuth, s: Shared, own: { secretKey: Secret }): Values {
    return {
        conf: { horizon: { local_settings: { config: { horizon_secret_key: own.secretKey } } } },
        endpoints: endpoints(auth, { oci_image_registry: { auth: registry("horizon", s) } }),
    };
}

export function heatValues(cfg: StackConfig, auth: EndpointAuth, s: Shared): Values {
    return {
        endpoints: endpoints(auth, {
            oslo_messaging: rabbitmqPods(cfg),
            oslo_cache: { auth: { memcache_secret_key: s.memcacheKey } },
            oci_image_registry: { auth: registry("heat", s) },
        }),
    };
}
