// How the APIs are reached (components/config/ exposure section, components/probes/cluster.ts,
// components/layers/routes.ts): the hosts per API, TLS, Ingress or Gateway API, and the cluster state a
// setting needs, refused before anything changes.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as k8s from "@pulumi/kubernetes";
import { ClusterProbe, clusterProblems } from "../../components/probes/cluster";
import { ConfigError, StackConfig, loadConfig } from "../../components/config";
import { PUBLIC_APIS, publicEndpointValues, publicUrl } from "../../components/catalog/endpoints";
import { publicRoutes } from "../../components/layers/routes";
import { installMocks, promiseOf, registered } from "../support/mocks";
import { devStackConfig, schemaDefaults } from "../support/program-fixture";

const reader = (values: Record<string, unknown>) => ({
    get: (k: string) =>
        values[k] === undefined ? undefined : typeof values[k] === "string" ? (values[k] as string) : JSON.stringify(values[k]),
});
const load = (extra: Record<string, unknown> = {}): StackConfig =>
    loadConfig(reader({ ...schemaDefaults(), ...devStackConfig(), ...extra }));
function problems(extra: Record<string, unknown>): string[] {
    try {
        load(extra);
    } catch (e) {
        assert.ok(e instanceof ConfigError);
        return [...e.problems];
    }
    assert.fail("accepted");
}
const named = (ps: string[], key: string) => ps.find((p) => p.startsWith(`openstack-helm-pulumi:${key}:`));

describe("public hosts", () => {
    it("gives every installed API <service>.<domain> over http on 80", () => {
        const cfg = load({ enableCinder: "true", enableHeat: "true", enableHorizon: "true" });
        assert.deepEqual(
            cfg.exposure.apis.map((a) => `${a.service}=${a.host}`),
            PUBLIC_APIS.map((a) => `${a.service}=${a.service}.citec.com`),
        );
        assert.deepEqual(cfg.exposure.scheme, { scheme: "http", port: 80 });
        assert.equal(load().exposure.apis.length, 6, "only the charts the stack installs");
    });

    it("takes an override per service, and keystonePublicHost for Keystone", () => {
        const cfg = load({ publicHosts: { glance: "images.example.org" }, keystonePublicHost: "id.example.org" });
        assert.equal(cfg.exposure.apis.find((a) => a.service === "glance")!.host, "images.example.org");
        assert.equal(cfg.identity.publicHost, "id.example.org");
    });

    it("refuses an unknown service, a bad host, two APIs on one host, and disagreeing Keystone hosts", () => {
        assert.match(
            named(problems({ publicHosts: { swift: "s.example.org" } }), "publicHosts.swift")!,
            /not a routed API.*keystone, glance/,
        );
        assert.match(named(problems({ publicHosts: { nova: "Not A Host" } }), "publicHosts.nova")!, /not a DNS name/);
        assert.match(named(problems({ publicHosts: { nova: "glance.citec.com" } }), "publicHosts.nova")!, /also glance's host/);
        // A host a disabled API would have is free to take.
        assert.equal(
            load({ publicHosts: { glance: "cinder.citec.com" } }).exposure.apis.find((a) => a.service === "glance")!.host,
            "cinder.citec.com",
        );
        const ps = problems({ publicHosts: { keystone: "a.example.org" }, keystonePublicHost: "b.example.org" });
        assert.match(named(ps, "keystonePublicHost")!, /disagree/);
    });
});

describe("TLS and the route kind", () => {
    it("with TLS, every public URL is https without a port, in the catalog values of every chart", () => {
        const cfg = load({ tlsSecretName: "public-tls" });
        assert.deepEqual(cfg.exposure.scheme, { scheme: "https", port: 443 });
        const glance = cfg.exposure.apis.find((a) => a.service === "glance")!;
        assert.equal(publicUrl(glance, cfg.exposure.scheme), "https://glance.citec.com");
        assert.deepEqual((publicEndpointValues("nova", cfg.exposure.apis, cfg.exposure.scheme) as any).endpoints.image, {
            host_fqdn_override: { public: { host: "glance.citec.com" } },
            scheme: { public: "https" },
            port: { api: { public: 443 } },
        });
    });

    it("refuses both TLS sources, TLS keys with a Gateway, and a Gateway mode without a Gateway", () => {
        assert.match(named(problems({ tlsSecretName: "a", tlsClusterIssuer: "b" }), "tlsSecretName")!, /both set/);
        const gw = { exposure: "gateway", gateway: { namespace: "infra", name: "public" } };
        assert.match(named(problems({ ...gw, tlsClusterIssuer: "b" }), "tlsClusterIssuer")!, /listener terminates TLS.*gatewayTls/);
        assert.match(named(problems({ exposure: "gateway" }), "gateway")!, /is required with exposure gateway/);
        assert.match(named(problems({ exposure: "gateway", gateway: { name: "x" } }), "gateway")!, /namespace, name/);
        assert.match(named(problems({ gatewayTls: "true" }), "gatewayTls")!, /applies to exposure gateway/);
        assert.deepEqual(load({ ...gw, gatewayTls: "true" }).exposure.scheme, { scheme: "https", port: 443 });
    });
});

describe("what the cluster must have (checked at preview)", () => {
    const probe =
        (present: string[]): ClusterProbe =>
        (args) =>
            present.includes(args.join(" ")) ? "found" : "missing";
    it("refuses a ClusterIssuer without cert-manager, naming the fix", () => {
        const cfg = load({ tlsClusterIssuer: "letsencrypt" });
        const { problems: ps } = clusterProblems(cfg, probe([]));
        assert.equal(ps.length, 1);
        assert.match(
            ps[0],
            /^openstack-helm-pulumi:tlsClusterIssuer: cert-manager is not installed.*Fix: install cert-manager, or .*tlsSecretName/,
        );
        assert.match(
            clusterProblems(cfg, probe(["customresourcedefinition clusterissuers.cert-manager.io"])).problems[0],
            /ClusterIssuer letsencrypt does not exist/,
        );
        const ok = probe(["customresourcedefinition clusterissuers.cert-manager.io", "clusterissuers.cert-manager.io letsencrypt"]);
        assert.deepEqual(clusterProblems(cfg, ok), { problems: [], warnings: [] });
    });

    it("refuses a Gateway mode without Gateway API or without the Gateway", () => {
        const cfg = load({ exposure: "gateway", gateway: { namespace: "infra", name: "public" } });
        assert.match(clusterProblems(cfg, probe([])).problems[0], /^openstack-helm-pulumi:exposure: the cluster has no Gateway API/);
        const crd = "customresourcedefinition httproutes.gateway.networking.k8s.io";
        assert.match(
            clusterProblems(cfg, probe([crd])).problems[0],
            /^openstack-helm-pulumi:gateway: Gateway infra\/public does not exist/,
        );
        assert.deepEqual(clusterProblems(cfg, probe([crd, "-n infra gateways.gateway.networking.k8s.io public"])).problems, []);
    });

    it("asks nothing of the cluster for plain Ingresses or an existing Secret, and warns when it cannot ask", () => {
        const never: ClusterProbe = () => assert.fail("no probe needed");
        assert.deepEqual(clusterProblems(load(), never), { problems: [], warnings: [] });
        assert.deepEqual(clusterProblems(load({ tlsSecretName: "public-tls" }), never), { problems: [], warnings: [] });
        const r = clusterProblems(load({ tlsClusterIssuer: "x" }), () => ({ error: "connection refused" }));
        assert.deepEqual(r.problems, []);
        assert.match(r.warnings[0], /could not check .*connection refused/);
    });
});

describe("the routes of one chart (under mocks)", () => {
    before(async () => {
        await installMocks({ ...schemaDefaults(), ...devStackConfig() });
    });
    const routesOf = async (cfg: StackConfig, prefix: string) => {
        const release = new k8s.helm.v3.Release(`${prefix}-nova`, { chart: "nova", namespace: "openstack" });
        const made = publicRoutes(prefix, cfg.exposure, "openstack", "nova", release, {});
        await Promise.all(made.map((r) => promiseOf(r.urn)));
        for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
        return registered.filter((r) => r.name.startsWith(`${prefix}-`) && r.type !== "kubernetes:helm.sh/v3:Release");
    };

    it("ingress with a ClusterIssuer: one Ingress per API, TLS on its host, the issuer annotated", async () => {
        const routes = await routesOf(load({ tlsClusterIssuer: "letsencrypt" }), "ci");
        assert.deepEqual(routes.map((r) => r.name).sort(), ["ci-nova-ingress", "ci-novncproxy-ingress"]);
        const nova = routes.find((r) => r.name === "ci-nova-ingress")!;
        assert.equal(nova.inputs.metadata.annotations["cert-manager.io/cluster-issuer"], "letsencrypt");
        assert.deepEqual(nova.inputs.spec.tls, [{ hosts: ["nova.citec.com"], secretName: "nova-public-tls" }]);
        assert.deepEqual(nova.inputs.spec.rules[0].http.paths[0].backend, { service: { name: "nova-api", port: { number: 8774 } } });
    });

    it("gateway: one HTTPRoute per API on the named Gateway and listener, to the chart's Service", async () => {
        const cfg = load({
            exposure: "gateway",
            gateway: { namespace: "infra", name: "public", sectionName: "https" },
            gatewayTls: "true",
        });
        const routes = await routesOf(cfg, "gw");
        assert.deepEqual(routes.map((r) => `${r.type} ${r.name}`).sort(), [
            "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute gw-nova-route",
            "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute gw-novncproxy-route",
        ]);
        const vnc = routes.find((r) => r.name === "gw-novncproxy-route")!;
        assert.deepEqual(vnc.inputs.spec.parentRefs, [
            { group: "gateway.networking.k8s.io", kind: "Gateway", namespace: "infra", name: "public", sectionName: "https" },
        ]);
        assert.deepEqual(vnc.inputs.spec.hostnames, ["novncproxy.citec.com"]);
        assert.deepEqual(vnc.inputs.spec.rules[0].backendRefs, [{ name: "nova-novncproxy", port: 6080 }]);
    });
});

describe("the verification's settings", () => {
    it("takes verifyResolve as host[:port] -> address:port, IPv6 in brackets, and refuses anything else", () => {
        const cfg = load({ verifyResolve: { "keystone.citec.com:80": "127.0.0.1:35000", "glance.citec.com": "[2001:db8::1]:80" } });
        assert.deepEqual(cfg.verification.resolve, { "keystone.citec.com:80": "127.0.0.1:35000", "glance.citec.com": "[2001:db8::1]:80" });
        assert.equal(cfg.verification.enabled, true);
        assert.match(
            named(problems({ verifyResolve: { "keystone.citec.com:80:x": "127.0.0.1:1" } }), "verifyResolve.keystone.citec.com:80:x")!,
            /not a host or host:port/,
        );
        assert.match(
            named(problems({ verifyResolve: { "keystone.citec.com": "127.0.0.1" } }), "verifyResolve.keystone.citec.com")!,
            /is not address:port/,
        );
        assert.equal(load({ verify: "false" }).verification.enabled, false);
    });
});
