// The unit files (test/unit/*.test.ts), each registered as a suite named after its file, in one
// process: the SDKs load once (about a second and a half a process) and the program runs once per
// config (test/support/program-fixture.ts runProgram), where a process per file paid both again
// for each file. `npm test` runs two such processes at once (part-1.ts, part-2.ts), each with
// about half of the files by their measured time, so both cores work; all.ts runs them all in one.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe } from "node:test";

// Milliseconds each slow file took in one process (npm test, December 2026); any other counts 50.
const COST: Record<string, number> = {
    "chart-repository.test.ts": 2400,
    "images.test.ts": 1800,
    "credentials-rename.test.ts": 1500,
    "credentials-all-options.test.ts": 1300,
    "keystone-admin.test.ts": 1300,
    "credentials-dev.test.ts": 1100,
    "node-labels.test.ts": 600,
    "verify-script.test.ts": 500,
    "ceph-pool-application.test.ts": 250,
    "refresher.test.ts": 600,
    "readiness.test.ts": 450,
    "job-annotations.test.ts": 350,
    "program.test.ts": 200,
    "preflight.test.ts": 170,
    "fixture-waits.test.ts": 130,
    "config.test.ts": 130,
    "fixture-endpoints.test.ts": 110,
    "stuck-pods.test.ts": 90,
};

/** The files of part `part` (0-based) of `parts`: the costliest first, each to the part with the least so far. */
export function unitFiles(part = 0, parts = 1): string[] {
    const files = fs
        .readdirSync(__dirname)
        .filter((f) => f.endsWith(".test.ts"))
        .sort();
    const load = Array.from({ length: parts }, () => 0);
    const mine: string[] = [];
    for (const f of [...files].sort((a, b) => (COST[b] ?? 50) - (COST[a] ?? 50) || a.localeCompare(b))) {
        const p = load.indexOf(Math.min(...load));
        load[p] += COST[f] ?? 50;
        if (p === part) mine.push(f);
    }
    return files.filter((f) => mine.includes(f));
}

export function registerSuites(part = 0, parts = 1): void {
    for (const file of unitFiles(part, parts)) {
        describe(file, () => {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            require(path.join(__dirname, file));
        });
    }
}
