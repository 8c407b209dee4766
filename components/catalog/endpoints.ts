// The public endpoint of every OpenStack API the stack installs: one host per API, from which
// both the route (Ingress or HTTPRoute) and every chart's `endpoints.<type>` public override are
// made, so the catalog, the services' own config and the routes cannot disagree.
import { ChartName, DEFAULT_CHART_VERSIONS } from "./charts";
import { pinnedInventory } from "./inventory";

/** A routed API: facts of the chart that serves it, at the pinned versions. */
export interface PublicApi {
    /** The name the config and outputs use (`publicHosts.<service>`), and the default host's first label. */
    readonly service: PublicService;
    /** The chart's endpoint type (`endpoints.<type>` in every chart's values). */
    readonly endpoint: string;
    /** The chart that serves it (and registers it in the catalog). */
    readonly chart: ChartName;
    /** The key of its port under `endpoints.<type>.port`. */
    readonly portName: string;
    /** The Service the chart creates for it: the route's backend. */
    readonly backend: { readonly name: string; readonly port: number };
    /** The path the chart registers after the host (`endpoints.<type>.path.default`). */
    readonly path: string;
}

export const PUBLIC_SERVICES = [
    "keystone",
    "glance",
    "nova",
    "novncproxy",
    "neutron",
    "placement",
    "cinder",
    "heat",
    "heat-cfn",
    "horizon",
] as const;
export type PublicService = (typeof PUBLIC_SERVICES)[number];

/** Every API the program can route, from the charts' values at the pinned commit. */
export const PUBLIC_APIS: readonly PublicApi[] = [
    {
        service: "keystone",
        endpoint: "identity",
        chart: "keystone",
        portName: "api",
        backend: { name: "keystone-api", port: 5000 },
        path: "/v3",
    },
    { service: "glance", endpoint: "image", chart: "glance", portName: "api", backend: { name: "glance-api", port: 9292 }, path: "" },
    { service: "nova", endpoint: "compute", chart: "nova", portName: "api", backend: { name: "nova-api", port: 8774 }, path: "/v2.1/" },
    {
        service: "novncproxy",
        endpoint: "compute_novnc_proxy",
        chart: "nova",
        portName: "novnc_proxy",
        backend: { name: "nova-novncproxy", port: 6080 },
        path: "/vnc_auto.html",
    },
    {
        service: "neutron",
        endpoint: "network",
        chart: "neutron",
        portName: "api",
        backend: { name: "neutron-server", port: 9696 },
        path: "",
    },
    {
        service: "placement",
        endpoint: "placement",
        chart: "placement",
        portName: "api",
        backend: { name: "placement-api", port: 8778 },
        path: "/",
    },
    { service: "cinder", endpoint: "volumev3", chart: "cinder", portName: "api", backend: { name: "cinder-api", port: 8776 }, path: "/v3" },
    {
        service: "heat",
        endpoint: "orchestration",
        chart: "heat",
        portName: "api",
        backend: { name: "heat-api", port: 8004 },
        path: "/v1/%(project_id)s",
    },
    {
        service: "heat-cfn",
        endpoint: "cloudformation",
        chart: "heat",
        portName: "api",
        backend: { name: "heat-cfn", port: 8000 },
        path: "/v1",
    },
    { service: "horizon", endpoint: "dashboard", chart: "horizon", portName: "web", backend: { name: "horizon-int", port: 80 }, path: "" },
];

/** The catalog entry (service type and name) each API's chart registers; the console proxy and the dashboard have none. */
export const CATALOG_ENTRIES: Readonly<Partial<Record<PublicService, { readonly type: string; readonly name: string }>>> = {
    keystone: { type: "identity", name: "keystone" },
    glance: { type: "image", name: "glance" },
    nova: { type: "compute", name: "nova" },
    neutron: { type: "network", name: "neutron" },
    placement: { type: "placement", name: "placement" },
    cinder: { type: "volumev3", name: "cinderv3" },
    heat: { type: "orchestration", name: "heat" },
    "heat-cfn": { type: "cloudformation", name: "heat-cfn" },
};

/** How the public endpoints are reached: plain HTTP on 80, or TLS terminated at the route on 443. */
export interface PublicScheme {
    readonly scheme: "http" | "https";
    readonly port: 80 | 443;
}

/** A routed API of this stack, with its public host. */
export interface RoutedApi extends PublicApi {
    readonly host: string;
}

/** The public URL a chart registers for `api`: helm-toolkit leaves out the port when it is the scheme's default. */
export function publicUrl(api: RoutedApi, s: PublicScheme): string {
    return `${s.scheme}://${api.host}${api.path}`;
}

/** Whether a chart's values (its inventory at the pinned version) have a path. */
export function chartHasPath(chart: ChartName, dotted: string): boolean {
    const inventory = pinnedInventory(chart, DEFAULT_CHART_VERSIONS[chart]);
    return inventory !== undefined && dotted in inventory.paths;
}

/** Whether a chart has an endpoint type in its values (so it may render that API's public URL). */
export function chartReadsEndpoint(chart: ChartName, endpoint: string): boolean {
    return chartHasPath(chart, `endpoints.${endpoint}.host_fqdn_override`);
}

/**
 * The `endpoints` values that make a chart render every routed API's public URL on its host:
 * for each routed API whose endpoint type the chart has (nova has glance's, neutron has nova's),
 * the host override, the scheme and the public port.
 */
export function publicEndpointValues(chart: ChartName, apis: readonly RoutedApi[], s: PublicScheme): Record<string, unknown> {
    const endpoints: Record<string, unknown> = {};
    for (const api of apis) {
        if (!chartReadsEndpoint(chart, api.endpoint)) continue;
        endpoints[api.endpoint] = {
            host_fqdn_override: { public: { host: api.host } },
            scheme: { public: s.scheme },
            port: { [api.portName]: { public: s.port } },
        };
    }
    return Object.keys(endpoints).length > 0 ? { endpoints } : {};
}
