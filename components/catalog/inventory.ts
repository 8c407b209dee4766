// What a chart reads from its values, and the check of a stack's `chartValues` overrides
// against it. Helm ignores a key no template reads (no openstack-helm chart has a values
// schema), so a misspelt override (`volume.storage_class` for `volume.class_name`) would install
// silently with the chart's default; this check refuses it at preview instead.
//
// An inventory lists every values path of the chart with its kind, plus two sets the templates
// decide: maps whose keys the templates enumerate or look up by a computed name (any new key is
// read: `endpoints.identity.auth.<user>`), and subtrees the templates render whole (`conf.*`,
// whatever goes through `toYaml`), under which anything goes.
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

export type ValueKind = "map" | "list" | "string" | "number" | "bool" | "null";

export interface ChartInventory {
    /** The chart version the inventory was made from (Chart.yaml, or the published version). */
    readonly version: string;
    /** Every path of the chart's values.yaml, dotted, with the kind of its default. */
    readonly paths: Readonly<Record<string, ValueKind>>;
    /** Maps read by key enumeration or computed lookup: a key they do not list is still read. */
    readonly openMaps: readonly string[];
    /** Subtrees rendered whole: any path below one of them is read. */
    readonly freeTrees: readonly string[];
    /**
     * The user each credential entry logs in as by default: `endpoints.<type>.auth.<key>` of the
     * Keystone (`identity`), database (`oslo_db*`) and RabbitMQ (`oslo_messaging`) endpoints ->
     * its `username` in values.yaml (components/layers/credentials.ts gives one password per user).
     */
    readonly usernames: Readonly<Record<string, string>>;
    /** The chart's `images.tags`: key -> default image reference (what components/catalog/images.ts rewrites). */
    readonly images?: Readonly<Record<string, string>>;
}

/** The committed inventory of the pinned charts (components/catalog/data/chart-values.json). */
export interface InventoryFile {
    readonly source: string;
    readonly commit: string;
    readonly generatedBy: string;
    /** chart name -> published version -> inventory. */
    readonly charts: Readonly<Record<string, Readonly<Record<string, ChartInventory>>>>;
}

export const INVENTORY_FILE = path.join(__dirname, "data", "chart-values.json");

let pinned: InventoryFile | undefined;
/** The inventory of a pinned chart version, or undefined when the program has none for it. */
export function pinnedInventory(chart: string, version: string): ChartInventory | undefined {
    pinned ??= JSON.parse(fs.readFileSync(INVENTORY_FILE, "utf8")) as InventoryFile;
    return pinned.charts[chart]?.[version];
}

// --- Making an inventory from a chart directory (a checkout, or the fixture charts).

/** A chart's `images.tags` from its values (the string leaves only), sorted by key. */
export function imageTagsOf(values: unknown): Record<string, string> {
    const tags = (values as { images?: { tags?: unknown } } | null)?.images?.tags;
    if (kindOf(tags) !== "map") return {};
    return Object.fromEntries(
        Object.entries(tags as Record<string, unknown>)
            .filter((e): e is [string, string] => typeof e[1] === "string")
            .sort(([a], [b]) => a.localeCompare(b)),
    );
}

/** The `images.tags` of one chart of a checkout (its values.yaml only: no template scan). */
export function imageTagsFromCheckout(checkout: string, chart: string): Record<string, string> {
    return imageTagsOf(yaml.load(fs.readFileSync(path.join(checkout, chart, "values.yaml"), "utf8")));
}

function kindOf(v: unknown): ValueKind {
    if (v === null || v === undefined) return "null";
    if (Array.isArray(v)) return "list";
    if (typeof v === "object") return "map";
    if (typeof v === "number") return "number";
    if (typeof v === "boolean") return "bool";
    return "string";
}

function walk(v: unknown, prefix: string, out: Record<string, ValueKind>): void {
    if (prefix) out[prefix] = kindOf(v);
    if (kindOf(v) !== "map") return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, prefix ? `${prefix}.${k}` : k, out);
}

function templateFiles(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return templateFiles(p);
        return /\.(ya?ml|tpl|txt|json)$/.test(e.name) ? [p] : [];
    });
}

const VALUES_REF = /\$?[A-Za-z0-9_]*\.Values((?:\.[A-Za-z0-9_]+)*)/g;
const INDEX_REF = /\bindex\s+\(?\s*\$?[A-Za-z0-9_]*\.Values((?:\.[A-Za-z0-9_]+)*)\s*((?:"[^"]*"\s*)*)/g;
const HASKEY_REF = /\bhasKey\s+\(?\s*\$?[A-Za-z0-9_]*\.Values((?:\.[A-Za-z0-9_]+)*)\s+"([^"]+)"/g;

/**
 * Reads the templates' actions (`{{ … }}`) for values they read by more than a fixed path: what
 * `range` or `keys` enumerates is an open map; a key `hasKey` tests is read although values.yaml
 * may not list it; what an action pipes through `toYaml` is a free tree. (A lookup by a computed
 * key, `index .Values.pod.user $application`, reads keys values.yaml already lists.)
 */
export function scanTemplates(texts: string[]): { openMaps: Set<string>; freeTrees: Set<string>; optionalPaths: Set<string> } {
    const openMaps = new Set<string>();
    const freeTrees = new Set<string>();
    const optionalPaths = new Set<string>();
    const clean = (p: string) => p.replace(/^\./, "");
    const ours = (p: string) => p !== "" && !p.startsWith("__");
    for (const text of texts) {
        for (const m of text.matchAll(/\{\{-?([\s\S]*?)-?\}\}/g)) {
            const action = m[1];
            const indexed = [...action.matchAll(INDEX_REF)].map((r) =>
                [clean(r[1]), ...[...r[2].matchAll(/"([^"]*)"/g)].map((l) => l[1])].filter(Boolean).join("."),
            );
            // The plain references, without those an index has resolved further.
            const refs = [...action.replace(INDEX_REF, "").matchAll(VALUES_REF)].map((r) => clean(r[1]));
            for (const r of action.matchAll(HASKEY_REF)) optionalPaths.add([clean(r[1]), r[2]].filter(Boolean).join("."));
            if (/\b(range|keys)\b/.test(action)) for (const p of [...indexed, ...refs]) if (ours(p)) openMaps.add(p);
            if (/\btoYaml\b/.test(action)) for (const p of [...indexed, ...refs]) if (ours(p)) freeTrees.add(p);
        }
    }
    for (const p of optionalPaths) if (!ours(p)) optionalPaths.delete(p);
    return { openMaps, freeTrees, optionalPaths };
}

/**
 * Rules of helm-toolkit itself, which every chart renders its endpoints and config through:
 * `conf` becomes config files key by key, an endpoint's hosts, paths, schemes, ports and host
 * overrides are looked up per endpoint type (`public`, `internal`, …), its `auth` per user, an
 * init container's waits per component (`dependencies.static.<component>`, which the chart's
 * values.yaml may leave out: keystone's rabbit_init), and a Job's annotations per Job
 * (`annotations.job.<job, _ for ->` or `.default`, rendered whole; where helm-toolkit tests for
 * `annotations.job`).
 */
export function toolkitRules(paths: Readonly<Record<string, ValueKind>>): { openMaps: string[]; freeTrees: string[] } {
    const freeTrees = ["conf", "extraObjects", "dependencies.static", ...("annotations.job" in paths ? ["annotations.job"] : [])];
    const openMaps: string[] = [];
    for (const p of Object.keys(paths)) {
        const m = /^endpoints\.([^.]+)\.([^.]+)$/.exec(p);
        if (!m) continue;
        if (["host_fqdn_override", "hosts", "path", "scheme", "port"].includes(m[2])) freeTrees.push(p);
        if (m[2] === "auth") openMaps.push(p);
    }
    return { openMaps, freeTrees };
}

/** The endpoint types whose `auth.<key>` entries are users a chart logs in as (Keystone, database, RabbitMQ). */
export const USER_ENDPOINT = /^(identity|oslo_db(_[a-z0-9_]+)?|oslo_messaging)$/;

/** Each user entry's default `username` (see ChartInventory.usernames) in a chart's values. */
export function defaultUsernames(values: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    const endpoints = (values as { endpoints?: Record<string, unknown> } | null)?.endpoints ?? {};
    for (const [type, endpoint] of Object.entries(endpoints)) {
        const auth = USER_ENDPOINT.test(type) ? (endpoint as { auth?: unknown } | null)?.auth : undefined;
        if (kindOf(auth) !== "map") continue;
        for (const [key, entry] of Object.entries(auth as Record<string, unknown>)) {
            const username = kindOf(entry) === "map" ? (entry as { username?: unknown }).username : undefined;
            if (typeof username === "string" && username !== "") out[`endpoints.${type}.auth.${key}`] = username;
        }
    }
    return out;
}

function readValues(checkout: string, chart: string): unknown {
    const valuesFile = path.join(checkout, chart, "values.yaml");
    if (!fs.existsSync(valuesFile)) throw new Error(`${valuesFile} does not exist`);
    return yaml.load(fs.readFileSync(valuesFile, "utf8")) ?? {};
}

/** The default usernames of one chart of a checkout (its values.yaml only, without the templates). */
export function usernamesFromCheckout(checkout: string, chart: string): Record<string, string> {
    return defaultUsernames(readValues(checkout, chart));
}

/** The inventory of one chart of a checkout laid out as openstack-helm (helm-toolkit beside it). */
export function inventoryFromCheckout(checkout: string, chart: string, version?: string): ChartInventory {
    const dir = path.join(checkout, chart);
    const values = readValues(checkout, chart);
    const paths: Record<string, ValueKind> = {};
    walk(values, "", paths);
    const texts = [...templateFiles(path.join(dir, "templates")), ...templateFiles(path.join(checkout, "helm-toolkit", "templates"))].map(
        (f) => fs.readFileSync(f, "utf8"),
    );
    const scanned = scanTemplates(texts);
    // Keys the templates test for are read even where values.yaml leaves them out.
    for (const p of scanned.optionalPaths) if (!(p in paths)) paths[p] = "null";
    const toolkit = toolkitRules(paths);
    const chartYaml = yaml.load(fs.readFileSync(path.join(dir, "Chart.yaml"), "utf8")) as { version?: string } | undefined;
    return {
        version: version ?? String(chartYaml?.version ?? "unknown"),
        paths,
        openMaps: [...new Set([...toolkit.openMaps, ...scanned.openMaps])].sort(),
        freeTrees: [...new Set([...toolkit.freeTrees, ...scanned.freeTrees])].sort(),
        usernames: defaultUsernames(values),
        images: imageTagsOf(values),
    };
}

// --- Checking overrides.

function overrideKind(v: unknown): ValueKind {
    return kindOf(v);
}

const under = (p: string, roots: readonly string[]) => roots.some((r) => p === r || p.startsWith(`${r}.`));
const parentOf = (p: string) => (p.includes(".") ? p.slice(0, p.lastIndexOf(".")) : "");
const lastOf = (p: string) => p.slice(p.lastIndexOf(".") + 1);

function editDistance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
    }
    return d[a.length][b.length];
}

/** Words of a key that another key's words resemble (same word, a shared stem, or a near miss). */
function sharedWords(a: string, b: string): number {
    const words = (s: string) =>
        s
            .toLowerCase()
            .split(/[_\-.]+|(?<=[a-z])(?=[A-Z])/)
            .filter(Boolean);
    const bw = words(b);
    const alike = (x: string, y: string) =>
        x === y ||
        (Math.min(x.length, y.length) >= 5 && (x.startsWith(y.slice(0, 5)) || y.startsWith(x.slice(0, 5)))) ||
        editDistance(x, y) <= 1;
    return words(a).filter((x) => bw.some((y) => alike(x, y))).length;
}

/**
 * The real key closest to a path the chart does not have: a sibling of its first unknown key
 * first, ranked by shared words and then by spelling; otherwise any key sharing a word.
 */
export function nearestKey(inv: ChartInventory, wrong: string): string | undefined {
    // The deepest ancestor of the wrong path that the chart has is where its siblings live; the
    // key to match is the first one below it.
    const parts = wrong.split(".");
    let depth = parts.length - 1;
    while (depth > 0 && !(parts.slice(0, depth).join(".") in inv.paths)) depth--;
    const parent = parts.slice(0, depth).join(".");
    const wrongKey = parts[depth];
    const rank = (candidates: string[]) =>
        candidates
            .map((c) => ({
                c,
                words: sharedWords(wrongKey, lastOf(c)),
                dist: editDistance(wrongKey, lastOf(c)),
                depth: c.split(".").length,
            }))
            .sort((x, y) => y.words - x.words || x.dist - y.dist || x.depth - y.depth || x.c.localeCompare(y.c));
    const siblings = Object.keys(inv.paths).filter((p) => parentOf(p) === parent);
    const best = rank(siblings)[0];
    if (best && (best.words > 0 || best.dist <= Math.max(2, Math.floor(wrongKey.length / 3)))) return best.c;
    return rank(Object.keys(inv.paths)).filter((x) => x.words > 0)[0]?.c;
}

/**
 * Every leaf of an override tree with its value (lists are leaves: they replace the default; an
 * empty map below the top is a leaf too, one at the top is no override at all).
 */
function leaves(v: unknown, prefix: string): [string, unknown][] {
    if (kindOf(v) === "map" && (Object.keys(v as object).length > 0 || prefix === "")) {
        return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => leaves(x, prefix ? `${prefix}.${k}` : k));
    }
    return [[prefix, v]];
}

/** One problem per override path the chart does not read, or whose kind the chart cannot take. */
export function checkOverrides(
    chart: string,
    inv: ChartInventory,
    overrides: Record<string, unknown>,
): { path: string; problem: string }[] {
    const problems: { path: string; problem: string }[] = [];
    const at = `chart ${chart} ${inv.version}`;
    for (const [p, value] of leaves(overrides, "")) {
        if (under(p, inv.freeTrees)) continue;
        // Walk down: each step must be a key the chart has, or a new key of an open map.
        const parts = p.split(".");
        let known = "";
        let problem: string | undefined;
        for (let i = 0; i < parts.length; i++) {
            const next = known ? `${known}.${parts[i]}` : parts[i];
            if (next in inv.paths) {
                const kind = inv.paths[next];
                if (under(next, inv.freeTrees)) break;
                if (i === parts.length - 1) {
                    const got = overrideKind(value);
                    const container = (k: ValueKind) => k === "map" || k === "list";
                    if (kind !== "null" && got !== "null" && (container(kind) || container(got)) && kind !== got) {
                        problem = `is a ${kind} in ${at}, but the override gives a ${got}`;
                    }
                } else if (kind !== "map" && kind !== "null") {
                    problem = `goes below ${next}, which is a ${kind} in ${at}`;
                    break;
                }
                known = next;
                continue;
            }
            if (inv.openMaps.includes(known)) break; // a new key of a map the chart reads key by key
            const near = nearestKey(inv, p);
            problem = `is not a value of ${at} (Helm would ignore it)${near ? `; did you mean ${near}?` : ""}`;
            break;
        }
        if (problem) problems.push({ path: p, problem });
    }
    return problems;
}
