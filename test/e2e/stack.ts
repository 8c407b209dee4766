// What the end-to-end tests share: running commands in the dev stack's environment
// (test/harness/deploy.sh run), reading the cluster and Helm's records, timing phases.
import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");
export const DEPLOY = path.join(ROOT, "test/harness/deploy.sh");
export const NS = "openstack";
export const MINUTE = 60_000;
export const CACHE = process.env.OSH_PULUMI_CACHE ?? path.join(os.homedir(), ".cache/openstack-helm-pulumi");
export const SIM_DIR = process.env.OSH_SIM_DIR ?? path.join(CACHE, "sim");
/** The stack's project copy, state and fixture charts (deploy.sh). */
export const WORK_DIR = process.env.OSH_WORK_DIR ?? path.join(CACHE, "work");

export interface Result {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** Runs a command in the stack's environment (project dir, KUBECONFIG, Pulumi env). */
export function run(cmd: string[], opts: { timeoutMs?: number; input?: string; env?: Record<string, string> } = {}): Result {
    const r = spawnSync("bash", [DEPLOY, "run", ...cmd], {
        encoding: "utf8",
        timeout: opts.timeoutMs ?? 5 * MINUTE,
        input: opts.input,
        maxBuffer: 64 << 20,
        env: { ...process.env, ...opts.env },
    });
    return { code: r.status, stdout: r.stdout ?? "", stderr: (r.stderr ?? "") + (r.error ? String(r.error) : "") };
}

export function ok(cmd: string[], opts: Parameters<typeof run>[1] = {}): string {
    const r = run(cmd, opts);
    assert.equal(r.code, 0, `${cmd.join(" ")} failed (${r.code}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
    return r.stdout;
}

export const kubectl = (...a: string[]) => ok(["kubectl", ...a]);
export const ceph = (...a: string[]) => ok(["bash", "-c", '$OSH_CEPH_TOOLBOX ceph "$@"', "ceph", ...a]);
export const cephStatus = (...a: string[]) => run(["bash", "-c", '$OSH_CEPH_TOOLBOX ceph "$@"', "ceph", ...a]);
export const exists = (kind: string, name: string, ns?: string) =>
    run(["kubectl", ...(ns ? ["-n", ns] : []), "get", kind, name, "-o", "name"]).code === 0;
/** A key of a Secret in the OpenStack namespace, decoded. */
export function secretData(secret: string, key: string): string {
    return Buffer.from(kubectl("-n", NS, "get", "secret", secret, "-o", `jsonpath={.data.${key}}`), "base64").toString();
}

/** The password of a `scheme://user:password@host` URL, decoded. */
export function urlPassword(url: string): string {
    return decodeURIComponent(/^[a-z+]+:\/\/[^:]+:([^@]*)@/.exec(url)![1]);
}

export const timings: [string, number][] = [];
export function timed<T>(phase: string, f: () => T): T {
    const t0 = process.hrtime.bigint();
    try {
        return f();
    } finally {
        const s = Number(process.hrtime.bigint() - t0) / 1e9;
        timings.push([phase, s]);
        console.log(`e2e: phase ${phase} ${s.toFixed(1)}s`);
    }
}

export async function timedAsync<T>(phase: string, f: () => Promise<T>): Promise<T> {
    const t0 = process.hrtime.bigint();
    try {
        return await f();
    } finally {
        const s = Number(process.hrtime.bigint() - t0) / 1e9;
        timings.push([phase, s]);
        console.log(`e2e: phase ${phase} ${s.toFixed(1)}s`);
    }
}

export function sleep(seconds: number): void {
    spawnSync("sleep", [String(seconds)]);
}

/** Polls `f` every second until it returns a value other than undefined/false (fails after `seconds`). */
export function waitFor<T>(what: string, seconds: number, f: () => T | undefined | false): T {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
        const v = f();
        if (v !== undefined && v !== false) return v;
        assert.ok(Date.now() < deadline, `${what}: not within ${seconds}s`);
        sleep(1);
    }
}

/** Each Helm release in a namespace, by name: its newest revision and that revision's status (Helm's storage Secrets). */
export function helmReleases(ns = NS): Map<string, { revision: number; status: string }> {
    const r = run([
        "kubectl",
        "-n",
        ns,
        "get",
        "secret",
        "-l",
        "owner=helm",
        "-o",
        'jsonpath={range .items[*]}{.metadata.labels.name} {.metadata.labels.version} {.metadata.labels.status}{"\\n"}{end}',
    ]);
    const out = new Map<string, { revision: number; status: string }>();
    if (r.code !== 0) return out;
    for (const line of r.stdout.trim().split("\n").filter(Boolean)) {
        const [name, version, status] = line.split(" ");
        const revision = Number(version);
        if ((out.get(name)?.revision ?? 0) < revision) out.set(name, { revision, status });
    }
    return out;
}

/**
 * A fresh dev stack on the simulator (started here unless it runs): deploy.sh prepare, then what an
 * earlier, interrupted run left taken down. Returns whether this run started the simulator.
 */
export function prepareFreshStack(phase: string): boolean {
    // The tests delete the namespace (the operator's cleanup): never on a real cluster.
    assert.ok(!process.env.OSH_KUBECONFIG, "the e2e test runs against the simulator only: unset OSH_KUBECONFIG");
    const startedSimulator = !fs.existsSync(path.join(SIM_DIR, "run", "ready"));
    // A simulator started here reports a pod as stalled after 20 s (the teeth tests wait for that).
    process.env.OSH_SIM_STALL_S ??= "20";
    const r = timed(phase, () =>
        spawnSync("bash", [DEPLOY, "prepare"], { encoding: "utf8", timeout: 80 * MINUTE, stdio: ["ignore", "inherit", "inherit"] }),
    );
    assert.equal(r.status, 0, "deploy.sh prepare failed");
    // A run killed mid-`up` leaves the stack locked: clear that first.
    run(["pulumi", "cancel", "--yes"]);
    const leftover = stackState()?.resources?.length ?? 0;
    if (leftover > 0 && run(["pulumi", "destroy", "--yes", "--skip-preview"], { timeoutMs: 20 * MINUTE }).code !== 0) {
        // Interrupted mid-install: what the state names may be gone from the cluster.
        ok(["pulumi", "refresh", "--yes", "--skip-preview", "--clear-pending-creates"], { timeoutMs: 10 * MINUTE });
        ok(["pulumi", "destroy", "--yes", "--skip-preview"], { timeoutMs: 20 * MINUTE });
    }
    // And what a kept namespace holds from it (the test acts as the operator who purges).
    if (exists("namespace", NS)) kubectl("delete", "namespace", NS, "--wait=true", "--timeout=300s");
    return startedSimulator;
}

/** Stops the simulator if this run started it (one already up stays up). */
export function stopSimulatorIfStarted(started: boolean): void {
    if (started) spawnSync("bash", [path.join(ROOT, "test/harness/cluster-down.sh")], { stdio: "inherit", timeout: 5 * MINUTE });
}

/** The stack's state as `pulumi stack export` writes it. */
export function stackState(): {
    resources: { urn: string; type: string; id?: string; modified?: string }[];
    pending_operations?: unknown[];
} {
    return JSON.parse(ok(["pulumi", "stack", "export"])).deployment;
}

/** The URNs of the stack's resources as the unit tests' snapshot lists them: no root Stack, no default providers. */
export function stackUrns(): string[] {
    return stackState()
        .resources.filter((r) => r.type !== "pulumi:pulumi:Stack" && !/::default(_[0-9_]+)?$/.test(r.urn))
        .map((r) => r.urn)
        .sort();
}

/** The dev stack's URNs pinned by the unit tests, without the Verification layer (deploy.sh sets verify false). */
export function pinnedDevUrns(): string[] {
    return fs
        .readFileSync(path.join(ROOT, "test/unit/snapshots/urns-dev.txt"), "utf8")
        .split("\n")
        .filter((u) => u && !u.includes(":components:Verification"));
}

export interface TimelineEvent {
    pod: string;
    namespace: string;
    owner: string;
    event: "created" | "deps-met" | "ready" | "succeeded" | "failed";
    t: number;
    lastDependency?: string;
}

/** The simulator's record of every gated pod's events. */
export function timeline(): TimelineEvent[] {
    const f = path.join(SIM_DIR, "timeline.jsonl");
    return fs.existsSync(f)
        ? fs
              .readFileSync(f, "utf8")
              .split("\n")
              .filter(Boolean)
              .map((l) => JSON.parse(l) as TimelineEvent)
        : [];
}

interface StepState {
    inputs?: { environment?: Record<string, string> };
}

/**
 * The preview's steps (`pulumi preview --json`): each op with the resource name it acts on, and for
 * a node label Command (components/layers/layer.ts) the nodes its change labels (+) and gives up (-).
 */
export function previewSteps(extra: string[] = []): { op: string; name: string; type: string; nodes?: string }[] {
    const out = ok(["pulumi", "preview", "--json", ...extra], { timeoutMs: 10 * MINUTE });
    const steps = (JSON.parse(out).steps ?? []) as { op: string; urn: string; oldState?: StepState; newState?: StepState }[];
    return steps
        .filter((s) => s.op !== "same")
        .map((s) => ({ op: s.op, name: s.urn.split("::").pop()!, type: s.urn.split("::")[2].split("$").pop()!, nodes: labelNodes(s) }));
}

/** The nodes a label Command's change adds (+name) and takes out (-name), from its NODES input before and after. */
function labelNodes(step: { oldState?: StepState; newState?: StepState }): string | undefined {
    const nodes = (s?: StepState) => s?.inputs?.environment?.NODES?.split("\n").filter(Boolean);
    const [before, after] = [nodes(step.oldState), nodes(step.newState)];
    if (before === undefined && after === undefined) return undefined;
    const added = (after ?? []).filter((n) => !(before ?? []).includes(n)).map((n) => `+${n}`);
    const removed = (before ?? []).filter((n) => !(after ?? []).includes(n)).map((n) => `-${n}`);
    return [...added, ...removed].join(" ");
}

/** A `pulumi up` in the background (its own process group, output to a file), to be killed as a laptop lid or a dead runner would. */
export function startUp(logFile: string): ChildProcess {
    return startCommand(["pulumi", "up", "--yes", "--skip-preview"], logFile);
}

/** A command in the stack's environment in the background (its own process group, output to a file). */
export function startCommand(cmd: string[], logFile: string): ChildProcess {
    const fd = fs.openSync(logFile, "w");
    const child = spawn("bash", [DEPLOY, "run", ...cmd], {
        detached: true,
        stdio: ["ignore", fd, fd],
        env: process.env,
    });
    fs.closeSync(fd);
    return child;
}

/** The process and all its descendants (the CLI, the language host, the provider plugins, which run in process groups of their own). */
export function processTree(root: number): number[] {
    const table = spawnSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" })
        .stdout.trim()
        .split("\n")
        .map((l) => l.trim().split(/\s+/).map(Number));
    const tree = [root];
    for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of table) if (ppid === tree[i]) tree.push(pid);
    return tree;
}

/** Whether a process still runs (a zombie waiting for its parent to reap it does not). */
export function running(pid: number): boolean {
    try {
        return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
        return false;
    }
}

/** SIGKILL to the `up` and every process it started, at once: a machine or CI runner that dies. */
export function killUp(child: ChildProcess): void {
    killAll(processTree(child.pid!));
}

/**
 * `kill -9` of the pulumi CLI alone, as an operator's Ctrl-C-then-kill or a dropped SSH session
 * does: the provider plugins run in process groups of their own and go on with what they were
 * doing (a Helm install finishes) with nobody left to record it. Returns them, to be killed later.
 */
export function killCli(child: ChildProcess): number[] {
    const tree = processTree(child.pid!);
    // deploy.sh run execs pulumi: the child is the CLI.
    killAll([child.pid!]);
    return tree.filter((p) => p !== child.pid);
}

export function killAll(pids: number[]): void {
    for (const pid of pids) {
        try {
            process.kill(pid, "SIGKILL");
        } catch {
            // already gone
        }
    }
    waitFor("the killed processes gone", 30, () => !pids.some(running));
}

/** A process's command line (empty once it is gone). */
export function commandLine(pid: number): string[] {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    } catch {
        return [];
    }
}

/** Sends a signal to each of the processes still there (SIGSTOP/SIGCONT to hold a run still while the test looks). */
export function signalAll(pids: number[], signal: NodeJS.Signals): void {
    for (const pid of pids) {
        try {
            process.kill(pid, signal);
        } catch {
            // already gone
        }
    }
}

/** The exit code of a background command (startUp), once it ends. */
export function exitCode(child: ChildProcess): Promise<number | null> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
    return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}
