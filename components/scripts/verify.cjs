// The cloud answers: run by the Verification component after the readiness check, with the
// admin credentials the stack generated, through the public Keystone URL. Talks to the
// OpenStack APIs directly (node:http/https), so it needs nothing but Node on the machine that
// runs Pulumi. Prints one JSON document (per check: ok, detail, milliseconds) and exits 1 when a
// check failed, naming the check, the URL and the answer. Never prints a password or a token.
//
// Environment:
//   VERIFY_PLAN     JSON: authUrl, region, admin {username, project, userDomain, projectDomain},
//                   namespace, services [{service, type, name, publicUrl, backend}],
//                   users [{name, project, domain}], agents [{type, host}], computeHosts [..],
//                   resolve {"host:port": "address:port"}
//   VERIFY_SECRETS  JSON: adminPassword, users {name: password}
//   KUBE_CONTEXT    kubeconfig context (optional; KUBECONFIG as usual), to tell simulated nodes
"use strict";
const http = require("node:http");
const https = require("node:https");
const { execFileSync } = require("node:child_process");

const plan = JSON.parse(process.env.VERIFY_PLAN);
const secrets = JSON.parse(process.env.VERIFY_SECRETS);
const TIMEOUT_MS = 20000;

/** An HTTP request; a host in `plan.resolve` is connected to at the address given (like curl --resolve). */
function request(url, { method = "GET", headers = {}, body } = {}) {
    const u = new URL(url);
    const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
    const target = (plan.resolve || {})[`${u.hostname}:${port}`] || (plan.resolve || {})[u.hostname];
    // An IPv6 address comes in brackets, as in a URL.
    const [address, targetPort] = target
        ? [target.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1"), Number(target.split(":").pop())]
        : [u.hostname, port];
    const lib = u.protocol === "https:" ? https : http;
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
        const req = lib.request(
            {
                host: address,
                port: targetPort,
                servername: u.hostname,
                path: `${u.pathname}${u.search}`,
                method,
                headers: {
                    Host: u.host,
                    Accept: "application/json",
                    ...(data ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) } : {}),
                    ...headers,
                },
                timeout: TIMEOUT_MS,
            },
            (res) => {
                let text = "";
                res.setEncoding("utf8");
                res.on("data", (c) => (text += c));
                res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text }));
            },
        );
        req.on("timeout", () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000}s`)));
        req.on("error", (e) => reject(new Error(`${method} ${url}: ${e.message}${target ? ` (connected to ${target})` : ""}`)));
        if (data) req.write(data);
        req.end();
    });
}

/** What an answer said, short and without anything secret (Keystone never echoes a password). */
const answer = (r) => `${r.status} ${r.text.replace(/\s+/g, " ").slice(0, 200)}`;

async function token(user, password, project, userDomain, projectDomain) {
    const url = `${plan.authUrl.replace(/\/$/, "")}/auth/tokens`;
    const r = await request(url, {
        method: "POST",
        body: {
            auth: {
                identity: { methods: ["password"], password: { user: { name: user, domain: { name: userDomain }, password } } },
                scope: { project: { name: project, domain: { name: projectDomain } } },
            },
        },
    });
    if (r.status !== 201) throw new Error(`POST ${url} as ${user}: ${answer(r)}`);
    return { token: r.headers["x-subject-token"], catalog: JSON.parse(r.text).token.catalog || [] };
}

/**
 * kwok's simulated nodes run no process: an API whose pods all run on one, or an agent or
 * nova-compute on one, cannot answer, so its check skips, saying so. A real node (a kubelet's)
 * among them runs what is scheduled there: what runs on it is checked.
 */
function kubectlJson(args) {
    const ctx = process.env.KUBE_CONTEXT ? ["--context", process.env.KUBE_CONTEXT] : [];
    const out = execFileSync("kubectl", [...ctx, ...args, "-o", "json"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return JSON.parse(out).items;
}
let simulated, allSimulated;
/** The names of the cluster's kwok nodes (none when kubectl cannot say: then everything is checked). */
function simulatedNodes() {
    if (simulated) return simulated;
    try {
        const nodes = kubectlJson(["get", "nodes"]);
        const fake = nodes.filter((n) => (n.metadata.annotations || {})["kwok.x-k8s.io/node"] === "fake");
        simulated = new Set(fake.map((n) => n.metadata.name));
        allSimulated = nodes.length > 0 && fake.length === nodes.length;
    } catch {
        simulated = new Set();
    }
    return simulated;
}
const onSimulatedNode = (host) => [...simulatedNodes()].some((n) => sameHost(n, host));
/**
 * Whether every ready endpoint of the API's Service is a pod on a kwok node, or every node is one.
 * An API with no endpoint on a cluster with a real node is checked, and fails as it should.
 */
function servedOnlyBySimulatedNodes(service) {
    if (simulatedNodes().size === 0) return false;
    if (allSimulated) return true;
    if (!service.backend) return false;
    try {
        const slices = kubectlJson(["-n", plan.namespace, "get", "endpointslices", "-l", `kubernetes.io/service-name=${service.backend}`]);
        const nodes = slices.flatMap((s) => (s.endpoints || []).filter((e) => (e.conditions || {}).ready !== false).map((e) => e.nodeName));
        return nodes.length > 0 && nodes.every((n) => n && simulatedNodes().has(n));
    } catch {
        return false;
    }
}
const KWOK = "kwok simulated node";

const results = [];
async function check(name, fn) {
    const t0 = Date.now();
    try {
        const detail = await fn();
        results.push({ check: name, ok: true, detail, ms: Date.now() - t0 });
    } catch (e) {
        results.push({ check: name, ok: false, detail: e.message, ms: Date.now() - t0 });
    }
}
/** Agents and nova-compute register the node's FQDN by default (pod.use_fqdn): compare short names. */
const sameHost = (a, b) => String(a).split(".")[0] === String(b).split(".")[0];
const skip = (name, reason) => results.push({ check: name, ok: true, skipped: true, detail: reason, ms: 0 });

/** The root of an API (its version document) from a catalog URL: the path up to any %(..)s template. */
const versionRoot = (url) => url.replace(/\/?%\(.*$/, "").replace(/\/v[0-9.]+\/?$/, "/");

async function main() {
    let admin;
    await check("token", async () => {
        const a = plan.admin;
        admin = await token(a.username, secrets.adminPassword, a.project, a.userDomain, a.projectDomain);
        return `admin token from ${plan.authUrl}`;
    });
    if (!admin) return;
    const catalog = admin.catalog;
    const publicUrl = {};
    await check("catalog", async () => {
        const problems = [];
        for (const s of plan.services) {
            const entry = catalog.find((c) => c.type === s.type && c.name === s.name);
            if (!entry) {
                problems.push(`${s.name} (${s.type}) is not in the catalog`);
                continue;
            }
            for (const iface of ["public", "internal", "admin"]) {
                const e = entry.endpoints.find((x) => x.interface === iface && (x.region_id === plan.region || x.region === plan.region));
                if (!e) {
                    problems.push(`${s.name} (${s.type}) has no ${iface} endpoint in ${plan.region}`);
                    continue;
                }
                if (iface !== "public") continue;
                publicUrl[s.service] = e.url;
                const want = new URL(s.publicUrl.replace(/%\(.*$/, ""));
                const got = new URL(e.url.replace(/%\(.*$/, ""));
                if (got.protocol !== want.protocol || got.host !== want.host) {
                    problems.push(`${s.name} (${s.type}) public endpoint ${e.url} is not on the routed ${want.protocol}//${want.host}`);
                }
            }
        }
        if (problems.length) throw new Error(`${plan.authUrl}: ${problems.join("; ")}`);
        return `${plan.services.length} services with public, internal and admin endpoints in ${plan.region}, public ones on the routed hosts`;
    });
    await check("users", async () => {
        const failed = [];
        for (const u of plan.users) {
            try {
                await token(u.name, secrets.users[u.name], u.project, u.domain, u.domain);
            } catch (e) {
                failed.push(e.message);
            }
        }
        if (failed.length) throw new Error(failed.join("; "));
        return `${plan.users.length} service users log in with their own passwords: ${plan.users.map((u) => u.name).join(", ")}`;
    });
    const authed = { headers: { "X-Auth-Token": admin.token } };
    const onKwok = plan.services.filter(servedOnlyBySimulatedNodes);
    const apis = plan.services.filter((s) => !onKwok.includes(s));
    const skippedApis = onKwok.length ? `; skipped, served only by pods on a ${KWOK}: ${onKwok.map((s) => s.service).join(", ")}` : "";
    if (apis.length === 0) {
        skip("apis", `skipped: every API is served only by pods on a ${KWOK}, so no API process answers behind the routes`);
    } else {
        await check("apis", async () => {
            const bad = [];
            for (const s of apis) {
                const url = versionRoot(publicUrl[s.service] || s.publicUrl);
                const r = await request(url).catch((e) => ({ status: 0, text: e.message }));
                if (![200, 300, 401].includes(r.status)) bad.push(`GET ${url}: ${answer(r)}`);
            }
            if (bad.length) throw new Error(bad.join("; "));
            return `${apis.length} public APIs answer their version document: ${apis.map((s) => s.service).join(", ")}${skippedApis}`;
        });
    }
    const agents = plan.agents.filter((a) => !onSimulatedNode(a.host));
    const computeHosts = plan.computeHosts.filter((h) => !onSimulatedNode(h));
    const kwokHosts = (hosts) => `skipped: ${[...new Set(hosts)].join(", ")} ${hosts.length === 1 ? "is a" : "are"} ${KWOK}${hosts.length === 1 ? "" : "s"}`;
    if (agents.length === 0 && plan.agents.length > 0) skip("network-agents", kwokHosts(plan.agents.map((a) => a.host)));
    else
        await check("network-agents", async () => {
            if (!publicUrl.neutron) throw new Error("no public neutron endpoint in the catalog");
            const url = `${publicUrl.neutron.replace(/\/$/, "")}/v2.0/agents`;
            const r = await request(url, authed);
            if (r.status !== 200) throw new Error(`GET ${url}: ${answer(r)}`);
            const alive = JSON.parse(r.text).agents;
            const missing = agents.filter((w) => !alive.some((a) => a.agent_type === w.type && sameHost(a.host, w.host) && a.alive));
            if (missing.length) throw new Error(`GET ${url}: not alive: ${missing.map((m) => `${m.type} on ${m.host}`).join(", ")}`);
            return `${agents.length} agents alive`;
        });
    if (computeHosts.length === 0 && plan.computeHosts.length > 0) skip("compute-services", kwokHosts(plan.computeHosts));
    else
        await check("compute-services", async () => {
            if (!publicUrl.nova) throw new Error("no public nova endpoint in the catalog");
            const url = `${publicUrl.nova.replace(/%\(.*$/, "").replace(/\/$/, "")}/os-services?binary=nova-compute`;
            const r = await request(url, authed);
            if (r.status !== 200) throw new Error(`GET ${url}: ${answer(r)}`);
            const services = JSON.parse(r.text).services;
            const down = computeHosts.filter((h) => !services.some((s) => sameHost(s.host, h) && s.state === "up" && s.status === "enabled"));
            if (down.length) throw new Error(`GET ${url}: nova-compute not up on ${down.join(", ")}`);
            return `nova-compute up on ${computeHosts.join(", ")}`;
        });
}

main()
    .catch((e) => results.push({ check: "verification", ok: false, detail: e.message, ms: 0 }))
    .finally(() => {
        process.stdout.write(`${JSON.stringify({ checks: results })}\n`);
        const failed = results.filter((r) => !r.ok);
        for (const f of failed) process.stderr.write(`verification check ${f.check} failed: ${f.detail}\n`);
        process.exitCode = failed.length ? 1 : 0;
    });
