// Rendering the fixture charts with `helm template`, for the tests that check what they render
// (fixture-waits.test.ts, fixture-endpoints.test.ts).
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as yaml from "js-yaml";
import { FIXTURE_CHARTS } from "../harness/dependency-graph";

function findHelm(): string | undefined {
    const cache = process.env.OSH_PULUMI_CACHE ?? path.join(os.homedir(), ".cache/openstack-helm-pulumi");
    const candidates = [path.join(cache, "bin/helm"), ...(process.env.PATH ?? "").split(path.delimiter).map((d) => path.join(d, "helm"))];
    return candidates.find((p) => {
        try {
            fs.accessSync(p, fs.constants.X_OK);
            return fs.statSync(p).isFile();
        } catch {
            return false;
        }
    });
}
const helm = findHelm();

/** A `describe` skip reason when Helm is missing, else false. */
export const skipWithoutHelm = helm
    ? false
    : "helm is neither on PATH nor in ~/.cache/openstack-helm-pulumi/bin: the rendered fixtures are not checked";

/**
 * A copy of the fixture charts in a temporary directory, with helm-toolkit unpacked into each
 * chart's charts/ (what a dependency build resolves). Remove it when done.
 */
export function fixtureCopy(prefix: string, charts: readonly string[]): string {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.cpSync(FIXTURE_CHARTS, work, { recursive: true, filter: (src) => !/[/\\](charts|Chart\.lock)$/.test(src) });
    for (const chart of charts)
        fs.cpSync(path.join(work, "helm-toolkit"), path.join(work, chart, "charts", "helm-toolkit"), { recursive: true });
    return work;
}

const run = promisify(execFile);

/**
 * A fixture copy and renders of it, started at once (call it as the test file loads): the unit
 * files share one process (test/unit/all.ts), so Helm renders in child processes while the files
 * before run their tests. The `before` hook awaits `rendered`; the copy goes in `after`.
 */
export function renderEarly<T>(
    prefix: string,
    charts: readonly string[],
    render: (work: string) => Promise<T>,
): { work: string; rendered: Promise<T> } {
    const work = fixtureCopy(prefix, charts);
    const rendered = render(work);
    // Awaited by the hook, which reports a failure; until then it is not unhandled.
    rendered.catch(() => undefined);
    return { work, rendered };
}

/** The objects `helm template` renders for a chart of the copy, release named after the chart. */
export async function renderChart<T extends { kind: string }>(
    work: string,
    chart: string,
    namespace: string,
    values: object,
): Promise<T[]> {
    const file = path.join(work, `${chart}-${namespace}-values.json`);
    fs.writeFileSync(file, JSON.stringify(values));
    const { stdout } = await run(helm!, ["template", chart, path.join(work, chart), "--namespace", namespace, "-f", file], {
        maxBuffer: 64 << 20,
    });
    return (yaml.loadAll(stdout) as T[]).filter((o) => o && o.kind);
}
