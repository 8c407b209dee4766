// The README's install picture, from the program's own registrations: `npm run graph` runs index.ts
// under the unit tests' mocks (dev and all-options) and writes the mermaid flowchart between the
// README's install-graph markers; test/unit/install-graph.test.ts fails when they differ.
//   - a node per layer (ComponentResource), with the charts it releases ("(x)": only with its option
//     on) or, for a layer without releases, the kinds of what it creates;
//   - a solid edge per layer dependsOn (what must exist first), transitive ones left out;
//   - a dotted edge where a layer's resources wait for another layer's without the layer waiting:
//     node labels and credentials (data, ready before the layer before has finished);
//   - a dotted line per destroy-order marker: the release that must be deleted first, and the layer
//     of the release its pre-delete hook needs (components/release/destroyOrder.ts).
// Node and edge texts are what the registrations tell; the README's table says why each edge is.
import * as fs from "fs";
import * as path from "path";
import { Registered } from "../support/mocks";
import { ProgramRun, ROOT, allOptionsRun, devRun } from "../support/program-fixture";

export const README = path.join(ROOT, "README.md");
const BEGIN = "<!-- install-graph: written by `npm run graph` from the program's registrations; do not edit -->";
const END = "<!-- install-graph end -->";
const LAYER = /^openstack-helm-pulumi:components:/;
const RELEASE = "kubernetes:helm.sh/v3:Release";

const id = (r: Registered) => r.name.replace(/[^A-Za-z0-9]/g, "_");

/** The layer a resource belongs to: its nearest ancestor that is a layer. */
function layerOf(run: ProgramRun, urn: string): Registered | undefined {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    for (let r = byUrn.get(urn); r; r = byUrn.get(r.parent)) if (LAYER.test(r.type)) return r;
    return undefined;
}

function childrenOf(run: ProgramRun, layer: Registered): Registered[] {
    return run.resources.filter((r) => r !== layer && layerOf(run, r.urn) === layer);
}

/** What a layer shows: its releases (optional ones in parentheses), or the kinds of what it creates. */
function nodeLabel(dev: ProgramRun, all: ProgramRun, layer: Registered): string {
    const devLayer = dev.resources.find((r) => r.urn === layer.urn);
    const inDev = new Set(devLayer ? childrenOf(dev, devLayer).map((r) => r.urn) : []);
    const kids = childrenOf(all, layer);
    const releases = kids.filter((r) => r.type === RELEASE).map((r) => (inDev.has(r.urn) ? r.name : `(${r.name})`));
    if (releases.length > 0) return `${layer.name}<br/>${releases.join(", ")}`;
    const kinds = new Map<string, number>();
    for (const r of devLayer ? childrenOf(dev, devLayer) : kids) {
        const kind = r.type.split(":").pop()!;
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    return `${layer.name}<br/>${[...kinds].map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)).join(", ")}`;
}

/** Pairs [from, to] with every pair reachable through another layer left out. */
function reduced(edges: [string, string][]): [string, string][] {
    const next = (n: string) => edges.filter(([f]) => f === n).map(([, t]) => t);
    const reaches = (from: string, to: string, skip: string): boolean => {
        const seen = new Set<string>();
        const todo = next(from).filter((n) => n !== skip);
        while (todo.length) {
            const n = todo.pop()!;
            if (n === to) return true;
            if (!seen.has(n)) {
                seen.add(n);
                todo.push(...next(n));
            }
        }
        return false;
    };
    return edges.filter(([f, t]) => !reaches(f, t, t));
}

/** The mermaid flowchart of the install, from the all-options run (dev tells which charts are optional). */
export function installGraph(dev: ProgramRun, all: ProgramRun): string {
    const layers = all.resources.filter((r) => LAYER.test(r.type));
    const lines = ["flowchart LR", ...layers.map((l) => `  ${id(l)}["${nodeLabel(dev, all, l)}"]`)];
    const owner = (urn: string) => layerOf(all, urn);
    const pairs = new Map<string, [string, string]>();
    for (const l of layers)
        for (const d of l.dependencies) {
            const o = owner(d);
            if (o && o !== l) pairs.set(`${o.name} ${l.name}`, [id(o), id(l)]);
        }
    for (const [f, t] of reduced([...pairs.values()])) lines.push(`  ${f} --> ${t}`);
    // The layers a layer waits for, directly or through others.
    const before = (l: Registered): Set<string> => {
        const out = new Set<string>();
        const todo = [id(l)];
        while (todo.length) {
            const n = todo.pop()!;
            for (const [f, t] of pairs.values())
                if (t === n && !out.has(f)) {
                    out.add(f);
                    todo.push(f);
                }
        }
        return out;
    };
    // Waits of a layer's releases on another layer's resources, where the layer itself does not wait.
    const data = new Map<string, Set<string>>();
    const markers = all.resources.filter((r) => r.name.endsWith("-delete-order"));
    for (const l of layers)
        for (const r of childrenOf(all, l).filter((x) => x.type === RELEASE))
            for (const d of r.dependencies) {
                const o = owner(d);
                const dep = all.resources.find((x) => x.urn === d)!;
                if (!o || o === l || before(l).has(id(o)) || markers.includes(dep)) continue;
                const what = dep.type === "command:local:Command" ? "node labels" : "credentials (data)";
                const key = `${id(o)} ${id(l)}`;
                data.set(key, (data.get(key) ?? new Set()).add(what));
            }
    for (const [key, whats] of data) {
        const [f, t] = key.split(" ");
        lines.push(`  ${f} -. "${[...whats].sort().join(", ")}" .-> ${t}`);
    }
    // A marker waits for what the needed releases wait for: of the layers it waits for beyond its
    // own layer's, the one the others come before holds them (components/release/destroyOrder.ts).
    const precedes = (a: string, b: string) => data.has(`${a} ${b}`) || [...pairs.values()].some(([f, t]) => f === a && t === b);
    for (const m of markers) {
        const first = all.resources.find((r) => r.type === RELEASE && r.dependencies.includes(m.urn))!;
        const at = owner(first.urn)!;
        const candidates = [...new Set(m.dependencies.map((d) => owner(d)).filter((o): o is Registered => !!o))]
            .map(id)
            .filter((o) => o !== id(at) && !before(at).has(o));
        const needed = candidates.filter((c) => !candidates.some((o) => o !== c && precedes(c, o)));
        for (const n of needed)
            lines.push(`  ${n} -. "destroy: ${first.name} goes before ${n}'s releases<br/>(its pre-delete hook needs one)" .- ${id(at)}`);
    }
    return lines.join("\n");
}

/** The README with its install picture replaced by `graph`. */
export function withGraph(readme: string, graph: string): string {
    const [head, rest] = readme.split(BEGIN);
    if (rest === undefined || !rest.includes(END)) throw new Error(`README.md has no ${BEGIN} ... ${END} block`);
    return `${head}${BEGIN}\n\`\`\`mermaid\n${graph}\n\`\`\`\n${END}${rest.slice(rest.indexOf(END) + END.length)}`;
}

async function main(): Promise<void> {
    const graph = installGraph(await devRun(), await allOptionsRun());
    fs.writeFileSync(README, withGraph(fs.readFileSync(README, "utf8"), graph));
    console.log(`wrote the install graph into ${path.relative(process.cwd(), README)}`);
}

if (require.main === module)
    main().catch((e) => {
        console.error(e);
        process.exit(1);
    });
