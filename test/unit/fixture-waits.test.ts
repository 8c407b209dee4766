// The fixture charts wait for what the real charts wait for: every workload and hook Job starts
// with the kubernetes-entrypoint `init` container, and its DEPENDENCY_* env is the one the real
// chart renders at the pinned commit (test/fixtures/dependency-graph.json, written with the
// fixtures' `dependencies:` blocks by test/harness/dependency-graph.ts). The values are checked
// without Helm; the rendered charts with `helm template` when Helm is installed.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { renderChart, renderEarly, skipWithoutHelm } from "../support/fixture-render";
import * as yaml from "js-yaml";
import { DEPENDENCY_VARS, FIXTURE_CHARTS, GraphNode, loadGraph } from "../harness/dependency-graph";

const graph = loadGraph();
const NS = graph.namespace;
const CHARTS = [...graph.charts.core, ...graph.charts.optional];
const ENTRYPOINT_IMAGE = "quay.io/airshipit/kubernetes-entrypoint:latest-ubuntu_noble";

/**
 * Objects the fixtures render (with the values the graph was rendered with) that the graph lacks,
 * or the reverse: none today. Pre-delete hooks are the graph's excluded_objects.
 */
const DIFFERENCES: { id: string; why: string }[] = [];
const differs = new Set(DIFFERENCES.map((d) => d.id));
const excluded = new Set(graph.excluded_objects.map((o) => o.id));

const objects = graph.nodes.filter((n) => n.kind !== "Service");
const envOf = (n: GraphNode, name: string) => n.entrypoint_env?.[name] ?? "";

type Tree = Record<string, any>;
const isMap = (v: unknown): v is Tree => typeof v === "object" && v !== null && !Array.isArray(v);
function merge(base: Tree, over: Tree | undefined): Tree {
    const out: Tree = { ...base };
    for (const [k, v] of Object.entries(over ?? {})) out[k] = isMap(out[k]) && isMap(v) ? merge(out[k], v) : v;
    return out;
}
const valuesOf = (chart: string): Tree =>
    merge(yaml.load(fs.readFileSync(path.join(FIXTURE_CHARTS, chart, "values.yaml"), "utf8")) as Tree, graph.render_values[chart]);

/** What helm-toolkit.snippets.entrypoint_init makes of dependencies.static.<key>, read the same way. */
function waitsFromValues(values: Tree, key: string, namespace: string): { services: string; jobs: string; pod: unknown } {
    const deps: Tree = values.dependencies?.static?.[key] ?? {};
    const services = (deps.services ?? []).map((s: Tree) => {
        const ep: Tree = values.endpoints?.[String(s.service).replace(/-/g, "_")] ?? {};
        const host = ep.hosts?.[s.endpoint ?? "internal"] ?? ep.hosts?.default;
        assert.ok(host, `dependencies.static.${key}: no endpoints.${s.service}.hosts.default`);
        return `${ep.namespace ?? namespace}:${host}`;
    });
    const jobs = (deps.jobs ?? []).filter((j: string) => values.manifests?.[`job_${j.split("-").slice(1).join("_")}`] !== false);
    return { services: services.join(","), jobs: jobs.join(","), pod: deps.pod ?? [] };
}

describe("fixture values: each object's dependencies are the real chart's", () => {
    it("has a fixture chart for every chart of the graph", () => {
        for (const chart of CHARTS) assert.ok(fs.existsSync(path.join(FIXTURE_CHARTS, chart, "values.yaml")), chart);
    });

    it("gives every object of the graph the graph's DEPENDENCY_SERVICE, _JOBS and _POD_JSON", () => {
        const values = Object.fromEntries(CHARTS.map((c) => [c, valuesOf(c)]));
        for (const n of objects) {
            const got = waitsFromValues(values[n.chart], n.component!, NS);
            assert.equal(got.services, envOf(n, "DEPENDENCY_SERVICE"), `${n.id} DEPENDENCY_SERVICE`);
            assert.equal(got.jobs, envOf(n, "DEPENDENCY_JOBS"), `${n.id} DEPENDENCY_JOBS`);
            assert.deepEqual(got.pod, JSON.parse(envOf(n, "DEPENDENCY_POD_JSON") || "[]"), `${n.id} DEPENDENCY_POD_JSON`);
            const other = Object.keys(n.entrypoint_env ?? {}).filter((k) => !/^DEPENDENCY_(SERVICE|JOBS|POD_JSON)$/.test(k));
            assert.deepEqual(other, [], `${n.id}: the fixtures' values carry no ${other.join(", ")}`);
        }
    });

    it("keeps upstream's quirks: keystone-rabbit-init waits for nothing, nothing waits for placement", () => {
        assert.equal(valuesOf("keystone").dependencies.static.rabbit_init, undefined);
        for (const n of objects) assert.doesNotMatch(envOf(n, "DEPENDENCY_SERVICE"), /:placement-api\b/, n.id);
    });
});

// --- The rendered charts.

interface K8sObject {
    kind: string;
    metadata: { name: string; annotations?: Record<string, string> };
    spec?: any;
}
const POD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job"]);

describe("rendered fixtures: every workload and hook Job waits as in the real chart", { skip: skipWithoutHelm }, () => {
    /** chart -> rendered objects (namespace openstack, release named after the chart). */
    const rendered = new Map<string, K8sObject[]>();
    const early = skipWithoutHelm
        ? undefined
        : renderEarly("fixture-waits-", CHARTS, (w) =>
              Promise.all(CHARTS.map((c) => renderChart<K8sObject>(w, c, NS, graph.render_values[c] ?? {}))),
          );
    const work = early?.work ?? "";

    before(async () => {
        const out = await early!.rendered;
        CHARTS.forEach((c, i) => rendered.set(c, out[i]));
    });
    after(() => work && fs.rmSync(work, { recursive: true, force: true }));

    const podObjects = () =>
        [...rendered.entries()].flatMap(([chart, objs]) =>
            objs.filter((o) => POD_KINDS.has(o.kind)).map((o) => ({ id: `${chart}/${o.kind}/${o.metadata.name}`, chart, o })),
        );
    const podSpec = (o: K8sObject) => o.spec.template.spec;
    const initOf = (o: K8sObject) => (podSpec(o).initContainers ?? []).find((c: any) => c.name === "init");
    const envMap = (c: any): Record<string, any> => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
    /** The rendered object of each graph object the fixtures have (a missing one fails the object-set test). */
    const pairs = () => {
        const byId = new Map(podObjects().map((p) => [p.id, p.o]));
        return objects.filter((n) => byId.has(n.id)).map((n) => ({ n, o: byId.get(n.id)! }));
    };

    it("renders the graph's objects, no more and no fewer", () => {
        const fixture = new Set(
            podObjects()
                .map((p) => p.id)
                .filter((id) => !excluded.has(id)),
        );
        const real = new Set(objects.map((n) => n.id));
        assert.deepEqual([...fixture].filter((id) => !real.has(id) && !differs.has(id)).sort(), [], "in the fixtures, not in the graph");
        assert.deepEqual([...real].filter((id) => !fixture.has(id) && !differs.has(id)).sort(), [], "in the graph, not in the fixtures");
    });

    it("starts every pod with the kubernetes-entrypoint init container", () => {
        for (const { id, o } of podObjects()) {
            const init = initOf(o);
            assert.ok(init, `${id} has no init container`);
            assert.equal(podSpec(o).initContainers[0].name, "init", `${id}: init runs first`);
            assert.deepEqual(init.command, ["kubernetes-entrypoint"], id);
            assert.equal(init.image, ENTRYPOINT_IMAGE, id);
            const env = envMap(init);
            assert.deepEqual(env.POD_NAME, { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } }, id);
            assert.deepEqual(env.NAMESPACE, { fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }, id);
            assert.equal(env.INTERFACE_NAME, "eth0", id);
            assert.equal(env.PATH, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/", id);
            assert.equal(env.COMMAND, "", id);
            for (const v of DEPENDENCY_VARS.filter((x) => x !== "DEPENDENCY_JOBS_JSON"))
                assert.equal(typeof env[v], "string", `${id} ${v}`);
        }
    });

    it("renders each object's DEPENDENCY_* env exactly as the real chart does", () => {
        for (const { n, o } of pairs()) {
            const env = envMap(initOf(o));
            for (const v of DEPENDENCY_VARS) assert.equal(env[v] ?? "", envOf(n, v), `${n.id} ${v}`);
        }
    });

    it("prefixes services with the release's namespace", async () => {
        const keystone = (await renderChart<K8sObject>(work, "keystone", "osh", graph.render_values.keystone ?? {})).find(
            (o) => o.kind === "Deployment" && o.metadata.name === "keystone-api",
        )!;
        assert.equal(envMap(initOf(keystone)).DEPENDENCY_SERVICE, "osh:memcached,osh:mariadb");
    });

    it("runs the hooks with the real charts' hooks and weights, so in Helm's order", () => {
        for (const { n, o } of pairs().filter((p) => p.n.kind === "Job")) {
            const a = o.metadata.annotations ?? {};
            assert.equal(a["helm.sh/hook"] ?? null, n.hook ?? null, `${n.id} hook`);
            assert.equal(a["helm.sh/hook-weight"] === undefined ? null : Number(a["helm.sh/hook-weight"]), n.hook_weight ?? null, n.id);
        }
        for (const chart of CHARTS) {
            const hooks = podObjects().filter(
                (p) => p.chart === chart && /post-install/.test(p.o.metadata.annotations?.["helm.sh/hook"] ?? ""),
            );
            const weight = (o: K8sObject) => Number(o.metadata.annotations!["helm.sh/hook-weight"]);
            const order = hooks.sort((x, y) => weight(x.o) - weight(y.o) || x.o.metadata.name.localeCompare(y.o.metadata.name));
            assert.deepEqual(
                order.map((h) => h.o.metadata.name),
                graph.helm_post_install_hook_order[chart],
                chart,
            );
        }
    });

    it("places and sizes the workloads as the graph does", () => {
        for (const { n, o } of pairs()) {
            assert.deepEqual(podSpec(o).nodeSelector, n.nodeSelector, `${n.id} nodeSelector`);
            if (n.kind !== "Job" && n.kind !== "DaemonSet") assert.equal(o.spec.replicas, n.replicas, `${n.id} replicas`);
        }
    });

    it("renders everything a wait names: each Service with the graph's pods behind it, each Job, a pod for each label set", () => {
        const all = [...rendered.values()].flat();
        const pods = podObjects().map((p) => ({ id: p.id, labels: p.o.spec.template.metadata.labels as Record<string, string> }));
        const selects = (sel: Record<string, string>) =>
            pods.filter((p) => Object.entries(sel).every(([k, v]) => p.labels[k] === v)).map((p) => p.id);
        for (const svc of graph.nodes.filter((n) => n.kind === "Service")) {
            const o = all.find((x) => x.kind === "Service" && x.metadata.name === svc.name);
            assert.ok(o, `no Service ${svc.name}`);
            assert.deepEqual(selects(o.spec.selector).sort(), [...svc.selects!].sort(), `Service ${svc.name} selects`);
        }
        const jobs = new Set(all.filter((o) => o.kind === "Job").map((o) => o.metadata.name));
        for (const n of objects) {
            for (const s of (n.entrypoint_env?.DEPENDENCY_SERVICE ?? "").split(",").filter(Boolean)) {
                assert.ok(
                    graph.nodes.some((x) => x.kind === "Service" && x.name === s.split(":")[1]),
                    `${n.id}: Service ${s}`,
                );
            }
            for (const j of (n.entrypoint_env?.DEPENDENCY_JOBS ?? "").split(",").filter(Boolean))
                assert.ok(jobs.has(j), `${n.id}: Job ${j}`);
            for (const p of JSON.parse(n.entrypoint_env?.DEPENDENCY_POD_JSON || "[]")) {
                assert.ok(selects(p.labels).length > 0, `${n.id}: no pod labelled ${JSON.stringify(p.labels)}`);
            }
        }
    });
});
