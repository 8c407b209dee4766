// The final readiness check, run by bash against a stand-in kubectl that answers like a
// namespace whose workloads become ready after some polls (or never).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { READINESS_SCRIPT, STUCK_PODS_SCRIPT } from "../../components/layers/readiness";
import { scriptPath } from "../../components/commands/shell";
import { standinKubectl } from "../support/standin";

// Answers the jsonpath query from $S/workloads-<poll> (the last file once polls run out), and
// counts the polls; `sleep` is a no-op so the loop runs at once.
const STANDIN = String.raw`#!/bin/bash
set -eu
S="$STANDIN_STATE"
case "$*" in
  "-n openstack get deployments,statefulsets,daemonsets -o jsonpath="*)
    n=$(cat "$S/polls" 2>/dev/null || echo 0); echo $((n + 1)) > "$S/polls"
    f="$S/workloads-$n"; [ -e "$f" ] || f=$(ls "$S"/workloads-* | sort -V | tail -1); cat "$f" ;;
  "-n openstack get deployments,statefulsets,daemonsets -o name") cut -d' ' -f1 "$(ls "$S"/workloads-* | sort -V | tail -1)" ;;
  "-n openstack get jobs -o jsonpath="*)
    n=$(($(cat "$S/polls") - 1)); f="$S/jobs-$n"; [ -e "$f" ] || f=$(ls "$S"/jobs-* 2>/dev/null | sort -V | tail -1); [ -z "$f" ] || cat "$f" ;;
  "-n openstack get pods,jobs,endpointslices.discovery.k8s.io,endpoints,daemonsets -o json")
    echo "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice" >&2; cat "$S/objects.json" ;;
  *) echo "stand-in kubectl: unexpected call: $*" >&2; exit 99 ;;
esac
`;
const kubectl = standinKubectl(STANDIN);

/** Jobs as the check reads them: name|helm hook|owner kind|succeeded. */
function readiness(polls: string[][], timeoutSeconds: number, objects?: unknown, jobs: string[][] = []) {
    const state = kubectl.newState();
    polls.forEach((lines, i) => fs.writeFileSync(path.join(state, `workloads-${i}`), lines.map((l) => `${l}\n`).join("")));
    jobs.forEach((lines, i) => fs.writeFileSync(path.join(state, `jobs-${i}`), lines.map((l) => `${l}\n`).join("")));
    fs.writeFileSync(path.join(state, "sleep"), "#!/bin/sh\n", { mode: 0o755 });
    const env: NodeJS.ProcessEnv = { ...kubectl.env(state), NAMESPACE: "openstack", TIMEOUT_SECONDS: String(timeoutSeconds) };
    env.PATH = `${state}:${env.PATH}`;
    if (objects) {
        fs.writeFileSync(path.join(state, "objects.json"), JSON.stringify(objects));
        env.STUCK_PODS_JS = fs.readFileSync(scriptPath(STUCK_PODS_SCRIPT), "utf8");
    }
    const r = spawnSync("bash", [scriptPath(READINESS_SCRIPT)], { encoding: "utf8", env, timeout: 30_000 });
    return { code: r.status, out: r.stdout, err: r.stderr, polls: Number(fs.readFileSync(path.join(state, "polls"), "utf8")) };
}

describe("readiness: one check of the whole namespace", () => {
    it("waits until every Deployment, StatefulSet and DaemonSet is ready", () => {
        const r = readiness(
            [
                ["Deployment/keystone-api 1 ", "StatefulSet/mariadb-server 1 1", "DaemonSet/libvirt-libvirt-default 3 1"],
                ["Deployment/keystone-api 1 1", "StatefulSet/mariadb-server 1 1", "DaemonSet/libvirt-libvirt-default 3 3"],
            ],
            60,
        );
        assert.equal(r.code, 0, r.err);
        assert.equal(r.out.trim(), "all 3 workloads in openstack are ready");
        assert.equal(r.polls, 2);
    });

    it("also waits for the plain Jobs the charts run (nova's cell setup), not for hooks or CronJob runs", () => {
        const ready = ["Deployment/nova-api-osapi 1 1"];
        const r = readiness([ready, ready, ready], 60, undefined, [
            ["nova-cell-setup|||", "nova-db-sync|post-install,post-upgrade||1", "update-ceph-config-29000||CronJob|"],
            ["nova-cell-setup|||1", "nova-bootstrap|||", "nova-db-sync|post-install,post-upgrade||1"],
            [
                "nova-cell-setup|||1",
                "nova-bootstrap|||1",
                "nova-db-sync|post-install,post-upgrade||1",
                "update-ceph-config-29000||CronJob|",
            ],
        ]);
        assert.equal(r.code, 0, r.err);
        assert.equal(r.polls, 3);
        assert.equal(r.out.trim(), "all 1 workloads in openstack are ready and its 2 Jobs done");
    });

    it("names a plain Job that has not succeeded when it times out", () => {
        const r = readiness([["Deployment/nova-api-osapi 1 1"]], 0, undefined, [["nova-bootstrap|||"]]);
        assert.equal(r.code, 1);
        assert.match(r.err, /Job\/nova-bootstrap not succeeded/);
    });

    it("counts a DaemonSet with no node to run on as ready", () => {
        const r = readiness([["DaemonSet/neutron-l3-agent 0 "]], 60);
        assert.equal(r.code, 0, r.err);
    });

    it("fails after the timeout naming each workload still short, with its ready/wanted count", () => {
        const r = readiness(
            [["Deployment/nova-api-osapi 2 1", "DaemonSet/nova-compute-default 3 ", "StatefulSet/rabbitmq-rabbitmq 1 1"]],
            0,
        );
        assert.equal(r.code, 1);
        assert.match(r.err, /not ready after 0s:/);
        assert.match(r.err, /Deployment\/nova-api-osapi 1\/2/);
        assert.match(r.err, /DaemonSet\/nova-compute-default 0\/3/);
        assert.doesNotMatch(r.err, /rabbitmq/);
    });

    it("on a timeout, names every pod still waiting in its entrypoint and what it waits for", () => {
        const cases = JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/entrypoint-cases.json"), "utf8")).cases as {
            name: string;
            pod: any;
            objects: any[];
        }[];
        const c = cases.find((x) => x.name === "a running Job is not")!;
        const pod = { ...c.pod, metadata: { ...c.pod.metadata, name: "keystone-api-5d8f7-abcde" } };
        const r = readiness([["Deployment/keystone-api 1 "]], 0, { kind: "List", items: [pod, ...c.objects] });
        assert.equal(r.code, 1);
        assert.match(r.err, /Deployment\/keystone-api 0\/1/);
        assert.doesNotMatch(r.err, /Warning:/, "kubectl's deprecation warning stays out of the report");
        assert.match(
            r.err,
            /pods still waiting for their dependencies:\n {2}keystone-api-5d8f7-abcde \(k2\) waits for Job openstack\/keystone-db-sync: not succeeded/,
        );
    });
});
