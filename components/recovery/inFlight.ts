// What `npm run recover` must never race: work on the stack that is still in flight.
//
// `pulumi cancel` removes the stack's lock, not the run that holds it: the update goes on, and a
// recovery then uninstalls the releases it is installing and resolves creates that are still
// happening. After a `kill -9` of the CLI alone, its provider plugins live on (the engine starts
// them in process groups of their own; they are reparented) and finish what they were doing, a
// Helm install among it. And a run on another machine shows only in the cluster. So before it
// changes anything, recover looks for (1) a `pulumi` process of this project and stack that can
// change it, (2) a plugin of this project whose `pulumi` process is gone, and (3) a release of the
// stack in a pending operation younger than its Helm timeout whose objects are still being
// written. Pure functions over /proc-like snapshots and Helm's records, so the rules are tested;
// rule (3) is in releaseActivity.ts; recover.ts (with host.ts) reads /proc and the cluster.
import { createHash } from "crypto";
import * as yaml from "js-yaml";
import * as path from "path";

/** One process as /proc shows it. A field that could not be read (another user's process) is undefined. */
export interface ProcessInfo {
    pid: number;
    ppid: number;
    /** The state letter of /proc/<pid>/stat: Z (a zombie) and X are gone. */
    state: string;
    /** /proc/<pid>/cmdline. */
    argv: string[];
    /** /proc/<pid>/cwd. */
    cwd?: string;
    /** /proc/<pid>/environ. */
    env?: Record<string, string>;
    /** When it started (ms), from /proc/<pid>/stat and the boot time. */
    startedAt?: number;
}

/** The stack recover works on. */
export interface StackIdentity {
    /** Pulumi.yaml's name. */
    project: string;
    /** The stack's name (its last segment when fully qualified). */
    stack: string;
    /** The backend URL (`pulumi whoami --verbose`). */
    backend: string;
    /** The Pulumi home recover runs with (PULUMI_HOME, else ~/.pulumi). */
    pulumiHome: string;
    /** Whether the backend is the one `pulumi login` chose (no PULUMI_BACKEND_URL, no backend.url in Pulumi.yaml). */
    backendFromLogin: boolean;
}

/** Reads a file (undefined when it does not exist or cannot be read). */
export type ReadFile = (file: string) => string | undefined;

/** Something in flight on the stack: recover refuses while there is any. */
export interface InFlight {
    /** `pid N`, or `release namespace/name`. */
    subject: string;
    /** The process's command line, or the release's state. */
    what: string;
    why: string;
    /** The pid to stop, when it is a process of this host. */
    pid?: number;
}

export interface ProcessVerdict {
    busy: InFlight[];
    /** Processes that may be this stack's but could not be read (another user's): named, not waited for. */
    unreadable: string[];
    /** Plugins of this project whose pulumi process is gone, with nothing in flight: named, safe to stop. */
    idle: { pid: number; what: string }[];
    /** Every other process of Pulumi's on this host, with why it is not in flight on the stack (`recover --explain`). */
    setAside: { pid: number; what: string; why: string }[];
}

type Kind = "cli" | "plugin" | "program";

/** A process of Pulumi's: the CLI, a plugin it starts, or the Node.js program its language host runs. */
export function processKind(p: Pick<ProcessInfo, "argv">): Kind | undefined {
    const base = path.basename(p.argv[0] ?? "");
    if (base === "pulumi") return "cli";
    if (/^pulumi-(resource|language|analyzer|converter|tool)-/.test(base)) return "plugin";
    // node [node args] …/@pulumi/pulumi/cmd/run[/index.js] --monitor … (the program) or …/cmd/dynamic-provider
    if (/^node(js)?$/.test(base) && p.argv.some((a) => /[/\\]@pulumi[/\\]pulumi[/\\]cmd[/\\](run|dynamic-provider)/.test(a)))
        return "program";
    return undefined;
}

// The CLI's flags that take a value as the next word (pulumi's own and those of the commands that change a stack).
const VALUE_FLAGS = new Set(
    (
        "-C --cwd --color --tracing --tracing-header --profiling --memprofilerate -v --verbose --otel-traces -s --stack -m --message " +
        "-c --config --config-file -p --parallel -t --target --replace --exclude --policy-pack --policy-pack-config --secrets-provider " +
        "--plan --save-plan --exec-kind --exec-agent --client --file --import-file"
    ).split(" "),
);

/** The CLI's command words and the flags recover reads (--stack/-s, --cwd/-C). */
export function parseCli(args: readonly string[]): { words: string[]; stack?: string; cwd?: string } {
    const words: string[] = [];
    const out: { words: string[]; stack?: string; cwd?: string } = { words };
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === "--") break;
        if (!a.startsWith("-") || a === "-") {
            words.push(a);
            continue;
        }
        const eq = a.indexOf("=");
        const flag = eq > 0 ? a.slice(0, eq) : a;
        const value = eq > 0 ? a.slice(eq + 1) : VALUE_FLAGS.has(flag) ? args[++i] : undefined;
        if (flag === "-s" || flag === "--stack") out.stack = value;
        if (flag === "-C" || flag === "--cwd") out.cwd = value;
    }
    return out;
}

// The commands that neither change a stack nor the cloud (`stack` alone shows the stack; a bare
// or unknown command is taken as one that may change it).
const READ_ONLY = new Set(
    "preview pre whoami version about logs plugin login logout help console schema gen-completion completion config cancel org env policy package template project new convert install ai cloud insights deployment view-trace".split(
        " ",
    ),
);
const READ_ONLY_STACK = new Set(["ls", "output", "export", "history", "hist", "select", "tag", "graph", "init", "unselect"]);

/** Whether a CLI with these command words can change a stack or the cluster. */
export function cliChanges(words: readonly string[]): boolean {
    const [cmd, sub] = words;
    if (cmd === undefined) return false; // `pulumi` alone prints its help
    if (cmd === "stack") return sub !== undefined && !READ_ONLY_STACK.has(sub);
    return !READ_ONLY.has(cmd);
}

function flagValue(argv: readonly string[], flag: string): string | undefined {
    const i = argv.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
    if (i < 0) return undefined;
    return argv[i].includes("=") ? argv[i].slice(argv[i].indexOf("=") + 1) : argv[i + 1];
}

interface ProjectFile {
    file: string;
    name?: string;
    backendUrl?: string;
}

/** Pulumi.yaml (or .yml) in `dir` or above, as the CLI finds it. */
export function findProject(dir: string, readFile: ReadFile): ProjectFile | undefined {
    for (let d = path.resolve(dir); ; d = path.dirname(d)) {
        for (const f of ["Pulumi.yaml", "Pulumi.yml"]) {
            const text = readFile(path.join(d, f));
            if (text === undefined) continue;
            try {
                const doc = (yaml.load(text) ?? {}) as { name?: unknown; backend?: { url?: unknown } };
                return {
                    file: path.join(d, f),
                    name: typeof doc.name === "string" ? doc.name : undefined,
                    backendUrl: typeof doc.backend?.url === "string" ? doc.backend.url : undefined,
                };
            } catch {
                return { file: path.join(d, f) };
            }
        }
        if (path.dirname(d) === d) return undefined;
    }
}

/** A backend URL as a comparable string: a file backend's directory without `~` and the URL's options. */
export function normalizeBackend(url: string, home: string): string {
    const u = url.trim();
    const file = /^file:\/\/(.*)$/.exec(u);
    if (!file) return u.replace(/\/+$/, "");
    const dir = file[1].replace(/\?.*$/, "").replace(/^~(?=\/|$)/, home);
    return `file://${path.posix.resolve(dir || "/")}`;
}

/** The Pulumi home a process uses. */
export function pulumiHome(env: Record<string, string>): string {
    return env.PULUMI_HOME || path.join(env.HOME || "/root", ".pulumi");
}

/** The stack a CLI in this project selected (`pulumi stack select`: the Pulumi home's workspace file of the project file). */
export function selectedStack(home: string, project: ProjectFile, readFile: ReadFile): string | undefined {
    if (!project.name) return undefined;
    const sha = createHash("sha1").update(project.file).digest("hex");
    const text = readFile(path.join(home, "workspaces", `${project.name}-${sha}-workspace.json`));
    try {
        const stack = text ? (JSON.parse(text) as { stack?: unknown }).stack : undefined;
        return typeof stack === "string" && stack ? stack : undefined;
    } catch {
        return undefined;
    }
}

/** Whether a stack name as a process gives it (`dev`, `org/dev`, `org/project/dev`) is ours. */
export function sameStack(name: string, ours: StackIdentity): boolean {
    const parts = name.split("/");
    if (parts.length === 3 && parts[1] !== ours.project) return false;
    return parts[parts.length - 1] === ours.stack;
}

type Match = { ours: true; stackKnown: boolean } | { ours: false } | { unreadable: true };

/** Whether a process (the CLI, or a plugin whose CLI is gone) works on our stack, from its own markers. */
export function matchProcess(p: ProcessInfo, kind: Kind, ours: StackIdentity, readFile: ReadFile): Match {
    if (p.env === undefined || p.cwd === undefined) return { unreadable: true };
    const env = p.env;
    const cli = kind === "cli" ? parseCli(p.argv.slice(1)) : undefined;
    const dir = path.resolve(p.cwd, cli?.cwd ?? ".");
    const projectFile = findProject(dir, readFile);
    // A fully qualified --stack names the project even outside its directory.
    const qualified = cli?.stack?.split("/");
    const project =
        (qualified?.length === 3 ? qualified[1] : undefined) ??
        (kind === "program" ? flagValue(p.argv, "--project") : undefined) ??
        (kind !== "cli" ? env.PULUMI_PROJECT || env.PULUMI_NODEJS_PROJECT : undefined) ??
        projectFile?.name;
    if (project !== ours.project) return { ours: false };
    const home = pulumiHome(env);
    const url = env.PULUMI_BACKEND_URL || projectFile?.backendUrl;
    if (url !== undefined && normalizeBackend(url, env.HOME || "/root") !== normalizeBackend(ours.backend, env.HOME || "/root"))
        return { ours: false };
    // Both on the backend their Pulumi home's login chose: the same home is the same backend.
    if (url === undefined && ours.backendFromLogin && path.resolve(home) !== path.resolve(ours.pulumiHome)) return { ours: false };
    const explicit =
        cli?.stack ??
        (kind === "program" ? flagValue(p.argv, "--stack") : undefined) ??
        (env.PULUMI_STACK || env.PULUMI_NODEJS_STACK || undefined);
    // A CLI without --stack runs its workspace's selected stack; a plugin does not know its stack.
    const stack = explicit ?? (kind === "cli" && projectFile ? selectedStack(home, projectFile, readFile) : undefined);
    if (stack !== undefined) return sameStack(stack, ours) ? { ours: true, stackKnown: true } : { ours: false };
    return { ours: true, stackKnown: false };
}

const gone = (p: ProcessInfo) => p.state === "Z" || p.state === "X";
const commandLine = (p: ProcessInfo) => {
    const line = p.argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(" ");
    return line.length > 160 ? `${line.slice(0, 157)}...` : line;
};

/** The pulumi process a plugin was started by: its nearest ancestor that is the CLI (undefined once reparented). */
function cliAncestor(p: ProcessInfo, byPid: Map<number, ProcessInfo>): ProcessInfo | undefined {
    const seen = new Set<number>();
    for (let q = byPid.get(p.ppid); q && !seen.has(q.pid); q = byPid.get(q.ppid)) {
        seen.add(q.pid);
        if (processKind(q) === "cli" && !gone(q)) return q;
    }
    return undefined;
}

function descends(p: ProcessInfo, ancestor: number, byPid: Map<number, ProcessInfo>): boolean {
    const seen = new Set<number>();
    for (let q: ProcessInfo | undefined = p; q && !seen.has(q.pid); q = byPid.get(q.ppid)) {
        seen.add(q.pid);
        if (q.ppid === ancestor) return true;
    }
    return false;
}

/** A release of the stack in a pending Helm operation (pending-install/upgrade/rollback, uninstalling), since when (ms). */
export interface PendingRelease {
    namespace: string;
    name: string;
    status: string;
    startedAt: number;
}

/**
 * What a plugin whose pulumi process is gone is still doing (undefined: nothing that shows, it only
 * waits for its engine; pulumi-kubernetes does not end by itself then). A language host acts
 * through its program; a provider through a child process (a command's script) or, the Kubernetes
 * provider, a Helm operation on a release of the stack that started after it did.
 */
function orphanWork(
    p: ProcessInfo,
    procs: readonly ProcessInfo[],
    byPid: Map<number, ProcessInfo>,
    pending: readonly PendingRelease[],
): string | undefined {
    const base = path.basename(p.argv[0] ?? "");
    const child = procs.find((q) => !gone(q) && descends(q, p.pid, byPid));
    if (/^pulumi-language-/.test(base)) return child ? `its program (pid ${child.pid}) is still running` : undefined;
    if (processKind(p) === "program" || !/^pulumi-resource-/.test(base)) return "it is still running";
    if (child) return `its child pid ${child.pid} \`${commandLine(child)}\` (a command's script) is still running`;
    if (base !== "pulumi-resource-kubernetes") return undefined;
    const helm = pending.filter((r) => p.startedAt === undefined || !(r.startedAt < p.startedAt));
    return helm.length ? `Helm may be at work in it on ${helm.map((r) => `${r.namespace}/${r.name} (${r.status})`).join(", ")}` : undefined;
}

const iso = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? "?" : new Date(ms).toISOString());

/** Why a plugin whose pulumi process is gone counts as idle (for --explain). */
function idleWhy(p: ProcessInfo, pending: readonly PendingRelease[]): string {
    if (path.basename(p.argv[0] ?? "") !== "pulumi-resource-kubernetes") return "its pulumi process is gone and it has no child at work";
    if (!pending.length)
        return "its pulumi process is gone; no release of the stack was found in a pending Helm operation (recover reads them only when no process is at work)";
    return (
        `its pulumi process is gone; it started at ${iso(p.startedAt)}, after every pending Helm operation of the stack began (` +
        pending.map((r) => `${r.namespace}/${r.name} ${r.status} since ${iso(r.startedAt)}`).join(", ") +
        ")"
    );
}

/**
 * The processes of this host in flight on our stack: a `pulumi` CLI of it that can change it
 * (whatever the lock says), and a plugin or program of this project whose CLI is gone while it
 * still works (orphanWork). A plugin whose CLI runs goes with that CLI. `self` are recover's own
 * process and ancestors; `pending` the stack's releases in a pending Helm operation.
 */
export function inFlightProcesses(
    procs: readonly ProcessInfo[],
    ours: StackIdentity,
    readFile: ReadFile,
    self: readonly number[] = [],
    pending: readonly PendingRelease[] = [],
): ProcessVerdict {
    const byPid = new Map(procs.map((p) => [p.pid, p]));
    const verdict: ProcessVerdict = { busy: [], unreadable: [], idle: [], setAside: [] };
    for (const p of procs) {
        const kind = processKind(p);
        if (!kind || gone(p)) continue;
        const aside = (why: string) => verdict.setAside.push({ pid: p.pid, what: commandLine(p), why });
        if (self.includes(p.pid)) {
            aside("recover itself or the commands that started it");
            continue;
        }
        if (kind === "cli" && !cliChanges(parseCli(p.argv.slice(1)).words)) {
            aside("a pulumi command that changes no stack");
            continue;
        }
        const cli = kind !== "cli" ? cliAncestor(p, byPid) : undefined;
        if (cli) {
            aside(`started by pulumi process ${cli.pid}, which is still running: it goes with that one`);
            continue;
        }
        const m = matchProcess(p, kind, ours, readFile);
        if ("unreadable" in m) {
            verdict.unreadable.push(`pid ${p.pid} \`${commandLine(p)}\``);
            continue;
        }
        if (!m.ours) {
            aside(`of another project, backend or stack than ${ours.project}/${ours.stack} (its directory ${p.cwd})`);
            continue;
        }
        const subject = { subject: `pid ${p.pid}`, what: commandLine(p), pid: p.pid };
        if (kind === "cli") {
            const which = m.stackKnown ? "" : " (or of another stack of this project)";
            verdict.busy.push({
                ...subject,
                why: `a pulumi run of stack ${ours.stack}${which} that is still going, whether the stack is locked or not`,
            });
            continue;
        }
        const work = orphanWork(p, procs, byPid, pending);
        const of = `${kind === "program" ? "the program" : "a plugin"} of a pulumi run of this project${m.stackKnown ? ` and stack ${ours.stack}` : ""}`;
        if (work) verdict.busy.push({ ...subject, why: `${of} whose pulumi process is gone, still at work: ${work}` });
        else if (!/^pulumi-language-/.test(path.basename(p.argv[0] ?? ""))) {
            verdict.idle.push({ pid: p.pid, what: subject.what });
            aside(idleWhy(p, pending));
        } else aside("a language host whose pulumi process is gone, with no program running");
    }
    return verdict;
}

/** The refusal: what is in flight, that nothing changed, and what to do. */
export function describeRefusal(stack: string, busy: readonly InFlight[], waitSeconds: number): string[] {
    const pids = busy.flatMap((b) => (b.pid !== undefined ? [b.pid] : []));
    return [
        `refused: work on stack ${stack} is still in flight, and recovering now would undo it (nothing was changed):`,
        ...busy.map((b) => `  ${b.subject} \`${b.what}\`: ${b.why}`),
        `wait for it: \`npm run recover -- --wait\` waits until it is gone (at most ${waitSeconds}s), then recovers` +
            (pids.length ? `; or, if you know it is stuck, stop it (kill ${pids.join(" ")}) and run \`npm run recover\` again` : ""),
    ];
}
