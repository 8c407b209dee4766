// `npm run bench:nodes`: what adding and removing a rack of compute nodes costs the program.
//
// On a fresh simulator of its own (sim-bench-nodes; OSH_SIM_PORT_OFFSET picks its ports when
// another simulator has them): the dev stack (4 nodes) up on the fixture charts; a no-op preview;
// 496 more kwok nodes (k5..k500, compute) in the cluster and in the stack config, `pulumi up`; the
// DaemonSet pods on them given time to settle; a no-op preview at 500 nodes; the 496 taken out of
// the config again, `pulumi up`. It prints numbers and asserts nothing about them; the last three
// lines are fixed.
//
// Environment: OSH_SIM_TIME_SCALE (default 1), OSH_BENCH_NODES (default 496 added),
// OSH_BENCH_KEEP=1 leaves the simulator running.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";

const ROOT = path.resolve(__dirname, "../../..");
const CACHE = process.env.OSH_PULUMI_CACHE ?? path.join(os.homedir(), ".cache/openstack-helm-pulumi");
const SIM = path.join(CACHE, "sim-bench-nodes");
const WORK = path.join(CACHE, "work-bench-nodes");
const SCALE = Number(process.env.OSH_SIM_TIME_SCALE ?? "1");
const ADDED = Number(process.env.OSH_BENCH_NODES ?? "496");
const env = { ...process.env, OSH_SIM_DIR: SIM, OSH_WORK_DIR: WORK, OSH_SIM_TIME_SCALE: String(SCALE) };
const STACK_FILE = path.join(WORK, "project", "Pulumi.dev.yaml");
const NODES_KEY = "openstack-helm-pulumi:nodes";

function sh(cmd: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
    const r = spawnSync(cmd[0], cmd.slice(1), { env, input: opts.input, encoding: "utf8", maxBuffer: 256 << 20, timeout: 7200_000 });
    if (r.status !== 0 && !opts.allowFail) {
        throw new Error(`${cmd.join(" ")} failed (${r.status}):\n${(r.stdout ?? "").slice(-3000)}\n${(r.stderr ?? "").slice(-3000)}`);
    }
    return r.stdout ?? "";
}
const inStack = (cmd: string[], input?: string) => sh(["bash", path.join(ROOT, "test/harness/deploy.sh"), "run", ...cmd], { input });
const timed = (what: string, f: () => void): number => {
    const t0 = Date.now();
    f();
    const s = (Date.now() - t0) / 1000;
    console.log(`bench: ${what} ${s.toFixed(1)} s`);
    return s;
};
const up = () => inStack(["pulumi", "up", "--yes", "--skip-preview"]);
const noOpPreview = () => inStack(["pulumi", "preview", "--expect-no-changes"]);

const added = Array.from({ length: ADDED }, (_, i) => `k${i + 5}`);

/** The stack file's node list set to the dev stack's four plus `extra` compute nodes (one write, not a CLI call per key). */
function setNodes(base: unknown[], extra: readonly string[]): void {
    const doc = yaml.load(fs.readFileSync(STACK_FILE, "utf8")) as { config: Record<string, unknown> };
    doc.config[NODES_KEY] = [...base, ...extra.map((name) => ({ name, roles: ["compute"] }))];
    fs.writeFileSync(STACK_FILE, yaml.dump(doc, { lineWidth: -1 }));
}

/** kwok plays every node annotated kwok.x-k8s.io/node=fake (cluster-up.sh), as it does k1..k4. */
function createNodes(): void {
    const items = added.map((name) => ({
        apiVersion: "v1",
        kind: "Node",
        metadata: {
            name,
            annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
            labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" },
        },
    }));
    inStack(["kubectl", "create", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items }));
    waitUntil(`${ADDED} nodes Ready`, 600, () => readyNodes() >= ADDED + 4);
}

function readyNodes(): number {
    const out = inStack([
        "kubectl",
        "get",
        "nodes",
        "-o",
        'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
    ]);
    return out.split("\n").filter((l) => l === "True").length;
}

/** Pods in the namespace that are not (yet) Ready, and all of them. */
function podCounts(): { pending: number; total: number } {
    const pods = JSON.parse(inStack(["kubectl", "-n", "openstack", "get", "pods", "-o", "json"])) as {
        items: { status: { phase: string; conditions?: { type: string; status: string }[] } }[];
    };
    const settled = (p: (typeof pods.items)[number]) =>
        p.status.phase === "Succeeded" || (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
    return { pending: pods.items.filter((p) => !settled(p)).length, total: pods.items.length };
}

function waitUntil(what: string, seconds: number, done: () => boolean): boolean {
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
        if (done()) return true;
        spawnSync("sleep", ["2"]);
    }
    console.log(`bench: ${what}: not within ${seconds} s`);
    return false;
}

function main(): void {
    const started = Date.now();
    console.log(`bench: simulator ${SIM}, time scale ${SCALE}, ${ADDED} nodes added to 4, ${os.loadavg()[0].toFixed(1)} load`);
    sh(["bash", path.join(ROOT, "test/harness/cluster-down.sh"), "--purge"]);
    fs.rmSync(WORK, { recursive: true, force: true });
    try {
        sh(["bash", path.join(ROOT, "test/harness/deploy.sh"), "prepare"]);
        const base = (yaml.load(fs.readFileSync(STACK_FILE, "utf8")) as { config: Record<string, unknown[]> }).config[NODES_KEY];
        timed("up at 4 nodes", up);
        const preview4 = timed("no-op preview at 4 nodes", noOpPreview);

        timed(`${ADDED} kwok nodes created and Ready`, createNodes);
        setNodes(base, added);
        const add = timed(`up adding ${ADDED} nodes`, up);
        timed("DaemonSet pods on the new nodes settled", () => {
            waitUntil("every pod Ready", 900, () => podCounts().pending === 0);
            console.log(`bench: ${podCounts().total} pods in openstack, load ${os.loadavg()[0].toFixed(1)}`);
        });
        const preview500 = timed(`no-op preview at ${ADDED + 4} nodes`, noOpPreview);

        setNodes(base, []);
        const remove = timed(`up removing ${ADDED} nodes`, up);
        console.log(
            `bench: total ${((Date.now() - started) / 1000).toFixed(0)} s, load ${os
                .loadavg()
                .map((l) => l.toFixed(1))
                .join(" ")}`,
        );

        console.log(`add ${ADDED} nodes: ${add.toFixed(1)} s`);
        console.log(`remove ${ADDED} nodes: ${remove.toFixed(1)} s`);
        console.log(`preview ${ADDED + 4}/4 nodes: ${(preview500 / preview4).toFixed(2)}`);
    } finally {
        if (process.env.OSH_BENCH_KEEP !== "1") {
            sh(["bash", path.join(ROOT, "test/harness/cluster-down.sh"), "--purge"], { allowFail: true });
            fs.rmSync(WORK, { recursive: true, force: true });
        }
    }
}

main();
