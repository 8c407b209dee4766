// Name stability of the stack with every option on (program-fixture.ts): see urn-snapshot.ts.
import { before, describe, it } from "node:test";
import { ProgramRun, allOptionsRun } from "../support/program-fixture";
import { assertMatchesSnapshot, engineUrns } from "../support/urn-snapshot";

let run: ProgramRun;
before(async () => {
    run = await allOptionsRun();
});

describe("resource names of the all-options stack", () => {
    it("match the committed URN snapshot", () => {
        assertMatchesSnapshot(engineUrns(run, "dev"), "urns-all-options.txt");
    });
});
