// Shape report for components/ (issue 20): entries directly under components/, files over 350
// lines, import cycles (DFS over relative imports) and how often each module is imported.
// Run: npx tsx test/harness/shape-report.ts. No dependencies, so anyone can run it offline.
import { readFileSync, readdirSync, statSync, existsSync } from "fs";
import * as path from "path";

const root = path.resolve(__dirname, "../..");
const components = path.join(root, "components");
const LIMIT = 350;

function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
        const full = path.join(dir, name);
        return statSync(full).isDirectory() ? walk(full) : [full];
    });
}

const rel = (file: string) => path.relative(root, file);
const code = (file: string) => /\.(ts|cjs|mjs|sh)$/.test(file);
const files = walk(components).filter(code);
const lines = (file: string) => readFileSync(file, "utf8").split("\n").length - 1;

// Relative imports only (`from "./x"`, `import("./x")`, `require("./x")`), resolved like tsc does.
function imports(file: string): string[] {
    const text = readFileSync(file, "utf8");
    const specs = [...text.matchAll(/(?:from\s+|import\(|require\()\s*"(\.{1,2}\/[^"]*)"/g)].map((m) => m[1]);
    return specs.flatMap((spec) => {
        const base = path.resolve(path.dirname(file), spec);
        const hit = [`${base}.ts`, path.join(base, "index.ts"), base].find((c) => existsSync(c) && statSync(c).isFile());
        return hit && hit.endsWith(".ts") ? [hit] : [];
    });
}

const tsFiles = [path.join(root, "index.ts"), ...files.filter((f) => f.endsWith(".ts"))];
const graph = new Map(tsFiles.map((f) => [f, imports(f)]));

function cycles(): string[][] {
    const found: string[][] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (node: string) => {
        state.set(node, "open");
        stack.push(node);
        for (const next of graph.get(node) ?? []) {
            if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next].map(rel));
            else if (!state.has(next)) visit(next);
        }
        stack.pop();
        state.set(node, "done");
    };
    for (const node of graph.keys()) if (!state.has(node)) visit(node);
    return found;
}

const importedBy = new Map<string, number>();
for (const targets of graph.values()) for (const t of targets) importedBy.set(t, (importedBy.get(t) ?? 0) + 1);

const entries = readdirSync(components).sort();
const big = files.map((f) => [rel(f), lines(f)] as const).filter(([, n]) => n > LIMIT);
const found = cycles();
const arrows = [...graph.values()].reduce((n, t) => n + t.length, 0);

console.log(`entries directly under components/: ${entries.length}`);
for (const e of entries) console.log(`  ${e}${statSync(path.join(components, e)).isDirectory() ? "/" : ""}`);
console.log(`code files (.ts/.cjs/.mjs/.sh) under components/: ${files.length}, ${files.reduce((n, f) => n + lines(f), 0)} lines`);
console.log(`files over ${LIMIT} lines (components/catalog/data/*.json is generated data, exempt): ${big.length}`);
for (const [f, n] of big) console.log(`  ${n} ${f}`);
console.log("biggest files:");
for (const [f, n] of files
    .map((f) => [rel(f), lines(f)] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8))
    console.log(`  ${n} ${f}`);
console.log(`import cycles: ${found.length}`);
for (const c of found) console.log(`  ${c.join(" -> ")}`);
console.log(`relative import arrows (index.ts + components/**/*.ts): ${arrows}`);
console.log("imported by (modules importing it):");
for (const f of tsFiles.sort((a, b) => (importedBy.get(b) ?? 0) - (importedBy.get(a) ?? 0) || rel(a).localeCompare(rel(b))))
    console.log(`  ${String(importedBy.get(f) ?? 0).padStart(2)} ${rel(f)}`);
