// The install order as the program registers it (under mocks), checked edge by edge against what
// the charts need (test/fixtures/dependency-graph.json): what must exist before a release is an
// edge; what a chart's own hooks and pods wait for is not. Used by the dev-stack test
// (install-order.test.ts) and the all-options one (program-options.test.ts).
import assert from "node:assert/strict";
import { ChartName } from "../../components/catalog/charts";
import { afterReleases, atOnce, loadGraph as loadModelGraph, simulate } from "../harness/bench/model";
import { loadGraph } from "../harness/dependency-graph";
import { Registered } from "./mocks";
import { ProgramRun, byType, named, nodeLabels, release } from "./program-fixture";

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

/** The Command that puts `label` on its nodes, if it names any. */
const labelCommands = (run: ProgramRun, label: string) =>
    nodeLabels(run)
        .filter((l) => l.label === label && l.nodes.some(Boolean))
        .map((l) => l.resource);

/**
 * Asserts the install order of one run:
 * - no release waits for another (so every chart is handed to Helm at once), and the charts'
 *   wait graph then installs in the Helm-faithful critical path, without a wait cycle;
 * - every release waits for what must exist: the preflight check, the storage layer (namespace,
 *   StorageClass, ceph-etc, pvc-ceph-client-key), DNS RBAC, and the label of every node its pods
 *   select (a DaemonSet created before its label counts as ready with no pods);
 * - destroy deletes each chart with pre-delete hooks in an earlier round than what they need.
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
            const patches = labelCommands(run, label);
            assert.ok(patches.length > 0, `some node gets ${label}`);
            for (const p of patches) assert.ok(waits.has(p.urn), `${chart} waits for ${p.name}`);
        }
    }
    for (const chart of ["mariadb", "rabbitmq"] as const) {
        const sc = run.resources.find((r) => r.name === "storage-storageclass");
        if (sc) assert.ok(waitsFor(run, release(run, chart)).has(sc.urn), `${chart}'s volumes use the StorageClass`);
    }
    assertDeleteOrder(run, charts);
}

/** What each chart's pre-delete hooks need, as releases: destroy must delete the chart before them. */
export const PRE_DELETE_NEEDS: Partial<Record<ChartName, ChartName[]>> = {
    // keystone-credential-cleanup waits for oslo_db: the mariadb Service.
    keystone: ["mariadb"],
    // glance-clean deletes the bootstrap images through Keystone (no entrypoint wait, it retries).
    glance: ["keystone"],
};

function assertDeleteOrder(run: ProgramRun, charts: readonly ChartName[]): void {
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
    const rounds = deleteRounds(run);
    const roundOf = (chart: ChartName) => rounds.get(release(run, chart).urn)!;
    for (const [chart, needs] of Object.entries(PRE_DELETE_NEEDS) as [ChartName, ChartName[]][]) {
        if (!charts.includes(chart)) continue;
        for (const need of needs) {
            assert.ok(
                roundOf(chart) < roundOf(need),
                `destroy deletes ${chart} (round ${roundOf(chart)}) before ${need} (round ${roundOf(need)})`,
            );
        }
        const marker = named(run, `${release(run, chart).parent.split("::").at(-1)}-${chart}-delete-order`);
        assert.ok(waitsFor(run, release(run, chart)).has(marker.urn), `${chart} is ordered by its marker`);
        assert.ok(
            ![...waitsFor(run, marker)].some((u) => byType(run, RELEASE).some((r) => r.urn === u)),
            `${marker.name} waits for no release`,
        );
    }
}

/**
 * The rounds `pulumi destroy` deletes in, as the engine schedules them (ScheduleDeletes in
 * pkg/resource/deploy/step_generator.go at the pinned version): a resource's dependencies are its
 * dependency list, its parent (its provider is everyone's, so it changes no order) and, for a component among them, that component's
 * children registered before it; each round deletes what nothing left depends on, and a round
 * must finish before the next starts. Returns urn -> round (0 is deleted first).
 */
export function deleteRounds(run: ProgramRun): Map<string, number> {
    const order = run.resources;
    const index = new Map(order.map((r, i) => [r.urn, i]));
    const childrenOf = new Map<string, string[]>();
    for (const r of order) if (r.parent) childrenOf.set(r.parent, [...(childrenOf.get(r.parent) ?? []), r.urn]);
    const descendants = (urn: string): string[] => (childrenOf.get(urn) ?? []).flatMap((c) => [c, ...descendants(c)]);
    const deps = new Map<string, Set<string>>();
    for (const r of order) {
        const set = new Set<string>();
        for (const d of r.dependencies) {
            set.add(d);
            const dep = order.find((x) => x.urn === d);
            if (dep && !dep.custom) for (const c of descendants(d)) if ((index.get(c) ?? Infinity) < index.get(r.urn)!) set.add(c);
        }
        if (r.parent && index.has(r.parent)) set.add(r.parent);
        deps.set(r.urn, new Set([...set].filter((u) => index.has(u))));
    }
    const condemned = new Set(order.map((r) => r.urn));
    const forward: string[][] = [];
    while (condemned.size > 0) {
        const round = [...condemned].filter((u) => ![...deps.get(u)!].some((d) => condemned.has(d)));
        assert.ok(round.length > 0, "a dependency cycle");
        for (const u of round) condemned.delete(u);
        forward.push(round);
    }
    forward.reverse();
    return new Map(forward.flatMap((round, i) => round.map((u) => [u, i] as [string, number])));
}
