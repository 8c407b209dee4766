// One openstack-helm release: our values, the public endpoints, the user's overrides and the images
// merged, the chart source, and the error hook.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ChartName, chartSpec } from "../catalog/charts";
import { publicEndpointValues } from "../catalog/endpoints";
import { imageValues } from "../catalog/images";
import { clusterEnvironment } from "../commands/kubectl";
import { StackConfig } from "../config";
import { releaseFailureHook } from "./failures";
import { chartRef } from "./source";
import { Values, deepMerge, secretLeaves } from "./valueTree";

export interface ReleaseArgs {
    /** The chart (its wait mode comes from the chart catalog). */
    readonly chart: ChartName;
    /** Our values; the stack's chartValues for the chart are merged over them. */
    readonly values: Values;
    /** Helm's timeout, hooks included; the stack's helmTimeoutSeconds when absent. */
    readonly timeoutSeconds?: number;
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
 * it, an error hook (components/release/failures.ts) adds each failed Job of the release and its
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
