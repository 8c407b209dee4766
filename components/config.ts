// The one place that reads and validates the stack config. Every other module takes a
// StackConfig; nothing else calls `new pulumi.Config()`.
//
// loadConfig() checks every key, collects every problem and throws one ConfigError naming each
// key and its fix, so a bad stack fails before anything is changed.
import { ChartInventory, checkOverrides, inventoryFromCheckout, pinnedInventory } from "./chartValues";

/** Project name: the prefix of every config key (`openstack-helm-pulumi:<key>`). */
export const PROJECT = "openstack-helm-pulumi";

/** The charts this program can install, in upstream's order. */
export const CHARTS = [
    "mariadb", "rabbitmq", "memcached", "keystone", "glance", "placement", "openvswitch",
    "libvirt", "nova", "neutron", "cinder", "horizon", "heat",
] as const;
export type ChartName = (typeof CHARTS)[number];

export type NodeRole = "control" | "compute";
export const NODE_ROLES: readonly NodeRole[] = ["control", "compute"];

export interface NodeSpec {
    /** Kubernetes node name. */
    readonly name: string;
    /** control: MariaDB, RabbitMQ, the APIs and the neutron agents; compute: libvirt and nova-compute. */
    readonly roles: readonly NodeRole[];
}

export type ChartSource =
    | { readonly kind: "repository"; readonly repository: string }
    | { readonly kind: "local"; readonly path: string };

export interface StackConfig {
    readonly kubeconfig?: string;
    readonly kubeContext?: string;
    readonly namespace: string;
    /** create: the program creates (and on purge deletes) the namespace; adopt: it must exist. */
    readonly namespaceMode: "create" | "adopt";
    /** Let the first install go on over an earlier install's volumes (see components/preflight.ts). */
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
        readonly timeoutSeconds: number;
        readonly rabbitmqTimeoutSeconds: number;
    };

    readonly replicas: { readonly mariadb: number; readonly rabbitmq: number; readonly memcached: number };

    readonly identity: {
        /** The one public endpoint setting: Ingress host and Keystone catalog host. */
        readonly publicHost: string;
        readonly ingressClass: string;
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

    /** What the config does that is allowed but unchecked (logged as warnings). */
    readonly warnings: readonly string[];
}

/** Chart repository of openstack-helm (tarballs published from master). */
export const DEFAULT_CHART_REPOSITORY = "https://tarballs.opendev.org/openstack/openstack-helm";

/**
 * Chart versions pinned by default: what upstream's publish job names the charts built from
 * commit 0ee5adef (2026-08-20), `2026.1.<commits since 2026.1.0>+<sha>`. Unpinned installs take
 * whatever master published last.
 */
export const DEFAULT_CHART_VERSIONS: Readonly<Record<ChartName, string>> = {
    mariadb: "2026.1.6+0ee5adeff",
    rabbitmq: "2026.1.4+0ee5adeff",
    memcached: "2026.1.1+0ee5adeff",
    keystone: "2026.1.24+0ee5adeff",
    glance: "2026.1.22+0ee5adeff",
    placement: "2026.1.15+0ee5adeff",
    openvswitch: "2026.1.2+0ee5adeff",
    libvirt: "2026.1.5+0ee5adeff",
    nova: "2026.1.27+0ee5adeff",
    neutron: "2026.1.35+0ee5adeff",
    cinder: "2026.1.27+0ee5adeff",
    horizon: "2026.1.16+0ee5adeff",
    heat: "2026.1.21+0ee5adeff",
};

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
    ingressClass: "nginx",
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

/** What loadConfig needs from a config reader; `pulumi.Config` satisfies it. */
export interface ConfigReader {
    get(key: string): string | undefined;
    /** Whether the key was set with --secret (unknown: treated as not). */
    isSecret?(key: string): boolean;
}

export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(
            `The stack config has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was changed:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HELM_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const INTERFACE = /^[A-Za-z0-9_.:-]{1,15}$/;
const CEPH_NAME = /^[A-Za-z0-9_.-]+$/;
const IMAGE_REF = /^[a-z0-9]+([._\/-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/** Reads and validates the whole stack config once. Throws ConfigError listing every problem. */
export function loadConfig(reader: ConfigReader): StackConfig {
    const problems: string[] = [];
    const key = (k: string) => `${PROJECT}:${k}`;
    const fail = (k: string, problem: string, fix: string) => problems.push(`${key(k)}: ${problem}. Fix: ${fix}`);
    const setFix = (k: string, example: string) => `pulumi config set ${key(k)} ${example}`;
    const objFix = (k: string, example: string) => `pulumi config set --path '${key(k)}${example}`;

    const str = (k: string): string | undefined => {
        const v = reader.get(k);
        return v === undefined || v === "" ? undefined : v;
    };
    const json = (k: string): unknown => {
        const raw = str(k);
        if (raw === undefined) return undefined;
        try {
            return JSON.parse(raw);
        } catch {
            fail(k, "is not valid structured config", `set it as a YAML object/list in Pulumi.<stack>.yaml`);
            return undefined;
        }
    };
    const bool = (k: string, dflt: boolean): boolean => {
        const v = str(k);
        if (v === undefined) return dflt;
        if (v === "true") return true;
        if (v === "false") return false;
        fail(k, `must be true or false, got ${JSON.stringify(v)}`, setFix(k, String(dflt)));
        return dflt;
    };
    const int = (k: string, dflt: number, min: number, max: number, extra?: (n: number) => string | undefined): number => {
        const v = str(k);
        if (v === undefined) return dflt;
        const n = Number(v);
        if (!Number.isInteger(n)) {
            fail(k, `must be a whole number, got ${JSON.stringify(v)}`, setFix(k, String(dflt)));
            return dflt;
        }
        if (n < min || n > max) {
            fail(k, `must be between ${min} and ${max}, got ${n}`, setFix(k, String(dflt)));
            return dflt;
        }
        const why = extra?.(n);
        if (why) {
            fail(k, why, setFix(k, String(dflt)));
            return dflt;
        }
        return n;
    };
    const oneOf = <T extends string>(k: string, allowed: readonly T[], dflt: T): T => {
        const v = str(k);
        if (v === undefined) return dflt;
        if ((allowed as readonly string[]).includes(v)) return v as T;
        fail(k, `must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`, setFix(k, dflt));
        return dflt;
    };
    const matching = (k: string, re: RegExp, what: string, dflt: string | undefined, example: string): string | undefined => {
        const v = str(k);
        if (v === undefined) return dflt;
        if (!re.test(v)) {
            fail(k, `${JSON.stringify(v)} is not ${what}`, setFix(k, example));
            return dflt;
        }
        return v;
    };

    // --- cluster and namespace
    const kubeconfig = str("kubeconfig");
    const kubeContext = str("kubeContext");
    const namespace = matching("namespace", DNS_LABEL, "a valid namespace name (DNS label)", DEFAULTS.namespace, DEFAULTS.namespace)!;
    const namespaceMode = oneOf("namespaceMode", ["create", "adopt"] as const, DEFAULTS.namespaceMode);
    const allowLeftoverData = bool("allowLeftoverData", DEFAULTS.allowLeftoverData);

    const domainRaw = str("domain");
    let domain = "";
    if (domainRaw === undefined) fail("domain", "is required (Keystone's public host is keystone.<domain>)", setFix("domain", "example.com"));
    else if (!DNS_SUBDOMAIN.test(domainRaw) || !domainRaw.includes(".")) {
        fail("domain", `${JSON.stringify(domainRaw)} is not a DNS domain with at least two labels`, setFix("domain", "example.com"));
    } else domain = domainRaw;

    // --- nodes
    const nodes: NodeSpec[] = [];
    const nodesRaw = json("nodes");
    if (nodesRaw === undefined) {
        if (str("nodes") === undefined) {
            fail("nodes", "is required: the list of nodes and their roles", objFix("nodes", "[0].name' k1 (and .roles[0] control)"));
        }
    } else if (!Array.isArray(nodesRaw) || nodesRaw.length === 0) {
        fail("nodes", "must be a non-empty list of {name, roles}", objFix("nodes", "[0].name' k1"));
    } else {
        const seen = new Set<string>();
        nodesRaw.forEach((n: unknown, i: number) => {
            const at = `nodes[${i}]`;
            if (typeof n !== "object" || n === null || Array.isArray(n)) {
                fail(at, "must be an object {name, roles}", objFix(at, ".name' k1"));
                return;
            }
            const o = n as Record<string, unknown>;
            for (const extra of Object.keys(o).filter((x) => x !== "name" && x !== "roles")) {
                fail(`${at}.${extra}`, "is not a known node field (name, roles)", `remove it: pulumi config rm --path '${key(at)}.${extra}'`);
            }
            const name = o.name;
            if (typeof name !== "string" || !DNS_SUBDOMAIN.test(name)) {
                fail(`${at}.name`, `${JSON.stringify(name)} is not a valid node name`, objFix(at, ".name' k1"));
                return;
            }
            if (seen.has(name)) fail(`${at}.name`, `node ${name} is listed twice`, `remove the duplicate entry`);
            seen.add(name);
            const roles = o.roles;
            if (!Array.isArray(roles) || roles.length === 0) {
                fail(`${at}.roles`, "must be a non-empty list of control and/or compute", objFix(at, ".roles[0]' control"));
                return;
            }
            const bad = roles.filter((r) => !(NODE_ROLES as readonly unknown[]).includes(r));
            if (bad.length > 0) {
                fail(`${at}.roles`, `unknown role(s) ${bad.map((b) => JSON.stringify(b)).join(", ")} (known: control, compute)`, objFix(at, ".roles[0]' control"));
                return;
            }
            nodes.push({ name, roles: [...new Set(roles as NodeRole[])].sort() });
        });
        if (nodes.length === nodesRaw.length) {
            if (!nodes.some((n) => n.roles.includes("control"))) {
                fail("nodes", "no node has the control role (MariaDB, RabbitMQ and the APIs need one)", objFix("nodes", "[0].roles[0]' control"));
            }
            if (!nodes.some((n) => n.roles.includes("compute"))) {
                fail("nodes", "no node has the compute role (libvirt and nova-compute need one)", objFix("nodes", "[0].roles[1]' compute"));
            }
        }
    }
    const controlCount = nodes.filter((n) => n.roles.includes("control")).length;

    // --- storage
    const storageClass = matching("storageClass", DNS_SUBDOMAIN, "a valid StorageClass name", DEFAULTS.storageClass, DEFAULTS.storageClass)!;
    if (storageClass === "default" || storageClass === "general") {
        fail("storageClass", `${JSON.stringify(storageClass)} has a special meaning in the openstack-helm charts (chart default / omit the class)`, setFix("storageClass", DEFAULTS.storageClass));
    }
    const manageStorageClass = bool("manageStorageClass", DEFAULTS.manageStorageClass);
    const rookNamespace = matching("rookNamespace", DNS_LABEL, "a valid namespace name", DEFAULTS.rookNamespace, DEFAULTS.rookNamespace)!;
    const cephToolbox = str("cephToolbox") ?? DEFAULTS.cephToolbox;
    if (/[\n\r;&|`]|\$\(/.test(cephToolbox)) {
        fail("cephToolbox", "must be a plain command prefix (no newlines, ;, &, |, backticks or $(...))", setFix("cephToolbox", `'${DEFAULTS.cephToolbox}'`));
    }
    const replication = int("cephReplication", DEFAULTS.cephReplication, 1, 7);
    const poolPgs = int("cephPoolPgs", DEFAULTS.cephPoolPgs, 1, 32768, (n) =>
        (n & (n - 1)) === 0 ? undefined : `must be a power of two (Ceph warns otherwise), got ${n}`);
    const purgeOnDestroy = bool("purgeOnDestroy", DEFAULTS.purgeOnDestroy);
    const monPort = int("cephMonPort", DEFAULTS.cephMonPort, 1, 65535);
    const refresherSchedule = str("refresherSchedule") ?? DEFAULTS.refresherSchedule;
    const scheduleProblem = checkMinuteSchedule(refresherSchedule);
    if (scheduleProblem) fail("refresherSchedule", scheduleProblem, setFix("refresherSchedule", `'${DEFAULTS.refresherSchedule}'`));
    const refresherImage = str("refresherImage") ?? DEFAULTS.refresherImage;
    if (!IMAGE_REF.test(refresherImage) || !/(:[\w][\w.-]*|@sha256:[a-f0-9]{64})$/.test(refresherImage.replace(/^[^/]*:\d+\//, ""))) {
        fail("refresherImage", `${JSON.stringify(refresherImage)} must be an image reference with a tag or digest`, setFix("refresherImage", DEFAULTS.refresherImage));
    } else if (/:latest$/.test(refresherImage)) {
        fail("refresherImage", "must be pinned: the tag latest changes under you", setFix("refresherImage", DEFAULTS.refresherImage));
    }

    // --- DNS RBAC
    const corednsNamespace = matching("corednsNamespace", DNS_LABEL, "a valid namespace name", DEFAULTS.corednsNamespace, DEFAULTS.corednsNamespace)!;
    const corednsDeployment = matching("corednsDeployment", DNS_SUBDOMAIN, "a valid Deployment name", DEFAULTS.corednsDeployment, DEFAULTS.corednsDeployment)!;

    // --- charts
    const sourceKind = oneOf("chartSource", ["repository", "local"] as const, DEFAULTS.chartSource);
    let source: ChartSource = { kind: "repository", repository: DEFAULTS.chartRepository };
    if (sourceKind === "repository") {
        const repo = str("chartRepository") ?? DEFAULTS.chartRepository;
        if (!/^(https?|oci|file):\/\/\S+$/.test(repo)) {
            fail("chartRepository", `${JSON.stringify(repo)} is not an http(s), oci or file URL`, setFix("chartRepository", DEFAULTS.chartRepository));
        } else source = { kind: "repository", repository: repo.replace(/\/+$/, "") };
        if (str("chartLocalPath") !== undefined) {
            fail("chartLocalPath", "is set but chartSource is repository", `${setFix("chartSource", "local")} or pulumi config rm ${key("chartLocalPath")}`);
        }
    } else {
        const path = str("chartLocalPath");
        if (path === undefined) fail("chartLocalPath", "is required when chartSource is local (an openstack-helm checkout)", setFix("chartLocalPath", "/home/me/osh/openstack-helm"));
        else source = { kind: "local", path: path.replace(/\/+$/, "") };
    }
    const versions: Record<ChartName, string> = { ...DEFAULT_CHART_VERSIONS };
    const versionsRaw = json("chartVersions");
    if (versionsRaw !== undefined) {
        if (typeof versionsRaw !== "object" || versionsRaw === null || Array.isArray(versionsRaw)) {
            fail("chartVersions", "must be a map of chart name to version", objFix("chartVersions", ".keystone' 2026.1.24+0ee5adeff"));
        } else {
            for (const [chart, v] of Object.entries(versionsRaw)) {
                if (!(CHARTS as readonly string[]).includes(chart)) {
                    fail(`chartVersions.${chart}`, `is not a chart this program installs (${CHARTS.join(", ")})`, `pulumi config rm --path '${key("chartVersions")}.${chart}'`);
                } else if (typeof v !== "string" || !HELM_VERSION.test(v)) {
                    fail(`chartVersions.${chart}`, `${JSON.stringify(v)} is not a chart version (semver, e.g. ${DEFAULT_CHART_VERSIONS.keystone})`, objFix("chartVersions", `.${chart}' ${DEFAULT_CHART_VERSIONS[chart as ChartName]}`));
                } else versions[chart as ChartName] = v;
            }
        }
    }
    const values: Partial<Record<ChartName, Record<string, unknown>>> = {};
    const valuesRaw = json("chartValues");
    if (valuesRaw !== undefined) {
        if (typeof valuesRaw !== "object" || valuesRaw === null || Array.isArray(valuesRaw)) {
            fail("chartValues", "must be a map of chart name to a values object", objFix("chartValues", ".nova.conf.nova.DEFAULT.debug' true"));
        } else {
            for (const [chart, v] of Object.entries(valuesRaw)) {
                if (!(CHARTS as readonly string[]).includes(chart)) {
                    fail(`chartValues.${chart}`, `is not a chart this program installs (${CHARTS.join(", ")})`, `pulumi config rm --path '${key("chartValues")}.${chart}'`);
                } else if (typeof v !== "object" || v === null || Array.isArray(v)) {
                    fail(`chartValues.${chart}`, "must be a values object (nested keys, not a string or list)", objFix("chartValues", `.${chart}.pod.replicas.api' 2`));
                } else {
                    const dotted = Object.keys(v).filter((k) => k.includes("."));
                    if (dotted.length > 0) {
                        fail(`chartValues.${chart}`, `has dotted key(s) ${dotted.join(", ")}: values are nested objects, not --set paths`, objFix("chartValues", `.${chart}.${dotted[0]}' <value>`));
                    } else values[chart as ChartName] = v as Record<string, unknown>;
                }
            }
        }
    }
    const unchecked = json("chartValuesUnchecked");
    let uncheckedPaths: string[] = [];
    if (unchecked !== undefined) {
        if (!Array.isArray(unchecked) || !unchecked.every((u) => typeof u === "string" && /^[a-z]+\.[^.]/.test(u))) {
            fail("chartValuesUnchecked", "must be a list of <chart>.<values path> strings", objFix("chartValuesUnchecked", "[0]' nova.some.key"));
        } else uncheckedPaths = unchecked as string[];
    }
    const warnings: string[] = [];
    for (const [chart, v] of Object.entries(values) as [ChartName, Record<string, unknown>][]) {
        const found = chartInventory(source, chart, versions[chart]);
        if ("problem" in found) {
            if (source.kind === "local") fail("chartLocalPath", found.problem, setFix("chartLocalPath", "<an openstack-helm checkout>"));
            else warnings.push(`${key(`chartValues.${chart}`)}: ${found.problem}; its keys are not checked, so Helm ignores a misspelt one silently`);
            continue;
        }
        for (const { path, problem } of checkOverrides(chart, found.inventory, v)) {
            if (uncheckedPaths.includes(`${chart}.${path}`)) continue;
            const k = `chartValues.${chart}.${path}`;
            fail(k, problem, `pulumi config rm --path '${key(k)}' (or, if the chart reads it after all: ${objFix("chartValuesUnchecked", `[0]' ${chart}.${path}`)})`);
        }
    }
    const valuesSecret = reader.isSecret?.("chartValues") ?? false;
    const timeoutSeconds = int("helmTimeoutSeconds", DEFAULTS.helmTimeoutSeconds, 60, 7200);
    const rabbitmqTimeoutSeconds = int("rabbitmqTimeoutSeconds", DEFAULTS.rabbitmqTimeoutSeconds, 60, 7200);

    // --- replicas
    const mariadb = int("mariadbReplicas", DEFAULTS.mariadbReplicas, 1, 9, (n) =>
        n % 2 === 1 ? undefined : `must be odd so the Galera cluster keeps quorum, got ${n}`);
    const rabbitmq = int("rabbitmqReplicas", DEFAULTS.rabbitmqReplicas, 1, 9);
    const memcached = int("memcachedReplicas", DEFAULTS.memcachedReplicas, 1, 9);
    if (controlCount > 0) {
        for (const [k, n] of [["mariadbReplicas", mariadb], ["rabbitmqReplicas", rabbitmq]] as const) {
            if (n > controlCount) {
                fail(k, `asks for ${n} replicas but only ${controlCount} node(s) have the control role`, `${setFix(k, String(controlCount % 2 === 1 || k !== "mariadbReplicas" ? controlCount : controlCount - 1))} or give more nodes the control role`);
            }
        }
    }

    // --- identity
    const publicHostRaw = str("keystonePublicHost");
    let publicHost = domain ? `keystone.${domain}` : "";
    if (publicHostRaw !== undefined) {
        if (!DNS_SUBDOMAIN.test(publicHostRaw)) {
            fail("keystonePublicHost", `${JSON.stringify(publicHostRaw)} is not a DNS name`, setFix("keystonePublicHost", `keystone.${domain || "example.com"}`));
        } else publicHost = publicHostRaw;
    }
    const ingressClass = matching("ingressClass", DNS_SUBDOMAIN, "a valid IngressClass name", DEFAULTS.ingressClass, DEFAULTS.ingressClass)!;

    // --- image, compute, network
    const bootstrap = bool("glanceBootstrap", DEFAULTS.glanceBootstrap);
    const virtType = oneOf("virtType", ["kvm", "qemu"] as const, DEFAULTS.virtType);
    const ephemeralOnCeph = bool("ephemeralOnCeph", DEFAULTS.ephemeralOnCeph);
    const cephUser = matching("cephComputeUser", CEPH_NAME, "a Ceph user name (without client.)", DEFAULTS.cephComputeUser, DEFAULTS.cephComputeUser)!;
    if (cephUser.startsWith("client.")) fail("cephComputeUser", "must not start with client.", setFix("cephComputeUser", DEFAULTS.cephComputeUser));
    const tunnelInterface = matching("tunnelInterface", INTERFACE, "a network interface name", undefined, "eth1");
    const externalInterface = matching("externalInterface", INTERFACE, "a network interface name", undefined, "eth2");
    const externalBridge = matching("externalBridge", INTERFACE, "a bridge name", DEFAULTS.externalBridge, DEFAULTS.externalBridge)!;
    let flatNetworks: string[] = [...DEFAULTS.flatNetworks];
    const flatRaw = json("flatNetworks");
    if (flatRaw !== undefined) {
        if (!Array.isArray(flatRaw) || flatRaw.length === 0 || !flatRaw.every((f) => typeof f === "string" && /^[A-Za-z0-9_-]+$/.test(f))) {
            fail("flatNetworks", "must be a non-empty list of physical network names (letters, digits, _ and -)", objFix("flatNetworks", "[0]' public"));
        } else if (new Set(flatRaw).size !== flatRaw.length) {
            fail("flatNetworks", "lists a network twice", "remove the duplicate");
        } else flatNetworks = flatRaw as string[];
    }

    const optional = {
        cinder: bool("enableCinder", DEFAULTS.enableCinder),
        horizon: bool("enableHorizon", DEFAULTS.enableHorizon),
        heat: bool("enableHeat", DEFAULTS.enableHeat),
    };
    const readinessTimeoutSeconds = int("readinessTimeoutSeconds", DEFAULTS.readinessTimeoutSeconds, 60, 14400);

    if (problems.length > 0) throw new ConfigError(problems);

    return Object.freeze({
        kubeconfig,
        kubeContext,
        namespace,
        namespaceMode,
        allowLeftoverData,
        domain,
        nodes,
        storage: {
            storageClass, manageStorageClass, rookNamespace, cephToolbox, replication, poolPgs, purgeOnDestroy,
            monPort, refresherSchedule, refresherImage,
        },
        dns: { corednsNamespace, corednsDeployment },
        charts: { source, versions, values, valuesSecret, timeoutSeconds, rabbitmqTimeoutSeconds },
        replicas: { mariadb, rabbitmq, memcached },
        identity: { publicHost, ingressClass },
        image: { bootstrap },
        compute: { virtType, ephemeralOnCeph, cephUser },
        network: { tunnelInterface, externalInterface, externalBridge, flatNetworks },
        optional,
        readinessTimeoutSeconds,
        warnings,
    });
}

/** What a chart reads: from the local checkout, or the committed inventory of the pinned version. */
function chartInventory(source: ChartSource, chart: ChartName, version: string): { inventory: ChartInventory } | { problem: string } {
    if (source.kind === "local") {
        try {
            return { inventory: inventoryFromCheckout(source.path, chart) };
        } catch (e) {
            return { problem: `cannot read chart ${chart} of ${source.path} to check its chartValues: ${(e as Error).message}` };
        }
    }
    const inventory = pinnedInventory(chart, version);
    return inventory ? { inventory } : { problem: `the program has no values inventory for chart ${chart} ${version}` };
}

/** Node names with a role, in config order. */
export function nodesWithRole(cfg: StackConfig, role: NodeRole): string[] {
    return cfg.nodes.filter((n) => n.roles.includes(role)).map((n) => n.name);
}

/**
 * Nodes that need `openvswitch=enabled`: every compute node (libvirt, nova-compute) and every
 * control node (the neutron DHCP/L3/metadata agents), since each waits for an OVS agent on its node.
 */
export function openvswitchNodes(cfg: StackConfig): string[] {
    return cfg.nodes.map((n) => n.name);
}

/** A 5-field cron schedule that fires at least every hour (the refresher must be minutes, not days). */
export function checkMinuteSchedule(schedule: string): string | undefined {
    const fields = schedule.trim().split(/\s+/);
    if (fields.length !== 5) return `${JSON.stringify(schedule)} is not a 5-field cron schedule`;
    const [minute, hour, dom, month, dow] = fields;
    const cronField = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
    if (!fields.every((f) => cronField.test(f))) return `${JSON.stringify(schedule)} is not a valid cron schedule`;
    if (hour !== "*" || dom !== "*" || month !== "*" || dow !== "*") {
        return `${JSON.stringify(schedule)} runs at most hourly; monitors can move at any time, so it must run every few minutes (hour, day, month and weekday fields must be *)`;
    }
    const step = /^\*\/(\d+)$/.exec(minute);
    if (minute !== "*" && !(step && Number(step[1]) >= 1 && Number(step[1]) <= 30) && !/^\d+(,\d+)+$/.test(minute)) {
        return `${JSON.stringify(schedule)} must fire every 1-30 minutes (e.g. */5 * * * *)`;
    }
    return undefined;
}
