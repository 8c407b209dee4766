// The names of a stack, pinned: the sorted URNs the engine would give every resource, compared
// with a committed snapshot. A renamed resource is a new resource (a RandomPassword renamed is a
// new password the running database does not know), so a rename needs an `aliases` entry and a
// snapshot update in the same commit. `UPDATE_URN_SNAPSHOTS=1 npm test` rewrites the snapshots.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT } from "./mocks";
import { ProgramRun } from "./program-fixture";

// The snapshots stay beside the tests that compare them.
export const SNAPSHOT_DIR = path.join(__dirname, "..", "unit", "snapshots");

/**
 * The engine's URNs. The mock monitor qualifies a type by its parent's type only; the engine
 * qualifies it by the whole chain of parent types below the root Stack, which it leaves out.
 */
export function engineUrns(run: ProgramRun, stack: string): string[] {
    const all = [...run.resources, ...run.reads];
    const byMockUrn = new Map(all.map((r) => [r.urn, r]));
    const qualified = (r: { type: string; parent: string }): string => {
        const parent = byMockUrn.get(r.parent);
        if (!parent || parent.type === "pulumi:pulumi:Stack") return r.type;
        return `${qualified(parent)}$${r.type}`;
    };
    return all
        .filter((r) => r.type !== "pulumi:pulumi:Stack")
        .map((r) => `urn:pulumi:${stack}::${PROJECT}::${qualified(r)}::${r.name}`)
        .sort();
}

/** Fails with the URNs added and removed, unless UPDATE_URN_SNAPSHOTS is set (then rewrites). */
export function assertMatchesSnapshot(urns: string[], snapshot: string): void {
    const file = path.join(SNAPSHOT_DIR, snapshot);
    if (process.env.UPDATE_URN_SNAPSHOTS) {
        fs.mkdirSync(SNAPSHOT_DIR, { recursive: true });
        fs.writeFileSync(file, urns.join("\n") + "\n");
        return;
    }
    assert.ok(fs.existsSync(file), `no snapshot ${file}: run UPDATE_URN_SNAPSHOTS=1 npm test and commit it`);
    const pinned = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
    const added = urns.filter((u) => !pinned.includes(u));
    const removed = pinned.filter((u) => !urns.includes(u));
    assert.deepEqual(
        { added, removed },
        { added: [], removed: [] },
        `the stack's resource names changed (${snapshot}). A rename needs an aliases entry for the old name; ` +
            "then update the snapshot (UPDATE_URN_SNAPSHOTS=1 npm test) in the same commit",
    );
}
