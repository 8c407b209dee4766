// Writes the kwok stage configuration the simulator runs with: kwok's stock node stages and pod
// stages (taken from the kwok module at build time, $OSH_CACHE/kwok/stages.yaml), with the stock
// pod stages narrowed to pods WITHOUT a kubernetes-entrypoint init container; the pods that have
// one are driven by our gated stages (manifests/kwok-stages.yaml) and the simulator's controller.
//
//   node test/harness/kwok-stages.mjs <stock stages.yaml> <out.yaml>
import * as fs from "node:fs";
import yaml from "js-yaml";

/** The selector term every gated stage matches and every stock pod stage must exclude. */
export const ENTRYPOINT = { key: ".spec.initContainers.[].command.[0]", values: ["kubernetes-entrypoint"] };
/** Stock stages that would make a gated pod Ready or Succeeded at once. */
const GATED = new Set(["pod-ready", "pod-complete"]);

const [stock, out] = process.argv.slice(2);
if (!stock || !out) {
    console.error("usage: kwok-stages.mjs <stock stages.yaml> <out.yaml>");
    process.exit(2);
}
const docs = yaml.loadAll(fs.readFileSync(stock, "utf8")).filter(Boolean);
for (const doc of docs) {
    if (doc.kind !== "Stage" || !GATED.has(doc.metadata?.name)) continue;
    const selector = (doc.spec.selector ??= {});
    (selector.matchExpressions ??= []).push({ key: ENTRYPOINT.key, operator: "NotIn", values: ENTRYPOINT.values });
}
const names = docs.map((d) => d.metadata?.name);
for (const name of GATED) if (!names.includes(name)) throw new Error(`kwok's stock stages have no ${name}: the kwok version changed`);
fs.writeFileSync(out, docs.map((d) => yaml.dump(d, { lineWidth: -1 })).join("---\n"));
