// A model of an install under the charts' waits (test/fixtures/dependency-graph.json): when each
// object of each release is ready, given when Helm creates it and what its entrypoint waits for.
// It gives the critical path two ways (every object at once, the pure DAG; Helm-faithful: every
// release submitted at once, each running its post-install hooks one at a time) and the makespan
// of any release order (the program's layers, the seed's one chart after another).
import * as fs from "node:fs";
import * as path from "node:path";

export interface GraphNode {
    readonly id: string;
    readonly chart: string;
    readonly kind: string;
    readonly name: string;
    readonly hook?: string | null;
    readonly hook_weight?: number | null;
    readonly optional_chart?: boolean;
    readonly selects?: string[];
}
export interface GraphEdge {
    readonly from: string;
    readonly to: string;
    readonly type: string;
}
export interface Graph {
    readonly nodes: GraphNode[];
    readonly edges: GraphEdge[];
    readonly program_wait_mode: Record<string, "ready" | "hooks">;
    readonly helm_post_install_hook_order: Record<string, string[]>;
    readonly charts: { core: string[]; optional: string[] };
}

export const GRAPH_FILE = path.join(__dirname, "../../fixtures/dependency-graph.json");
export function loadGraph(file = GRAPH_FILE): Graph {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Graph;
}

/** Seconds a pod takes to start once its waits are met, and a Job's run time after that. */
export interface Durations {
    readonly podStart: number;
    /** Job run time by Job name. */
    readonly jobRun: (job: string) => number;
    /** The entrypoint's sleep after its last successful check (0 in the reference model). */
    readonly latency: number;
}

/** The duration policy the simulator uses by default (test/harness/simulator/policy.json). */
export const DEFAULT_DURATIONS: Durations = {
    podStart: 5,
    latency: 0,
    jobRun: (job) => {
        if (/-db-sync$/.test(job)) return 20;
        if (/-db-init$/.test(job)) return 5;
        if (/-ks-(user|service|endpoints)$/.test(job)) return 5;
        if (/-rabbit-init$/.test(job)) return 3;
        return 5;
    },
};

/** When each release is handed to Helm: a fixed time, or after other releases have returned. */
export type ReleaseStart = (release: string, doneOf: (release: string) => number) => number;

export interface Plan {
    /** Releases installed (by default the core charts). */
    readonly releases: readonly string[];
    /** false: every object (hooks too) exists at once, no Helm ordering: the pure DAG. */
    readonly helm: boolean;
    readonly start: ReleaseStart;
}

export interface Result {
    /** When every object of every release is ready (workloads) or done (Jobs). */
    readonly makespan: number;
    /** When each release's Helm call returns. */
    readonly releaseDone: Record<string, number>;
    /** When each object is ready / done. */
    readonly ready: Record<string, number>;
}

/** Runs the model. Throws on a wait cycle (a deadlock the order cannot get out of). */
export function simulate(graph: Graph, plan: Plan, d: Durations = DEFAULT_DURATIONS): Result {
    const nodes = new Map(graph.nodes.filter((n) => plan.releases.includes(n.chart)).map((n) => [n.id, n]));
    const deps = new Map<string, string[]>();
    for (const e of graph.edges) {
        if (e.type === "implicit" || !nodes.has(e.from)) continue;
        deps.set(e.from, [...(deps.get(e.from) ?? []), e.to]);
    }
    const ready = new Map<string, number>();
    const releaseDone = new Map<string, number>();
    const releaseStart = new Map<string, number>();
    const visiting = new Set<string>();

    const startOf = (r: string): number => {
        if (!releaseStart.has(r)) releaseStart.set(r, plan.start(r, doneOf));
        return releaseStart.get(r)!;
    };
    // A hook is created when the hook before it (by weight, then name) is done; the first one
    // when the release's objects exist (and, in wait mode "ready", are ready as Helm counts it).
    const hooksOf = (r: string) =>
        (graph.helm_post_install_hook_order[r] ?? []).map((name) => `${r}/Job/${name}`).filter((id) => nodes.has(id));
    const hooksStart = (r: string): number => {
        if (graph.program_wait_mode[r] !== "ready") return startOf(r);
        const waited = [...nodes.values()].filter((n) => n.chart === r && !n.hook && ["StatefulSet", "DaemonSet"].includes(n.kind));
        return Math.max(startOf(r), ...waited.map((n) => readyOf(n.id)));
    };
    const createdAt = (n: GraphNode): number => {
        if (!plan.helm) return 0;
        if (!n.hook) return startOf(n.chart);
        const hooks = hooksOf(n.chart);
        const i = hooks.indexOf(n.id);
        return i <= 0 ? hooksStart(n.chart) : readyOf(hooks[i - 1]);
    };
    function readyOf(id: string): number {
        if (ready.has(id)) return ready.get(id)!;
        const n = nodes.get(id);
        if (!n) return Infinity; // a dependency on a release not installed: waits forever
        if (visiting.has(id)) throw new Error(`wait cycle through ${id}`);
        visiting.add(id);
        let t: number;
        if (n.kind === "Service") t = Math.max(createdAt(n), ...(n.selects ?? []).map(readyOf));
        else {
            const met = Math.max(createdAt(n), ...(deps.get(id) ?? []).map(readyOf));
            t = met + d.latency + d.podStart + (n.kind === "Job" ? d.jobRun(n.name) : 0);
        }
        visiting.delete(id);
        ready.set(id, t);
        return t;
    }
    function doneOf(r: string): number {
        if (releaseDone.has(r)) return releaseDone.get(r)!;
        const hooks = hooksOf(r);
        const t = hooks.length > 0 ? readyOf(hooks[hooks.length - 1]) : plan.helm ? hooksStart(r) : 0;
        releaseDone.set(r, t);
        return t;
    }
    for (const id of nodes.keys()) readyOf(id);
    for (const r of plan.releases) doneOf(r);
    return {
        makespan: Math.max(...ready.values()),
        releaseDone: Object.fromEntries(releaseDone),
        ready: Object.fromEntries(ready),
    };
}

/** Every release at 0. */
export const atOnce: ReleaseStart = () => 0;

/** Each release after the previous one's Helm call has returned (the seed's order). */
export function oneAfterAnother(order: readonly string[]): ReleaseStart {
    return (r, doneOf) => {
        const i = order.indexOf(r);
        return i <= 0 ? 0 : doneOf(order[i - 1]);
    };
}

/** Each release after the releases it depends on have returned. */
export function afterReleases(dependsOn: Readonly<Record<string, readonly string[]>>): ReleaseStart {
    return (r, doneOf) => Math.max(0, ...(dependsOn[r] ?? []).map(doneOf));
}
