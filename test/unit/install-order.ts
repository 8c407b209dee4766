// The install order as the program registers it (under mocks), checked edge by edge against what
// the charts need (test/fixtures/dependency-graph.json): what must exist before a release is an
// edge; what a chart's own hooks and pods wait for is not. Used by the dev-stack test
// (install-order.test.ts) and the all-options one (program-options.test.ts).
import assert from "node:assert/strict";
import { ChartName, chartSpec } from "../../components/charts";
import { RELEASE_GONE_SCRIPT } from "../../components/deleteGuard";
import { script } from "../../components/shell";
import { afterReleases, atOnce, loadGraph as loadModelGraph, simulate } from "../harness/bench/model";
import { loadGraph } from "../harness/dependency-graph";
import { Registered } from "./mocks";
import { ProgramRun, byType, named, release } from "./program-fixture";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const graph = loadGraph();
const model = loadModelGraph();

/** Every resource `r` waits for, directly or through others. */
export function waitsFor(run: ProgramRun, r: Registered): Set<string> {
    const byUrn = new Map(run.resources.map((x) => [x.urn, x]));
    const seen = new Set<string>();
    const todo = [...r.dependencies];
    while (todo.length) {
        const u = todo.pop()!;
        if (seen.has(u)) continue;
        seen.add(u);
        todo.push(...(byUrn.get(u)?.dependencies ?? []));
    }
    return seen;
}

/** chart -> the releases it waits for before Helm installs it (the program's release-level edges). */
export function releaseEdges(run: ProgramRun): Record<string, string[]> {
    const releases = byType(run, RELEASE);
    const chartOf = new Map(releases.map((r) => [r.urn, r.inputs.name as string]));
    return Object.fromEntries(
        releases.map((r) => [
            r.inputs.name,
            [...waitsFor(run, r)]
                .filter((u) => chartOf.has(u))
                .map((u) => chartOf.get(u)!)
                .sort(),
        ]),
    );
}

/** The node label each of a chart's workloads and Jobs selects (from the charts' rendered objects). */
export function labelsSelected(chart: string): Set<string> {
    return new Set(graph.nodes.filter((n) => n.chart === chart && n.kind !== "Service").flatMap((n) => Object.keys(nodeSelector(n))));
}
const nodeSelector = (n: { nodeSelector?: Record<string, string> }): Record<string, string> => n.nodeSelector ?? {};

/** The label patches of `label`, one per node that gets it. */
const labelPatches = (run: ProgramRun, label: string) =>
    run.resources.filter((r) => r.type === "kubernetes:core/v1:NodePatch" && r.inputs.metadata?.labels?.[label] === "enabled");

/**
 * Asserts the install order of one run:
 * - no release waits for another (so every chart is handed to Helm at once), and the charts'
 *   wait graph then installs in the Helm-faithful critical path, without a wait cycle;
 * - every release waits for what must exist: the preflight check, the storage layer (namespace,
 *   StorageClass, ceph-etc, pvc-ceph-client-key), DNS RBAC, and the label of every node its pods
 *   select (a DaemonSet created before its label counts as ready with no pods);
 * - each chart with pre-delete hooks has a destroy guard on what those hooks need.
 */
export function assertInstallOrder(run: ProgramRun, charts: readonly ChartName[]): void {
    const edges = releaseEdges(run);
    assert.deepEqual(Object.keys(edges).sort(), [...charts].sort());
    for (const [chart, before] of Object.entries(edges)) assert.deepEqual(before, [], `${chart} waits for no other release`);

    const core = graph.charts.core.filter((c) => charts.includes(c as ChartName));
    const best = simulate(model, { releases: core, helm: true, start: atOnce }).makespan;
    assert.equal(simulate(model, { releases: core, helm: true, start: afterReleases(edges) }).makespan, best);

    // The namespace is the storage layer's only when it creates it (namespaceMode: create).
    const mustExist = ["preflight-leftovers", "storage-namespace", "storage-ceph-etc", "storage-ceph-admin-key", "dns-rbac-coredns-restart"]
        .map((name) => run.resources.find((r) => r.name === name))
        .filter((r): r is Registered => r !== undefined);
    assert.ok(mustExist.length >= 4, "the storage layer's objects are there");
    for (const chart of charts) {
        const waits = waitsFor(run, release(run, chart));
        for (const r of mustExist) assert.ok(waits.has(r.urn), `${chart} waits for ${r.name}`);
        const labels = labelsSelected(chart);
        assert.ok(labels.size > 0, `${chart} selects nodes`);
        for (const label of labels) {
            const patches = labelPatches(run, label);
            assert.ok(patches.length > 0, `some node gets ${label}`);
            for (const p of patches) assert.ok(waits.has(p.urn), `${chart} waits for ${p.name}`);
        }
    }
    for (const chart of ["mariadb", "rabbitmq"] as const) {
        const sc = run.resources.find((r) => r.name === "storage-storageclass");
        if (sc) assert.ok(waitsFor(run, release(run, chart)).has(sc.urn), `${chart}'s volumes use the StorageClass`);
    }
    assertDeleteGuards(run, charts);
}

/** What each chart's pre-delete hooks need, as releases: the guard of that chart must wait for exactly these. */
export const PRE_DELETE_NEEDS: Partial<Record<ChartName, ChartName[]>> = {
    // keystone-credential-cleanup waits for oslo_db: the mariadb Service.
    keystone: ["mariadb"],
    // glance-clean deletes the bootstrap images through Keystone (no entrypoint wait, it retries).
    glance: ["keystone"],
};

function assertDeleteGuards(run: ProgramRun, charts: readonly ChartName[]): void {
    // The pre-delete hooks of the charts' data: a Service one waits for is a release that must outlive it.
    for (const hook of graph.pre_delete_hooks) {
        const chart = hook.id.split("/")[0] as ChartName;
        if (!charts.includes(chart)) continue;
        for (const key of hook.services) {
            const service = graph.endpoints[chart][key];
            const owner = graph.nodes.find((n) => n.kind === "Service" && n.name === service)!.chart;
            assert.ok(PRE_DELETE_NEEDS[chart]?.includes(owner as ChartName), `${hook.id} waits for Service ${service} of ${owner}`);
        }
    }
    const guards = run.resources.filter((r) => r.name.endsWith("-delete-guard"));
    assert.deepEqual(
        guards.map((g) => g.inputs.environment.RELEASE).sort(),
        Object.keys(PRE_DELETE_NEEDS)
            .filter((c) => charts.includes(c as ChartName))
            .sort(),
    );
    for (const g of guards) {
        const chart = g.inputs.environment.RELEASE as ChartName;
        const needs = PRE_DELETE_NEEDS[chart]!.map((c) => release(run, c).urn);
        assert.deepEqual([...g.dependencies].filter((u) => byType(run, RELEASE).some((r) => r.urn === u)).sort(), [...needs].sort());
        assert.equal(g.inputs.delete, script(RELEASE_GONE_SCRIPT), `${g.name} waits on delete for ${chart} to be uninstalled`);
        assert.equal(g.inputs.triggers, undefined, `${g.name} is never replaced, so it is deleted only with its release`);
        assert.ok(!waitsFor(run, release(run, chart)).has(g.urn), `${chart} does not wait for its guard`);
        assert.equal(chartSpec(chart).wait, "hooks");
        const readiness = named(run, "readiness-namespace-ready");
        assert.ok(waitsFor(run, readiness).has(g.urn), `the install ends after ${g.name} exists`);
    }
}
