// Prints every Helm release's inputs (values, chart, version, timeout, wait flags) for the dev and
// the all-options stack, as sorted JSON: run before and after a change to the value builders and
// diff, to prove the value trees are byte-identical. Runs index.ts under the unit tests' mocks.
//   npx tsx test/harness/dump-values.ts > before.json   (--all: every resource, with its options)
import { Registered } from "../support/mocks";
import { ProgramRun, ROOT, allOptionsRun, devRun } from "../support/program-fixture";

/** The same value with every object's keys sorted, so the JSON is comparable line by line. */
function sorted(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sorted);
    if (typeof v === "object" && v !== null)
        return Object.fromEntries(
            Object.keys(v)
                .sort()
                .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
        );
    return v;
}

// --all: every resource, not only the releases (script payloads are Command inputs too).
const every = process.argv.includes("--all");

const releases = (run: ProgramRun) =>
    Object.fromEntries(
        run.resources
            .filter((r: Registered) => every || r.type === "kubernetes:helm.sh/v3:Release")
            .map((r) => [every ? `${r.type}::${r.name}` : r.name, r] as const)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([key, r]) => [
                key,
                {
                    inputs: r.inputs,
                    secretPaths: [...r.secretPaths].sort(),
                    // What the release factory decides besides the values: its parent, dependsOn and hooks.
                    parent: r.parent,
                    dependencies: [...r.dependencies].sort(),
                    errorHooks: [...r.errorHooks].sort(),
                    ...(every
                        ? {
                              additionalSecretOutputs: r.additionalSecretOutputs,
                              retainOnDelete: r.retainOnDelete,
                              deleteBeforeReplace: r.deleteBeforeReplace,
                          }
                        : {}),
                },
            ]),
    );

async function main(): Promise<void> {
    const [dev, allOptions] = [await devRun(), await allOptionsRun()];
    // --all also takes the stack outputs and the resources read with `.get`.
    const extra = (run: ProgramRun) =>
        every ? { outputs: run.outputs, secretOutputs: [...run.secretOutputs].sort(), reads: run.reads } : {};
    const dump = every
        ? { dev: { resources: releases(dev), ...extra(dev) }, allOptions: { resources: releases(allOptions), ...extra(allOptions) } }
        : { dev: releases(dev), allOptions: releases(allOptions) };
    // The checkout's path (local chart paths) as <root>, so two checkouts compare equal.
    process.stdout.write(JSON.stringify(sorted(dump), null, 2).split(ROOT).join("<root>") + "\n");
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
