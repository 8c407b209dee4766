import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ChartName, chartSpec } from "../catalog/charts";
import { StackConfig } from "../config";
import { publicEndpointValues } from "../catalog/endpoints";
import { imageValues } from "../catalog/images";
import { releaseFailureHook } from "./failures";
import { clusterEnvironment } from "../commands/shell";

/** A values tree whose leaves may be Outputs (credentials). */
export type Values = { [key: string]: ValueLeaf };
type ValueLeaf = pulumi.Input<string | number | boolean | null> | ValueLeaf[] | Values;

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v) && !pulumi.Output.isInstance(v);
}

/** Deep merge: maps merge key by key, anything else in `override` replaces `base`. */
export function deepMerge<T extends Record<string, unknown>>(base: T, override: Record<string, unknown> | undefined): T {
    if (!override) return base;
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(override)) {
        const b = out[k];
        out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
    }
    return out as T;
}

/** The same tree with every leaf (a list counts as one) made a secret. */
export function secretLeaves(values: Record<string, unknown>): Values {
    return Object.fromEntries(
        Object.entries(values).map(([k, v]) => [k, isPlainObject(v) ? secretLeaves(v) : pulumi.secret(v as ValueLeaf)]),
    ) as Values;
}

/** Every leaf path of a values tree, dotted (`volume.class_name`). */
export function valuePaths(values: Record<string, unknown>, prefix = ""): string[] {
    const paths: string[] = [];
    for (const [k, v] of Object.entries(values)) {
        const p = prefix ? `${prefix}.${k}` : k;
        if (isPlainObject(v) && Object.keys(v).length > 0) paths.push(...valuePaths(v, p));
        else paths.push(p);
    }
    return paths;
}

export interface ReleaseArgs {
    /** The chart (its wait mode comes from the chart catalog). */
    readonly chart: ChartName;
    /** Our values; the stack's chartValues for the chart are merged over them. */
    readonly values: Values;
    /** Helm's timeout, hooks included; the stack's helmTimeoutSeconds when absent. */
    readonly timeoutSeconds?: number;
}

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
    cfg: StackConfig,
    chart: ChartName,
): Pick<k8s.helm.v3.ReleaseArgs, "chart" | "version" | "repositoryOpts" | "dependencyUpdate" | "description"> {
    const src = cfg.charts.source;
    if (src.kind === "local") {
        // The seed's way: a checkout whose charts reach helm-toolkit as file://../helm-toolkit;
        // dependencyUpdate does `helm dependency build` when charts/ lacks it.
        return {
            chart: `${src.path}/${chart}`,
            dependencyUpdate: true,
            description: `chart files sha256:${localChartDigest(src.path, chart)}`,
        };
    }
    return { chart, version: cfg.charts.versions[chart], repositoryOpts: { repo: src.repository } };
}

/** What each release was told to wait for (its dependsOn), for the destroy-order markers. */
const releaseDependsOn = new WeakMap<k8s.helm.v3.Release, readonly pulumi.Input<pulumi.Resource>[]>();

/** The resources a release was created to wait for (its dependsOn). */
export function dependsOnOf(release: k8s.helm.v3.Release): readonly pulumi.Input<pulumi.Resource>[] {
    const deps = releaseDependsOn.get(release);
    if (!deps) throw new Error("not a release made by osRelease");
    return deps;
}

/**
 * One openstack-helm release, named after its chart, in the OpenStack namespace. When Helm fails
 * it, an error hook (components/releaseFailures.ts) adds each failed Job of the release and its
 * log's tail to the error.
 */
export function osRelease(
    cfg: StackConfig,
    namespace: pulumi.Input<string>,
    args: ReleaseArgs,
    opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
    const wait = chartSpec(args.chart).wait;
    const extra = cfg.charts.values[args.chart];
    // Every routed API's public host, scheme and port, in each chart that has its endpoint type.
    const ours = deepMerge(
        args.values as Record<string, unknown>,
        publicEndpointValues(args.chart, cfg.exposure.apis, cfg.exposure.scheme),
    );
    // The images last: they already count chartValues' images.tags, and the images output lists them.
    const merged = deepMerge(
        deepMerge(ours, extra && cfg.charts.valuesSecret ? secretLeaves(extra) : extra),
        imageValues(args.chart, cfg.images),
    );
    const onError = releaseFailureHook(args.chart, namespace, clusterEnvironment(cfg.kubeconfig, cfg.kubeContext));
    const release = new k8s.helm.v3.Release(
        args.chart,
        {
            name: args.chart,
            namespace,
            ...chartRef(cfg, args.chart),
            // The tree as it is: only the credential leaves are secrets, so a preview shows
            // `replicas: 1 => 3` and a rotated password as [secret] => [secret].
            values: merged,
            skipAwait: wait === "hooks",
            waitForJobs: wait === "ready",
            timeout: args.timeoutSeconds ?? cfg.charts.timeoutSeconds,
            // Hooks must run (they create databases, users and endpoints).
            disableWebhooks: false,
            maxHistory: 10,
        },
        // Options only: the hook changes neither the release's URN nor its inputs.
        { ...opts, hooks: { ...opts.hooks, onError: [...(opts.hooks?.onError ?? []), onError] } },
    );
    const d = opts.dependsOn;
    releaseDependsOn.set(release, d === undefined ? [] : Array.isArray(d) ? d : [d as pulumi.Input<pulumi.Resource>]);
    return release;
}
