// The one chart catalog: every chart the program installs, with its pinned version, how Helm
// waits for it, the layer that installs it and the flag that turns it on. The layers, the
// preflight check, config validation and the tests all derive their chart lists from here.

/**
 * How Helm should treat a release:
 * - "ready": Helm waits for the chart's workloads and Jobs (charts with no post-install hook that
 *   its own pods wait for: mariadb, rabbitmq, memcached, openvswitch).
 * - "hooks": Helm runs and waits for the post-install hook Jobs but not for readiness. The
 *   OpenStack service charts do their work in those hooks and their pods wait for them, while
 *   Helm's --wait runs before the hooks: waiting would deadlock. libvirt/nova/neutron pods also
 *   wait for each other, so none of them may gate another on readiness.
 */
export type WaitMode = "ready" | "hooks";

/** The layer components that install charts. */
export type ChartLayer = "infra" | "identity" | "image" | "compute" | "network";

/** The config flags of the optional charts (`enableCinder`, …). */
export type OptionalChart = "cinder" | "horizon" | "heat";

export interface ChartSpec {
    /** Chart name, also the Helm release name and the Pulumi resource name. */
    readonly name: string;
    /**
     * Version pinned by default: what upstream's publish job names the charts built from commit
     * 0ee5adef (2026-08-20), `2026.1.<commits to the chart since 2026.1.0>+<sha>`.
     */
    readonly version: string;
    readonly wait: WaitMode;
    readonly layer: ChartLayer;
    /** Installed only when this optional part is enabled; always installed when absent. */
    readonly optional?: OptionalChart;
}

/** In upstream's install order. */
export const CHART_CATALOG = [
    { name: "mariadb", version: "2026.1.6+0ee5adeff", wait: "ready", layer: "infra" },
    { name: "rabbitmq", version: "2026.1.4+0ee5adeff", wait: "ready", layer: "infra" },
    { name: "memcached", version: "2026.1.1+0ee5adeff", wait: "ready", layer: "infra" },
    { name: "keystone", version: "2026.1.24+0ee5adeff", wait: "hooks", layer: "identity" },
    { name: "glance", version: "2026.1.22+0ee5adeff", wait: "hooks", layer: "image" },
    { name: "placement", version: "2026.1.15+0ee5adeff", wait: "hooks", layer: "compute" },
    { name: "openvswitch", version: "2026.1.2+0ee5adeff", wait: "ready", layer: "network" },
    { name: "libvirt", version: "2026.1.5+0ee5adeff", wait: "hooks", layer: "compute" },
    { name: "nova", version: "2026.1.27+0ee5adeff", wait: "hooks", layer: "compute" },
    { name: "neutron", version: "2026.1.35+0ee5adeff", wait: "hooks", layer: "network" },
    { name: "cinder", version: "2026.1.27+0ee5adeff", wait: "hooks", layer: "compute", optional: "cinder" },
    { name: "horizon", version: "2026.1.16+0ee5adeff", wait: "hooks", layer: "identity", optional: "horizon" },
    { name: "heat", version: "2026.1.21+0ee5adeff", wait: "hooks", layer: "compute", optional: "heat" },
] as const satisfies readonly ChartSpec[];

export type ChartName = (typeof CHART_CATALOG)[number]["name"];

/** The charts this program can install, in upstream's order. */
export const CHARTS: readonly ChartName[] = CHART_CATALOG.map((c) => c.name);

export const DEFAULT_CHART_VERSIONS = Object.freeze(
    Object.fromEntries(CHART_CATALOG.map((c) => [c.name, c.version])) as Record<ChartName, string>,
);

export function chartSpec(name: ChartName): ChartSpec {
    return CHART_CATALOG.find((c) => c.name === name)!;
}

/** The charts a stack installs, given which optional parts it enables. */
export function installedCharts(enabled: Readonly<Record<OptionalChart, boolean>>): ChartName[] {
    return CHART_CATALOG.filter((c: ChartSpec) => c.optional === undefined || enabled[c.optional]).map((c) => c.name);
}
