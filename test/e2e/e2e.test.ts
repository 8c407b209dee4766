// End to end with the real Pulumi engine: `pulumi up` of the dev stack against the simulated
// cluster and the real local Ceph with the fixture charts, then `preview --expect-no-changes`,
// the monitor refresher against the live API, `pulumi destroy` and `pulumi stack rm`.
// Each phase prints its wall time; nothing here asserts on timings.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { poolCreateScript, poolDeleteScript, userCreateScript, userDeleteScript } from "../../components/commands/ceph";
import { installedCharts } from "../../components/catalog/charts";
import { ensureUser, issueToken, registerService, startKeystone } from "../harness/keystone";
import { jobEnvs, servicesToRegister, usersToRegister } from "./cluster-catalog";
import {
    MINUTE,
    NS,
    ROOT,
    SIM_DIR,
    WORK_DIR,
    ceph,
    cephStatus,
    exists,
    kubectl,
    ok,
    pinnedDevUrns,
    prepareFreshStack,
    run,
    secretData as data,
    stackUrns,
    stopSimulatorIfStarted,
    timed,
    timedAsync,
    timeline,
    timings,
    urlPassword,
} from "./stack";

const REFRESHER = path.join(ROOT, "components/scripts/update-ceph-config.sh");
/** The dev stack's charts: every chart of the catalog but the optional ones. */
const CHARTS = installedCharts({ cinder: false, horizon: false, heat: false });
/** The fixture charts as the stack installs them (deploy.sh copies them there). */
const CHARTS_DIR = path.join(WORK_DIR, "charts");
/** Whether this run started the simulator (then it stops it again; one already up stays up). */
let startedSimulator = false;
const jsonpath = (kind: string, name: string, p: string, ns = NS) => kubectl("-n", ns, "get", kind, name, "-o", `jsonpath=${p}`);

/** The real Keystone the verification runs against (started by the test that needs it). */
let keystone: { url: string; stop(): Promise<void> } | undefined;
const KEYSTONE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "osh-e2e-keystone-"));

interface Stall {
    pod: string;
    namespace: string;
    waitingFor: { kind: string; name?: string; labels?: Record<string, string> }[];
}
/** The simulator's stall report: pods waiting longer than OSH_SIM_STALL_S, each with what it waits for. */
function stalls(): Stall[] {
    const f = path.join(SIM_DIR, "stalls.json");
    return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, "utf8")) as Stall[]) : [];
}
/** Polls the stall report until a stalled pod matches `pod` (or fails after `seconds`). */
function awaitStall(ns: string, pod: RegExp, seconds = 120): Stall {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
        const found = stalls().find((s) => s.namespace === ns && pod.test(s.pod));
        if (found) return found;
        assert.ok(
            Date.now() < deadline,
            `no stall of ${pod} in ${ns} reported within ${seconds}s: ${JSON.stringify(stalls()).slice(0, 2000)}`,
        );
        spawnSync("sleep", ["2"]);
    }
}
const VALUES_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "osh-e2e-values-"));

/** The charts whose Release a preview would update (`~ kubernetes:helm.sh/v3:Release: (update)` + name). */
function updatedReleases(preview: string): string[] {
    const names = [
        ...preview.matchAll(/~ kubernetes:helm\.sh\/v3:Release: \(update\)\s*\n\s*\[id=[^\]]*\]\s*\n\s*\[urn=[^\]]*::([A-Za-z0-9-]+)\]/g),
    ].map((m) => m[1]);
    return [...new Set(names)].sort();
}
/** The lines of a preview around the ones matching `re`, for the log. */
function previewExcerpt(preview: string, re: RegExp): string {
    return preview
        .split("\n")
        .filter((l) => re.test(l) || /Release: \(update\)|^\s*[~+-] /.test(l))
        .slice(0, 40)
        .join("\n");
}
/** Each resource of a stack with the time it was last changed (the root Stack aside), for a before/after comparison. */
function stateResources(exported: string): string {
    const resources = JSON.parse(exported).deployment.resources as { urn: string; type: string; modified?: string }[];
    return resources
        .filter((r) => r.type !== "pulumi:pulumi:Stack")
        .map((r) => `${r.urn} ${r.modified}`)
        .sort()
        .join("\n");
}

function monHostFromCeph(): string {
    const dump = JSON.parse(ceph("mon", "dump", "-f", "json")) as {
        mons: { public_addrs: { addrvec: { type: string; addr: string }[] } }[];
    };
    return dump.mons.map((m) => m.public_addrs.addrvec.find((a) => a.type === "v1")!.addr).join(",");
}

/** host -> backend Service and port of the stack's routes (Ingresses or HTTPRoutes). */
function routesIn(mode: "ingress" | "gateway"): Map<string, { service: string; port: number }> {
    const routes = new Map<string, { service: string; port: number }>();
    if (mode === "ingress") {
        for (const ing of JSON.parse(kubectl("-n", NS, "get", "ingresses", "-o", "json")).items) {
            for (const rule of ing.spec.rules) {
                const b = rule.http.paths[0].backend.service;
                routes.set(rule.host, { service: b.name, port: b.port.number });
            }
        }
    } else {
        for (const r of JSON.parse(kubectl("-n", NS, "get", "httproutes.gateway.networking.k8s.io", "-o", "json")).items) {
            const b = r.spec.rules[0].backendRefs[0];
            for (const host of r.spec.hostnames) routes.set(host, { service: b.name, port: b.port });
        }
    }
    return routes;
}

/** Every public URL the charts register (ks-endpoints Jobs, keystone's bootstrap) is a routed host -> a Service with that port. */
function assertRoutedCatalog(mode: "ingress" | "gateway"): void {
    const routes = routesIn(mode);
    const registered = [
        ...jobEnvs(kubectl, NS, /-ks-endpoints$/)
            .filter((c) => c.env.OS_SVC_ENDPOINT === "public")
            .map((c) => [c.env.OS_SERVICE_NAME, c.env.OS_SERVICE_ENDPOINT]),
        ["keystone", jobEnvs(kubectl, NS, /^keystone-db-sync$/)[0].env.OS_BOOTSTRAP_PUBLIC_URL],
    ];
    assert.deepEqual(registered.map(([n]) => n).sort(), ["glance", "keystone", "neutron", "nova", "placement"]);
    for (const [service, url] of registered) {
        const host = new URL(url.replace(/%\(.*$/, "")).hostname;
        const route = routes.get(host);
        assert.ok(route, `${service} registers ${url}, whose host ${host} has no ${mode} route: ${JSON.stringify([...routes])}`);
        const ports = JSON.parse(kubectl("-n", NS, "get", "service", route.service, "-o", "json")).spec.ports as { port: number }[];
        assert.ok(
            ports.some((p) => p.port === route.port),
            `${host} -> ${route.service}:${route.port}, which the Service does not have`,
        );
        console.log(`e2e: ${mode}: ${service} registers ${url} -> ${route.service}:${route.port}`);
    }
    assert.equal(routes.size, 6, "one route per API: keystone, glance, nova, novncproxy, neutron, placement");
}

const VERIFICATION_URN =
    "urn:pulumi:dev::openstack-helm-pulumi::openstack-helm-pulumi:components:Verification$command:local:Command::verification-cloud-answers";
/** A Keystone v3 call as admin, for the negative cases. */
async function keystoneCall(url: string, token: string, method: string, p: string, body?: unknown): Promise<any> {
    const res = await fetch(`${url}${p}`, {
        method,
        headers: { "X-Auth-Token": token, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(res.ok, `${method} ${p}: ${res.status}`);
    const text = await res.text();
    return text ? JSON.parse(text) : undefined;
}

before(() => {
    startedSimulator = prepareFreshStack("prepare (toolchain, cluster, stack)");
});

after(async () => {
    await keystone?.stop();
    fs.rmSync(KEYSTONE_DIR, { recursive: true, force: true });
    stopSimulatorIfStarted(startedSimulator);
    console.log("e2e: timings " + timings.map(([p, s]) => `${p}=${s.toFixed(1)}s`).join(" "));
});

describe("pulumi up of the dev stack", { concurrency: false }, () => {
    it("up succeeds", () => {
        timed("up", () => ok(["pulumi", "up", "--yes", "--skip-preview"], { timeoutMs: 40 * MINUTE }));
        const count = JSON.parse(ok(["pulumi", "stack", "export"])).deployment.resources.length;
        console.log(`e2e: stack resources ${count}`);
    });

    it("installs under the charts' waits: every entrypoint wait was met in order, and nothing is stalled", () => {
        const events = timeline().filter((e) => e.namespace === NS);
        const at = (pod: RegExp, event: string) => events.find((e) => pod.test(e.pod) && e.event === event)?.t;
        // keystone-api starts only once its Jobs are done and its Services have ready endpoints.
        const apiReady = at(/^keystone-api-/, "deps-met");
        for (const job of [/^keystone-db-sync-/, /^keystone-fernet-setup-/, /^keystone-credential-setup-/]) {
            const done = at(job, "succeeded");
            assert.ok(
                apiReady !== undefined && done !== undefined && done <= apiReady,
                `keystone-api waited for ${job} (${done} <= ${apiReady})`,
            );
        }
        assert.ok(
            (at(/^mariadb-server-/, "ready") ?? Infinity) <= (at(/^keystone-db-init-/, "deps-met") ?? -1),
            "db-init waited for mariadb",
        );
        // nova-compute waits for neutron-server and for libvirt and the OVS agent on its node.
        assert.ok(
            (at(/^neutron-server-/, "ready") ?? Infinity) <= (at(/^nova-compute-default-/, "deps-met") ?? -1),
            "nova-compute waited for neutron-server",
        );
        const gated = new Set(events.filter((e) => e.event === "created").map((e) => e.pod));
        const met = new Set(events.filter((e) => e.event === "deps-met").map((e) => e.pod));
        console.log(`e2e: ${gated.size} pods started behind kubernetes-entrypoint, ${met.size} had their waits met`);
        assert.ok(gated.size >= 40, "the fixture charts' pods wait like the real ones");
        assert.deepEqual(stalls(), [], "no pod is still waiting");
    });

    it("records each release's chart values for the teeth tests below", () => {
        fs.mkdirSync(VALUES_DIR, { recursive: true });
        for (const chart of CHARTS)
            fs.writeFileSync(path.join(VALUES_DIR, `${chart}.yaml`), ok(["helm", "-n", NS, "get", "values", chart, "-o", "yaml"]));
    });

    it("the engine names every resource as the unit tests' URN snapshot pins it", () => {
        // The simulator's stack starts with verify false (deploy.sh): the Verification layer comes later.
        assert.deepEqual(stackUrns(), pinnedDevUrns());
    });

    it("every release is deployed in Helm's own records", () => {
        const records = kubectl(
            "-n",
            NS,
            "get",
            "secret",
            "-l",
            "owner=helm",
            "-o",
            'jsonpath={range .items[*]}{.metadata.labels.name}={.metadata.labels.status}{"\\n"}{end}',
        )
            .trim()
            .split("\n");
        const deployed = new Set(records.filter((r) => r.endsWith("=deployed")).map((r) => r.split("=")[0]));
        assert.deepEqual([...deployed].sort(), [...CHARTS].sort());
        const outputs = JSON.parse(ok(["pulumi", "stack", "output", "--json"]));
        assert.deepEqual(Object.keys(outputs.chartReleases).sort(), [...CHARTS].sort());
        assert.equal(outputs.chartReleases.keystone.chart, "keystone");
        assert.equal(outputs.keystonePublicUrl, "http://keystone.citec.com/v3");
        assert.equal(outputs.adminOpenrc, "[secret]");
        assert.match(outputs.readinessSummary, /workloads in openstack are ready/);
    });

    it("hands the charts one shared credential each: DB root, RabbitMQ admin, Keystone admin", () => {
        const dbRoot = data("mariadb-dbadmin-password", "MYSQL_DBADMIN_PASSWORD");
        for (const chart of ["keystone", "glance", "placement", "nova", "neutron"]) {
            assert.equal(urlPassword(data(`${chart}-db-admin`, "DB_CONNECTION")), dbRoot, `${chart}-db-admin`);
        }
        const rmqAdmin = urlPassword(data("keystone-rabbitmq-admin", "RABBITMQ_CONNECTION"));
        for (const chart of ["glance", "nova", "neutron"]) {
            assert.equal(urlPassword(data(`${chart}-rabbitmq-admin`, "RABBITMQ_CONNECTION")), rmqAdmin, `${chart}-rabbitmq-admin`);
        }
        const openrc = JSON.parse(ok(["pulumi", "stack", "output", "--json", "--show-secrets"])).adminOpenrc as string;
        const ksAdmin = /OS_PASSWORD=(\S+)/.exec(openrc)![1];
        for (const chart of ["glance", "placement", "nova", "neutron"]) {
            assert.equal(data(`${chart}-keystone-admin`, "OS_PASSWORD"), ksAdmin, `${chart}-keystone-admin`);
        }
        // Service users get passwords of their own, none of them the seed's "password".
        const users = ["keystone", "glance", "placement", "nova", "neutron"].map((c) => urlPassword(data(`${c}-db-user`, "DB_CONNECTION")));
        assert.equal(new Set(users).size, users.length, "each service has its own DB password");
        for (const pw of [dbRoot, rmqAdmin, ksAdmin, ...users]) {
            assert.notEqual(pw, "password");
            assert.ok(pw.length >= 16, "generated credentials are long");
        }
    });

    it("creates the Ceph pools and user in the real Ceph with the seed's caps", () => {
        const pools = ceph("osd", "pool", "ls").trim().split("\n");
        assert.ok(pools.includes("replicapool") && pools.includes("glance.images"), pools.join(","));
        assert.match(ceph("osd", "pool", "get", "glance.images", "size"), /size: 1/);
        assert.match(ceph("osd", "pool", "application", "get", "replicapool"), /rbd/);
        const user = ceph("auth", "get", "client.glance");
        assert.match(user, /caps mon = "allow r"/);
        assert.match(user, /caps osd = "allow class-read object_prefix rbd_children, allow rwx pool=glance.images"/);
    });

    it("its Ceph scripts are safe to re-run against the real Ceph, and apply a caps change", () => {
        // The exact scripts the program's Commands run, on a scratch pool and user.
        const sh = (script: string) => ok(["bash", "-c", 'exec bash -c "$1"', "script", script]);
        const tb = "$OSH_CEPH_TOOLBOX";
        const pool = { name: "e2e-rerun", pgs: 8, size: 1, purge: false };
        for (let i = 0; i < 2; i++) assert.equal(sh(poolCreateScript(tb, pool)).trim(), "e2e-rerun");
        assert.match(ceph("osd", "pool", "application", "get", "e2e-rerun"), /rbd/);
        const user = { name: "e2e-rerun", caps: { mon: "allow r", osd: "allow rwx pool=e2e-rerun", mgr: undefined } };
        const key1 = sh(userCreateScript(tb, user)).trim();
        const key2 = sh(userCreateScript(tb, user)).trim();
        assert.equal(key2, key1, "a re-run keeps the user and its key");
        assert.equal(key1, ceph("auth", "get-key", "client.e2e-rerun").trim());
        // get-or-create with other caps fails with EINVAL on a real cluster; the script applies them.
        assert.notEqual(cephStatus("auth", "get-or-create", "client.e2e-rerun", "mon", "allow r", "osd", "allow r pool=e2e-rerun").code, 0);
        const changed = { ...user, caps: { ...user.caps, osd: "allow class-read object_prefix rbd_children, allow rwx pool=e2e-rerun" } };
        assert.equal(sh(userCreateScript(tb, changed)).trim(), key1);
        assert.match(
            ceph("auth", "get", "client.e2e-rerun"),
            /caps osd = "allow class-read object_prefix rbd_children, allow rwx pool=e2e-rerun"/,
        );
        for (let i = 0; i < 2; i++) sh(userDeleteScript(tb, user));
        assert.notEqual(cephStatus("auth", "get", "client.e2e-rerun").code, 0);
        // Without purge, deleting a pool resource keeps the pool.
        sh(poolDeleteScript(tb, pool));
        assert.ok(ceph("osd", "pool", "ls").split("\n").includes("e2e-rerun"));
    });

    it("writes the real fsid and monitors into ceph-etc and the real admin key into pvc-ceph-client-key", () => {
        const conf = jsonpath("configmap", "ceph-etc", "{.data.ceph\\.conf}");
        assert.match(conf, new RegExp(`^fsid = ${ceph("fsid").trim()}$`, "m"));
        assert.match(conf, new RegExp(`^mon_host = ${monHostFromCeph().replace(/\./g, "\\.")}$`, "m"));
        assert.doesNotMatch(conf, /key|keyring/);
        const key = Buffer.from(jsonpath("secret", "pvc-ceph-client-key", "{.data.key}"), "base64").toString();
        assert.equal(key, ceph("auth", "get-key", "client.admin").trim());
        assert.equal(jsonpath("secret", "pvc-ceph-client-key", "{.type}"), "kubernetes.io/rbd");
    });

    it("keeps secrets out of the state in plaintext", () => {
        const state = ok(["pulumi", "stack", "export"]);
        const adminKey = ceph("auth", "get-key", "client.admin").trim();
        const openrc = JSON.parse(ok(["pulumi", "stack", "output", "--json", "--show-secrets"])).adminOpenrc as string;
        const ksPassword = /OS_PASSWORD=(\S+)/.exec(openrc)![1];
        assert.ok(ksPassword.length >= 32);
        assert.ok(!state.includes(adminKey), "the Ceph admin key is in the state in plaintext");
        assert.ok(!state.includes(ksPassword), "the Keystone admin password is in the state in plaintext");
        assert.ok(!state.includes(ceph("auth", "get-key", "client.glance").trim()), "client.glance's key is in the state in plaintext");
    });

    it("creates the Ingress, the refresher CronJob with its RBAC, the CoreDNS rules and the node labels", () => {
        assert.equal(jsonpath("ingress", "keystone-ingress", "{.spec.rules[0].host}"), "keystone.citec.com");
        assert.equal(
            jsonpath(
                "ingress",
                "keystone-ingress",
                "{.spec.rules[0].http.paths[0].backend.service.name}:{.spec.rules[0].http.paths[0].backend.service.port.number}",
            ),
            "keystone-api:5000",
        );
        assert.equal(jsonpath("cronjob", "update-ceph-config", "{.spec.schedule}"), "*/5 * * * *");
        assert.equal(
            jsonpath("cronjob", "update-ceph-config", "{.spec.jobTemplate.spec.template.spec.serviceAccountName}"),
            "ceph-config-refresher",
        );
        assert.ok(exists("role", "ceph-config-refresher-read-mons", "rook-ceph"));
        assert.ok(exists("rolebinding", "ceph-config-refresher-read-mons", "rook-ceph"));
        assert.ok(exists("role", "ceph-config-refresher-patch-ceph-etc", NS));
        assert.ok(exists("rolebinding", "ceph-config-refresher-patch-ceph-etc", NS));
        assert.ok(exists("clusterrole", "coredns") && exists("clusterrolebinding", "coredns"));
        assert.match(jsonpath("deployment", "coredns", "{.spec.template.metadata.annotations}", "kube-system"), /coredns-rbac-digest/);
        const labels = (node: string) =>
            JSON.parse(kubectl("get", "node", node, "-o", "jsonpath={.metadata.labels}")) as Record<string, string>;
        for (const n of ["k1", "k2", "k3"]) assert.equal(labels(n)["openstack-control-plane"], "enabled", n);
        for (const n of ["k2", "k3", "k4"]) assert.equal(labels(n)["openstack-compute-node"], "enabled", n);
        for (const n of ["k1", "k2", "k3", "k4"]) assert.equal(labels(n)["openvswitch"], "enabled", n);
        assert.equal(labels("k1")["openstack-compute-node"], undefined);
        assert.equal(labels("k4")["openstack-control-plane"], undefined);
    });

    it("a second run changes nothing: preview --expect-no-changes", () => {
        timed("preview", () => ok(["pulumi", "preview", "--expect-no-changes"], { timeoutMs: 15 * MINUTE }));
    });

    it("previews a replica change key by key: server: 1 => 3, nothing else secret-masked", () => {
        ok(["pulumi", "config", "set", "mariadbReplicas", "3"]);
        try {
            const out = timed("preview replicas", () => ok(["pulumi", "preview", "--diff"], { timeoutMs: 10 * MINUTE }));
            console.log(`e2e: replica preview:\n${previewExcerpt(out, /server/)}`);
            assert.match(out, /server\s*:\s*1 => 3/);
            assert.deepEqual(updatedReleases(out), ["mariadb"]);
            assert.doesNotMatch(out, /values\s*:\s*\[secret\] =>/, "the values tree is not one secret");
        } finally {
            ok(["pulumi", "config", "rm", "mariadbReplicas"]);
        }
    });

    it("previews a password rotation as [secret] => [secret], only in the charts that carry it", () => {
        // Rotate placement's Keystone password: a new password first (a targeted replace), then
        // the preview of what it changes, then the up that hands it to the chart.
        const resources = JSON.parse(ok(["pulumi", "stack", "export"])).deployment.resources as { urn: string }[];
        const urn = resources.find((r) => r.urn.endsWith("::compute-placement-keystone-password"))!.urn;
        timed("rotate password", () =>
            ok(["pulumi", "up", "--yes", "--skip-preview", "--target", urn, "--replace", urn], { timeoutMs: 10 * MINUTE }),
        );
        const out = timed("preview rotation", () => ok(["pulumi", "preview", "--diff"], { timeoutMs: 10 * MINUTE }));
        console.log(`e2e: rotation preview:\n${previewExcerpt(out, /password/)}`);
        assert.match(out, /password\s*:\s*\[secret\] => \[secret\]/);
        assert.deepEqual(updatedReleases(out), ["placement"]);
        const before = data("placement-keystone-user", "OS_PASSWORD");
        timed("up rotation", () => ok(["pulumi", "up", "--yes", "--skip-preview"], { timeoutMs: 20 * MINUTE }));
        assert.notEqual(data("placement-keystone-user", "OS_PASSWORD"), before, "the chart got the new password");
        timed("preview after rotation", () => ok(["pulumi", "preview", "--expect-no-changes"], { timeoutMs: 10 * MINUTE }));
    });

    it("refuses the seed's chartValues mistakes before changing anything, naming the real key", () => {
        const before = ok(["pulumi", "stack", "export"]);
        for (const [setting, wrong, near] of [
            ["chartValues.mariadb.volume.storage_class", "rook-ceph-block", "volume.class_name"],
            ["chartValues.neutron.dependency_service", "mariadb", "dependencies"],
        ]) {
            ok(["pulumi", "config", "set", "--path", setting, wrong]);
            try {
                for (const cmd of [["preview"], ["up", "--yes", "--skip-preview"]]) {
                    const r = timed(`${cmd[0]} ${setting}`, () => run(["pulumi", ...cmd], { timeoutMs: 10 * MINUTE }));
                    const out = r.stdout + r.stderr;
                    assert.notEqual(r.code, 0, `${cmd[0]} accepted ${setting}`);
                    assert.ok(out.includes(`openstack-helm-pulumi:${setting}: is not a value of chart`), out.slice(-3000));
                    assert.ok(out.includes(`did you mean ${near}?`), out.slice(-3000));
                    if (cmd[0] === "preview")
                        console.log(
                            `e2e: refused override: ${out
                                .split("\n")
                                .find((l) => l.includes(setting))
                                ?.trim()}`,
                        );
                }
            } finally {
                ok(["pulumi", "config", "rm", "--path", setting]);
            }
        }
        assert.ok(stateResources(ok(["pulumi", "stack", "export"])) === stateResources(before), "a refused override changed a resource");
    });

    it("a local chart edit previews as an update of that release only, up deploys it, then nothing is left", () => {
        const charts = ok(["pulumi", "config", "get", "chartLocalPath"]).trim();
        const template = path.join(charts, "glance/templates/service-api.yaml");
        const original = fs.readFileSync(template, "utf8");
        // One more object in glance's templates: what an operator's local template fix looks like.
        fs.writeFileSync(
            template,
            `${original}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: glance-e2e-edit\ndata:\n  edited: "yes"\n`,
        );
        try {
            const out = timed("preview chart edit", () => ok(["pulumi", "preview", "--diff"], { timeoutMs: 10 * MINUTE }));
            console.log(`e2e: chart edit preview:\n${previewExcerpt(out, /description/)}`);
            assert.deepEqual(updatedReleases(out), ["glance"]);
            timed("up chart edit", () => ok(["pulumi", "up", "--yes", "--skip-preview"], { timeoutMs: 20 * MINUTE }));
            assert.equal(jsonpath("configmap", "glance-e2e-edit", "{.data.edited}"), "yes", "up deployed the edited chart");
            timed("preview after chart edit", () => ok(["pulumi", "preview", "--expect-no-changes"], { timeoutMs: 10 * MINUTE }));
        } finally {
            fs.writeFileSync(template, original);
        }
        // Back to the checkout as it was: one more update of glance, then a clean preview.
        ok(["pulumi", "up", "--yes", "--skip-preview"], { timeoutMs: 20 * MINUTE });
        assert.ok(!exists("configmap", "glance-e2e-edit", NS), "the revert removed the object again");
        ok(["pulumi", "preview", "--expect-no-changes"], { timeoutMs: 10 * MINUTE });
    });

    it("never downloads: a plugin missing from the cache is a clear error, with no download tried", () => {
        const emptyHome = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-home-empty-"));
        try {
            const t0 = Date.now();
            // (deploy.sh run sets PULUMI_HOME itself: override it on the command line.)
            const r = run(["env", `PULUMI_HOME=${emptyHome}`, "pulumi", "preview", "--stack", "dev"], { timeoutMs: 5 * MINUTE });
            const seconds = (Date.now() - t0) / 1000;
            console.log(`e2e: preview with an empty plugin cache failed in ${seconds.toFixed(1)}s`);
            assert.notEqual(r.code, 0);
            assert.match(r.stdout + r.stderr, /plugin \S+ \S+ not installed|no resource plugin 'pulumi-resource-\S+' found/);
        } finally {
            fs.rmSync(emptyHome, { recursive: true, force: true });
        }
    });

    it("the refresher, run with its own ServiceAccount, follows a renamed mon Service and keeps fsid", () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "refresher-e2e-"));
        const original = jsonpath("service", "rook-ceph-mon-a", "{.spec.ports}", "rook-ceph");
        const endpoints = jsonpath("configmap", "rook-ceph-mon-endpoints", "{.data.data}", "rook-ceph");
        const fsidBefore = /^fsid = (.*)$/m.exec(jsonpath("configmap", "ceph-etc", "{.data.ceph\\.conf}"))![1];
        try {
            timed("refresher", () => {
                // Rook replaces mon a by mon d: a new Service (new cluster IP) and endpoints entry.
                kubectl("-n", "rook-ceph", "delete", "service", "rook-ceph-mon-a");
                const svc = {
                    apiVersion: "v1",
                    kind: "Service",
                    metadata: {
                        name: "rook-ceph-mon-d",
                        namespace: "rook-ceph",
                        labels: { app: "rook-ceph-mon", mon: "d", ceph_daemon_id: "d", rook_cluster: "rook-ceph" },
                    },
                    spec: { ports: JSON.parse(original), selector: { app: "rook-ceph-mon", mon: "d" } },
                };
                ok(["kubectl", "apply", "-f", "-"], { input: JSON.stringify(svc) });
                kubectl(
                    "-n",
                    "rook-ceph",
                    "patch",
                    "configmap",
                    "rook-ceph-mon-endpoints",
                    "--type",
                    "merge",
                    "-p",
                    JSON.stringify({ data: { data: endpoints.replace(/^a=/, "d=").replace(/,a=/, ",d=") } }),
                );
                const newIp = jsonpath("service", "rook-ceph-mon-d", "{.spec.clusterIP}", "rook-ceph");

                // A kubeconfig with only the refresher ServiceAccount's token.
                const token = kubectl("-n", NS, "create", "token", "ceph-config-refresher", "--duration=10m").trim();
                const kc = path.join(tmp, "kubeconfig");
                ok(["bash", "-c", `kubectl config view --minify --raw > ${kc}`]);
                ok(["kubectl", "--kubeconfig", kc, "config", "set-credentials", "refresher", `--token=${token}`]);
                ok(["kubectl", "--kubeconfig", kc, "config", "set-context", "--current", "--user=refresher"]);
                const can = (verb: string, what: string, ns: string) =>
                    run(["kubectl", "--kubeconfig", kc, "auth", "can-i", verb, what, "-n", ns]).stdout.trim();
                assert.equal(can("get", "secrets", NS), "no", "the refresher must not read Secrets");
                assert.equal(can("patch", "configmap/ceph-etc", NS), "yes");
                assert.equal(can("patch", "configmap/other", NS), "no");

                ok(["bash", REFRESHER], { env: { KUBECONFIG: kc } });
                const conf = jsonpath("configmap", "ceph-etc", "{.data.ceph\\.conf}");
                assert.match(conf, new RegExp(`^mon_host = ${newIp.replace(/\./g, "\\.")}:6789$`, "m"));
                assert.match(conf, new RegExp(`^fsid = ${fsidBefore}$`, "m"));
            });
        } finally {
            // Put Rook's stand-ins back as they were, for the next run on this cluster.
            run(["kubectl", "-n", "rook-ceph", "delete", "service", "rook-ceph-mon-d", "--ignore-not-found"]);
            run(["kubectl", "apply", "-f", "-"], {
                input: JSON.stringify({
                    apiVersion: "v1",
                    kind: "Service",
                    metadata: {
                        name: "rook-ceph-mon-a",
                        namespace: "rook-ceph",
                        labels: { app: "rook-ceph-mon", mon: "a", ceph_daemon_id: "a", rook_cluster: "rook-ceph" },
                    },
                    spec: { ports: JSON.parse(original), selector: { app: "rook-ceph-mon", mon: "a" } },
                }),
            });
            run([
                "kubectl",
                "-n",
                "rook-ceph",
                "patch",
                "configmap",
                "rook-ceph-mon-endpoints",
                "--type",
                "merge",
                "-p",
                JSON.stringify({ data: { data: endpoints } }),
            ]);
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });

    it("routes every public URL the charts register to a Service that exists with that port (Ingresses)", () => {
        assertRoutedCatalog("ingress");
    });

    it("refuses TLS through cert-manager at preview when the cluster has none, naming the fix", () => {
        ok(["pulumi", "config", "set", "tlsClusterIssuer", "letsencrypt"]);
        try {
            const r = run(["pulumi", "preview", "--diff"], { timeoutMs: 10 * MINUTE });
            assert.notEqual(r.code, 0);
            const out = r.stdout + r.stderr;
            assert.match(out, /openstack-helm-pulumi:tlsClusterIssuer: cert-manager is not installed in the cluster/);
            assert.match(out, /Fix: install cert-manager, or use a certificate you have/);
        } finally {
            ok(["pulumi", "config", "rm", "tlsClusterIssuer"]);
        }
    });

    it("switching to a Gateway replaces the routes with HTTPRoutes and touches no release", () => {
        const gateway = {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "Gateway",
            metadata: { name: "public", namespace: "edge" },
            spec: {
                gatewayClassName: "sim",
                listeners: [{ name: "http", protocol: "HTTP", port: 80, allowedRoutes: { namespaces: { from: "All" } } }],
            },
        };
        kubectl("create", "namespace", "edge");
        ok(["kubectl", "apply", "-f", "-"], { input: JSON.stringify(gateway) });
        ok(["pulumi", "config", "set", "exposure", "gateway"]);
        ok(["pulumi", "config", "set", "--path", "gateway.namespace", "edge"]);
        ok(["pulumi", "config", "set", "--path", "gateway.name", "public"]);
        ok(["pulumi", "config", "set", "--path", "gateway.sectionName", "http"]);
        const preview = timed("preview to gateway", () => ok(["pulumi", "preview", "--diff"], { timeoutMs: 10 * MINUTE }));
        assert.deepEqual(updatedReleases(preview), [], "no release changes");
        assert.match(preview, /\+ 6 to create/);
        assert.match(preview, /- 6 to delete/);
        timed("up to gateway", () => ok(["pulumi", "up", "--yes", "--skip-preview"], { timeoutMs: 20 * MINUTE }));
        assertRoutedCatalog("gateway");
        assert.equal(kubectl("-n", NS, "get", "ingresses", "-o", "name").trim(), "", "the Ingresses are gone");
        ok(["pulumi", "preview", "--expect-no-changes"], { timeoutMs: 10 * MINUTE });
    });

    it("verifies the cloud against a real Keystone that holds what the charts' Jobs register: token, catalog, every service user", async () => {
        timed("toolchain keystone", () =>
            ok(["bash", path.join(ROOT, "test/harness/toolchain.sh"), "keystone"], { timeoutMs: 10 * MINUTE }),
        );
        // As keystone's bootstrap (in its db-sync Job) would: its admin password, region and URLs.
        const boot = jobEnvs(kubectl, NS, /^keystone-db-sync$/)[0].env;
        const domain = jobEnvs(kubectl, NS, /-ks-endpoints$/)[0].env.OS_USER_DOMAIN_NAME;
        const ks = await timedAsync("keystone start", () =>
            startKeystone({
                dir: KEYSTONE_DIR,
                adminPassword: boot.OS_BOOTSTRAP_PASSWORD,
                region: boot.OS_BOOTSTRAP_REGION_ID,
                publicUrl: boot.OS_BOOTSTRAP_PUBLIC_URL,
                internalUrl: boot.OS_BOOTSTRAP_INTERNAL_URL,
                adminUrl: boot.OS_BOOTSTRAP_ADMIN_URL,
                defaultDomainName: domain,
            }),
        );
        keystone = ks;
        const admin = await issueToken({
            url: ks.url,
            user: boot.OS_BOOTSTRAP_USERNAME,
            password: boot.OS_BOOTSTRAP_PASSWORD,
            project: boot.OS_BOOTSTRAP_PROJECT_NAME,
            userDomain: domain,
            projectDomain: domain,
        });
        // As the ks-service / ks-endpoints / ks-user Jobs would, from their env and Secrets.
        const services = servicesToRegister(jobEnvs(kubectl, NS, /-ks-endpoints$/));
        for (const sv of services) await registerService({ url: ks.url, adminToken: admin.token, ...sv });
        const users = usersToRegister(jobEnvs(kubectl, NS, /-ks-user$/));
        for (const u of users) await ensureUser({ url: ks.url, adminToken: admin.token, ...u });
        console.log(
            `e2e: real Keystone ${ks.url}: ${services.length} services, ${users.length} users (${users.map((u) => u.name).join(", ")})`,
        );
        const port = new URL(ks.url).port;
        ok(["pulumi", "config", "set", "verify", "true"]);
        ok(["pulumi", "config", "set", "--path", 'verifyResolve["keystone.citec.com:80"]', `127.0.0.1:${port}`]);
        timed("up with verification", () => ok(["pulumi", "up", "--yes", "--skip-preview"], { timeoutMs: 20 * MINUTE }));
        const checks = JSON.parse(ok(["pulumi", "stack", "output", "verificationChecks", "--json"])) as {
            check: string;
            ok: boolean;
            skipped?: boolean;
            detail: string;
            ms: number;
        }[];
        console.log(
            `e2e: verification of the dev stack:\n${checks.map((c) => `  ${c.check} ${c.ok ? "ok" : "FAILED"} ${c.ms}ms: ${c.detail}`).join("\n")}`,
        );
        const byName = Object.fromEntries(checks.map((c) => [c.check, c]));
        for (const c of ["token", "catalog", "users"]) assert.ok(byName[c]?.ok && !byName[c].skipped, `${c} passed`);
        assert.match(byName.users.detail, /4 service users log in .*glance, neutron, nova, placement/);
        for (const c of ["apis", "network-agents", "compute-services"]) {
            assert.ok(byName[c]?.skipped, `${c} is skipped on the simulator`);
            assert.match(byName[c].detail, /kwok simulated node/);
        }
        ok(["pulumi", "preview", "--expect-no-changes"], { timeoutMs: 10 * MINUTE });
        const state = ok(["pulumi", "stack", "export"]);
        for (const u of users) assert.ok(!state.includes(u.password), `${u.name}'s password is in the state in plaintext`);
        assert.ok(!state.includes(boot.OS_BOOTSTRAP_PASSWORD), "the admin password is in the state in plaintext");
    });

    it("fails up naming the check on a wrong admin password, a missing endpoint and an endpoint on an unrouted host, then converges", async () => {
        assert.ok(keystone, "the real Keystone runs");
        const url = keystone.url;
        const boot = jobEnvs(kubectl, NS, /^keystone-db-sync$/)[0].env;
        const domain = jobEnvs(kubectl, NS, /-ks-endpoints$/)[0].env.OS_USER_DOMAIN_NAME;
        const login = (password: string) =>
            issueToken({ url, user: "admin", password, project: "admin", userDomain: domain, projectDomain: domain });
        const reverify = (phase: string) =>
            timed(phase, () => run(["pulumi", "up", "--yes", "--skip-preview", "--replace", VERIFICATION_URN], { timeoutMs: 10 * MINUTE }));
        const expectFailure = (phase: string, check: string, what: RegExp) => {
            const r = reverify(phase);
            const out = r.stdout + r.stderr;
            assert.notEqual(r.code, 0, `${phase}: up must fail`);
            assert.match(out, new RegExp(`verification check ${check} failed: .*${what.source}`));
            console.log(
                `e2e: ${phase}: ${out
                    .split("\n")
                    .find((l) => l.includes(`verification check ${check} failed`))
                    ?.trim()}`,
            );
        };
        // Keystone revokes a user's tokens on a password change with one-second precision: a token
        // issued in the same second as the change is revoked too, so wait past it before logging in.
        const afterRevocation = () => new Promise((resolve) => setTimeout(resolve, 1500));
        let admin = await login(boot.OS_BOOTSTRAP_PASSWORD);
        // A wrong admin password: the one in Keystone is no longer the stack's.
        await keystoneCall(url, admin.token, "PATCH", `/users/${admin.userId}`, { user: { password: "not-the-stacks-password" } });
        expectFailure("verify: wrong admin password", "token", /POST http:\/\/keystone\.citec\.com\/v3\/auth\/tokens as admin: 401/);
        await afterRevocation();
        admin = await login("not-the-stacks-password");
        await keystoneCall(url, admin.token, "PATCH", `/users/${admin.userId}`, { user: { password: boot.OS_BOOTSTRAP_PASSWORD } });
        await afterRevocation();
        admin = await login(boot.OS_BOOTSTRAP_PASSWORD);
        // A missing endpoint, then one on a host no route serves.
        const glance = servicesToRegister(jobEnvs(kubectl, NS, /^glance-ks-endpoints$/))[0];
        const endpoints = (await keystoneCall(url, admin.token, "GET", "/endpoints?interface=public")).endpoints as {
            id: string;
            url: string;
        }[];
        const glancePublic = endpoints.find((e) => e.url === glance.endpoints.public)!;
        await keystoneCall(url, admin.token, "DELETE", `/endpoints/${glancePublic.id}`);
        expectFailure("verify: missing endpoint", "catalog", /glance \(image\) has no public endpoint in RegionOne/);
        await registerService({
            url,
            adminToken: admin.token,
            ...glance,
            endpoints: { ...glance.endpoints, public: "http://glance.unrouted.example" },
        });
        expectFailure(
            "verify: unrouted host",
            "catalog",
            /glance \(image\) public endpoint http:\/\/glance\.unrouted\.example is not on the routed http:\/\/glance\.citec\.com/,
        );
        await registerService({ url, adminToken: admin.token, ...glance });
        const r = reverify("verify: fixed");
        assert.equal(r.code, 0, `after the fixes the verification passes:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
        ok(["pulumi", "preview", "--expect-no-changes"], { timeoutMs: 10 * MINUTE });
    });

    it("destroy removes what the program created and keeps the pools", () => {
        timed("destroy", () => ok(["pulumi", "destroy", "--yes", "--skip-preview"], { timeoutMs: 20 * MINUTE }));
        assert.equal(kubectl("-n", NS, "get", "secret", "-l", "owner=helm", "-o", "name").trim(), "", "no Helm release is left");
        // Keystone's pre-delete hook waits for MariaDB: destroy deleted keystone in an earlier round.
        const cleanup = timeline().filter((e) => e.namespace === NS && /^keystone-credential-cleanup-/.test(e.pod));
        assert.ok(
            cleanup.some((e) => e.event === "succeeded"),
            `keystone's pre-delete hook ran with MariaDB still there: ${JSON.stringify(cleanup)}`,
        );
        for (const [kind, name, ns] of [
            ["configmap", "ceph-etc", NS],
            ["configmap", "update-ceph-config-script", NS],
            ["secret", "pvc-ceph-client-key", NS],
            // Secrets the charts render from the program's credentials go with their releases.
            ["secret", "keystone-db-admin", NS],
            ["secret", "nova-rabbitmq-user", NS],
            ["secret", "mariadb-dbadmin-password", NS],
            ["cronjob", "update-ceph-config", NS],
            ["serviceaccount", "ceph-config-refresher", NS],
            ["ingress", "keystone-ingress", NS],
            ["httproutes.gateway.networking.k8s.io", "keystone", NS],
            ["httproutes.gateway.networking.k8s.io", "glance", NS],
            ["role", "ceph-config-refresher-read-mons", "rook-ceph"],
            ["rolebinding", "ceph-config-refresher-read-mons", "rook-ceph"],
            ["role", "ceph-config-refresher-patch-ceph-etc", NS],
            ["rolebinding", "ceph-config-refresher-patch-ceph-etc", NS],
            ["clusterrole", "coredns", undefined],
            ["clusterrolebinding", "coredns", undefined],
            ["storageclass", "rook-ceph-block", undefined],
        ] as [string, string, string | undefined][]) {
            assert.ok(!exists(kind, name, ns), `${kind} ${name} is still there`);
        }
        for (const n of ["k1", "k2", "k3", "k4"]) {
            const labels = JSON.parse(kubectl("get", "node", n, "-o", "jsonpath={.metadata.labels}")) as Record<string, string>;
            for (const l of ["openstack-control-plane", "openstack-compute-node", "openvswitch"])
                assert.equal(labels[l], undefined, `${n} keeps ${l}`);
        }
        assert.notEqual(cephStatus("auth", "get", "client.glance").code, 0, "client.glance is still in Ceph");
        const pools = ceph("osd", "pool", "ls").trim().split("\n");
        assert.ok(pools.includes("replicapool") && pools.includes("glance.images"), "pools that may hold data are kept");
        assert.ok(exists("namespace", NS), "the namespace (with its volumes) is kept");
    });

    it("a new install over what destroy kept stops before changing anything, naming the fixes", () => {
        // Kept by destroy: the MariaDB volume and the Keystone key Secrets the chart keeps.
        assert.ok(exists("secret", "keystone-fernet-keys", NS), "the chart keeps its fernet keys");
        assert.ok(exists("persistentvolumeclaim", "mysql-data-mariadb-server-0", NS));
        const r = timed("up over leftovers", () => run(["pulumi", "up", "--yes", "--skip-preview"], { timeoutMs: 10 * MINUTE }));
        const out = r.stdout + r.stderr;
        assert.notEqual(r.code, 0, "up must refuse the leftovers");
        for (const what of [
            "persistentvolumeclaim/mysql-data-mariadb-server-0",
            "secret/keystone-fernet-keys",
            "kubectl delete namespace openstack",
            "allowLeftoverData",
        ]) {
            assert.ok(out.includes(what), `the error names ${what}`);
        }
        assert.equal(kubectl("-n", NS, "get", "secret", "-l", "owner=helm", "-o", "name").trim(), "", "no release was installed");
        assert.ok(!exists("storageclass", "rook-ceph-block"), "the StorageClass was not created");
        assert.ok(!exists("configmap", "ceph-etc", NS), "ceph-etc was not created");
        assert.notEqual(cephStatus("auth", "get", "client.glance").code, 0, "no Ceph user was created");
        // What that run recorded (generated credentials only) goes with a destroy.
        ok(["pulumi", "destroy", "--yes", "--skip-preview"], { timeoutMs: 10 * MINUTE });
    });

    it("stack rm, and the operator's cleanup: delete the namespace", () => {
        timed("stack rm", () => ok(["pulumi", "stack", "rm", "--yes"]));
        timed("namespace delete", () => kubectl("delete", "namespace", NS, "--wait=true", "--timeout=300s"));
        kubectl("delete", "namespace", "edge", "--ignore-not-found", "--wait=true", "--timeout=120s");
    });
});

// The simulator holds pods as the charts' own entrypoints do, so installs the charts cannot take
// fail here as they do on a real cluster: in a namespace of their own, with Helm directly and the
// values the program gave each chart above.
describe("the simulator has teeth", { concurrency: false }, () => {
    const TEETH = "teeth";
    const helmInstall = (chart: string, waitSeconds: number) =>
        run(
            [
                "helm",
                "install",
                chart,
                path.join(CHARTS_DIR, chart),
                "-n",
                TEETH,
                "-f",
                path.join(VALUES_DIR, `${chart}.yaml`),
                "--wait",
                "--wait-for-jobs",
                "--timeout",
                `${waitSeconds}s`,
            ],
            { timeoutMs: (waitSeconds + 120) * 1000 },
        );

    // The dev stack's node labels, which its destroy removed.
    const LABELS: [string, string[]][] = [
        ["openstack-control-plane", ["k1", "k2", "k3"]],
        ["openstack-compute-node", ["k2", "k3", "k4"]],
        ["openvswitch", ["k1", "k2", "k3", "k4"]],
    ];
    before(() => {
        kubectl("create", "namespace", TEETH);
        for (const [label, nodes] of LABELS) kubectl("label", "node", ...nodes, `${label}=enabled`, "--overwrite");
    });
    after(() => {
        run(["kubectl", "delete", "namespace", TEETH, "--wait=true", "--timeout=300s"], { timeoutMs: 6 * MINUTE });
        for (const [label, nodes] of LABELS) run(["kubectl", "label", "node", ...nodes, `${label}-`]);
        fs.rmSync(VALUES_DIR, { recursive: true, force: true });
    });

    it("the seed's order with a full wait after each chart stalls at libvirt, waiting for neutron's OVS agent", () => {
        timed("teeth: seed order up to openvswitch", () => {
            for (const chart of ["mariadb", "rabbitmq", "memcached", "keystone", "glance", "placement", "openvswitch"]) {
                const r = helmInstall(chart, 240);
                assert.equal(r.code, 0, `${chart} installs with a full wait: ${r.stderr.slice(-2000)}`);
            }
        });
        const r = timed("teeth: libvirt with a full wait", () => helmInstall("libvirt", 45));
        assert.notEqual(r.code, 0, "libvirt cannot become ready before neutron");
        assert.match(r.stdout + r.stderr, /timed out|context deadline exceeded/);
        const stall = awaitStall(TEETH, /^libvirt-libvirt-default-/);
        console.log(`e2e: stall report (seed order): ${JSON.stringify(stall)}`);
        assert.ok(
            stall.waitingFor.some((w) => w.kind === "pod" && w.labels?.component === "neutron-ovs-agent"),
            JSON.stringify(stall),
        );
    });

    it("Helm --wait on neutron across the seed's 4 nodes stalls, neutron-server waiting for its own hook Jobs", () => {
        const r = timed("teeth: neutron with a full wait", () => helmInstall("neutron", 45));
        assert.notEqual(r.code, 0, "Helm's wait comes before the hooks neutron-server waits for");
        const stall = awaitStall(TEETH, /^neutron-server-/);
        console.log(`e2e: stall report (neutron --wait): ${JSON.stringify(stall)}`);
        const jobs = stall.waitingFor
            .filter((w) => w.kind === "job")
            .map((w) => w.name)
            .sort();
        assert.deepEqual(jobs, ["neutron-db-sync", "neutron-ks-endpoints", "neutron-ks-user", "neutron-rabbit-init"]);
    });

    it("the stuck-install doctor names the same waits from the live cluster, by hand and when the readiness check times out", () => {
        const doctor = ok(["bash", path.join(ROOT, "components/scripts/doctor.sh"), TEETH]);
        const lines = doctor.split("\n");
        console.log(
            `e2e: npm run doctor -- ${TEETH} (neutron-server):\n${lines.filter((l) => l.startsWith("neutron-server-")).join("\n")}`,
        );
        for (const job of ["neutron-db-sync", "neutron-ks-endpoints", "neutron-ks-user", "neutron-rabbit-init"]) {
            const line = lines.find((l) => l.startsWith("neutron-server-") && l.endsWith(` waits for Job ${TEETH}/${job}: does not exist`));
            assert.ok(line, `the doctor names neutron-server's wait for ${job}:\n${doctor.slice(0, 3000)}`);
            assert.match(line, /^neutron-server-\S+ \(k[1-4]\) waits for /, "with the pod's node");
        }
        assert.ok(
            lines.some((l) =>
                /^libvirt-libvirt-default-\S+ \(k[2-4]\) waits for pod teeth application=neutron,component=neutron-ovs-agent: no (such|Ready) pod on my node \(k[2-4]\)$/.test(
                    l,
                ),
            ),
            `the doctor names libvirt's wait for the OVS agent on its node:\n${doctor.slice(0, 3000)}`,
        );
        const check = run(["bash", path.join(ROOT, "components/scripts/readiness.sh")], {
            env: {
                NAMESPACE: TEETH,
                TIMEOUT_SECONDS: "0",
                STUCK_PODS_JS: fs.readFileSync(path.join(ROOT, "components/scripts/stuck-pods.cjs"), "utf8"),
            },
        });
        assert.equal(check.code, 1);
        assert.match(check.stderr, /not ready after 0s:/);
        assert.match(check.stderr, /pods still waiting for their dependencies:\n {2}\S+ \(k[1-4]\) waits for /);
        assert.ok(check.stderr.includes(`waits for Job ${TEETH}/neutron-db-sync: does not exist`), check.stderr.slice(-3000));
    });

    it("uninstalled after MariaDB (the order destroy avoids), keystone's pre-delete hook waits for it: the uninstall times out", () => {
        const gone = timed("teeth: uninstall mariadb", () =>
            run(["helm", "uninstall", "mariadb", "-n", TEETH, "--wait", "--timeout", "120s"]),
        );
        assert.equal(gone.code, 0, gone.stderr);
        const r = timed("teeth: uninstall keystone without mariadb", () =>
            run(["helm", "uninstall", "keystone", "-n", TEETH, "--timeout", "30s"], { timeoutMs: 3 * MINUTE }),
        );
        assert.notEqual(r.code, 0, "keystone's uninstall cannot finish");
        assert.match(r.stdout + r.stderr, /pre-delete|timed out|deadline/);
        // Helm deletes the failed hook (hook-failed policy), so read what the simulator recorded of it.
        const cleanup = timeline().filter((e) => e.namespace === TEETH && /^keystone-credential-cleanup-/.test(e.pod));
        console.log(`e2e: keystone's pre-delete hook without mariadb: ${JSON.stringify(cleanup)}`);
        assert.ok(
            cleanup.some((e) => e.event === "created"),
            "the hook ran",
        );
        assert.ok(!cleanup.some((e) => e.event === "deps-met"), "its wait for the mariadb Service was never met");
    });
});
