// Writes test/fixtures/dependency-graph.json, a trimmed copy of the dependency graph of the real
// openstack-helm charts (what each pod's and hook Job's kubernetes-entrypoint init container waits
// for, Helm's hook order, the endpoints, the assumed durations), and from it the `dependencies:`
// block of every fixture chart's values.yaml, so that the fixtures render the same waits
// (helm-toolkit.snippets.entrypoint_init). test/unit/fixture-waits.test.ts keeps the two in step.
//
//   npx tsx test/harness/dependency-graph.ts <osh-dependency-graph-head.json>   (data file, then values)
//   npx tsx test/harness/dependency-graph.ts                                    (values, from the data file)
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

export const ROOT = path.resolve(__dirname, "../..");
export const GRAPH_FILE = path.join(ROOT, "test/fixtures/dependency-graph.json");
export const FIXTURE_CHARTS = path.join(ROOT, "test/fixtures/openstack-helm");

/** The DEPENDENCY_* variables kubernetes-entrypoint reads (the fixtures render all of them but _JOBS_JSON, empty when unused). */
export const DEPENDENCY_VARS = [
    "DEPENDENCY_SERVICE",
    "DEPENDENCY_DAEMONSET",
    "DEPENDENCY_CONTAINER",
    "DEPENDENCY_POD_JSON",
    "DEPENDENCY_CUSTOM_RESOURCE",
    "DEPENDENCY_JOBS",
    "DEPENDENCY_JOBS_JSON",
] as const;

/** A workload or Job of a chart (a Service node has kind "Service" and `selects`). */
export interface GraphNode {
    readonly id: string;
    readonly chart: string;
    readonly kind: string;
    readonly name: string;
    /** The `dependencies.static` key the chart renders the init container from. */
    readonly component?: string;
    readonly note?: string;
    readonly optional_chart: boolean;
    readonly hook?: string | null;
    readonly hook_weight?: number | null;
    readonly hook_delete_policy?: string | null;
    readonly replicas?: number | null;
    readonly podManagementPolicy?: string;
    readonly backoffLimit?: number | null;
    readonly restartPolicy?: string;
    readonly hostNetwork?: boolean;
    readonly nodeSelector?: Record<string, string>;
    readonly pod_labels?: Record<string, string>;
    /** The non-empty DEPENDENCY_* variables; any other is rendered empty (or, DEPENDENCY_JOBS, not at all). */
    readonly entrypoint_env?: Record<string, string>;
    /** Service nodes: the workloads whose pods it selects. */
    readonly selects?: string[];
}

export interface GraphEdge {
    readonly from: string;
    readonly to: string;
    readonly type: string;
    readonly env?: string;
    readonly raw?: unknown;
    readonly why?: string;
}

export interface DependencyGraph {
    readonly source: Record<string, string>;
    readonly notes: Record<string, string>;
    readonly namespace: string;
    readonly charts: { readonly core: string[]; readonly optional: string[] };
    /** Values set on top of each chart's defaults when the graph was rendered (what the program sets). */
    readonly render_values: Record<string, Record<string, unknown>>;
    readonly program_wait_mode: Record<string, string>;
    readonly edge_types: Record<string, string>;
    /** chart -> endpoint key -> the Service name a `{endpoint: internal, service: <key>}` dependency renders. */
    readonly endpoints: Record<string, Record<string, string>>;
    readonly nodes: GraphNode[];
    readonly edges: GraphEdge[];
    readonly helm_post_install_hook_order: Record<string, string[]>;
    readonly release_edges: unknown[];
    readonly release_level: unknown;
    readonly excluded_objects: { id: string; why: string }[];
    /** The pre-delete hook Jobs (not part of an install, so not nodes) and what they wait for. */
    readonly pre_delete_hooks: PreDeleteHook[];
    readonly assumed_durations_s: unknown;
    readonly helm_wait_rules: unknown;
}

/** A pre-delete hook Job: its `dependencies.static` key and the endpoint keys of the Services it waits for. */
export interface PreDeleteHook {
    readonly id: string;
    readonly component: string;
    readonly services: string[];
    readonly why: string;
}

/**
 * The pre-delete hooks of the charts at the graph's commit, read from each chart's
 * `dependencies.static` (the source graph leaves them out: they run on uninstall). They decide the
 * destroy order: what a hook waits for must outlive the release.
 */
const PRE_DELETE_HOOKS: PreDeleteHook[] = [
    {
        id: "keystone/Job/keystone-credential-cleanup",
        component: "credential_cleanup",
        services: ["oslo_db"],
        why: "drops keystone's credential data with the DB root connection",
    },
    {
        id: "glance/Job/glance-clean",
        component: "clean",
        services: [],
        why: "with bootstrap on, deletes the bootstrap images through Keystone (restartPolicy OnFailure, no wait)",
    },
    {
        id: "cinder/Job/cinder-clean",
        component: "clean",
        services: [],
        why: "deletes the RBD keyring Secrets (kubectl only)",
    },
];

/**
 * What the program sets that changes what the charts render, as the source graph's `how` states
 * it; the fixtures are rendered with the same values in the test.
 */
const RENDER_VALUES: Record<string, Record<string, unknown>> = {
    nova: { bootstrap: { wait_for_computes: { enabled: true } }, conf: { ceph: { enabled: true } } },
    libvirt: { conf: { ceph: { enabled: true } } },
    cinder: { manifests: { deployment_backup: false, job_backup_storage_init: false } },
};

function dotted(v: unknown, at = ""): string[] {
    if (typeof v === "object" && v !== null && !Array.isArray(v))
        return Object.entries(v).flatMap(([k, x]) => dotted(x, at ? `${at}.${k}` : k));
    return [`${at}: ${String(v)}`];
}

// --- The data file, from the source graph.

function trimNode(n: any): GraphNode {
    if (n.kind === "Service") {
        return { id: n.id, chart: n.chart, kind: n.kind, name: n.name, optional_chart: n.optional_chart, selects: n.selects };
    }
    // `server (rpc_server key unused: ...)`: the key, and why it is not the obvious one.
    const m = /^(\S+)\s+\((.*)\)$/.exec(n.component);
    const out: Record<string, unknown> = {
        id: n.id,
        chart: n.chart,
        kind: n.kind,
        name: n.name,
        component: m ? m[1] : n.component,
        ...(m ? { note: m[2] } : {}),
        optional_chart: n.optional_chart,
        hook: n.hook,
        hook_weight: n.hook_weight,
        hook_delete_policy: n.hook_delete_policy,
        replicas: n.replicas,
        ...(n.podManagementPolicy !== undefined ? { podManagementPolicy: n.podManagementPolicy } : {}),
        ...(n.kind === "Job" ? { backoffLimit: n.backoffLimit, restartPolicy: n.restartPolicy } : {}),
        hostNetwork: n.hostNetwork,
        nodeSelector: n.nodeSelector,
        pod_labels: n.pod_labels,
        entrypoint_env: n.entrypoint_env,
    };
    return out as unknown as GraphNode;
}

export function deriveGraph(head: any, headPath: string): DependencyGraph {
    const how = String(head.source?.how ?? "");
    for (const [chart, values] of Object.entries(RENDER_VALUES)) {
        for (const leaf of dotted(values)) {
            if (!how.includes(leaf.split(":")[0])) throw new Error(`source.how does not mention ${chart} ${leaf}: update RENDER_VALUES`);
        }
    }
    const endpoints: Record<string, Record<string, string>> = {};
    for (const [chart, keys] of Object.entries(head.endpoints as Record<string, Record<string, any>>)) {
        endpoints[chart] = Object.fromEntries(
            Object.entries(keys).map(([k, e]) => [k, String(e["dependency_service_name (endpoint internal)"] ?? e.internal ?? e.default)]),
        );
    }
    return {
        source: {
            repo: head.source.repo,
            commit: head.source.commit,
            date: head.source.date,
            how: head.source.how,
            entrypoint_repo: head.source.entrypoint_repo,
            derivedFrom: `${path.basename(headPath)} (the dependency graph read from the charts at ${head.source.repo}@${head.source.commit}), trimmed`,
            generatedBy: "test/harness/dependency-graph.ts",
        },
        notes: {
            component:
                "the dependencies.static key the real chart renders the object's init container from (what the fixture values are keyed by)",
            entrypoint_env: "the non-empty DEPENDENCY_* variables of the init container, for the namespace above; every other one is empty",
            render_values: "values set on top of the charts' defaults when the graph was rendered (as the Pulumi program sets them)",
            endpoints: "chart -> endpoint key -> the Service a {endpoint: internal, service: <key>} dependency renders",
        },
        namespace: head.namespace,
        charts: head.charts,
        render_values: RENDER_VALUES,
        program_wait_mode: head.program_wait_mode,
        edge_types: head.edge_types,
        endpoints,
        nodes: (head.nodes as any[]).map(trimNode),
        edges: head.edges,
        helm_post_install_hook_order: head.helm_post_install_hook_order,
        release_edges: head.release_edges,
        release_level: head.release_level,
        excluded_objects: head.excluded_objects,
        pre_delete_hooks: PRE_DELETE_HOOKS,
        assumed_durations_s: head.assumed_durations_s,
        helm_wait_rules: head.helm_wait_rules,
    };
}

export function loadGraph(file = GRAPH_FILE): DependencyGraph {
    return JSON.parse(fs.readFileSync(file, "utf8")) as DependencyGraph;
}

// --- The fixture values, from the data file.

export const split = (v: string | undefined) => (v ? v.split(",").filter(Boolean) : []);

/** The dependencies.static entry of one object, in the real charts' shape. */
function staticEntry(graph: DependencyGraph, n: GraphNode): Record<string, unknown> {
    const env = n.entrypoint_env ?? {};
    const known = new Set<string>(["DEPENDENCY_SERVICE", "DEPENDENCY_JOBS", "DEPENDENCY_POD_JSON"]);
    for (const k of Object.keys(env)) if (!known.has(k)) throw new Error(`${n.id}: ${k} is not supported by the fixtures' values`);
    const entry: Record<string, unknown> = {};
    const services = split(env.DEPENDENCY_SERVICE).map((s) => {
        const [ns, name] = s.split(":");
        if (ns !== graph.namespace || !name) throw new Error(`${n.id}: service ${s} is not <${graph.namespace}>:<name>`);
        const key = Object.entries(graph.endpoints[n.chart] ?? {}).find(([, svc]) => svc === name)?.[0];
        if (!key) throw new Error(`${n.id}: no endpoint of chart ${n.chart} renders Service ${name}`);
        return { endpoint: "internal", service: key };
    });
    if (services.length) entry.services = services;
    const jobs = split(env.DEPENDENCY_JOBS);
    if (jobs.length) entry.jobs = jobs;
    if (env.DEPENDENCY_POD_JSON) entry.pod = JSON.parse(env.DEPENDENCY_POD_JSON);
    return entry;
}

/** The `dependencies:` block of one chart's values.yaml. */
export function valuesBlock(graph: DependencyGraph, chart: string): string {
    const nodes = graph.nodes.filter((n) => n.chart === chart && n.kind !== "Service");
    const byKey = new Map<string, { entry: Record<string, unknown>; ids: string[] }>();
    for (const n of nodes) {
        const entry = staticEntry(graph, n);
        const had = byKey.get(n.component!);
        if (had && JSON.stringify(had.entry) !== JSON.stringify(entry)) {
            throw new Error(`${n.id} and ${had.ids.join(", ")} share dependencies.static.${n.component} but wait for different things`);
        }
        byKey.set(n.component!, { entry, ids: [...(had?.ids ?? []), n.id] });
    }
    for (const h of graph.pre_delete_hooks.filter((x) => x.id.startsWith(`${chart}/`) && x.services.length > 0)) {
        if (byKey.has(h.component))
            throw new Error(`${h.id}: dependencies.static.${h.component} is taken by ${byKey.get(h.component)!.ids}`);
        byKey.set(h.component, { entry: { services: h.services.map((service) => ({ endpoint: "internal", service })) }, ids: [h.id] });
    }
    const waiting = [...byKey.entries()].filter(([, v]) => Object.keys(v.entry).length > 0).sort(([a], [b]) => a.localeCompare(b));
    const idle = nodes.filter((n) => Object.keys(n.entrypoint_env ?? {}).length === 0).map((n) => n.name);
    const shared = [...byKey.entries()].filter(([, v]) => v.ids.length > 1);
    const implicit = graph.edges.filter((e) => e.type === "implicit" && e.from.startsWith(`${chart}/`));
    const short = graph.source.commit.slice(0, 8);
    const lines = wrapComment(
        `What each object's \`init\` container waits for (helm-toolkit.snippets.entrypoint_init), as the real chart ` +
            `renders it at ${graph.source.repo}@${short}. Written by test/harness/dependency-graph.ts from ` +
            `test/fixtures/dependency-graph.json: change the graph, not this block.`,
    );
    if (idle.length) lines.push(...wrapComment(`Wait for nothing: ${idle.join(", ")}.`));
    for (const [key, v] of shared)
        lines.push(...wrapComment(`${v.ids.map((id) => id.split("/")[2]).join(" and ")} both read static.${key}.`));
    for (const e of implicit)
        lines.push(...wrapComment(`Implicit, not an entrypoint wait: ${e.from.split("/")[2]} -> ${e.to}. In the real chart, ${e.why}.`));
    const doc = yaml.dump({ dependencies: { static: Object.fromEntries(waiting.map(([k, v]) => [k, v.entry])) } }, { lineWidth: -1 });
    return `${lines.join("\n")}\n${doc}`;
}

function wrapComment(text: string, width = 100): string[] {
    const out: string[] = [];
    let line = "#";
    for (const word of text.split(" ")) {
        if (line.length + 1 + word.length > width && line !== "#") {
            out.push(line);
            line = "#";
        }
        line += ` ${word}`;
    }
    out.push(line);
    return out;
}

/** values.yaml with its top-level `dependencies:` block (and the comment above it) replaced, or added before `endpoints:`. */
export function replaceBlock(text: string, block: string): string {
    const lines = text.split("\n");
    const topLevel = (l: string) => /^[^\s#]/.test(l);
    let start = lines.findIndex((l) => /^dependencies:/.test(l));
    let end: number;
    const body = block.replace(/\n$/, "").split("\n");
    if (start >= 0) {
        end = start + 1;
        while (end < lines.length && !topLevel(lines[end]) && !/^#/.test(lines[end])) end++;
        // Blank lines before the next key stay with it.
        while (end > start + 1 && lines[end - 1].trim() === "") end--;
        while (start > 0 && /^#/.test(lines[start - 1])) start--;
    } else {
        start = end = lines.findIndex((l) => /^endpoints:/.test(l));
        if (start < 0) throw new Error("values.yaml has neither dependencies: nor endpoints:");
        body.push("");
    }
    return [...lines.slice(0, start), ...body, ...lines.slice(end)].join("\n");
}

export function writeValues(graph: DependencyGraph): string[] {
    const written: string[] = [];
    for (const chart of [...graph.charts.core, ...graph.charts.optional]) {
        const file = path.join(FIXTURE_CHARTS, chart, "values.yaml");
        if (!fs.existsSync(file)) {
            console.error(`note: no fixture chart ${chart}`);
            continue;
        }
        const before = fs.readFileSync(file, "utf8");
        const after = replaceBlock(before, valuesBlock(graph, chart));
        if (after !== before) {
            fs.writeFileSync(file, after);
            written.push(chart);
        }
    }
    return written;
}

function main(): void {
    const [headPath] = process.argv.slice(2);
    let graph: DependencyGraph;
    if (headPath) {
        graph = deriveGraph(JSON.parse(fs.readFileSync(headPath, "utf8")), headPath);
        fs.writeFileSync(GRAPH_FILE, JSON.stringify(graph, null, 1) + "\n");
        const counts = `${graph.nodes.length} nodes, ${graph.edges.length} edges`;
        console.log(`wrote ${path.relative(ROOT, GRAPH_FILE)} from ${graph.source.repo}@${graph.source.commit.slice(0, 9)}: ${counts}`);
    } else {
        graph = loadGraph();
    }
    const written = writeValues(graph);
    console.log(`dependencies: ${written.length ? `rewrote ${written.join(", ")}` : "every fixture's values.yaml is up to date"}`);
}

if (require.main === module) main();
