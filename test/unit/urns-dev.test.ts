// Name stability of the dev stack (Pulumi.dev.yaml): see urn-snapshot.ts.
import { before, describe, it } from "node:test";
import { ProgramRun, devRun } from "../support/program-fixture";
import { assertMatchesSnapshot, engineUrns } from "../support/urn-snapshot";

let run: ProgramRun;
before(async () => {
    run = await devRun();
});

describe("resource names of the dev stack", () => {
    it("match the committed URN snapshot", () => {
        assertMatchesSnapshot(engineUrns(run, "dev"), "urns-dev.txt");
    });
});
