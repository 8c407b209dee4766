// The one place that reads and validates the stack config. Every other module takes a
// StackConfig; nothing else calls `new pulumi.Config()`.
//
// loadConfig() checks every key, collects every problem and throws one ConfigError naming each
// key and its fix, so a bad stack fails before anything is changed.
import { CHARTS, ChartName, DEFAULT_CHART_VERSIONS, installedCharts } from "../catalog/charts";
import {
    ChartInventory,
    USER_ENDPOINT,
    checkOverrides,
    inventoryFromCheckout,
    pinnedInventory,
    usernamesFromCheckout,
} from "../catalog/inventory";
import { PUBLIC_APIS, PUBLIC_SERVICES, PublicScheme, PublicService, RoutedApi } from "../catalog/endpoints";
import { ImageSettings, imageSettings } from "../catalog/images";
import { shq } from "../commands/shell";

export { CHARTS, DEFAULT_CHART_VERSIONS };
export type { ChartName };

/** Project name: the prefix of every config key (`openstack-helm-pulumi:<key>`). */
export const PROJECT = "openstack-helm-pulumi";

export type NodeRole = "control" | "compute";
export const NODE_ROLES: readonly NodeRole[] = ["control", "compute"];

export interface NodeSpec {
    /** Kubernetes node name. */
    readonly name: string;
    /** control: MariaDB, RabbitMQ, the APIs and the neutron agents; compute: libvirt and nova-compute. */
    readonly roles: readonly NodeRole[];
}

export interface GatewayRef {
    readonly namespace: string;
    readonly name: string;
    /** The listener to attach to; every listener that allows the routes when absent. */
    readonly sectionName?: string;
}

export type TlsSetting =
    | { readonly kind: "clusterIssuer"; readonly clusterIssuer: string }
    | { readonly kind: "secret"; readonly secretName: string }
    | { readonly kind: "gateway" };

export type ChartSource = { readonly kind: "repository"; readonly repository: string } | { readonly kind: "local"; readonly path: string };

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
        /**
         * Each installed chart's default users at the version installed (the committed inventory,
         * or the local checkout's values.yaml): `endpoints.<type>.auth.<key>` -> username. The
         * credentials are chosen by user (components/credentials.ts).
         */
        readonly usernames: Readonly<Partial<Record<ChartName, Readonly<Record<string, string>>>>>;
        readonly timeoutSeconds: number;
        readonly rabbitmqTimeoutSeconds: number;
    };

    readonly replicas: { readonly mariadb: number; readonly rabbitmq: number; readonly memcached: number };

    readonly identity: {
        /** Keystone's public host (the route's and the catalog's): `exposure.apis`' keystone entry. */
        readonly publicHost: string;
    };

    /** How every OpenStack API is reached from outside the cluster. */
    readonly exposure: {
        /** ingress: one Ingress per API; gateway: one HTTPRoute per API on an existing Gateway. */
        readonly mode: "ingress" | "gateway";
        readonly ingressClass: string;
        /** The Gateway the HTTPRoutes attach to (gateway mode). */
        readonly gateway?: GatewayRef;
        /** TLS at the route: a cert-manager ClusterIssuer or an existing Secret (ingress mode), or the Gateway's listener. */
        readonly tls?: TlsSetting;
        readonly scheme: PublicScheme;
        /** Every API the stack installs, with its public host. */
        readonly apis: readonly RoutedApi[];
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

    /** The check that the cloud answers, after the readiness check. */
    readonly verification: {
        readonly enabled: boolean;
        /** host[:port] -> address:port the checks connect to instead (as curl --resolve), before DNS has the hosts. */
        readonly resolve: Readonly<Record<string, string>>;
    };

    /** Every image the stack's pods run, and where they pull from (imageRegistry, images, imagePullSecret). */
    readonly images: ImageSettings;

    /** What the config does that is allowed but unchecked (logged as warnings). */
    readonly warnings: readonly string[];
}

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
const IMAGE_REF = /^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
/** kubeconfig context names: EKS ARNs, `user@cluster`, `kind-dev`; no spaces or shell syntax. */
const KUBE_CONTEXT = /^[A-Za-z0-9_.@:/+-]{1,253}$/;

/** The shared readers every section uses: each records a problem and returns a safe default. */
interface Readers {
    readonly key: (k: string) => string;
    readonly fail: (k: string, problem: string, fix: string) => void;
    readonly setFix: (k: string, example: string) => string;
    readonly objFix: (k: string, example: string) => string;
    readonly str: (k: string) => string | undefined;
    readonly json: (k: string) => unknown;
    readonly bool: (k: string, dflt: boolean) => boolean;
    readonly int: (k: string, dflt: number, min: number, max: number, extra?: (n: number) => string | undefined) => number;
    readonly oneOf: <T extends string>(k: string, allowed: readonly T[], dflt: T) => T;
    readonly matching: (k: string, re: RegExp, what: string, dflt: string | undefined, example: string) => string | undefined;
    readonly isSecret: (k: string) => boolean;
}

function readers(reader: ConfigReader, problems: string[]): Readers {
    const key = (k: string) => `${PROJECT}:${k}`;
    const fail = (k: string, problem: string, fix: string) => problems.push(`${key(k)}: ${problem}. Fix: ${fix}`);
    const setFix = (k: string, example: string) => `pulumi config set ${key(k)} ${example}`;
    const objFix = (k: string, example: string) => `pulumi config set --path '${key(k)}${example}`;
    const str = (k: string): string | undefined => {
        const v = reader.get(k);
        return v === undefined || v === "" ? undefined : v;
    };
    const rejectAs = <T>(k: string, problem: string, fix: string, dflt: T): T => {
        fail(k, problem, fix);
        return dflt;
    };
    return {
        key,
        fail,
        setFix,
        objFix,
        str,
        json: (k) => {
            const raw = str(k);
            if (raw === undefined) return undefined;
            try {
                return JSON.parse(raw);
            } catch {
                return rejectAs(k, "is not valid structured config", "set it as a YAML object/list in Pulumi.<stack>.yaml", undefined);
            }
        },
        bool: (k, dflt) => {
            const v = str(k);
            if (v === undefined) return dflt;
            if (v === "true" || v === "false") return v === "true";
            return rejectAs(k, `must be true or false, got ${JSON.stringify(v)}`, setFix(k, String(dflt)), dflt);
        },
        int: (k, dflt, min, max, extra) => {
            const v = str(k);
            if (v === undefined) return dflt;
            const n = Number(v);
            if (!Number.isInteger(n)) return rejectAs(k, `must be a whole number, got ${JSON.stringify(v)}`, setFix(k, String(dflt)), dflt);
            if (n < min || n > max) return rejectAs(k, `must be between ${min} and ${max}, got ${n}`, setFix(k, String(dflt)), dflt);
            const why = extra?.(n);
            return why ? rejectAs(k, why, setFix(k, String(dflt)), dflt) : n;
        },
        oneOf: <T extends string>(k: string, allowed: readonly T[], dflt: T): T => {
            const v = str(k);
            if (v === undefined) return dflt;
            if ((allowed as readonly string[]).includes(v)) return v as T;
            return rejectAs(k, `must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`, setFix(k, dflt), dflt);
        },
        matching: (k, re, what, dflt, example) => {
            const v = str(k);
            if (v === undefined) return dflt;
            return re.test(v) ? v : rejectAs(k, `${JSON.stringify(v)} is not ${what}`, setFix(k, example), dflt);
        },
        isSecret: (k) => reader.isSecret?.(k) ?? false,
    };
}

/** Reads and validates the whole stack config once. Throws ConfigError listing every problem. */
export function loadConfig(reader: ConfigReader): StackConfig {
    const problems: string[] = [];
    const warnings: string[] = [];
    const r = readers(reader, problems);
    const cluster = clusterSection(r);
    const nodes = nodesSection(r);
    const controlCount = nodes.filter((n) => n.roles.includes("control")).length;
    const optional = {
        cinder: r.bool("enableCinder", DEFAULTS.enableCinder),
        horizon: r.bool("enableHorizon", DEFAULTS.enableHorizon),
        heat: r.bool("enableHeat", DEFAULTS.enableHeat),
    };
    const installed = installedCharts(optional);
    const charts = chartsSection(r, warnings, installed);
    const storage = storageSection(r, cluster.kubeContext);
    const images = imageSettings(
        r,
        { source: charts.source, versions: charts.versions, installed, chartValues: charts.values, refresherImage: storage.refresherImage },
        DEFAULT_CHART_VERSIONS,
        warnings,
    );
    const config = Object.freeze({
        ...cluster,
        nodes,
        storage,
        dns: dnsSection(r),
        charts,
        replicas: replicasSection(r, controlCount),
        ...exposureSection(r, cluster.domain, installed),
        image: { bootstrap: r.bool("glanceBootstrap", DEFAULTS.glanceBootstrap) },
        compute: computeSection(r),
        network: networkSection(r),
        optional,
        readinessTimeoutSeconds: r.int("readinessTimeoutSeconds", DEFAULTS.readinessTimeoutSeconds, 60, 14400),
        verification: verificationSection(r),
        images,
        warnings,
    });
    if (problems.length > 0) throw new ConfigError(problems);
    return config;
}

function clusterSection(r: Readers) {
    const kubeContext = r.matching(
        "kubeContext",
        KUBE_CONTEXT,
        "a kubeconfig context name (no spaces or shell syntax)",
        undefined,
        "my-cluster",
    );
    const namespace = r.matching("namespace", DNS_LABEL, "a valid namespace name (DNS label)", DEFAULTS.namespace, DEFAULTS.namespace)!;
    const domainRaw = r.str("domain");
    let domain = "";
    if (domainRaw === undefined)
        r.fail("domain", "is required (Keystone's public host is keystone.<domain>)", r.setFix("domain", "example.com"));
    else if (!DNS_SUBDOMAIN.test(domainRaw) || !domainRaw.includes(".")) {
        r.fail("domain", `${JSON.stringify(domainRaw)} is not a DNS domain with at least two labels`, r.setFix("domain", "example.com"));
    } else domain = domainRaw;
    return {
        kubeconfig: r.str("kubeconfig"),
        kubeContext,
        namespace,
        namespaceMode: r.oneOf("namespaceMode", ["create", "adopt"] as const, DEFAULTS.namespaceMode),
        allowLeftoverData: r.bool("allowLeftoverData", DEFAULTS.allowLeftoverData),
        domain,
    };
}

function nodesSection(r: Readers): NodeSpec[] {
    const nodesRaw = r.json("nodes");
    if (nodesRaw === undefined) {
        if (r.str("nodes") === undefined) {
            r.fail("nodes", "is required: the list of nodes and their roles", r.objFix("nodes", "[0].name' k1 (and .roles[0] control)"));
        }
        return [];
    }
    if (!Array.isArray(nodesRaw) || nodesRaw.length === 0) {
        r.fail("nodes", "must be a non-empty list of {name, roles}", r.objFix("nodes", "[0].name' k1"));
        return [];
    }
    const nodes: NodeSpec[] = [];
    const seen = new Set<string>();
    nodesRaw.forEach((n: unknown, i: number) => {
        const node = nodeEntry(r, n, `nodes[${i}]`);
        if (!node) return;
        if (seen.has(node.name)) r.fail(`nodes[${i}].name`, `node ${node.name} is listed twice`, `remove the duplicate entry`);
        seen.add(node.name);
        nodes.push(node);
    });
    if (nodes.length === nodesRaw.length) {
        if (!nodes.some((n) => n.roles.includes("control"))) {
            r.fail(
                "nodes",
                "no node has the control role (MariaDB, RabbitMQ and the APIs need one)",
                r.objFix("nodes", "[0].roles[0]' control"),
            );
        }
        if (!nodes.some((n) => n.roles.includes("compute"))) {
            r.fail("nodes", "no node has the compute role (libvirt and nova-compute need one)", r.objFix("nodes", "[0].roles[1]' compute"));
        }
    }
    return nodes;
}

function nodeEntry(r: Readers, n: unknown, at: string): NodeSpec | undefined {
    if (typeof n !== "object" || n === null || Array.isArray(n)) {
        r.fail(at, "must be an object {name, roles}", r.objFix(at, ".name' k1"));
        return undefined;
    }
    const o = n as Record<string, unknown>;
    for (const extra of Object.keys(o).filter((x) => x !== "name" && x !== "roles")) {
        r.fail(`${at}.${extra}`, "is not a known node field (name, roles)", `remove it: pulumi config rm --path '${r.key(at)}.${extra}'`);
    }
    const { name, roles } = o;
    if (typeof name !== "string" || !DNS_SUBDOMAIN.test(name)) {
        r.fail(`${at}.name`, `${JSON.stringify(name)} is not a valid node name`, r.objFix(at, ".name' k1"));
        return undefined;
    }
    if (!Array.isArray(roles) || roles.length === 0) {
        r.fail(`${at}.roles`, "must be a non-empty list of control and/or compute", r.objFix(at, ".roles[0]' control"));
        return undefined;
    }
    const bad = roles.filter((x) => !(NODE_ROLES as readonly unknown[]).includes(x));
    if (bad.length > 0) {
        r.fail(
            `${at}.roles`,
            `unknown role(s) ${bad.map((b) => JSON.stringify(b)).join(", ")} (known: control, compute)`,
            r.objFix(at, ".roles[0]' control"),
        );
        return undefined;
    }
    return { name, roles: [...new Set(roles as NodeRole[])].sort() };
}

function storageSection(r: Readers, kubeContext: string | undefined): StackConfig["storage"] {
    const storageClass = r.matching(
        "storageClass",
        DNS_SUBDOMAIN,
        "a valid StorageClass name",
        DEFAULTS.storageClass,
        DEFAULTS.storageClass,
    )!;
    if (storageClass === "default" || storageClass === "general") {
        r.fail(
            "storageClass",
            `${JSON.stringify(storageClass)} has a special meaning in the openstack-helm charts (chart default / omit the class)`,
            r.setFix("storageClass", DEFAULTS.storageClass),
        );
    }
    // The default toolbox is Rook's, through kubectl: on the configured context.
    const cephToolbox =
        r.str("cephToolbox") ??
        (kubeContext ? DEFAULTS.cephToolbox.replace(/^kubectl /, `kubectl --context ${shq(kubeContext)} `) : DEFAULTS.cephToolbox);
    if (/[\n\r;&|`]|\$\(/.test(cephToolbox)) {
        r.fail(
            "cephToolbox",
            "must be a plain command prefix (no newlines, ;, &, |, backticks or $(...))",
            r.setFix("cephToolbox", `'${DEFAULTS.cephToolbox}'`),
        );
    }
    const refresherSchedule = r.str("refresherSchedule") ?? DEFAULTS.refresherSchedule;
    const scheduleProblem = checkMinuteSchedule(refresherSchedule);
    if (scheduleProblem) r.fail("refresherSchedule", scheduleProblem, r.setFix("refresherSchedule", `'${DEFAULTS.refresherSchedule}'`));
    const refresherImage = r.str("refresherImage") ?? DEFAULTS.refresherImage;
    if (!IMAGE_REF.test(refresherImage) || !/(:[\w][\w.-]*|@sha256:[a-f0-9]{64})$/.test(refresherImage.replace(/^[^/]*:\d+\//, ""))) {
        r.fail(
            "refresherImage",
            `${JSON.stringify(refresherImage)} must be an image reference with a tag or digest`,
            r.setFix("refresherImage", DEFAULTS.refresherImage),
        );
    } else if (/:latest$/.test(refresherImage)) {
        r.fail("refresherImage", "must be pinned: the tag latest changes under you", r.setFix("refresherImage", DEFAULTS.refresherImage));
    }
    return {
        storageClass,
        manageStorageClass: r.bool("manageStorageClass", DEFAULTS.manageStorageClass),
        rookNamespace: r.matching("rookNamespace", DNS_LABEL, "a valid namespace name", DEFAULTS.rookNamespace, DEFAULTS.rookNamespace)!,
        cephToolbox,
        replication: r.int("cephReplication", DEFAULTS.cephReplication, 1, 7),
        poolPgs: r.int("cephPoolPgs", DEFAULTS.cephPoolPgs, 1, 32768, (n) =>
            (n & (n - 1)) === 0 ? undefined : `must be a power of two (Ceph warns otherwise), got ${n}`,
        ),
        purgeOnDestroy: r.bool("purgeOnDestroy", DEFAULTS.purgeOnDestroy),
        monPort: r.int("cephMonPort", DEFAULTS.cephMonPort, 1, 65535),
        refresherSchedule,
        refresherImage,
    };
}

function dnsSection(r: Readers): StackConfig["dns"] {
    return {
        corednsNamespace: r.matching(
            "corednsNamespace",
            DNS_LABEL,
            "a valid namespace name",
            DEFAULTS.corednsNamespace,
            DEFAULTS.corednsNamespace,
        )!,
        corednsDeployment: r.matching(
            "corednsDeployment",
            DNS_SUBDOMAIN,
            "a valid Deployment name",
            DEFAULTS.corednsDeployment,
            DEFAULTS.corednsDeployment,
        )!,
    };
}

function chartsSection(r: Readers, warnings: string[], installed: readonly ChartName[]): StackConfig["charts"] {
    const source = chartSource(r);
    const versions = chartVersions(r);
    const values = chartValues(r);
    checkChartValues(r, source, versions, values, warnings);
    return {
        source,
        versions,
        values,
        valuesSecret: r.isSecret("chartValues"),
        usernames: chartUsernames(r, { source, versions, values, installed }, warnings),
        timeoutSeconds: r.int("helmTimeoutSeconds", DEFAULTS.helmTimeoutSeconds, 60, 7200),
        rabbitmqTimeoutSeconds: r.int("rabbitmqTimeoutSeconds", DEFAULTS.rabbitmqTimeoutSeconds, 60, 7200),
    };
}

function chartSource(r: Readers): ChartSource {
    const kind = r.oneOf("chartSource", ["repository", "local"] as const, DEFAULTS.chartSource);
    const fallback: ChartSource = { kind: "repository", repository: DEFAULTS.chartRepository };
    if (kind === "local") {
        const path = r.str("chartLocalPath");
        if (path !== undefined) return { kind: "local", path: path.replace(/\/+$/, "") };
        r.fail(
            "chartLocalPath",
            "is required when chartSource is local (an openstack-helm checkout)",
            r.setFix("chartLocalPath", "/home/me/osh/openstack-helm"),
        );
        return fallback;
    }
    if (r.str("chartLocalPath") !== undefined) {
        r.fail(
            "chartLocalPath",
            "is set but chartSource is repository",
            `${r.setFix("chartSource", "local")} or pulumi config rm ${r.key("chartLocalPath")}`,
        );
    }
    const repo = r.str("chartRepository") ?? DEFAULTS.chartRepository;
    if (/^(https?|oci|file):\/\/\S+$/.test(repo)) return { kind: "repository", repository: repo.replace(/\/+$/, "") };
    r.fail(
        "chartRepository",
        `${JSON.stringify(repo)} is not an http(s), oci or file URL`,
        r.setFix("chartRepository", DEFAULTS.chartRepository),
    );
    return fallback;
}

/** A map of chart name to something, each key a chart this program installs. */
function perChart(r: Readers, k: string, what: string, example: string): [ChartName, unknown][] {
    const raw = r.json(k);
    if (raw === undefined) return [];
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        r.fail(k, `must be a map of chart name to ${what}`, r.objFix(k, example));
        return [];
    }
    return Object.entries(raw).filter(([chart]) => {
        const known = (CHARTS as readonly string[]).includes(chart);
        if (!known)
            r.fail(
                `${k}.${chart}`,
                `is not a chart this program installs (${CHARTS.join(", ")})`,
                `pulumi config rm --path '${r.key(k)}.${chart}'`,
            );
        return known;
    }) as [ChartName, unknown][];
}

function chartVersions(r: Readers): Record<ChartName, string> {
    const versions: Record<ChartName, string> = { ...DEFAULT_CHART_VERSIONS };
    for (const [chart, v] of perChart(r, "chartVersions", "version", ".keystone' 2026.1.24+0ee5adeff")) {
        if (typeof v === "string" && HELM_VERSION.test(v)) versions[chart] = v;
        else {
            r.fail(
                `chartVersions.${chart}`,
                `${JSON.stringify(v)} is not a chart version (semver, e.g. ${DEFAULT_CHART_VERSIONS.keystone})`,
                r.objFix("chartVersions", `.${chart}' ${DEFAULT_CHART_VERSIONS[chart]}`),
            );
        }
    }
    return versions;
}

function chartValues(r: Readers): Partial<Record<ChartName, Record<string, unknown>>> {
    const values: Partial<Record<ChartName, Record<string, unknown>>> = {};
    for (const [chart, v] of perChart(r, "chartValues", "a values object", ".nova.conf.nova.DEFAULT.debug' true")) {
        if (typeof v !== "object" || v === null || Array.isArray(v)) {
            r.fail(
                `chartValues.${chart}`,
                "must be a values object (nested keys, not a string or list)",
                r.objFix("chartValues", `.${chart}.pod.replicas.api' 2`),
            );
            continue;
        }
        const dotted = Object.keys(v).filter((k) => k.includes("."));
        if (dotted.length > 0) {
            r.fail(
                `chartValues.${chart}`,
                `has dotted key(s) ${dotted.join(", ")}: values are nested objects, not --set paths`,
                r.objFix("chartValues", `.${chart}.${dotted[0]}' <value>`),
            );
        } else values[chart] = v as Record<string, unknown>;
    }
    return values;
}

/** Every override path must be one the chart reads (see components/chartValues.ts). */
function checkChartValues(
    r: Readers,
    source: ChartSource,
    versions: Readonly<Record<ChartName, string>>,
    values: Partial<Record<ChartName, Record<string, unknown>>>,
    warnings: string[],
): void {
    const unchecked = r.json("chartValuesUnchecked");
    let uncheckedPaths: string[] = [];
    if (unchecked !== undefined) {
        if (!Array.isArray(unchecked) || !unchecked.every((u) => typeof u === "string" && /^[a-z]+\.[^.]/.test(u))) {
            r.fail(
                "chartValuesUnchecked",
                "must be a list of <chart>.<values path> strings",
                r.objFix("chartValuesUnchecked", "[0]' nova.some.key"),
            );
        } else uncheckedPaths = unchecked as string[];
    }
    for (const [chart, v] of Object.entries(values) as [ChartName, Record<string, unknown>][]) {
        const found = chartInventory(source, chart, versions[chart]);
        if ("problem" in found) {
            if (source.kind === "local")
                r.fail("chartLocalPath", found.problem, r.setFix("chartLocalPath", "<an openstack-helm checkout>"));
            else
                warnings.push(
                    `${r.key(`chartValues.${chart}`)}: ${found.problem}; its keys are not checked, so Helm ignores a misspelt one silently`,
                );
            continue;
        }
        for (const { path, problem } of checkOverrides(chart, found.inventory, v)) {
            if (uncheckedPaths.includes(`${chart}.${path}`)) continue;
            const k = `chartValues.${chart}.${path}`;
            r.fail(
                k,
                problem,
                `pulumi config rm --path '${r.key(k)}' (or, if the chart reads it after all: ${r.objFix("chartValuesUnchecked", `[0]' ${chart}.${path}`)})`,
            );
        }
    }
}

/**
 * The default users of each installed chart at the version installed: the local checkout's, or
 * the committed inventory's. A version the program has no inventory of, or a chart the checkout
 * lacks, takes the pinned version's users, with a warning.
 */
function chartUsernames(
    r: Readers,
    charts: Pick<StackConfig["charts"], "source" | "versions" | "values"> & { installed: readonly ChartName[] },
    warnings: string[],
): Partial<Record<ChartName, Record<string, string>>> {
    const { source, versions } = charts;
    const out: Partial<Record<ChartName, Record<string, string>>> = {};
    const unread: string[] = [];
    for (const chart of charts.installed) {
        const pinned = pinnedInventory(chart, DEFAULT_CHART_VERSIONS[chart])?.usernames ?? {};
        if (source.kind === "local") {
            try {
                out[chart] = usernamesFromCheckout(source.path, chart);
            } catch {
                out[chart] = { ...pinned };
                unread.push(chart);
            }
            continue;
        }
        const found = pinnedInventory(chart, versions[chart]);
        out[chart] = { ...(found?.usernames ?? pinned) };
        if (!found && Object.keys(pinned).length > 0) {
            warnings.push(
                `${r.key(`chartVersions.${chart}`)}: the program has no values inventory for chart ${chart} ${versions[chart]}; ` +
                    `the users its credentials are for are taken from ${DEFAULT_CHART_VERSIONS[chart]} ` +
                    `(set chartValues.${chart}.endpoints.<type>.auth.<key>.username where they differ)`,
            );
        }
    }
    if (unread.length > 0 && source.kind === "local") {
        warnings.push(
            `${r.key("chartLocalPath")}: cannot read ${unread.join(", ")} in ${source.path}; ` +
                "the users their credentials are for are taken from the pinned versions",
        );
    }
    checkUsernameOverrides(r, charts.values);
    return out;
}

/** A `username` override of a user entry must be a name: the entry's password is chosen by it. */
function checkUsernameOverrides(r: Readers, values: Partial<Record<ChartName, Record<string, unknown>>>): void {
    for (const [chart, v] of Object.entries(values) as [ChartName, Record<string, unknown>][]) {
        for (const [type, endpoint] of Object.entries((v.endpoints ?? {}) as Record<string, { auth?: Record<string, unknown> }>)) {
            if (!USER_ENDPOINT.test(type) || typeof endpoint?.auth !== "object" || endpoint.auth === null) continue;
            for (const [key, entry] of Object.entries(endpoint.auth)) {
                const username = (entry as { username?: unknown } | null)?.username;
                if (username === undefined || (typeof username === "string" && username !== "")) continue;
                const k = `chartValues.${chart}.endpoints.${type}.auth.${key}.username`;
                r.fail(k, `must be a user name, got ${JSON.stringify(username)}`, r.objFix(k, `' ${chart}_${key}`));
            }
        }
    }
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

function replicasSection(r: Readers, controlCount: number): StackConfig["replicas"] {
    const replicas = {
        mariadb: r.int("mariadbReplicas", DEFAULTS.mariadbReplicas, 1, 9, (n) =>
            n % 2 === 1 ? undefined : `must be odd so the Galera cluster keeps quorum, got ${n}`,
        ),
        rabbitmq: r.int("rabbitmqReplicas", DEFAULTS.rabbitmqReplicas, 1, 9),
        memcached: r.int("memcachedReplicas", DEFAULTS.memcachedReplicas, 1, 9),
    };
    if (controlCount > 0) {
        for (const [k, n] of [
            ["mariadbReplicas", replicas.mariadb],
            ["rabbitmqReplicas", replicas.rabbitmq],
        ] as const) {
            if (n <= controlCount) continue;
            const fit = controlCount % 2 === 1 || k !== "mariadbReplicas" ? controlCount : controlCount - 1;
            r.fail(
                k,
                `asks for ${n} replicas but only ${controlCount} node(s) have the control role`,
                `${r.setFix(k, String(fit))} or give more nodes the control role`,
            );
        }
    }
    return replicas;
}

/** The public host of every installed API, the route kind and TLS (the identity and exposure sections). */
function exposureSection(r: Readers, domain: string, charts: readonly ChartName[]): Pick<StackConfig, "identity" | "exposure"> {
    const hosts = publicHosts(r, domain);
    const apis = PUBLIC_APIS.filter((a) => charts.includes(a.chart)).map((a) => ({ ...a, host: hosts[a.service] }));
    // Only the APIs the stack installs need hosts of their own.
    const seen = new Map<string, string>();
    for (const { service, host } of apis) {
        if (host && seen.has(host)) {
            r.fail(
                `publicHosts.${service}`,
                `${host} is also ${seen.get(host)}'s host: each API needs its own`,
                r.objFix("publicHosts", `.${service}' ${service}.${domain || "example.com"}`),
            );
        }
        seen.set(host, service);
    }
    const mode = r.oneOf("exposure", ["ingress", "gateway"] as const, DEFAULTS.exposure);
    const ingressClass = r.matching(
        "ingressClass",
        DNS_SUBDOMAIN,
        "a valid IngressClass name",
        DEFAULTS.ingressClass,
        DEFAULTS.ingressClass,
    )!;
    const gateway = mode === "gateway" ? gatewayRef(r) : undefined;
    const tls = tlsSetting(r, mode);
    return {
        identity: { publicHost: hosts.keystone },
        exposure: {
            mode,
            ingressClass,
            gateway,
            tls,
            scheme: tls ? { scheme: "https", port: 443 } : { scheme: "http", port: 80 },
            apis,
        },
    };
}

/** `<service>.<domain>` for every API, or the host `publicHosts.<service>` (or keystonePublicHost) gives. */
function publicHosts(r: Readers, domain: string): Record<PublicService, string> {
    const hosts = Object.fromEntries(PUBLIC_SERVICES.map((s) => [s, domain ? `${s}.${domain}` : ""])) as Record<PublicService, string>;
    const raw = r.json("publicHosts");
    if (raw !== undefined) {
        if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
            r.fail(
                "publicHosts",
                "must be a map of service to host",
                r.objFix("publicHosts", `.glance' images.${domain || "example.com"}`),
            );
        } else {
            for (const [service, host] of Object.entries(raw)) {
                if (!(PUBLIC_SERVICES as readonly string[]).includes(service)) {
                    r.fail(
                        `publicHosts.${service}`,
                        `is not a routed API (one of ${PUBLIC_SERVICES.join(", ")})`,
                        `pulumi config rm --path '${r.key(`publicHosts.${service}`)}'`,
                    );
                } else if (typeof host !== "string" || !DNS_SUBDOMAIN.test(host)) {
                    r.fail(
                        `publicHosts.${service}`,
                        `${JSON.stringify(host)} is not a DNS name`,
                        r.objFix("publicHosts", `.${service}' ${service}.${domain || "example.com"}`),
                    );
                } else hosts[service as PublicService] = host;
            }
        }
    }
    const keystoneRaw = r.str("keystonePublicHost");
    if (keystoneRaw !== undefined) {
        if (!DNS_SUBDOMAIN.test(keystoneRaw)) {
            r.fail(
                "keystonePublicHost",
                `${JSON.stringify(keystoneRaw)} is not a DNS name`,
                r.setFix("keystonePublicHost", `keystone.${domain || "example.com"}`),
            );
        } else if (raw && typeof raw === "object" && "keystone" in raw && (raw as Record<string, unknown>).keystone !== keystoneRaw) {
            r.fail(
                "keystonePublicHost",
                "and publicHosts.keystone disagree",
                `pulumi config rm ${r.key("keystonePublicHost")} (publicHosts.keystone says the same)`,
            );
        } else hosts.keystone = keystoneRaw;
    }
    return hosts;
}

function gatewayRef(r: Readers): GatewayRef | undefined {
    const raw = r.json("gateway");
    const fix = r.objFix("gateway", ".name' my-gateway (and .namespace, optionally .sectionName)");
    if (raw === undefined) {
        r.fail("gateway", "is required with exposure gateway: the Gateway the HTTPRoutes attach to", fix);
        return undefined;
    }
    const g = raw as Record<string, unknown>;
    const ok = (v: unknown, re: RegExp) => typeof v === "string" && re.test(v);
    if (typeof raw !== "object" || raw === null || !ok(g.name, DNS_SUBDOMAIN) || !ok(g.namespace, DNS_LABEL)) {
        r.fail("gateway", "must be {namespace, name, sectionName?} naming an existing Gateway", fix);
        return undefined;
    }
    if (g.sectionName !== undefined && !ok(g.sectionName, DNS_SUBDOMAIN)) {
        r.fail("gateway.sectionName", `${JSON.stringify(g.sectionName)} is not a listener name`, fix);
        return undefined;
    }
    return { namespace: g.namespace as string, name: g.name as string, sectionName: g.sectionName as string | undefined };
}

function tlsSetting(r: Readers, mode: "ingress" | "gateway"): TlsSetting | undefined {
    const issuer = r.matching("tlsClusterIssuer", DNS_SUBDOMAIN, "a ClusterIssuer name", undefined, "letsencrypt");
    const secret = r.matching("tlsSecretName", DNS_SUBDOMAIN, "a Secret name", undefined, "openstack-public-tls");
    const viaGateway = r.bool("gatewayTls", DEFAULTS.gatewayTls);
    if (mode === "gateway") {
        for (const [k, v] of [
            ["tlsClusterIssuer", issuer],
            ["tlsSecretName", secret],
        ] as const) {
            if (v !== undefined)
                r.fail(
                    k,
                    "applies to exposure ingress; with a Gateway its listener terminates TLS",
                    `pulumi config rm ${r.key(k)} && ${r.setFix("gatewayTls", "true")}`,
                );
        }
        return viaGateway ? { kind: "gateway" } : undefined;
    }
    if (viaGateway)
        r.fail(
            "gatewayTls",
            "applies to exposure gateway",
            `pulumi config rm ${r.key("gatewayTls")} (set tlsClusterIssuer or tlsSecretName for the Ingresses)`,
        );
    if (issuer !== undefined && secret !== undefined) {
        r.fail(
            "tlsSecretName",
            "and tlsClusterIssuer are both set: cert-manager makes the certificates, or the Secret holds one",
            `pulumi config rm ${r.key("tlsSecretName")}`,
        );
    }
    if (issuer !== undefined) return { kind: "clusterIssuer", clusterIssuer: issuer };
    if (secret !== undefined) return { kind: "secret", secretName: secret };
    return undefined;
}

function verificationSection(r: Readers): StackConfig["verification"] {
    const resolve: Record<string, string> = {};
    const raw = r.json("verifyResolve");
    const fix = r.objFix("verifyResolve", `["keystone.example.com:80"]' 192.0.2.10:80`);
    if (raw !== undefined) {
        if (typeof raw !== "object" || raw === null || Array.isArray(raw))
            r.fail("verifyResolve", "must be a map of host[:port] to address:port", fix);
        else {
            for (const [host, to] of Object.entries(raw)) {
                const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(host);
                if (!m || !DNS_SUBDOMAIN.test(m[1])) {
                    r.fail(`verifyResolve.${host}`, "is not a host or host:port", fix);
                } else if (typeof to !== "string" || !/^[0-9A-Za-z.:[\]-]+:\d{1,5}$/.test(to)) {
                    r.fail(`verifyResolve.${host}`, `${JSON.stringify(to)} is not address:port`, fix);
                } else resolve[host] = to;
            }
        }
    }
    return { enabled: r.bool("verify", DEFAULTS.verify), resolve };
}

function computeSection(r: Readers): StackConfig["compute"] {
    const cephUser = r.matching(
        "cephComputeUser",
        CEPH_NAME,
        "a Ceph user name (without client.)",
        DEFAULTS.cephComputeUser,
        DEFAULTS.cephComputeUser,
    )!;
    if (cephUser.startsWith("client."))
        r.fail("cephComputeUser", "must not start with client.", r.setFix("cephComputeUser", DEFAULTS.cephComputeUser));
    return {
        virtType: r.oneOf("virtType", ["kvm", "qemu"] as const, DEFAULTS.virtType),
        ephemeralOnCeph: r.bool("ephemeralOnCeph", DEFAULTS.ephemeralOnCeph),
        cephUser,
    };
}

function networkSection(r: Readers): StackConfig["network"] {
    let flatNetworks: string[] = [...DEFAULTS.flatNetworks];
    const flatRaw = r.json("flatNetworks");
    if (flatRaw !== undefined) {
        if (!Array.isArray(flatRaw) || flatRaw.length === 0 || !flatRaw.every((f) => typeof f === "string" && /^[A-Za-z0-9_-]+$/.test(f))) {
            r.fail(
                "flatNetworks",
                "must be a non-empty list of physical network names (letters, digits, _ and -)",
                r.objFix("flatNetworks", "[0]' public"),
            );
        } else if (new Set(flatRaw).size !== flatRaw.length) {
            r.fail("flatNetworks", "lists a network twice", "remove the duplicate");
        } else flatNetworks = flatRaw as string[];
    }
    return {
        tunnelInterface: r.matching("tunnelInterface", INTERFACE, "a network interface name", undefined, "eth1"),
        externalInterface: r.matching("externalInterface", INTERFACE, "a network interface name", undefined, "eth2"),
        externalBridge: r.matching("externalBridge", INTERFACE, "a bridge name", DEFAULTS.externalBridge, DEFAULTS.externalBridge)!,
        flatNetworks,
    };
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
