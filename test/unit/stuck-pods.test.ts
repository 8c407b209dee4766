// The stuck-install doctor (components/scripts/stuck-pods.cjs) on the entrypoint cases the
// simulator's controller is tested on too, and its report as the readiness check prints it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../support/program-fixture";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const doctor = require("../../components/scripts/stuck-pods.cjs") as {
    stuckPods(list: unknown): { pod: string; node: string; waitingFor: Record<string, unknown>[] }[];
    report(stuck: unknown): string;
};

interface Case {
    name: string;
    pod: Record<string, any>;
    objects: Record<string, any>[];
    unmet: Record<string, unknown>[];
}
const CASES = (JSON.parse(fs.readFileSync(path.join(ROOT, "test/fixtures/entrypoint-cases.json"), "utf8")) as { cases: Case[] }).cases;
const key = (d: Record<string, unknown>) =>
    JSON.stringify([d.kind, d.namespace, d.name ?? null, d.labels ?? null, d.requireSameNode ?? null]);

describe("the doctor applies kubernetes-entrypoint's rules", () => {
    for (const c of CASES) {
        it(c.name, () => {
            const stuck = doctor.stuckPods({ items: [c.pod, ...c.objects] });
            const mine = stuck.find((s) => s.pod === c.pod.metadata.name)!;
            assert.ok(mine, "the waiting pod is reported");
            assert.deepEqual(
                mine.waitingFor.map((d) => key({ ...d, requireSameNode: d.kind === "pod" ? d.requireSameNode : undefined })).sort(),
                c.unmet.map(key).sort(),
            );
        });
    }
});

describe("the doctor's report", () => {
    it("names each waiting pod, its node and what it waits for", () => {
        const c = CASES.find((x) => x.name.startsWith("a same-node pod dependency with the pod only on another node"))!;
        const pod = { ...c.pod, metadata: { ...c.pod.metadata, name: "nova-compute-default-x7k2p" } };
        const text = doctor.report(
            doctor.stuckPods({
                items: [
                    pod,
                    ...c.objects,
                    { kind: "Pod", metadata: { name: "done", namespace: "openstack" }, spec: {}, status: { phase: "Running" } },
                ],
            }),
        );
        assert.equal(
            text,
            "nova-compute-default-x7k2p (k2) waits for pod openstack application=neutron,component=neutron-ovs-agent: no such pod on my node (k2)",
        );
        assert.equal(doctor.report([]), "no pod waits in its kubernetes-entrypoint init container");
    });

    it("runs as the readiness check runs it: a kubectl List on stdin, node -e", () => {
        const c = CASES.find((x) => x.name === "a Service with no endpoints at all is not met")!;
        const r = spawnSync("node", ["-e", fs.readFileSync(path.join(ROOT, "components/scripts/stuck-pods.cjs"), "utf8")], {
            input: JSON.stringify({ kind: "List", items: [c.pod, ...c.objects] }),
            encoding: "utf8",
            env: { ...process.env, STUCK_PODS_MAIN: "1" },
        });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, "waiter-0 (k2) waits for Service openstack/keystone-api: no ready endpoint\n");
    });
});
