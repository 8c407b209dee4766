// The shape every layer shares (components/layers/layer.ts): read from the sources, since what a
// component registers as outputs and what it declares public must not drift apart.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../support/program-fixture";

// Every layer lives in components/layers/; any other .ts under components/ must not be one.
const COMPONENTS = path.join(ROOT, "components");
const sources = (fs.readdirSync(COMPONENTS, { recursive: true }) as string[])
    .filter((f) => f.endsWith(".ts"))
    .map((f) => [f, fs.readFileSync(path.join(COMPONENTS, f), "utf8")] as const);
const layers = sources.filter(([, src]) => /export class \w+ extends Layer\b/.test(src));

describe("the layer skeleton", () => {
    it("is what all ten components are built on", () => {
        assert.deepEqual(layers.map(([f]) => f).sort(), [
            "layers/compute.ts",
            "layers/dnsRbac.ts",
            "layers/identity.ts",
            "layers/image.ts",
            "layers/infra.ts",
            "layers/network.ts",
            "layers/preflight.ts",
            "layers/readiness.ts",
            "layers/storage.ts",
            "layers/verification.ts",
        ]);
        for (const [f, src] of sources.filter(([f]) => f !== "layers/layer.ts")) {
            assert.ok(!src.includes("extends pulumi.ComponentResource"), `${f} should extend the skeleton`);
        }
    });

    it("registers exactly the public members of each layer as its outputs", () => {
        for (const [f, src] of layers) {
            const members = [...src.matchAll(/^ {4}public readonly (\w+)/gm)].map((m) => m[1]).sort();
            const registered = /this\.registerOutputs\(\{([^}]*)\}\)/.exec(src);
            assert.ok(registered, `${f} calls registerOutputs`);
            const keys = registered[1]
                .split(",")
                .map((k) => k.split(":")[0].trim())
                .filter(Boolean)
                .sort();
            assert.deepEqual(keys, members, f);
        }
    });

    it("documents every field of every args interface", () => {
        for (const [f, src] of sources) {
            for (const m of src.matchAll(/export interface (\w+Args) \{([\s\S]*?)\n\}/g)) {
                const fields = m[2].split("\n").filter((l) => /^ {4}readonly \w+/.test(l));
                const lines = m[2].split("\n");
                for (const field of fields) {
                    const i = lines.indexOf(field);
                    assert.match(lines[i - 1] ?? "", /\*\/\s*$/, `${f} ${m[1]}: ${field.trim()} has no doc comment`);
                }
            }
        }
    });
});
