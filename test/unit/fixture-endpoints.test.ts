// The fixture charts carry the real charts' endpoints (each endpoint type's name, hosts,
// host_fqdn_override, path, scheme and port at the pinned commit) and build from them what the real
// charts build: the catalog URLs of the ks-endpoints Jobs, the ks-service and ks-user Jobs' env,
// the Keystone Secrets those read, and the API Services. The URL rules are written out here a
// second time, from the real helm-toolkit's behaviour, and the rendered charts are checked against them.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { renderChart, renderEarly, skipWithoutHelm } from "../support/fixture-render";
import * as yaml from "js-yaml";
import { FIXTURE_CHARTS } from "../harness/dependency-graph";

type Tree = Record<string, any>;
const isMap = (v: unknown): v is Tree => typeof v === "object" && v !== null && !Array.isArray(v);
function merge(base: Tree, over: Tree | undefined): Tree {
    const out: Tree = { ...base };
    for (const [k, v] of Object.entries(over ?? {})) out[k] = isMap(out[k]) && isMap(v) ? merge(out[k], v) : v;
    return out;
}

const CHARTS = ["keystone", "glance", "placement", "nova", "neutron", "cinder", "heat", "horizon"];
const INTERFACES = ["admin", "internal", "public"];
const valuesOf = (chart: string, over?: Tree): Tree =>
    merge(yaml.load(fs.readFileSync(path.join(FIXTURE_CHARTS, chart, "values.yaml"), "utf8")) as Tree, over);

/** What each chart's ks-service/ks-endpoints register and its ks-user creates, with the fixtures' defaults (the real job templates' lists). */
const REGISTERS: Record<string, { types: string[]; users: string[] }> = {
    glance: { types: ["image"], users: ["glance"] },
    placement: { types: ["placement"], users: ["placement"] },
    nova: { types: ["compute"], users: ["nova", "neutron", "placement", "cinder", "service"] },
    neutron: { types: ["network"], users: ["neutron", "nova", "placement"] },
    cinder: { types: ["volumev3"], users: ["cinder", "nova", "swift", "service"] },
    heat: { types: ["orchestration", "cloudformation"], users: ["heat", "heat_trustee"] },
};

/** Each API's Service in the real charts: its endpoint type, chart, name, port name, port key under endpoints.<type>.port, and port. */
const SERVICES = [
    { type: "identity", chart: "keystone", name: "keystone-api", portName: "ks-pub", portKey: "api", port: 5000, service: "keystone" },
    { type: "image", chart: "glance", name: "glance-api", portName: "g-api", portKey: "api", port: 9292, service: "glance" },
    { type: "placement", chart: "placement", name: "placement-api", portName: "p-api", portKey: "api", port: 8778, service: "placement" },
    { type: "compute", chart: "nova", name: "nova-api", portName: "n-api", portKey: "api", port: 8774, service: "nova" },
    {
        type: "compute_metadata",
        chart: "nova",
        name: "nova-metadata",
        portName: "n-meta",
        portKey: "metadata",
        port: 8775,
        service: "nova",
    },
    {
        type: "compute_novnc_proxy",
        chart: "nova",
        name: "nova-novncproxy",
        portName: "n-novnc",
        portKey: "novnc_proxy",
        port: 6080,
        service: "nova",
    },
    { type: "network", chart: "neutron", name: "neutron-server", portName: "q-api", portKey: "api", port: 9696, service: "neutron" },
    { type: "volumev3", chart: "cinder", name: "cinder-api", portName: "c-api", portKey: "api", port: 8776, service: "cinderv3" },
    { type: "orchestration", chart: "heat", name: "heat-api", portName: "h-api", portKey: "api", port: 8004, service: "heat" },
    { type: "cloudformation", chart: "heat", name: "heat-cfn", portName: "h-cfn", portKey: "api", port: 8000, service: "heat-cfn" },
    { type: "dashboard", chart: "horizon", name: "horizon-int", portName: "web", portKey: "web", port: 80, service: "horizon" },
];

// --- The URL rules of the real helm-toolkit's endpoint lookups, written out independently.

/** Go templates' `default`: a missing, empty or zero value falls through. */
const or = (...vs: unknown[]) => vs.find((v) => v !== undefined && v !== null && v !== "" && v !== 0 && v !== false);
const endpointOf = (values: Tree, type: string): Tree => values.endpoints?.[type.replace(/-/g, "_")] ?? {};
const byInterface = (m: unknown, iface: string) => (isMap(m) ? or(m[iface], m.default) : m);
const hostField = (v: unknown) => (isMap(v) ? v.host : v);
const IPV4 = /[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/;

function rawHost(values: Tree, type: string, iface: string): string {
    const hosts = endpointOf(values, type).hosts ?? {};
    return String(hostField(or(hosts[iface], hosts.default)));
}
/** The Service name behind an endpoint (the type when the host is an address). */
function shortHost(values: Tree, type: string, iface: string): string {
    const host = rawHost(values, type, iface);
    return IPV4.test(host) ? type : host;
}
function fqdn(values: Tree, namespace: string, type: string, iface: string): string {
    const host = rawHost(values, type, iface);
    if (IPV4.test(host)) return host;
    const ep = endpointOf(values, type);
    const overrides = ep.host_fqdn_override ?? {};
    const inCluster = `${host}.${or(ep.namespace, namespace)}.svc.${or(values.endpoints?.cluster_domain_suffix, "cluster.local")}`;
    return String(or(hostField(overrides[iface]), hostField(overrides.default), inCluster));
}
function portOf(values: Tree, type: string, iface: string, portKey: string): number {
    const port = Number(byInterface(endpointOf(values, type).port?.[portKey], iface));
    assert.ok(port > 0, `endpoints.${type}.port.${portKey}: no port for ${iface}`);
    return port;
}
function endpointUrl(values: Tree, namespace: string, type: string, iface: string, portKey = "api"): string {
    const ep = endpointOf(values, type);
    const scheme = String(or(byInterface(ep.scheme, iface), "http"));
    const port = portOf(values, type, iface, portKey);
    const urlPath = String(or(byInterface(ep.path, iface)) ?? "");
    const bare = (scheme === "http" && port === 80) || (scheme === "https" && port === 443);
    return `${scheme}://${fqdn(values, namespace, type, iface)}${bare ? "" : `:${port}`}${urlPath}`;
}

describe("fixture values: the real charts' endpoints", () => {
    it("gives each API the real chart's service name, hosts and ports", () => {
        for (const s of SERVICES) {
            const values = valuesOf(s.chart);
            const ep = endpointOf(values, s.type);
            assert.equal(ep.name, s.service, `${s.chart}: endpoints.${s.type}.name`);
            assert.equal(shortHost(values, s.type, "internal"), s.name, `${s.chart}: endpoints.${s.type} internal host`);
            assert.equal(portOf(values, s.type, "internal", s.portKey), s.port, `${s.chart}: endpoints.${s.type} internal port`);
            assert.equal(ep.host_fqdn_override?.default, null, `${s.chart}: endpoints.${s.type}.host_fqdn_override.default`);
        }
    });

    it("agrees between the charts on where each endpoint is inside the cluster (host and port; paths may differ)", () => {
        const hostPort = (values: Tree, s: (typeof SERVICES)[number]) =>
            `${fqdn(values, "ns", s.type, "internal")}:${portOf(values, s.type, "internal", s.portKey)}`;
        for (const s of SERVICES) {
            const owner = valuesOf(s.chart);
            for (const chart of CHARTS.filter((c) => c !== s.chart && valuesOf(c).endpoints?.[s.type])) {
                const other = valuesOf(chart);
                assert.equal(hostPort(other, s), hostPort(owner, s), `${chart}: endpoints.${s.type}`);
                assert.equal(endpointOf(other, s.type).name, s.service, `${chart}: endpoints.${s.type}.name`);
            }
        }
    });

    it("computes URLs by the real rules", () => {
        const v = (ep: Tree) => ({ endpoints: { cluster_domain_suffix: "cluster.local", x: ep } });
        const port = { api: { default: 9000, public: 80 } };
        assert.equal(
            endpointUrl(v({ hosts: { default: "x-api", public: "x" }, port }), "ns", "x", "internal"),
            "http://x-api.ns.svc.cluster.local:9000",
        );
        assert.equal(
            endpointUrl(v({ hosts: { default: "x-api", public: "x" }, port }), "ns", "x", "public"),
            "http://x.ns.svc.cluster.local",
        );
        const https = {
            hosts: { default: "x-api" },
            host_fqdn_override: { public: { host: "x.example.com" } },
            scheme: { public: "https" },
        };
        assert.equal(
            endpointUrl(v({ ...https, port: { api: { default: 9000, public: 443 } } }), "ns", "x", "public"),
            "https://x.example.com",
        );
        assert.equal(
            endpointUrl(v({ ...https, port: { api: { default: 9000, public: 80 } } }), "ns", "x", "public"),
            "https://x.example.com:80",
        );
        assert.equal(endpointUrl(v({ hosts: { default: "10.1.2.3" }, port, path: "/v1" }), "ns", "x", "admin"), "http://10.1.2.3:9000/v1");
        assert.equal(shortHost(v({ hosts: { default: "10.1.2.3" } }), "x", "internal"), "x");
    });
});

// --- The rendered charts.

interface K8sObject {
    kind: string;
    metadata: { name: string; labels?: Record<string, string> };
    spec?: any;
    data?: Record<string, string>;
}
const POD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job"]);
const envOf = (c: any): Record<string, any> => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
const decode = (s: string) => Buffer.from(s, "base64").toString("utf8");

/** Values a deployment would set: public hosts behind https on 443, and other forms of each rule. */
const OVERRIDES: Record<string, Tree> = {
    keystone: {
        endpoints: {
            identity: {
                host_fqdn_override: { public: { host: "keystone.example.com" } },
                scheme: { public: "https" },
                port: { api: { public: 443 } },
            },
        },
    },
    glance: {
        endpoints: {
            image: {
                host_fqdn_override: { public: { host: "images.example.com" } },
                scheme: { public: "https" },
                port: { api: { public: 443 } },
            },
        },
    },
    nova: { endpoints: { compute: { port: { api: { public: 8080 } } } } },
    neutron: { endpoints: { network: { namespace: "networking", hosts: { admin: "10.0.0.7" } } } },
    heat: {
        endpoints: {
            orchestration: { scheme: "https", host_fqdn_override: { default: "heat.internal.example" }, port: { api: { public: 8443 } } },
            cloudformation: { host_fqdn_override: { public: "cfn.example.com" } },
        },
    },
};

/** A password per Keystone user of each chart, to follow from endpoints.identity.auth into the Secrets. */
const passwordsOf = (chart: string): Record<string, string> =>
    Object.fromEntries(["admin", ...(REGISTERS[chart]?.users ?? [])].map((u) => [u, `${chart}-${u}-pw`]));
const withPasswords = (chart: string, over: Tree = {}): Tree =>
    merge(over, {
        endpoints: {
            identity: { auth: Object.fromEntries(Object.entries(passwordsOf(chart)).map(([u, password]) => [u, { password }])) },
        },
    });

describe("rendered fixtures: catalog URLs, Keystone Jobs, Secrets and Services", { skip: skipWithoutHelm }, () => {
    /** Per render: chart -> objects. */
    const plain = new Map<string, K8sObject[]>();
    const overridden = new Map<string, K8sObject[]>();
    const early = skipWithoutHelm
        ? undefined
        : renderEarly("fixture-endpoints-", CHARTS, (w) =>
              Promise.all([
                  Promise.all(CHARTS.map((c) => renderChart<K8sObject>(w, c, "openstack", withPasswords(c)))),
                  Promise.all(CHARTS.map((c) => renderChart<K8sObject>(w, c, "osh", OVERRIDES[c] ?? {}))),
              ]),
          );
    const work = early?.work ?? "";

    before(async () => {
        const [a, b] = await early!.rendered;
        CHARTS.forEach((c, i) => {
            plain.set(c, a[i]);
            overridden.set(c, b[i]);
        });
    });
    after(() => work && fs.rmSync(work, { recursive: true, force: true }));

    const job = (objs: K8sObject[], name: string) => {
        const o = objs.find((x) => x.kind === "Job" && x.metadata.name === name);
        assert.ok(o, `no Job ${name}`);
        return o.spec.template.spec.containers as any[];
    };

    function checkEndpoints(objs: K8sObject[], chart: string, namespace: string, values: Tree): Map<string, string> {
        const urls = new Map<string, string>();
        const containers = job(objs, `${chart}-ks-endpoints`);
        const types = REGISTERS[chart].types;
        assert.deepEqual(
            containers.map((c) => c.name),
            types.flatMap((t) => INTERFACES.map((i) => `${t}-ks-endpoints-${i}`)),
            `${chart}-ks-endpoints containers`,
        );
        for (const c of containers) {
            const [, type, iface] = /^(.+)-ks-endpoints-(\w+)$/.exec(c.name)!;
            const env = envOf(c);
            assert.deepEqual(c.command, ["true"], c.name);
            assert.equal(env.OS_SVC_ENDPOINT, iface, c.name);
            assert.equal(env.OS_SERVICE_TYPE, type, c.name);
            assert.equal(env.OS_SERVICE_NAME, endpointOf(values, type).name, c.name);
            assert.equal(env.OS_SERVICE_ENDPOINT, endpointUrl(values, namespace, type, iface), `${chart} ${c.name}`);
            urls.set(`${type} ${iface}`, env.OS_SERVICE_ENDPOINT);
        }
        return urls;
    }

    it("registers each endpoint with the URL the rules give for the chart's values", () => {
        const all = new Map<string, string>();
        for (const chart of Object.keys(REGISTERS))
            for (const [k, v] of checkEndpoints(plain.get(chart)!, chart, "openstack", valuesOf(chart, withPasswords(chart))))
                all.set(k, v);
        assert.equal(all.get("image internal"), "http://glance-api.openstack.svc.cluster.local:9292");
        assert.equal(all.get("image public"), "http://glance.openstack.svc.cluster.local", "http on 80: no port");
        assert.equal(all.get("compute admin"), "http://nova-api.openstack.svc.cluster.local:8774/v2.1/", "admin: hosts.default");
        assert.equal(all.get("compute public"), "http://nova.openstack.svc.cluster.local/v2.1/");
        assert.equal(all.get("compute internal"), "http://nova-api.openstack.svc.cluster.local:8774/v2.1/");
        assert.equal(all.get("placement internal"), "http://placement-api.openstack.svc.cluster.local:8778/");
        assert.equal(all.get("volumev3 public"), "http://cinder.openstack.svc.cluster.local/v3");
        assert.equal(all.get("orchestration internal"), "http://heat-api.openstack.svc.cluster.local:8004/v1/%(project_id)s");
        assert.equal(all.get("cloudformation public"), "http://cloudformation.openstack.svc.cluster.local/v1");
    });

    it("follows host_fqdn_override, scheme, port, namespace and address hosts as the real charts do", () => {
        const urls = new Map<string, string>();
        for (const chart of Object.keys(REGISTERS))
            for (const [k, v] of checkEndpoints(overridden.get(chart)!, chart, "osh", valuesOf(chart, OVERRIDES[chart]))) urls.set(k, v);
        assert.equal(urls.get("image public"), "https://images.example.com", "https on 443: no port");
        assert.equal(urls.get("image internal"), "http://glance-api.osh.svc.cluster.local:9292");
        assert.equal(urls.get("compute public"), "http://nova.osh.svc.cluster.local:8080/v2.1/");
        assert.equal(urls.get("network admin"), "http://10.0.0.7:9696");
        assert.equal(urls.get("network internal"), "http://neutron-server.networking.svc.cluster.local:9696");
        assert.equal(urls.get("orchestration internal"), "https://heat.internal.example:8004/v1/%(project_id)s");
        assert.equal(urls.get("orchestration public"), "https://heat.internal.example:8443/v1/%(project_id)s");
        assert.equal(urls.get("cloudformation public"), "http://cfn.example.com/v1", "http on 80: no port");
    });

    it("bootstraps Keystone's own endpoints from the same rules (keystone-db-sync)", () => {
        const urls = (objs: K8sObject[]) => envOf(job(objs, "keystone-db-sync")[0]);
        const byDefault = urls(plain.get("keystone")!);
        assert.equal(byDefault.OS_BOOTSTRAP_ADMIN_URL, "http://keystone.openstack.svc.cluster.local/v3");
        assert.equal(byDefault.OS_BOOTSTRAP_INTERNAL_URL, "http://keystone-api.openstack.svc.cluster.local:5000/v3");
        assert.equal(byDefault.OS_BOOTSTRAP_PUBLIC_URL, "http://keystone.openstack.svc.cluster.local/v3");
        const values = valuesOf("keystone", OVERRIDES.keystone);
        const over = urls(overridden.get("keystone")!);
        for (const iface of INTERFACES)
            assert.equal(over[`OS_BOOTSTRAP_${iface.toUpperCase()}_URL`], endpointUrl(values, "osh", "identity", iface), iface);
        assert.equal(over.OS_BOOTSTRAP_PUBLIC_URL, "https://keystone.example.com/v3");
    });

    it("registers each service type with its name (ks-service)", () => {
        for (const [chart, { types }] of Object.entries(REGISTERS)) {
            const containers = job(plain.get(chart)!, `${chart}-ks-service`);
            assert.deepEqual(
                containers.map((c) => c.name),
                types.map((t) => `${t}-ks-service-registration`),
            );
            for (const [i, c] of containers.entries()) {
                assert.equal(envOf(c).OS_SERVICE_TYPE, types[i]);
                assert.equal(envOf(c).OS_SERVICE_NAME, endpointOf(valuesOf(chart), types[i]).name);
            }
        }
    });

    it("creates each service user from its own Secret, with its roles (ks-user)", () => {
        for (const [chart, { users }] of Object.entries(REGISTERS)) {
            const values = valuesOf(chart);
            const containers = job(plain.get(chart)!, `${chart}-ks-user`);
            assert.deepEqual(
                containers.map((c) => c.name),
                users.map((u) => `${u.replace(/_/g, "-")}-ks-user`),
            );
            for (const [i, c] of containers.entries()) {
                const env = envOf(c);
                const secret = values.secrets.identity[users[i]];
                assert.equal(env.SERVICE_OS_SERVICE_NAME, chart);
                assert.equal(env.SERVICE_OS_ROLES, values.endpoints.identity.auth[users[i]].role, c.name);
                for (const v of ["REGION_NAME", "PROJECT_DOMAIN_NAME", "PROJECT_NAME", "USER_DOMAIN_NAME", "USERNAME", "PASSWORD"])
                    assert.deepEqual(
                        env[`SERVICE_OS_${v}`],
                        { secretKeyRef: { name: secret, key: `OS_${v}` } },
                        `${c.name} SERVICE_OS_${v}`,
                    );
            }
        }
    });

    it("gives every Keystone Job the admin's openrc from the chart's keystone-admin Secret", () => {
        const vars = [
            "AUTH_URL",
            "REGION_NAME",
            "INTERFACE",
            "PROJECT_DOMAIN_NAME",
            "PROJECT_NAME",
            "USER_DOMAIN_NAME",
            "USERNAME",
            "PASSWORD",
        ];
        for (const chart of Object.keys(REGISTERS)) {
            const admin = valuesOf(chart).secrets.identity.admin;
            assert.equal(admin, `${chart}-keystone-admin`);
            for (const name of ["ks-service", "ks-endpoints", "ks-user"].map((j) => `${chart}-${j}`)) {
                for (const c of job(plain.get(chart)!, name)) {
                    const env = envOf(c);
                    assert.equal(env.OS_IDENTITY_API_VERSION, "3", c.name);
                    for (const v of vars)
                        assert.deepEqual(env[`OS_${v}`], { secretKeyRef: { name: admin, key: `OS_${v}` } }, `${name} ${c.name} OS_${v}`);
                    assert.deepEqual(env.OS_ENDPOINT_TYPE, { secretKeyRef: { name: admin, key: "OS_INTERFACE" } });
                }
            }
        }
    });

    it("renders every Secret a container reads, with the key it reads", () => {
        for (const [chart, objs] of [...plain.entries(), ...overridden.entries()]) {
            const secrets = new Map(objs.filter((o) => o.kind === "Secret").map((o) => [o.metadata.name, o.data ?? {}]));
            for (const o of objs.filter((x) => POD_KINDS.has(x.kind))) {
                const spec = o.spec.template.spec;
                for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
                    for (const e of c.env ?? []) {
                        const ref = e.valueFrom?.secretKeyRef;
                        if (!ref) continue;
                        const where = `${chart}: ${o.kind}/${o.metadata.name} ${c.name} ${e.name}`;
                        assert.ok(secrets.has(ref.name), `${where}: no Secret ${ref.name}`);
                        assert.ok(ref.key in secrets.get(ref.name)!, `${where}: Secret ${ref.name} has no ${ref.key}`);
                    }
                }
            }
        }
    });

    it("puts the passwords the program passes in endpoints.identity.auth into those Secrets", () => {
        for (const chart of Object.keys(REGISTERS)) {
            const objs = plain.get(chart)!;
            const values = valuesOf(chart, withPasswords(chart));
            const data = (name: string) => objs.find((o) => o.kind === "Secret" && o.metadata.name === name)?.data ?? {};
            for (const [user, password] of Object.entries(passwordsOf(chart))) {
                const secret = data(values.secrets.identity[user]);
                assert.equal(decode(secret.OS_PASSWORD ?? ""), password, `${chart} ${user}`);
                assert.equal(decode(secret.OS_USERNAME ?? ""), values.endpoints.identity.auth[user].username, `${chart} ${user}`);
                assert.equal(
                    decode(secret.OS_AUTH_URL ?? ""),
                    "http://keystone-api.openstack.svc.cluster.local:5000/v3",
                    `${chart} ${user}`,
                );
            }
        }
        const stackUser = plain.get("heat")!.find((o) => o.kind === "Secret" && o.metadata.name === "heat-keystone-stack-user")!;
        assert.deepEqual(Object.keys(stackUser.data!).sort(), [
            "OS_AUTH_URL",
            "OS_DOMAIN_NAME",
            "OS_PASSWORD",
            "OS_REGION_NAME",
            "OS_USERNAME",
        ]);
    });

    it("serves each API on a Service named after the endpoint's internal host, on its internal port", () => {
        for (const [objs, namespace, overrides] of [
            [plain, "openstack", {}],
            [overridden, "osh", OVERRIDES],
        ] as const) {
            for (const s of SERVICES) {
                const values = valuesOf(s.chart, (overrides as Record<string, Tree>)[s.chart]);
                const rendered = objs.get(s.chart)!;
                const svc = rendered.find((o) => o.kind === "Service" && o.metadata.name === shortHost(values, s.type, "internal"));
                assert.ok(svc, `${namespace}: no Service ${shortHost(values, s.type, "internal")} for endpoints.${s.type}`);
                assert.equal(svc.metadata.name, s.name);
                assert.deepEqual(
                    svc.spec.ports.map((p: any) => [p.name, p.port]),
                    [[s.portName, portOf(values, s.type, "internal", s.portKey)]],
                    `Service ${s.name}`,
                );
                assert.equal(svc.spec.ports[0].port, s.port);
                if (namespace === "openstack") {
                    // With no override, the catalog's internal URL is this Service's in-cluster name and port.
                    const url = new URL(endpointUrl(values, namespace, s.type, "internal", s.portKey));
                    assert.equal(url.hostname, `${s.name}.${namespace}.svc.cluster.local`);
                    assert.equal(Number(url.port || 80), s.port);
                }
                const pods = rendered.filter(
                    (o) =>
                        POD_KINDS.has(o.kind) &&
                        Object.entries(svc.spec.selector).every(([k, v]) => o.spec.template.metadata.labels[k] === v),
                );
                assert.equal(pods.length, 1, `Service ${s.name} selects ${pods.map((p) => p.metadata.name).join(", ") || "nothing"}`);
            }
        }
    });
});
