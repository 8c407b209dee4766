// The install model the benchmark compares the simulator's measured makespan with
// (test/harness/bench/model.ts), on the charts' wait graph at the pinned commit: the reference
// numbers the install-order work was planned with.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { afterReleases, atOnce, loadGraph, oneAfterAnother, simulate } from "../harness/bench/model";

const graph = loadGraph();
const core = graph.charts.core;
const INFRA = ["mariadb", "rabbitmq", "memcached"];

describe("the install model", () => {
    it("critical path of the pure DAG (every object at once): 105 s", () => {
        assert.equal(simulate(graph, { releases: core, helm: false, start: atOnce }).makespan, 105);
    });

    it("critical path Helm-faithful (every release at once, hooks one at a time): 140 s, mostly glance's nine hooks", () => {
        const r = simulate(graph, { releases: core, helm: true, start: atOnce });
        assert.equal(r.makespan, 140);
        assert.equal(Math.max(...Object.values(r.releaseDone)), r.releaseDone.glance);
    });

    it("layers that wait for whole releases (infra -> keystone -> the rest): 221 s", () => {
        const layers = {
            keystone: INFRA,
            glance: ["keystone"],
            placement: ["keystone"],
            libvirt: ["keystone"],
            nova: ["keystone"],
            openvswitch: ["keystone"],
            neutron: ["keystone", "openvswitch"],
        };
        assert.equal(simulate(graph, { releases: core, helm: true, start: afterReleases(layers) }).makespan, 221);
    });

    it("the seed's order, one chart after the other's Helm call: 472 s", () => {
        assert.equal(simulate(graph, { releases: core, helm: true, start: oneAfterAnother(core) }).makespan, 472);
    });

    it("a dependency on a release that is not installed never resolves", () => {
        const r = simulate(graph, { releases: core.filter((c) => c !== "neutron"), helm: true, start: atOnce });
        assert.equal(r.ready["libvirt/DaemonSet/libvirt-libvirt-default"], Infinity, "libvirt waits for neutron's OVS agent");
    });
});
