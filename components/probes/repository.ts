// The chart repository the stack installs from (chartSource: repository), checked while the
// program runs (so at preview, before anything changes): every chart the stack installs must be
// in the repository's index.yaml at the version asked. Helm would find out only at `pulumi up`,
// with the releases before it already installed. OCI registries have no index and are not checked.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import { fileURLToPath } from "url";
import { installedCharts } from "../catalog/charts";
import { PROJECT, StackConfig, keyWarning, problem } from "../config";

/** Chart name -> the versions the repository's index lists for it. */
export type ChartIndex = ReadonlyMap<string, readonly string[]>;

/**
 * What fetching `<repository>/index.yaml` gave: the text; `missing` when the server answered that
 * there is no such file (Helm would fail the same way); `unreachable` when nothing could be said.
 */
export type IndexFetch =
    | { readonly kind: "ok"; readonly body: string }
    | { readonly kind: "missing"; readonly detail: string }
    | { readonly kind: "unreachable"; readonly detail: string };

export type IndexFetcher = (indexUrl: string) => IndexFetch;

/** How many versions a problem lists. */
const SHOWN = 8;

/** The charts and versions of a Helm repository index (index.yaml); throws when the text is not one. */
export function parseChartIndex(text: string): ChartIndex {
    let doc: unknown;
    try {
        // Every scalar a string: a version `1.10` must not become the number 1.1.
        doc = yaml.load(text, { schema: yaml.FAILSAFE_SCHEMA });
    } catch (e) {
        throw new Error(`index.yaml is not YAML (${(e as Error).message.split("\n")[0]})`);
    }
    const entries = (doc as { entries?: unknown } | null)?.entries;
    if (typeof doc !== "object" || doc === null || typeof entries !== "object" || entries === null || Array.isArray(entries)) {
        throw new Error("index.yaml has no entries map");
    }
    const index = new Map<string, string[]>();
    for (const [chart, list] of Object.entries(entries)) {
        const versions = Array.isArray(list)
            ? list.map((v) => (v as { version?: unknown } | null)?.version).filter((v): v is string => typeof v === "string")
            : [];
        index.set(chart, versions);
    }
    return index;
}

interface SemVer {
    readonly core: readonly [number, number, number];
    readonly pre: readonly string[];
    readonly build: string;
}

const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;

function semver(v: string): SemVer | undefined {
    const m = SEMVER.exec(v);
    if (!m) return undefined;
    return { core: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ? m[4].split(".") : [], build: m[5] ?? "" };
}

/** SemVer precedence of the pre-release parts (none ranks above any). */
function comparePre(a: readonly string[], b: readonly string[]): number {
    if (a.length === 0 || b.length === 0) return b.length - a.length;
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const [x, y] = [a[i], b[i]];
        if (x === y) continue;
        const [nx, ny] = [/^\d+$/.test(x), /^\d+$/.test(y)];
        if (nx && ny) return Number(x) - Number(y);
        if (nx !== ny) return nx ? -1 : 1;
        return x < y ? -1 : 1;
    }
    return a.length - b.length;
}

/** Newest first by SemVer precedence (build metadata breaks ties); what is not SemVer goes last. */
export function newestFirst(versions: readonly string[]): string[] {
    const rank = (a: string, b: string): number => {
        const [x, y] = [semver(a), semver(b)];
        if (!x || !y) return x ? -1 : y ? 1 : a < b ? -1 : a > b ? 1 : 0;
        for (let i = 0; i < 3; i++) if (x.core[i] !== y.core[i]) return y.core[i] - x.core[i];
        return comparePre(y.pre, x.pre) || (x.build < y.build ? 1 : x.build > y.build ? -1 : 0);
    };
    return [...new Set(versions)].sort(rank);
}

/**
 * Whether Helm finds the version asked among those offered: the same string, or else the same
 * version by SemVer (a leading `v` and the build metadata do not count), as `helm install --version` does.
 */
export function helmFinds(asked: string, offered: readonly string[]): boolean {
    if (offered.includes(asked)) return true;
    const a = semver(asked);
    if (!a) return false;
    return offered.some((v) => {
        const o = semver(v);
        return o !== undefined && o.core.every((n, i) => n === a.core[i]) && o.pre.join(".") === a.pre.join(".");
    });
}

/** A URL fit for a message: any user and password replaced. */
export function shownUrl(url: string): string {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1***@");
}

/** At most SHOWN of a list, with how many more there are. */
function someOf(items: readonly string[]): string {
    const more = items.length - SHOWN;
    return items.slice(0, SHOWN).join(", ") + (more > 0 ? `, … and ${more} more` : "");
}

/** Every chart the stack installs that its repository lacks, at the version asked (problems); what could not be checked (warnings). */
export function chartRepositoryProblems(cfg: StackConfig, fetch: IndexFetcher): { problems: string[]; warnings: string[] } {
    const src = cfg.charts.source;
    if (src.kind !== "repository" || src.repository.startsWith("oci://")) return { problems: [], warnings: [] };
    const repo = shownUrl(src.repository);
    const notARepository = (why: string) => ({
        problems: [
            problem(
                "chartRepository",
                `${repo} is not a Helm chart repository (${why})`,
                `pulumi config set ${PROJECT}:chartRepository <the URL that serves the charts' index.yaml>`,
            ),
        ],
        warnings: [],
    });
    const fetched = fetch(`${src.repository}/index.yaml`);
    if (fetched.kind === "unreachable") {
        return {
            problems: [],
            warnings: [keyWarning("chartRepository", `could not check the chart versions in ${repo} (${fetched.detail})`)],
        };
    }
    if (fetched.kind === "missing") return notARepository(fetched.detail);
    let index: ChartIndex;
    try {
        index = parseChartIndex(fetched.body);
    } catch (e) {
        return notARepository((e as Error).message);
    }
    const problems: string[] = [];
    for (const chart of installedCharts(cfg.optional)) {
        const asked = cfg.charts.versions[chart];
        const offered = newestFirst(index.get(chart) ?? []);
        if (!index.has(chart) || offered.length === 0) {
            const charts = [...index.keys()].sort();
            problems.push(
                problem(
                    "chartRepository",
                    `chart ${chart} is not in ${repo} (${charts.length > 0 ? `charts on offer: ${someOf(charts)}` : "its index lists no charts"})`,
                    `pulumi config set ${PROJECT}:chartRepository <a repository with the openstack-helm charts>`,
                ),
            );
        } else if (!helmFinds(asked, offered)) {
            problems.push(
                problem(
                    `chartVersions.${chart}`,
                    `chart ${chart} has no version ${asked} in ${repo} (versions on offer: ${someOf(offered)})`,
                    `pulumi config set --path '${PROJECT}:chartVersions.${chart}' ${offered[0]}`,
                ),
            );
        }
    }
    return { problems, warnings: [] };
}

/**
 * Run by `node -e` in a child process: GET the URL in OSH_INDEX_URL (a user and password in it
 * go into an Authorization header) and print one JSON line ({status} or {error}), then the body.
 */
const FETCH_SCRIPT = `
const u = new URL(process.env.OSH_INDEX_URL);
const headers = {};
if (u.username || u.password) {
    const user = decodeURIComponent(u.username) + ":" + decodeURIComponent(u.password);
    headers.authorization = "Basic " + Buffer.from(user).toString("base64");
    u.username = u.password = "";
}
const out = (head, body = "") => process.stdout.write(JSON.stringify(head) + "\\n" + body, () => process.exit(0));
const ctl = new AbortController();
const answer = setTimeout(() => ctl.abort(), Number(process.env.OSH_INDEX_ANSWER_MS));
setTimeout(() => ctl.abort(), Number(process.env.OSH_INDEX_TOTAL_MS)).unref();
fetch(u, { headers, signal: ctl.signal })
    .then(async (r) => {
        clearTimeout(answer);
        out({ status: r.status }, r.ok ? await r.text() : "");
    })
    .catch((e) => out({ error: ctl.signal.aborted ? "timed out" : String((e.cause && (e.cause.code || e.cause.message)) || e.message) }));
`;

/** How long the repository has to answer, and to send the whole index (upstream's is large). */
export const FETCH_TIMEOUTS = { answerMs: 5_000, totalMs: 30_000 } as const;

/** What fetchChartIndex answers instead, when set: the program tests run under mocks, off the network. */
let standIn: IndexFetcher | undefined;

export function useIndexStandIn(fetcher: IndexFetcher | undefined): void {
    standIn = fetcher;
}

/**
 * Fetches a repository's index.yaml once, synchronously (the program is plain code run at
 * preview): Node's fetch in a child process, `file://` from the disk.
 */
export function fetchChartIndex(indexUrl: string, timeouts: { answerMs: number; totalMs: number } = FETCH_TIMEOUTS): IndexFetch {
    if (standIn) return standIn(indexUrl);
    if (indexUrl.startsWith("file://")) {
        try {
            return { kind: "ok", body: fs.readFileSync(fileURLToPath(indexUrl), "utf8") };
        } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            return code === "ENOENT" ? { kind: "missing", detail: "no index.yaml" } : { kind: "unreachable", detail: String(code ?? e) };
        }
    }
    const child = spawnSync(process.execPath, ["-e", FETCH_SCRIPT], {
        env: {
            ...process.env,
            OSH_INDEX_URL: indexUrl,
            OSH_INDEX_ANSWER_MS: String(timeouts.answerMs),
            OSH_INDEX_TOTAL_MS: String(timeouts.totalMs),
        },
        stdio: ["ignore", "pipe", "pipe"],
        timeout: timeouts.totalMs + 5_000,
        maxBuffer: 512 << 20,
        encoding: "utf8",
    });
    const shown = `GET ${shownUrl(indexUrl)}`;
    const at = child.stdout?.indexOf("\n") ?? -1;
    let head: { status?: number; error?: string } | undefined;
    try {
        head = at < 0 ? undefined : JSON.parse(child.stdout.slice(0, at));
    } catch {
        head = undefined;
    }
    if (child.error || head === undefined) {
        const timedOut = (child.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT";
        const why = timedOut
            ? "timed out"
            : (child.error?.message ?? (child.stderr?.trim().split("\n").at(-1) || `exit ${child.status ?? child.signal}`));
        return { kind: "unreachable", detail: `${shown}: ${why}` };
    }
    if (head.error !== undefined) return { kind: "unreachable", detail: `${shown}: ${head.error}` };
    if (head.status !== undefined && head.status >= 200 && head.status < 300) return { kind: "ok", body: child.stdout.slice(at + 1) };
    if (head.status === 404 || head.status === 410) return { kind: "missing", detail: `${shown}: HTTP ${head.status}` };
    return { kind: "unreachable", detail: `${shown}: HTTP ${head.status}` };
}
