// The charts section: where charts come from, which versions, and the overrides checked
// against what each chart reads.
import { ChartName, CHARTS, DEFAULT_CHART_VERSIONS } from "../catalog/charts";
import {
    ChartInventory,
    checkOverrides,
    inventoryFromCheckout,
    pinnedInventory,
    USER_ENDPOINT,
    usernamesFromCheckout,
} from "../catalog/inventory";
import { CATALOG_ENTRIES, PUBLIC_APIS } from "../catalog/endpoints";
import { DEFAULTS } from "./defaults";
import { ADMIN_FIELDS, adminField, adminOverride, keystoneAdmin } from "./keystoneAdmin";
import { HELM_VERSION, Readers } from "./readers";
import { ChartSource, StackConfig } from "./types";

export function chartsSection(r: Readers, warnings: string[], installed: readonly ChartName[]): StackConfig["charts"] {
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
        } else {
            values[chart] = v as Record<string, unknown>;
            nodeSelectorStrings(r, chart, v as Record<string, unknown>);
        }
    }
    return values;
}

/** What YAML 1.1 reads as a bool, null or number when it stands unquoted. */
const YAML_NOT_A_STRING =
    /^(?:[yYnN~]|[yY]es|YES|[nN]o|NO|[tT]rue|TRUE|[fF]alse|FALSE|[oO]n|ON|[oO]ff|OFF|[nN]ull|NULL|[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/**
 * The real charts render `labels.<component>.node_selector_key` and `_value` into their pods'
 * nodeSelector unquoted (`{{ .Values.labels.api.node_selector_value }}`): a bool or number there,
 * or a string YAML reads as one ("true", "1"), makes Kubernetes refuse the whole release
 * ("cannot unmarshal bool into ... PodSpec.nodeSelector of type string").
 */
function nodeSelectorStrings(r: Readers, chart: string, values: Record<string, unknown>): void {
    const walk = (node: unknown, at: string): void => {
        if (typeof node !== "object" || node === null || Array.isArray(node)) return;
        for (const [k, x] of Object.entries(node)) {
            const p = `${at}.${k}`;
            if (k !== "node_selector_key" && k !== "node_selector_value") {
                walk(x, p);
                continue;
            }
            if (x === null || (typeof x === "string" && !YAML_NOT_A_STRING.test(x))) continue;
            const key = `chartValues.${chart}${p}`;
            const what =
                typeof x === "string"
                    ? `"${x}", which YAML reads as a ${/^[-+.0-9]/.test(x) ? "number" : "bool or null"}`
                    : `a ${typeof x}`;
            r.fail(
                key,
                `is ${what}: the chart writes it unquoted into its pods' nodeSelector, and Kubernetes refuses a label that is not a string; label the nodes with a word instead (the charts use "enabled")`,
                `kubectl label node <node> --overwrite <key>=enabled && pulumi config set --path '${r.key(key)}' enabled`,
            );
        }
    };
    walk(values.labels, ".labels");
}

/** Every override path must be one the chart reads (see components/catalog/inventory.ts). */
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
    checkAdminFollowsKeystone(r, charts.values, out, warnings);
    return out;
}

const ADMIN_ENTRY = "endpoints.identity.auth.admin";

/** The charts that register a service in Keystone: their ks-service, ks-endpoints and ks-user Jobs log in as the admin. */
const REGISTERING_CHARTS: ReadonlySet<ChartName> = new Set(PUBLIC_APIS.filter((a) => CATALOG_ENTRIES[a.service]).map((a) => a.chart));

/**
 * Keystone's admin is one for the stack: a rename in chartValues.keystone reaches every chart's
 * admin entry (components/layers/credentials.ts), and a chart's own override that names another
 * admin (username, project, domains or region) is refused where the chart registers its service:
 * its ks-service, ks-endpoints and ks-user Jobs log in as the admin at every install and would get
 * a 401, or register its endpoints in another region. MariaDB and Horizon use their admin entry
 * only with their Keystone features on (backups to Swift): a warning.
 */
function checkAdminFollowsKeystone(
    r: Readers,
    values: Partial<Record<ChartName, Record<string, unknown>>>,
    usernames: Partial<Record<ChartName, Record<string, string>>>,
    warnings: string[],
): void {
    const admin = keystoneAdmin({ values });
    for (const chart of Object.keys(usernames) as ChartName[]) {
        if (chart === "keystone" || usernames[chart]?.[ADMIN_ENTRY] === undefined) continue;
        const own = adminOverride(values[chart]);
        for (const f of ADMIN_FIELDS) {
            const theirs = own[f];
            const keystone = adminField(admin, f);
            if (theirs === undefined || theirs === keystone) continue;
            const k = `chartValues.${chart}.${ADMIN_ENTRY}.${f}`;
            const mismatch = `is ${theirs}, but Keystone's admin has ${f} ${keystone} (chartValues.keystone.${ADMIN_ENTRY}.${f}, or ours), which every chart's admin entry follows unless set`;
            const fix = `pulumi config rm --path '${r.key(k)}'`;
            if (REGISTERING_CHARTS.has(chart)) {
                r.fail(k, `${mismatch}: ${chart}'s Jobs that register it in Keystone log in as the admin and would fail`, fix);
            } else {
                warnings.push(
                    `${r.key(k)}: ${mismatch}; ${chart} logs in as the admin only with its Keystone features on (such as backups to Swift); to follow Keystone's: ${fix}`,
                );
            }
        }
    }
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
