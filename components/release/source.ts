// Where a release's chart comes from: the repository at its version, or a local checkout whose
// files' digest stands in for the version a checkout never bumps.
import * as k8s from "@pulumi/kubernetes";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ChartName } from "../catalog/charts";
import { ChartSource } from "../config";

/** Files of a chart directory, relative and sorted, without what `helm dependency build` writes. */
function chartFiles(dir: string, rel = ""): string[] {
    return fs
        .readdirSync(path.join(dir, rel), { withFileTypes: true })
        .filter((e) => !(rel === "" && (e.name === "charts" || e.name === "Chart.lock")))
        .flatMap((e) => {
            const p = rel ? `${rel}/${e.name}` : e.name;
            return e.isDirectory() ? chartFiles(dir, p) : [p];
        })
        .sort();
}

/**
 * A digest of a local chart's files and of the helm-toolkit it renders with. A checkout never
 * bumps Chart.yaml's version, which is all the Release compares of a chart: carrying the digest
 * in the release's description makes an edited template an update of that release.
 */
export function localChartDigest(checkout: string, chart: string): string {
    const hash = createHash("sha256");
    for (const dir of [chart, "helm-toolkit"]) {
        for (const file of chartFiles(path.join(checkout, dir))) {
            hash.update(`${dir}/${file}\0`)
                .update(fs.readFileSync(path.join(checkout, dir, file)))
                .update("\0");
        }
    }
    return hash.digest("hex").slice(0, 16);
}

/** The chart reference (repository + pinned version, or a local checkout). */
export function chartRef(
    src: ChartSource,
    versions: Readonly<Record<ChartName, string>>,
    chart: ChartName,
): Pick<k8s.helm.v3.ReleaseArgs, "chart" | "version" | "repositoryOpts" | "dependencyUpdate" | "description"> {
    if (src.kind === "local") {
        // The seed's way: a checkout whose charts reach helm-toolkit as file://../helm-toolkit;
        // dependencyUpdate does `helm dependency build` when charts/ lacks it.
        return {
            chart: `${src.path}/${chart}`,
            dependencyUpdate: true,
            description: `chart files sha256:${localChartDigest(src.path, chart)}`,
        };
    }
    return { chart, version: versions[chart], repositoryOpts: { repo: src.repository } };
}
