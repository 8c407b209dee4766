// The one place that reads and validates the stack config. Every other module takes a
// StackConfig; nothing else calls `new pulumi.Config()`.
//
// loadConfig() checks every key, collects every problem and throws one ConfigError naming each
// key and its fix, so a bad stack fails before anything is changed.
import { CHARTS, ChartName, DEFAULT_CHART_VERSIONS, installedCharts } from "../catalog/charts";
import { imageSettings } from "../catalog/images";
import { chartsSection } from "./charts";
import { clusterSection, nodesSection } from "./cluster";
import { DEFAULTS } from "./defaults";
import { exposureSection } from "./exposure";
import { ConfigError, ConfigReader, readers } from "./readers";
import { computeSection, networkSection, replicasSection, verificationSection } from "./services";
import { dnsSection, storageSection } from "./storage";
import { NodeRole, StackConfig } from "./types";

// `./components/config` stays the one import for the rest of the program.
export { CHARTS, DEFAULT_CHART_VERSIONS };
export type { ChartName };
export * from "./types";
export * from "./defaults";
export * from "./keystoneAdmin";
export { ConfigError, keyWarning, problem } from "./readers";
export type { ConfigReader } from "./readers";
export { checkMinuteSchedule } from "./storage";

/** Reads and validates the whole stack config once. Throws ConfigError listing every problem. */
export function loadConfig(reader: ConfigReader): StackConfig {
    const problems: string[] = [];
    const warnings: string[] = [];
    const r = readers(reader, problems);
    const cluster = clusterSection(r);
    const nodes = nodesSection(r);
    const controlCount = nodes.filter((n) => n.roles.includes("control")).length;
    const optional = {
        cinder: r.bool("enableCinder", DEFAULTS.enableCinder),
        horizon: r.bool("enableHorizon", DEFAULTS.enableHorizon),
        heat: r.bool("enableHeat", DEFAULTS.enableHeat),
    };
    const installed = installedCharts(optional);
    const charts = chartsSection(r, warnings, installed);
    const storage = storageSection(r, cluster.kubeContext);
    const images = imageSettings(
        r,
        { source: charts.source, versions: charts.versions, installed, chartValues: charts.values, refresherImage: storage.refresherImage },
        DEFAULT_CHART_VERSIONS,
        warnings,
    );
    const config = Object.freeze({
        ...cluster,
        nodes,
        storage,
        dns: dnsSection(r),
        charts,
        replicas: replicasSection(r, controlCount),
        ...exposureSection(r, cluster.domain, installed),
        image: { bootstrap: r.bool("glanceBootstrap", DEFAULTS.glanceBootstrap) },
        compute: computeSection(r),
        network: networkSection(r),
        optional,
        readinessTimeoutSeconds: r.int("readinessTimeoutSeconds", DEFAULTS.readinessTimeoutSeconds, 60, 14400),
        verification: verificationSection(r),
        images,
        warnings,
    });
    if (problems.length > 0) throw new ConfigError(problems);
    return config;
}

/** Node names with a role, in config order. */
export function nodesWithRole(cfg: Pick<StackConfig, "nodes">, role: NodeRole): string[] {
    return cfg.nodes.filter((n) => n.roles.includes(role)).map((n) => n.name);
}

/**
 * Nodes that need `openvswitch=enabled`: every compute node (libvirt, nova-compute) and every
 * control node (the neutron DHCP/L3/metadata agents), since each waits for an OVS agent on its node.
 */
export function openvswitchNodes(cfg: Pick<StackConfig, "nodes">): string[] {
    return cfg.nodes.map((n) => n.name);
}
