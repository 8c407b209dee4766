// One openstack-helm release: our values, the public endpoints, the user's overrides and the images
// merged, the chart source, and the error hook. A factory made once in index.ts from the settings
// every release shares; the layers get the factory, never the stack config.
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ChartName, chartSpec } from "../catalog/charts";
import { PublicScheme, RoutedApi, publicEndpointValues } from "../catalog/endpoints";
import { ImageSettings, imageValues } from "../catalog/images";
import { ChartSource, StackConfig } from "../config";
import { deleteOrderMarker } from "./destroyOrder";
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

/** What every release shares: where it goes, where its chart comes from, and what is merged into its values. */
export interface ReleaseSettings {
    /** The namespace every release is installed in. */
    readonly namespace: pulumi.Input<string>;
    /** The chart source: the repository, or a local checkout. */
    readonly source: ChartSource;
    /** Each chart's version (in the repository). */
    readonly versions: Readonly<Record<ChartName, string>>;
    /** The user's chartValues, merged over ours. */
    readonly overrides: Readonly<Partial<Record<ChartName, Record<string, unknown>>>>;
    /** Whether the user's chartValues were set as a secret (then every leaf of them is one). */
    readonly overridesSecret: boolean;
    /** Helm's timeout when a release names none. */
    readonly timeoutSeconds: number;
    /** Every routed API, with its public host. */
    readonly publicApis: readonly RoutedApi[];
    /** The public scheme and port. */
    readonly scheme: PublicScheme;
    /** The image rewrites and the pull Secret. */
    readonly images: ImageSettings;
    /** The environment kubectl runs with in the error hook (KUBECONFIG, KUBE_CONTEXT). */
    readonly environment: Record<string, string>;
}

/** The settings of the stack's releases, read from its config: the one place the factory sees it. */
export function releaseSettings(cfg: StackConfig, namespace: pulumi.Input<string>, environment: Record<string, string>): ReleaseSettings {
    return {
        namespace,
        source: cfg.charts.source,
        versions: cfg.charts.versions,
        overrides: cfg.charts.values,
        overridesSecret: cfg.charts.valuesSecret,
        timeoutSeconds: cfg.charts.timeoutSeconds,
        publicApis: cfg.exposure.apis,
        scheme: cfg.exposure.scheme,
        images: cfg.images,
        environment,
    };
}

export interface ReleaseFactory {
    /**
     * One openstack-helm release, named after its chart, in the OpenStack namespace. When Helm fails
     * it, an error hook (components/release/failures.ts) adds each failed Job of the release and its
     * log's tail to the error.
     */
    release(args: ReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release;
    /** A destroy-order marker (destroyOrder.ts) at the depth of what the needed releases were made to wait for. */
    deleteOrderMarker(name: string, needs: readonly k8s.helm.v3.Release[], opts: pulumi.CustomResourceOptions): command.local.Command;
}

export function releaseFactory(settings: ReleaseSettings): ReleaseFactory {
    // What each release was told to wait for (its dependsOn), for the destroy-order markers.
    const dependsOn = new Map<k8s.helm.v3.Release, readonly pulumi.Input<pulumi.Resource>[]>();
    const dependsOnOf = (release: k8s.helm.v3.Release) => {
        const deps = dependsOn.get(release);
        if (!deps) throw new Error("not a release made by this factory");
        return deps;
    };
    return {
        release(args, opts) {
            const release = osRelease(settings, args, opts);
            const d = opts.dependsOn;
            dependsOn.set(release, d === undefined ? [] : Array.isArray(d) ? d : [d as pulumi.Input<pulumi.Resource>]);
            return release;
        },
        deleteOrderMarker: (name, needs, opts) =>
            deleteOrderMarker(
                name,
                needs.flatMap((n) => [...dependsOnOf(n)]),
                opts,
            ),
    };
}

function osRelease(settings: ReleaseSettings, args: ReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    const wait = chartSpec(args.chart).wait;
    const extra = settings.overrides[args.chart];
    // Every routed API's public host, scheme and port, in each chart that has its endpoint type.
    const ours = deepMerge(args.values as Record<string, unknown>, publicEndpointValues(args.chart, settings.publicApis, settings.scheme));
    // The images last: they already count chartValues' images.tags, and the images output lists them.
    const merged = deepMerge(
        deepMerge(ours, extra && settings.overridesSecret ? secretLeaves(extra) : extra),
        imageValues(args.chart, settings.images),
    );
    const onError = releaseFailureHook(args.chart, settings.namespace, settings.environment);
    return new k8s.helm.v3.Release(
        args.chart,
        {
            name: args.chart,
            namespace: settings.namespace,
            ...chartRef(settings.source, settings.versions, args.chart),
            // The tree as it is: only the credential leaves are secrets, so a preview shows
            // `replicas: 1 => 3` and a rotated password as [secret] => [secret].
            values: merged,
            skipAwait: wait === "hooks",
            waitForJobs: wait === "ready",
            timeout: args.timeoutSeconds ?? settings.timeoutSeconds,
            // Hooks must run (they create databases, users and endpoints).
            disableWebhooks: false,
            maxHistory: 10,
        },
        // Options only: the hook changes neither the release's URN nor its inputs.
        { ...opts, hooks: { ...opts.hooks, onError: [...(opts.hooks?.onError ?? []), onError] } },
    );
}
