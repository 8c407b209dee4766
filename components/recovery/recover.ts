// `npm run recover [-- --dry-run] [--stack NAME] [--wait[=SECONDS]] [--explain]`: after `pulumi up` was
// interrupted (kill, Ctrl-C twice, a lost SSH session, a dead CI runner), brings the stack and the
// cluster back to where the next `pulumi up` converges. Run it in the project directory with the
// environment `pulumi up` had (backend, passphrase); it reaches the cluster through the stack's
// kubeconfig/kubeContext.
//
// 0. Nothing is changed while work on the stack is still in flight (components/recovery/inFlight.ts): a
//    `pulumi` process of this stack (lock or no lock), a plugin left by one that is gone, a release
//    Helm may still be working on. recover names it and stops; `--wait` waits until it is gone.
//    `--explain` also says, for every other process of Pulumi's on this host, why it is not.
// 1. A stale lock of the interrupted run (this host, its process gone) is removed with
//    `pulumi cancel`; a live one stops here.
// 2. Each pending CREATE is decided (components/recovery/plan.ts): a deployed release or an existing
//    object is adopted with its parent and provider; a release that never finished its first
//    install is uninstalled without hooks and its hook objects deleted; anything else is forgotten.
//    Releases interrupted in an upgrade are rolled back to their last deployed revision.
// 3. The state is written back through `pulumi stack import` (stdin: the decrypted state never
//    touches the disk), and the adopted resources are refreshed from the cluster.
import { SpawnSyncReturns, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { CHARTS } from "../catalog/charts";
import { clusterEnvironment, helmArgs, kubectlSync } from "../commands/kubectl";
import { DEFAULTS } from "../config";
import { listFiles, processAlive, processes, readIfExists, selfAndAncestors } from "./host";
import { ProcessVerdict, StackIdentity, describeRefusal, findProject, inFlightProcesses, pulumiHome } from "./inFlight";
import {
    ClusterFacts,
    ExportedStack,
    FoundRelease,
    HelmRelease,
    ObjectRef,
    describePlan,
    hookObjects,
    planRecovery,
    recoveredState,
    stackReleases,
} from "./plan";
import { ObjectTimes, PENDING, ReleaseActivity, lastWrite, releaseInFlight } from "./releaseActivity";

const args = process.argv.slice(2);
const dryRun = args.includes("--dry-run");
const explain = args.includes("--explain");
const stackIdx = args.indexOf("--stack");
const stackArgs = stackIdx >= 0 ? ["--stack", args[stackIdx + 1]] : [];
// --wait[=SECONDS]: wait for work in flight to end (an hour by default: a whole install may be running).
const waitArg = args.find((a) => a === "--wait" || a.startsWith("--wait="));
const waitSeconds = waitArg?.includes("=") ? Number(waitArg.split("=")[1]) : 3600;
if (!Number.isInteger(waitSeconds) || waitSeconds < 0) {
    console.error(`recover: --wait=${waitArg?.split("=")[1]}: not a number of seconds. Fix: --wait, or --wait=SECONDS`);
    process.exit(2);
}

function say(line: string): void {
    console.log(`recover: ${line}`);
}

function fail(line: string): never {
    console.error(`recover: ${line}`);
    process.exit(1);
}

interface Run {
    code: number;
    stdout: string;
    stderr: string;
}

function run(cmd: string, argv: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Run {
    return ran(cmd, spawnSync(cmd, argv, { encoding: "utf8", input: opts.input, env: opts.env ?? process.env, maxBuffer: 256 << 20 }));
}

function ran(cmd: string, r: SpawnSyncReturns<string>): Run {
    if (r.error) fail(`${cmd} could not be run: ${r.error.message}`);
    return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

function must(cmd: string, argv: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
    const r = run(cmd, argv, opts);
    if (r.code !== 0) fail(`${cmd} ${argv.join(" ")} failed:\n${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
}

const pulumi = (...a: string[]) => must("pulumi", [...a, ...stackArgs, "--non-interactive"]);
function configValue(key: string): string | undefined {
    const r = run("pulumi", ["config", "get", key, ...stackArgs]);
    return r.code === 0 ? r.stdout.trim() || undefined : undefined;
}

/** The stack recover works on: project, stack, backend (as `pulumi` itself resolves them here). */
function stackIdentity(): StackIdentity {
    const project = findProject(process.cwd(), readIfExists);
    if (!project?.name) fail("no Pulumi.yaml with a name here: run `npm run recover` in the project directory");
    const who = run("pulumi", ["whoami", "--verbose"]).stdout;
    const backend = /Backend URL:\s*(\S+)/.exec(who)?.[1];
    if (!backend) fail("`pulumi whoami --verbose` names no backend: log in (`pulumi login`) with the environment `pulumi up` had");
    const stacks = JSON.parse(must("pulumi", ["stack", "ls", "--json"])) as { name: string; current: boolean }[];
    const stack = stackIdx >= 0 ? args[stackIdx + 1] : stacks.find((s) => s.current)?.name;
    if (!stack) fail("no stack selected: pass --stack NAME");
    return {
        project: project.name,
        stack: stack.split("/").pop()!,
        backend,
        pulumiHome: pulumiHome(process.env as Record<string, string>),
        backendFromLogin: !process.env.PULUMI_BACKEND_URL && !project.backendUrl,
    };
}

/** The lock files a file backend holds for this stack (an interrupted run leaves its own behind). */
function staleLock(id: StackIdentity): void {
    const backend = /^file:\/\/(\S+)/.exec(id.backend)?.[1];
    if (!backend) return; // another backend: its own error names `pulumi cancel`
    // file://~/state?no_tmp_dir=true and the like: the directory without the URL's options.
    const root = path.join(backend.replace(/\?.*$/, "").replace(/^~(?=\/)/, os.homedir()), ".pulumi", "locks");
    // <locks>/<org>/<project>/<stack>/<id>.json (a backend holds other projects' stacks too).
    const locks = listFiles(root).filter((f) => f.endsWith(".json") && path.dirname(f).endsWith(`/${id.project}/${id.stack}`));
    for (const file of locks) {
        const lock = JSON.parse(fs.readFileSync(file, "utf8")) as { pid: number; hostname: string };
        if (lock.hostname !== os.hostname() || processAlive(lock.pid))
            fail(
                `the stack is locked by a pulumi run that may still be going (pid ${lock.pid} on ${lock.hostname}): ` +
                    "wait for it, or when you know it is gone run `pulumi cancel`, then `npm run recover` again",
            );
    }
    if (locks.length > 0) {
        say(`the interrupted run's lock is left (its process is gone): pulumi cancel`);
        if (!dryRun) pulumi("cancel", "--yes");
    }
}

/** The stack's releases in a pending operation, with when it started and when their objects were last written. */
function releaseActivities(stack: ExportedStack): ReleaseActivity[] {
    const out: ReleaseActivity[] = [];
    const seen = new Set<string>();
    for (const r of stackReleases(stack)) {
        if (seen.has(`${r.namespace}/${r.name}`)) continue;
        seen.add(`${r.namespace}/${r.name}`);
        const h = helm("history", r.name, "-n", r.namespace, "-o", "json", "--max", "1");
        if (h.code !== 0) continue; // no release (yet)
        const newest = (JSON.parse(h.stdout || "[]") as { status: string; updated: string }[]).pop();
        if (!newest || ![...PENDING, "uninstalling"].includes(newest.status)) continue;
        // The charts label what they make, hook Jobs and pods included, with release_group; Helm's records are its Secrets.
        const objects = [`release_group=${r.name}`, `owner=helm,name=${r.name}`].flatMap((selector) => {
            const kinds = selector.startsWith("owner=")
                ? "secrets"
                : "pods,jobs,deployments,statefulsets,daemonsets,services,configmaps,secrets";
            const k = kubectl("get", kinds, "-n", r.namespace, "-l", selector, "-o", "json", "--show-managed-fields");
            return k.code === 0 ? (JSON.parse(k.stdout).items as ObjectTimes[]) : [];
        });
        out.push({
            namespace: r.namespace,
            name: r.name,
            status: newest.status,
            startedAt: Date.parse(newest.updated),
            timeoutSeconds: r.timeoutSeconds ?? DEFAULTS.helmTimeoutSeconds,
            lastWrite: lastWrite(objects),
        });
    }
    return out;
}

/** What is in flight on the stack now: processes of this host, and (when none) releases Helm may be working on elsewhere. */
function inFlightNow(id: StackIdentity, withReleases: boolean): ProcessVerdict {
    const procs = processes();
    const self = selfAndAncestors(procs);
    const verdict = inFlightProcesses(procs, id, readIfExists, self);
    if (!withReleases || verdict.busy.length > 0) return verdict;
    const stack = JSON.parse(pulumi("stack", "export")) as ExportedStack;
    const activities = releaseActivities(stack);
    // A provider left by a killed CLI works as long as a Helm operation it may have started is pending.
    const again = inFlightProcesses(procs, id, readIfExists, self, activities);
    if (again.busy.length > 0) return again;
    const now = Date.now();
    return { ...again, busy: activities.flatMap((r) => releaseInFlight(r, now) ?? []) };
}

/** Refuses (or with --wait, waits) while work on the stack is in flight. */
function nothingInFlight(id: StackIdentity, withReleases = true, mayWait = Boolean(waitArg)): void {
    let now = inFlightNow(id, withReleases);
    if (explain) for (const a of now.setAside) console.error(`recover: explain: pid ${a.pid} \`${a.what}\` is not in flight: ${a.why}`);
    for (const u of now.unreadable) say(`note: ${u} is another user's pulumi process; if it works on stack ${id.stack}, wait for it`);
    // (The check just before the changes says nothing new about idle plugins.)
    if (now.busy.length === 0) return withReleases ? idleNote(now) : undefined;
    const refusal = describeRefusal(id.stack, now.busy, waitSeconds);
    if (!mayWait) {
        for (const line of refusal) console.error(`recover: ${line}`);
        process.exit(1);
    }
    const t0 = Date.now();
    let shown = "";
    let lastSay = 0;
    while (now.busy.length > 0) {
        const waited = Math.round((Date.now() - t0) / 1000);
        if (waited >= waitSeconds) {
            for (const line of refusal.slice(0, -1)) console.error(`recover: ${line}`);
            fail(`still in flight after waiting ${waited}s (--wait=${waitSeconds}): nothing was changed`);
        }
        const list = now.busy.map((b) => `${b.subject} \`${b.what}\``).join("; ");
        if (list !== shown || Date.now() - lastSay >= 30_000) {
            say(`waiting (${waited}s of at most ${waitSeconds}s) for: ${list}`);
            shown = list;
            lastSay = Date.now();
        }
        spawnSync("sleep", ["5"]);
        now = inFlightNow(id, withReleases);
    }
    say(`nothing in flight any more after ${Math.round((Date.now() - t0) / 1000)}s: recovering`);
    idleNote(now);
}

function idleNote(v: ProcessVerdict): void {
    for (const p of v.idle)
        say(
            `note: pid ${p.pid} \`${p.what}\` is a plugin of a pulumi run that is gone, with nothing in flight: it only waits for its engine; stop it when you like (kill ${p.pid})`,
        );
}

// The cluster the program talks to: the stack's kubeconfig and context, as the program's own commands.
const cluster = clusterEnvironment(configValue("kubeconfig"), configValue("kubeContext"));
const kubectl = (...a: string[]) => ran("kubectl", kubectlSync(cluster, a));
const helm = (...a: string[]) => run("helm", helmArgs(cluster, a), { env: { ...process.env, ...cluster } });

const releases = new Map<string, HelmRelease | undefined>();
const facts: ClusterFacts = {
    release(namespace, name) {
        const key = `${namespace}/${name}`;
        if (!releases.has(key)) releases.set(key, helmRelease(namespace, name));
        return releases.get(key);
    },
    objectExists(ref: ObjectRef) {
        const [group, version] = ref.apiVersion.includes("/") ? ref.apiVersion.split("/") : ["", ref.apiVersion];
        const resource = group ? `${ref.kind}.${version}.${group}` : ref.kind;
        const r = kubectl("get", resource, ref.name, ...(ref.namespace ? ["-n", ref.namespace] : []), "-o", "name");
        if (r.code === 0) return true;
        if (/NotFound|not found/.test(r.stderr)) return false;
        fail(`kubectl get ${resource} ${ref.name} failed: ${r.stderr.trim()}`);
    },
};

function helmRelease(namespace: string, name: string): HelmRelease | undefined {
    const r = helm("history", name, "-n", namespace, "-o", "json", "--max", "256");
    if (r.code !== 0) {
        if (/release: not found/.test(r.stderr)) return undefined;
        fail(`helm history ${name} -n ${namespace} failed: ${r.stderr.trim()}`);
    }
    const history = JSON.parse(r.stdout) as { revision: number; status: string }[];
    if (history.length === 0) return undefined;
    const newest = history.reduce((a, b) => (b.revision > a.revision ? b : a));
    const everDeployed = history.some((h) => h.status === "deployed" || h.status === "superseded");
    return { name, namespace, status: newest.status, everDeployed };
}

function cleanRelease(namespace: string, name: string): void {
    // The hook objects first: Helm forgets them with the release. A first install that never
    // finished made them (the Keystone key Secrets among them, which Helm keeps on uninstall and
    // which fail the next install's pre-install hook).
    const hooks = helm("get", "hooks", name, "-n", namespace);
    const objects = hooks.code === 0 ? hookObjects(yaml.loadAll(hooks.stdout) as never[]) : [];
    const r = helm("uninstall", name, "-n", namespace, "--no-hooks", "--wait", "--timeout", "300s");
    if (r.code !== 0 && !/not found/.test(r.stderr)) fail(`helm uninstall ${name} -n ${namespace} failed: ${r.stderr.trim()}`);
    for (const o of objects) {
        const d = kubectl("delete", o.kind, o.name, "-n", namespace, "--ignore-not-found", "--wait=false");
        if (d.code !== 0) fail(`kubectl delete ${o.kind} ${o.name} -n ${namespace} failed: ${d.stderr.trim()}`);
    }
    say(
        `  uninstalled ${namespace}/${name}${objects.length ? `, deleted its hook objects: ${objects.map((o) => `${o.kind}/${o.name}`).join(", ")}` : ""}`,
    );
}

/** Releases of our charts in the namespaces the stack installs into (for the plan's strangers). */
function ourReleases(stack: ExportedStack): FoundRelease[] {
    const namespaces = new Set([configValue("namespace") ?? "openstack", ...stackReleases(stack).map((r) => r.namespace)]);
    const found: FoundRelease[] = [];
    for (const ns of namespaces) {
        const r = helm("list", "-n", ns, "-a", "-o", "json");
        if (r.code !== 0) continue; // no such namespace yet
        for (const rel of JSON.parse(r.stdout || "[]") as { name: string; status: string }[])
            if ((CHARTS as readonly string[]).includes(rel.name)) found.push({ name: rel.name, namespace: ns, status: rel.status });
    }
    return found;
}

function rollback(namespace: string, name: string): void {
    const r = helm("rollback", name, "-n", namespace, "--wait", "--timeout", "300s");
    if (r.code !== 0) fail(`helm rollback ${name} -n ${namespace} failed: ${r.stderr.trim()}`);
    say(`  rolled back ${namespace}/${name} to its last deployed revision`);
}

function main(): void {
    const id = stackIdentity();
    // Before anything changes, the lock included: `pulumi cancel` removes a lock, not the run that holds it.
    nothingInFlight(id);
    staleLock(id);
    // Decrypted in memory only: adopted releases need their inputs as one secret (recoveredState).
    const stack = JSON.parse(pulumi("stack", "export", "--show-secrets")) as ExportedStack;
    const plan = planRecovery(stack, facts, ourReleases(stack));
    for (const line of describePlan(plan)) say(line);
    if (plan.steps.length === 0 && plan.rollbacks.length === 0) {
        say("nothing to recover: no interrupted create in the state, no release stuck in an upgrade");
        return;
    }
    if (dryRun) return say("dry run: nothing changed");
    // A run started while the plan was made (its processes show at once): the plan is not for what it does.
    nothingInFlight(id, false, false);
    for (const s of plan.steps) if (s.action === "clean-release") cleanRelease(s.namespace, s.name);
    for (const r of plan.rollbacks) rollback(r.namespace, r.name);
    if (plan.steps.length > 0) {
        must("pulumi", ["stack", "import", ...stackArgs], { input: JSON.stringify(recoveredState(stack, plan)) });
        say(`state: ${plan.steps.length} interrupted create(s) resolved`);
    }
    const adopted = plan.steps.filter((s) => s.action === "adopt-release" || s.action === "adopt-object").map((s) => s.urn);
    if (adopted.length > 0) {
        pulumi("refresh", "--yes", "--skip-preview", ...adopted.flatMap((u) => ["--target", u]));
        say(`refreshed ${adopted.length} adopted resource(s) from the cluster`);
    }
    say("done: run `pulumi up`");
}

main();
