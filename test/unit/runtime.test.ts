// How `pulumi` runs the program: transpile-only, through the tsconfig Pulumi.yaml names, while
// `npm test` and `npm run build` type-check through tsconfig.json. Pulumi's Node.js runtime reads
// `noCheck` from the named file's own compilerOptions (not through `extends`) to turn ts-node's
// type check off, and lays that file's options over its own emit defaults; ts-node then loads it
// with its `extends`.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { describe, it } from "node:test";
import { ROOT } from "../support/program-fixture";

const json = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), "utf8"));
const project = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
    runtime: { name: string; options?: { typescript?: boolean; tsconfig?: string } };
};

describe("the program's runtime", () => {
    it("runs the TypeScript transpile-only: the tsconfig Pulumi.yaml names sets noCheck itself and extends the project's", () => {
        assert.equal(project.runtime.name, "nodejs");
        assert.equal(project.runtime.options?.typescript, true);
        const file = project.runtime.options?.tsconfig;
        assert.ok(file, "Pulumi.yaml runtime.options.tsconfig names the runtime's tsconfig");
        const runtime = json(file);
        assert.equal(runtime.compilerOptions?.noCheck, true, `${file}: compilerOptions.noCheck`);
        assert.equal(runtime.extends, "./tsconfig.json");
        // Pulumi's own defaults (ES2020, NodeNext) give way only to what this file itself says.
        const base = json("tsconfig.json").compilerOptions;
        for (const option of ["target", "module", "moduleResolution"])
            assert.equal(runtime.compilerOptions[option], base[option], `${file}: compilerOptions.${option} as tsconfig.json's`);
        assert.ok(runtime.include.includes("index.ts"));
    });

    it("leaves the type check to tsconfig.json, which npm test's tsc uses", () => {
        const base = json("tsconfig.json");
        assert.notEqual(base.compilerOptions.noCheck, true);
        assert.equal(base.compilerOptions.strict, true);
        const scripts = json("package.json").scripts as Record<string, string>;
        assert.match(scripts.test, /^tsc --noEmit && /);
        assert.equal(scripts.build, "tsc --noEmit");
    });
});
