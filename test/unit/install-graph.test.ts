// The README's install picture is the program's: `npm run graph` writes it from the registrations
// (test/harness/install-graph.ts); this fails when the program and the picture part.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import { README, installGraph, withGraph } from "../harness/install-graph";
import { allOptionsRun, devRun } from "../support/program-fixture";

describe("the README's install graph", () => {
    it("is the one the program's registrations draw (npm run graph rewrites it)", async () => {
        const readme = fs.readFileSync(README, "utf8");
        assert.equal(
            readme,
            withGraph(readme, installGraph(await devRun(), await allOptionsRun())),
            "run `npm run graph` and commit README.md",
        );
    });
});
