// A stand-in `kubectl` on PATH for tests that run the program's shell scripts: the script
// answers like a cluster from files in a per-case state directory ($STANDIN_STATE).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before } from "node:test";

export interface StandinKubectl {
    /** A fresh state directory for one case (removed after the file's tests). */
    newState(): string;
    /** The environment that puts the stand-in first on PATH and points it at a state dir. */
    env(state: string): NodeJS.ProcessEnv;
}

/** Installs the stand-in for the current test file (before/after hooks). */
export function standinKubectl(script: string): StandinKubectl {
    let bin = "";
    const dirs: string[] = [];
    before(() => {
        bin = fs.mkdtempSync(path.join(os.tmpdir(), "standin-kubectl-"));
        fs.writeFileSync(path.join(bin, "kubectl"), script, { mode: 0o755 });
    });
    after(() => {
        for (const d of [bin, ...dirs]) fs.rmSync(d, { recursive: true, force: true });
    });
    return {
        newState() {
            const d = fs.mkdtempSync(path.join(os.tmpdir(), "standin-state-"));
            dirs.push(d);
            return d;
        },
        env: (state) => ({ ...process.env, PATH: `${bin}:${process.env.PATH}`, STANDIN_STATE: state }),
    };
}
