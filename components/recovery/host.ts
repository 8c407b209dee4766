// What recover reads of this host: files, /proc's processes, whether a pid lives.
import * as fs from "fs";
import * as path from "path";
import { ProcessInfo, processKind } from "./inFlight";

export function readIfExists(file: string): string | undefined {
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
}

export function listFiles(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? listFiles(p) : [p];
    });
}

export function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
    // A killed process its parent has not reaped yet (a zombie) is gone all the same.
    try {
        return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
        return true;
    }
}

/** When this host booted (ms), for the processes' start times. */
const bootTime = Number(/^btime (\d+)/m.exec(readIfExists("/proc/stat") ?? "")?.[1] ?? 0) * 1000;

/** Every process of this host as /proc shows it; the directory and environment of Pulumi's own only. */
export function processes(): ProcessInfo[] {
    let pids: string[];
    try {
        pids = fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d));
    } catch {
        return []; // no /proc (not Linux): only the cluster can tell
    }
    const out: ProcessInfo[] = [];
    for (const pid of pids) {
        const stat = readIfExists(`/proc/${pid}/stat`);
        const cmdline = readIfExists(`/proc/${pid}/cmdline`);
        // "pid (comm) S ppid …": the command may hold spaces and parentheses, the fields after it do not.
        const fields = stat ? stat.slice(stat.lastIndexOf(")") + 2).split(" ") : [];
        if (fields.length < 20 || cmdline === undefined) continue; // gone meanwhile
        const argv = cmdline.split("\0");
        if (argv[argv.length - 1] === "") argv.pop();
        // Field 22, starttime, in clock ticks (USER_HZ, 100 on Linux) after boot.
        const startedAt = bootTime + (Number(fields[19]) * 1000) / 100;
        const p: ProcessInfo = { pid: Number(pid), ppid: Number(fields[1]), state: fields[0], argv, startedAt };
        if (processKind(p)) {
            try {
                p.cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
            } catch {
                // another user's process: left unreadable
            }
            const environ = readIfExists(`/proc/${pid}/environ`);
            if (environ !== undefined)
                p.env = Object.fromEntries(
                    environ
                        .split("\0")
                        .flatMap((kv) => (kv.includes("=") ? [[kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]] : [])),
                );
        }
        out.push(p);
    }
    return out;
}

/** recover's own process and its ancestors (npm, the shell): never in flight. */
export function selfAndAncestors(procs: readonly ProcessInfo[]): number[] {
    const byPid = new Map(procs.map((p) => [p.pid, p]));
    const out: number[] = [];
    for (let pid: number | undefined = process.pid; pid && !out.includes(pid); pid = byPid.get(pid)?.ppid) out.push(pid);
    return out;
}
