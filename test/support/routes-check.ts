// The public endpoints of one program run (under mocks): for every API the stack installs, the
// public URL its chart will register, derived from the values the chart receives the way
// helm-toolkit renders it, must be a routed host whose route leads to the chart's Service.
import assert from "node:assert/strict";
import { ChartName } from "../../components/catalog/charts";
import { PUBLIC_APIS, chartReadsEndpoint } from "../../components/catalog/endpoints";
import { loadGraph } from "../harness/dependency-graph";
import { ProgramRun, byType, get, release } from "./program-fixture";

const graph = loadGraph();

/** helm-toolkit's keystone_endpoint_uri_lookup for the public interface, from a chart's values. */
export function registeredPublicUrl(values: unknown, endpoint: string, portName: string, path: string): string {
    const e = `endpoints.${endpoint}`;
    const host = get(values, `${e}.host_fqdn_override.public.host`);
    const scheme = get(values, `${e}.scheme.public`);
    const port = String(get(values, `${e}.port.${portName}.public`));
    assert.ok(host && scheme && port !== "undefined", `${e}: public host, scheme and port are set`);
    const defaultPort = (scheme === "http" && port === "80") || (scheme === "https" && port === "443");
    return `${scheme}://${host}${defaultPort ? "" : `:${port}`}${path}`;
}

/** The routes of a run: host -> backend Service name and port (Ingresses or HTTPRoutes). */
export function routedHosts(run: ProgramRun): Map<string, { service: string; port: number; tls: boolean }> {
    const routes = new Map<string, { service: string; port: number; tls: boolean }>();
    for (const ing of byType(run, "kubernetes:networking.k8s.io/v1:Ingress")) {
        for (const rule of ing.inputs.spec.rules) {
            const b = rule.http.paths[0].backend.service;
            const tls = (ing.inputs.spec.tls ?? []).some((t: { hosts: string[] }) => t.hosts.includes(rule.host));
            routes.set(rule.host, { service: b.name, port: b.port.number, tls });
        }
    }
    for (const r of byType(run, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")) {
        const b = r.inputs.spec.rules[0].backendRefs[0];
        for (const host of r.inputs.spec.hostnames) routes.set(host, { service: b.name, port: b.port, tls: false });
    }
    return routes;
}

/** Asserts the routes and every chart's public endpoint values of one run. */
export function assertPublicEndpoints(run: ProgramRun, charts: readonly ChartName[], scheme: "http" | "https"): void {
    const routes = routedHosts(run);
    const apis = PUBLIC_APIS.filter((a) => charts.includes(a.chart));
    assert.deepEqual(Object.keys(run.outputs.publicEndpoints).sort(), apis.map((a) => a.service).sort());
    assert.equal(routes.size, apis.length, "one route per API");
    for (const api of apis) {
        const url = registeredPublicUrl(release(run, api.chart).inputs.values, api.endpoint, api.portName, api.path);
        assert.equal(run.outputs.publicEndpoints[api.service], url, `${api.service}: the output is what the chart registers`);
        assert.ok(url.startsWith(`${scheme}://`) && !/:\d+\//.test(url.replace(/^\w+:\/\//, "")), `${url}: ${scheme}, no port`);
        const host = new URL(url.replace("%(project_id)s", "p")).hostname;
        const route = routes.get(host);
        assert.ok(route, `${api.service}: ${host} is routed`);
        assert.deepEqual({ name: route.service, port: route.port }, api.backend, `${host} leads to ${api.chart}'s API Service`);
        assert.ok(
            graph.nodes.some((n) => n.kind === "Service" && n.chart === api.chart && n.name === api.backend.name),
            `${api.chart} creates Service ${api.backend.name}`,
        );
        // Every other chart with this endpoint type renders the same public URL (nova reads glance's).
        for (const chart of charts.filter((c) => c !== api.chart && chartReadsEndpoint(c, api.endpoint))) {
            const other = registeredPublicUrl(release(run, chart).inputs.values, api.endpoint, api.portName, api.path);
            assert.equal(other, url, `${chart} renders ${api.service}'s public URL as its chart does`);
        }
    }
}
