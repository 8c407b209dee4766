// The verification script (components/scripts/verify.cjs) against a stand-in Keystone and a
// stand-in kubectl: what runs only on kwok's simulated nodes skips, naming them; what a real node
// serves is checked, through the resolve map as the routes are.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOT } from "../support/program-fixture";

const SCRIPT = path.join(ROOT, "components/scripts/verify.cjs");
const DOMAIN = "verify.test";
const TOKEN = "tok-123";

interface Check {
    check: string;
    ok: boolean;
    skipped?: boolean;
    detail: string;
}

/** Keystone's token and catalog, Nova's services, every API's version document; `down` answer 503. */
function cloud(down: Set<string>) {
    const endpoints = (host: string, p: string) =>
        ["public", "internal", "admin"].map((i) => ({ interface: i, region_id: "RegionOne", url: `http://${host}${p}` }));
    const catalog = [
        { type: "identity", name: "keystone", endpoints: endpoints(`keystone.${DOMAIN}`, "/v3") },
        { type: "compute", name: "nova", endpoints: endpoints(`nova.${DOMAIN}`, "/v2.1/%(tenant_id)s") },
    ];
    return http.createServer((req, res) => {
        const host = String(req.headers.host).split(".")[0];
        if (down.has(host)) {
            res.writeHead(503).end("down");
        } else if (req.method === "POST" && req.url === "/v3/auth/tokens") {
            res.writeHead(201, { "X-Subject-Token": TOKEN, "Content-Type": "application/json" });
            res.end(JSON.stringify({ token: { catalog } }));
        } else if (req.url?.startsWith("/v2.1/os-services")) {
            const ok = req.headers["x-auth-token"] === TOKEN;
            res.writeHead(ok ? 200 : 401).end(JSON.stringify({ services: [{ host: "osh-node", state: "up", status: "enabled" }] }));
        } else {
            res.writeHead(300).end("{}");
        }
    });
}

/** A kubectl that answers `get nodes` and `get endpointslices -l kubernetes.io/service-name=X` from a table. */
function standInKubectl(dir: string, nodes: { name: string; kwok: boolean }[], slices: Record<string, string[]>): string {
    const items = nodes.map((n) => ({
        metadata: { name: n.name, annotations: n.kwok ? { "kwok.x-k8s.io/node": "fake" } : {} },
    }));
    const bySvc = Object.fromEntries(
        Object.entries(slices).map(([svc, on]) => [
            svc,
            [{ endpoints: on.map((nodeName) => ({ nodeName, conditions: { ready: true } })) }],
        ]),
    );
    fs.writeFileSync(path.join(dir, "answers.json"), JSON.stringify({ nodes: items, slices: bySvc }));
    const bin = path.join(dir, "kubectl");
    fs.writeFileSync(
        bin,
        `#!/usr/bin/env node
const a = require(${JSON.stringify(path.join(dir, "answers.json"))});
const args = process.argv.slice(2);
const label = args[args.indexOf("-l") + 1] || "";
const items = args.includes("nodes") ? a.nodes : a.slices[label.replace("kubernetes.io/service-name=", "")] || [];
process.stdout.write(JSON.stringify({ items }));
`,
        { mode: 0o755 },
    );
    return dir;
}

function verify(port: number, binDir: string, computeHosts: string[]): Promise<{ code: number; checks: Check[]; stderr: string }> {
    const resolve = Object.fromEntries(["keystone", "nova"].map((s) => [`${s}.${DOMAIN}:80`, `127.0.0.1:${port}`]));
    const plan = {
        authUrl: `http://keystone.${DOMAIN}/v3`,
        region: "RegionOne",
        admin: { username: "admin", project: "admin", userDomain: "default", projectDomain: "default" },
        namespace: "openstack",
        services: [
            { service: "keystone", type: "identity", name: "keystone", publicUrl: `http://keystone.${DOMAIN}/v3`, backend: "keystone-api" },
            { service: "nova", type: "compute", name: "nova", publicUrl: `http://nova.${DOMAIN}/v2.1/`, backend: "nova-api" },
        ],
        users: [],
        agents: [{ type: "Open vSwitch agent", host: "k1" }],
        computeHosts,
        resolve,
    };
    const child = spawn(process.execPath, [SCRIPT], {
        env: {
            PATH: `${binDir}:${process.env.PATH}`,
            VERIFY_PLAN: JSON.stringify(plan),
            VERIFY_SECRETS: JSON.stringify({ adminPassword: "pw", users: {} }),
        },
    });
    let out = "";
    let stderr = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (stderr += d));
    return new Promise((resolveRun) =>
        child.on("close", (code) => resolveRun({ code: code ?? -1, checks: (JSON.parse(out) as { checks: Check[] }).checks, stderr })),
    );
}

describe("the verification with kwok nodes and a real node", () => {
    const down = new Set<string>();
    const server = cloud(down);
    let port = 0;
    let tmp = "";
    before(async () => {
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        port = (server.address() as { port: number }).port;
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "verify-"));
    });
    after(() => {
        server.close();
        fs.rmSync(tmp, { recursive: true, force: true });
    });
    const byName = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.check, c]));
    const nodes = [
        { name: "k1", kwok: true },
        { name: "osh-node", kwok: false },
    ];

    it("checks the API a real node serves, skips the one only kwok pods serve and the agents and computes on kwok nodes", async () => {
        const bin = standInKubectl(fs.mkdtempSync(path.join(tmp, "a-")), nodes, { "keystone-api": ["osh-node"], "nova-api": ["k1"] });
        const r = await verify(port, bin, ["k1"]);
        const c = byName(r.checks);
        assert.equal(r.code, 0, r.stderr);
        for (const name of ["token", "catalog", "users"]) assert.ok(c[name].ok && !c[name].skipped, name);
        assert.ok(c.apis.ok && !c.apis.skipped);
        assert.match(
            c.apis.detail,
            /^1 public APIs answer their version document: keystone; skipped, served only by pods on a kwok simulated node: nova$/,
        );
        assert.ok(c["network-agents"].skipped);
        assert.equal(c["network-agents"].detail, "skipped: k1 is a kwok simulated node");
        assert.ok(c["compute-services"].skipped);
    });

    it("fails the API check when a real node's API does not answer, naming its URL", async () => {
        const bin = standInKubectl(fs.mkdtempSync(path.join(tmp, "b-")), nodes, { "keystone-api": ["osh-node"], "nova-api": ["osh-node"] });
        down.add("nova");
        try {
            const r = await verify(port, bin, ["osh-node"]);
            const c = byName(r.checks);
            assert.equal(r.code, 1);
            assert.ok(!c.apis.ok);
            assert.match(c.apis.detail, /GET http:\/\/nova\.verify\.test\/: 503 down/);
            assert.match(r.stderr, /verification check apis failed/);
            assert.ok(!c["compute-services"].skipped, "nova-compute on the real node is checked");
        } finally {
            down.delete("nova");
        }
    });

    it("skips every API, agent and compute when every node is a kwok node", async () => {
        const bin = standInKubectl(fs.mkdtempSync(path.join(tmp, "c-")), [{ name: "k1", kwok: true }], {});
        const r = await verify(port, bin, ["k1"]);
        const c = byName(r.checks);
        assert.equal(r.code, 0, r.stderr);
        for (const name of ["apis", "network-agents", "compute-services"]) {
            assert.ok(c[name].skipped, name);
            assert.match(c[name].detail, /kwok simulated node/);
        }
    });
});
