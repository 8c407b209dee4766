// `npm run bench:install`: the install benchmark on the dependency-faithful simulator.
//
// 1. A fresh simulator of its own (sim-bench, so a developer's stays up), the dev stack on the
//    fixture charts, `pulumi up`: the install makespan is the span of the chart pods in the
//    simulator's timeline, from the first pod created to the last one ready or done.
// 2. The charts' wait graph (test/fixtures/dependency-graph.json) under the same duration
//    policy: the critical path as a pure DAG and Helm-faithful (every release at once, each
//    running its hooks one at a time), from the install model (model.ts).
// 3. The seed's order on the same simulator: each chart installed with Helm, with the values the
//    program gave it, after the previous chart's Helm call has returned, then one final wait.
// It prints numbers and asserts nothing about them; the last five lines are fixed.
//
// Environment: OSH_SIM_TIME_SCALE (default 1), OSH_BENCH_KEEP=1 leaves the simulator running.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CHART_CATALOG, chartSpec } from "../../../components/catalog/charts";
import { DEFAULT_DURATIONS, Durations, atOnce, loadGraph, simulate } from "./model";

const ROOT = path.resolve(__dirname, "../../..");
const CACHE = process.env.OSH_PULUMI_CACHE ?? path.join(os.homedir(), ".cache/openstack-helm-pulumi");
const SIM = path.join(CACHE, "sim-bench");
const WORK = path.join(CACHE, "work-bench");
const SCALE = Number(process.env.OSH_SIM_TIME_SCALE ?? "1");
/** kubernetes-entrypoint sleeps 2 s after each successful check: the simulator does too (unscaled). */
const ENTRYPOINT_LATENCY = 2;
const env = { ...process.env, OSH_SIM_DIR: SIM, OSH_WORK_DIR: WORK, OSH_SIM_TIME_SCALE: String(SCALE) };
const CORE = CHART_CATALOG.filter((c) => !("optional" in c)).map((c) => c.name);

function sh(cmd: string[], opts: { allowFail?: boolean; quiet?: boolean; timeoutS?: number } = {}): string {
    const r = spawnSync(cmd[0], cmd.slice(1), { env, encoding: "utf8", maxBuffer: 256 << 20, timeout: (opts.timeoutS ?? 3600) * 1000 });
    if (r.status !== 0 && !opts.allowFail) {
        throw new Error(`${cmd.join(" ")} failed (${r.status}):\n${(r.stdout ?? "").slice(-3000)}\n${(r.stderr ?? "").slice(-3000)}`);
    }
    if (!opts.quiet) process.stderr.write(r.stderr ?? "");
    return r.stdout ?? "";
}
const inStack = (...cmd: string[]) => sh(["bash", path.join(ROOT, "test/harness/deploy.sh"), "run", ...cmd], { quiet: true });

interface Event {
    pod: string;
    namespace: string;
    event: string;
    t: number;
}
function timeline(): Event[] {
    return fs
        .readFileSync(path.join(SIM, "timeline.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Event);
}
/** From the first chart pod created to the last one ready (or done) in the namespace. */
function makespan(ns: string): number {
    const events = timeline().filter((e) => e.namespace === ns);
    const first = Math.min(...events.filter((e) => e.event === "created").map((e) => e.t));
    const last = Math.max(...events.filter((e) => e.event === "ready" || e.event === "succeeded").map((e) => e.t));
    return last - first;
}
const wall = <T>(f: () => T): [T, number] => {
    const t0 = Date.now();
    const v = f();
    return [v, (Date.now() - t0) / 1000];
};

function main(): void {
    const started = Date.now();
    console.log(`bench: simulator ${SIM}, time scale ${SCALE}`);
    sh(["bash", path.join(ROOT, "test/harness/cluster-down.sh"), "--purge"], { quiet: true });
    fs.rmSync(WORK, { recursive: true, force: true });
    try {
        sh(["bash", path.join(ROOT, "test/harness/deploy.sh"), "prepare"], { quiet: true });

        // 1. The program.
        const [, upWall] = wall(() => inStack("pulumi", "up", "--yes", "--skip-preview"));
        const install = makespan("openstack");
        // The stall report after the install: pods still waiting past OSH_SIM_STALL_S (none, or it hangs).
        const stallFile = path.join(SIM, "stalls.json");
        const stalled = fs.existsSync(stallFile) ? (JSON.parse(fs.readFileSync(stallFile, "utf8")) as unknown[]).length : 0;
        console.log(`bench: pods stalled after the install: ${stalled}`);
        console.log(`bench: pulumi up ${upWall.toFixed(1)} s wall; chart pods from first created to last ready ${install.toFixed(1)} s`);
        const values = fs.mkdtempSync(path.join(os.tmpdir(), "osh-bench-values-"));
        for (const chart of CORE)
            fs.writeFileSync(path.join(values, `${chart}.yaml`), inStack("helm", "-n", "openstack", "get", "values", chart, "-o", "yaml"));

        // 2. The model, with the simulator's effective durations.
        const graph = loadGraph();
        const scaled: Durations = {
            podStart: DEFAULT_DURATIONS.podStart * SCALE,
            jobRun: (j) => DEFAULT_DURATIONS.jobRun(j) * SCALE,
            latency: ENTRYPOINT_LATENCY,
        };
        const dag = simulate(graph, { releases: CORE, helm: false, start: atOnce }, scaled).makespan;
        const helm = simulate(graph, { releases: CORE, helm: true, start: atOnce }, scaled).makespan;
        console.log(`bench: critical path (pure DAG): ${dag.toFixed(1)} s`);

        // 3. The seed's order, in a namespace of its own.
        inStack("kubectl", "create", "namespace", "seed");
        const charts = path.join(WORK, "charts");
        const [, seedWall] = wall(() => {
            for (const chart of CORE) {
                const wait = chartSpec(chart).wait === "ready" ? ["--wait", "--wait-for-jobs"] : [];
                inStack(
                    "helm",
                    "install",
                    chart,
                    path.join(charts, chart),
                    "-n",
                    "seed",
                    "-f",
                    path.join(values, `${chart}.yaml`),
                    ...wait,
                    "--timeout",
                    "3600s",
                );
            }
            inStack("env", "NAMESPACE=seed", "TIMEOUT_SECONDS=3600", "bash", path.join(ROOT, "components/scripts/readiness.sh"));
        });
        fs.rmSync(values, { recursive: true, force: true });
        const seed = makespan("seed");
        console.log(`bench: seed order ${seedWall.toFixed(1)} s wall (Helm calls and the final wait)`);
        console.log(`bench: total ${((Date.now() - started) / 1000).toFixed(0)} s`);

        console.log(`install makespan: ${install.toFixed(1)} s`);
        console.log(`critical path (helm-faithful): ${helm.toFixed(1)} s`);
        console.log(`ratio: ${(install / helm).toFixed(2)}`);
        console.log(`seed order makespan: ${seed.toFixed(1)} s`);
        console.log(`speedup over seed order: ${(seed / install).toFixed(2)}`);
    } finally {
        if (process.env.OSH_BENCH_KEEP !== "1") {
            sh(["bash", path.join(ROOT, "test/harness/cluster-down.sh"), "--purge"], { quiet: true, allowFail: true });
            fs.rmSync(WORK, { recursive: true, force: true });
        }
    }
}

main();
