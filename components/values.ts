import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "./config";
import { Values } from "./helm";

// Values builders, one per chart: pure functions from config and credentials to the nested
// values the real charts read. Every path here exists in the chart at the pinned commit
// (test/unit/values-paths.test.ts checks them against the charts' own values).

/** A credential: always an Output (a secret), never a plain string that could leak. */
type Secret = pulumi.Output<string>;

/** Credentials every chart that has the key must get the same (each chart carries its own copy of them). */
export interface Shared {
    readonly dbRoot: Secret;
    readonly rabbitmqAdminUser: string;
    readonly rabbitmqAdmin: Secret;
    readonly keystoneAdmin: Secret;
    readonly memcacheKey: Secret;
    /** The rally/helm-test user's password (unused unless `helm test` runs). */
    readonly testUser: Secret;
    /** Image-registry credentials (used only if registry auth is switched on in chartValues). */
    readonly registry: Secret;
}

/** A service's own database user's password. */
export interface DbUser {
    readonly db: Secret;
}
/** A service's own RabbitMQ user's password. */
export interface MessagingUser {
    readonly messaging: Secret;
}
/** A service's own Keystone user's password. */
export interface KeystoneUser {
    readonly keystone: Secret;
}

export const KEYSTONE_ADMIN = {
    username: "admin",
    projectName: "admin",
    userDomainName: "default",
    projectDomainName: "default",
    region: "RegionOne",
} as const;

const registry = (chart: string, s: Shared): Values => ({ [chart]: { password: s.registry } });

function dbAuth(svc: string, s: Shared, own: DbUser): Values {
    return { admin: { password: s.dbRoot }, [svc]: { password: own.db } };
}

function messaging(svc: string, cfg: StackConfig, s: Shared, own: MessagingUser): Values {
    return {
        auth: { admin: { username: s.rabbitmqAdminUser, password: s.rabbitmqAdmin }, [svc]: { password: own.messaging } },
        // The transport URL lists one host per RabbitMQ pod: match the real replica count.
        statefulset: { replicas: cfg.replicas.rabbitmq },
    };
}

function identityAuth(s: Shared, users: Record<string, Secret>): Values {
    const auth: Values = { admin: { password: s.keystoneAdmin }, test: { password: s.testUser } };
    for (const [user, pw] of Object.entries(users)) auth[user] = { password: pw };
    return auth;
}

export function mariadbValues(
    cfg: StackConfig,
    storageClass: pulumi.Input<string>,
    s: Shared,
    own: { sst: Secret; audit: Secret; exporter: Secret; backupUser: Secret },
): Values {
    return {
        pod: { replicas: { server: cfg.replicas.mariadb } },
        volume: { class_name: storageClass },
        endpoints: {
            oslo_db: {
                auth: {
                    admin: { password: s.dbRoot },
                    sst: { password: own.sst },
                    audit: { password: own.audit },
                    exporter: { password: own.exporter },
                },
            },
            identity: { auth: { admin: { password: s.keystoneAdmin }, mariadb: { password: own.backupUser } } },
            oci_image_registry: { auth: registry("mariadb", s) },
        },
    };
}

export function rabbitmqValues(
    cfg: StackConfig,
    storageClass: pulumi.Input<string>,
    s: Shared,
    own: { erlangCookie: Secret; guest: Secret },
): Values {
    return {
        pod: { replicas: { server: cfg.replicas.rabbitmq } },
        volume: { class_name: storageClass },
        endpoints: {
            oslo_messaging: {
                auth: {
                    user: { username: s.rabbitmqAdminUser, password: s.rabbitmqAdmin },
                    erlang_cookie: own.erlangCookie,
                    guest: { password: own.guest },
                },
            },
            oci_image_registry: { auth: registry("rabbitmq", s) },
        },
    };
}

export function memcachedValues(cfg: StackConfig, s: Shared): Values {
    return {
        pod: { replicas: { server: cfg.replicas.memcached } },
        endpoints: { oci_image_registry: { auth: registry("memcached", s) } },
    };
}

export function keystoneValues(cfg: StackConfig, s: Shared, own: DbUser & MessagingUser): Values {
    return {
        endpoints: {
            identity: {
                auth: {
                    admin: {
                        username: KEYSTONE_ADMIN.username,
                        password: s.keystoneAdmin,
                        project_name: KEYSTONE_ADMIN.projectName,
                        region_name: KEYSTONE_ADMIN.region,
                        user_domain_name: KEYSTONE_ADMIN.userDomainName,
                        project_domain_name: KEYSTONE_ADMIN.projectDomainName,
                    },
                    test: { password: s.testUser },
                },
            },
            oslo_db: { auth: dbAuth("keystone", s, own) },
            oslo_messaging: messaging("keystone", cfg, s, own),
            oci_image_registry: { auth: registry("keystone", s) },
        },
        // The chart declares rabbit_init's wait under dependencies.dynamic while its Job reads
        // dependencies.static: without this, keystone-rabbit-init starts before RabbitMQ answers
        // and crash-loops until it does. With it, keystone needs no edge to RabbitMQ.
        dependencies: { static: { rabbit_init: { services: [{ endpoint: "internal", service: "oslo_messaging" }] } } },
    };
}

export function glanceValues(
    cfg: StackConfig,
    s: Shared,
    own: DbUser & MessagingUser & KeystoneUser & { objectStore: Secret },
    rbd: { pool: string; user: string },
): Values {
    return {
        storage: "rbd",
        // The chart's storage-init also ensures the pool: same name, user and replica count.
        conf: { glance: { rbd: { rbd_store_pool: rbd.pool, rbd_store_user: rbd.user, rbd_store_replication: cfg.storage.replication } } },
        bootstrap: { enabled: cfg.image.bootstrap },
        endpoints: {
            identity: { auth: identityAuth(s, { glance: own.keystone }) },
            oslo_db: { auth: dbAuth("glance", s, own) },
            oslo_messaging: messaging("glance", cfg, s, own),
            oslo_cache: { auth: { memcache_secret_key: s.memcacheKey } },
            ceph_object_store: { auth: { glance: { password: own.objectStore } } },
            oci_image_registry: { auth: registry("glance", s) },
        },
    };
}

export function placementValues(s: Shared, own: DbUser & KeystoneUser & { novaApiDb: Secret }): Values {
    return {
        endpoints: {
            identity: { auth: { admin: { password: s.keystoneAdmin }, placement: { password: own.keystone } } },
            oslo_db: { auth: { ...dbAuth("placement", s, own), nova_api: { password: own.novaApiDb } } },
            oslo_cache: { auth: { memcache_secret_key: s.memcacheKey } },
            oci_image_registry: { auth: registry("placement", s) },
        },
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

export function novaValues(
    cfg: StackConfig,
    s: Shared,
    own: DbUser &
        MessagingUser &
        KeystoneUser & { neutron: Secret; placement: Secret; cinder: Secret; service: Secret; ironic: Secret; metadataSecret: Secret },
    ceph: CephClient,
): Values {
    const libvirt: Values = { rbd_user: ceph.user, rbd_secret_uuid: ceph.secretUuid, virt_type: cfg.compute.virtType };
    if (cfg.compute.virtType === "qemu") libvirt.cpu_mode = "none";
    if (cfg.compute.ephemeralOnCeph) {
        libvirt.images_type = "rbd";
        libvirt.images_rbd_pool = "vms";
    }
    const values: Values = {
        conf: {
            ceph: { enabled: true, cinder: { user: ceph.user, secret_uuid: ceph.secretUuid } },
            nova: { libvirt, neutron: { metadata_proxy_shared_secret: own.metadataSecret } },
        },
        bootstrap: { wait_for_computes: { enabled: true } },
        endpoints: {
            identity: {
                auth: identityAuth(s, {
                    nova: own.keystone,
                    neutron: own.neutron,
                    placement: own.placement,
                    cinder: own.cinder,
                    service: own.service,
                    ironic: own.ironic,
                }),
            },
            oslo_db: { auth: dbAuth("nova", s, own) },
            oslo_db_cell0: { auth: dbAuth("nova", s, own) },
            oslo_db_cell1: { auth: dbAuth("nova", s, own) },
            oslo_messaging: messaging("nova", cfg, s, own),
            oslo_cache: { auth: { memcache_secret_key: s.memcacheKey } },
            oci_image_registry: { auth: registry("nova", s) },
        },
    };
    if (cfg.compute.ephemeralOnCeph) values.rbd_pool = { replication: cfg.storage.replication };
    return values;
}

export function openvswitchValues(s: Shared): Values {
    return { endpoints: { oci_image_registry: { auth: registry("openvswitch", s) } } };
}

export function neutronValues(
    cfg: StackConfig,
    s: Shared,
    own: DbUser &
        MessagingUser &
        KeystoneUser & { nova: Secret; placement: Secret; designate: Secret; ironic: Secret; metadataSecret: Secret },
    controlNodes: number,
): Values {
    const net = cfg.network;
    const [firstFlat] = net.flatNetworks;
    const metadata = { DEFAULT: { metadata_proxy_shared_secret: own.metadataSecret } };
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
        endpoints: {
            identity: {
                auth: identityAuth(s, {
                    neutron: own.keystone,
                    nova: own.nova,
                    placement: own.placement,
                    designate: own.designate,
                    ironic: own.ironic,
                }),
            },
            oslo_db: { auth: dbAuth("neutron", s, own) },
            oslo_messaging: messaging("neutron", cfg, s, own),
            oslo_cache: { auth: { memcache_secret_key: s.memcacheKey } },
            oci_image_registry: { auth: registry("neutron", s) },
        },
    };
    if (net.tunnelInterface) values.network = { interface: { tunnel: net.tunnelInterface } };
    return values;
}

export function cinderValues(
    cfg: StackConfig,
    s: Shared,
    own: DbUser & MessagingUser & KeystoneUser & { nova: Secret; service: Secret; glance: Secret; swift: Secret },
    ceph: CephClient,
): Values {
    const r = cfg.storage.replication;
    return {
        conf: {
            ceph: { pools: { "cinder.volumes": { replication: r }, backup: { replication: r } } },
            backends: { rbd1: { rbd_pool: "cinder.volumes", rbd_user: ceph.user, rbd_secret_uuid: ceph.secretUuid } },
        },
        // No Swift here, and the chart's backup defaults to Swift: leave backup off.
        manifests: { deployment_backup: false, job_backup_storage_init: false },
        endpoints: {
            identity: {
                auth: identityAuth(s, { cinder: own.keystone, nova: own.nova, service: own.service, glance: own.glance, swift: own.swift }),
            },
            oslo_db: { auth: dbAuth("cinder", s, own) },
            oslo_messaging: messaging("cinder", cfg, s, own),
            oslo_cache: { auth: { memcache_secret_key: s.memcacheKey } },
            oci_image_registry: { auth: registry("cinder", s) },
        },
    };
}

export function horizonValues(s: Shared, own: DbUser & { secretKey: Secret }): Values {
    return {
        conf: { horizon: { local_settings: { config: { horizon_secret_key: own.secretKey } } } },
        endpoints: {
            identity: { auth: { admin: { password: s.keystoneAdmin } } },
            oslo_db: { auth: dbAuth("horizon", s, own) },
            oci_image_registry: { auth: registry("horizon", s) },
        },
    };
}

export function heatValues(
    cfg: StackConfig,
    s: Shared,
    own: DbUser & MessagingUser & KeystoneUser & { trustee: Secret; stackUser: Secret },
): Values {
    return {
        endpoints: {
            identity: { auth: identityAuth(s, { heat: own.keystone, heat_trustee: own.trustee, heat_stack_user: own.stackUser }) },
            oslo_db: { auth: dbAuth("heat", s, own) },
            oslo_messaging: messaging("heat", cfg, s, own),
            oslo_cache: { auth: { memcache_secret_key: s.memcacheKey } },
            oci_image_registry: { auth: registry("heat", s) },
        },
    };
}
