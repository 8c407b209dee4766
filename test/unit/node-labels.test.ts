// The node label Command's script (components/scripts/node-labels.sh), run by bash against a
// stand-in kubectl that keeps each node's labels per server-side apply field manager, as the API
// server does: an apply sets what the manager holds on the node, a label stays while some manager
// holds it. (The e2e runs it against the simulator's API server.)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { NODE_LABELS_SCRIPT } from "../../components/layers/layer";
import { script, scriptPath } from "../../components/commands/shell";
import { standinKubectl } from "../support/standin";

// $STANDIN_STATE/nodes/<node>/<field manager>: the labels that manager holds on the node, one
// key=value a line. Each call is logged to $STANDIN_STATE/calls; an applied object of a node that
// does not exist creates it (as the API server does), which the tests look for. (read, not a
// cut per line: the 260-node test parses a thousand lines.)
const STANDIN = String.raw`#!/bin/bash
set -eu
S="$STANDIN_STATE"
echo "$*" >> "$S/calls"
case "$*" in
  'get nodes -o jsonpath={range .items[*]}{.metadata.name}{"\n"}{end}') ls "$S/nodes" ;;
  "apply --server-side --field-manager "*" -f -")
    manager=$4 node=""
    flush() { [ -z "$node" ] || { mkdir -p "$S/nodes/$node"; printf '%s' "$labels" > "$S/nodes/$node/$manager"; echo "node/$node serverside-applied"; }; }
    while IFS= read -r line; do
      case "$line" in
        ---) flush; node="" labels="" ;;
        '  name: "'*) IFS='"' read -r _ node _ <<<"$line" ;;
        '    "'*) IFS='"' read -r _ k _ v _ <<<"$line"; labels="$labels$k=$v"$'\n' ;;
      esac
    done
    flush ;;
  *) echo "stand-in kubectl: unexpected call: $*" >&2; exit 99 ;;
esac
`;
const kubectl = standinKubectl(STANDIN);
const MANAGER = "openstack-helm-pulumi-dev-openstack-compute-node";
const LABEL = "openstack-compute-node";

/** node -> field manager -> the labels it holds. */
type Cluster = Record<string, Record<string, Record<string, string>>>;

function writeCluster(state: string, cluster: Cluster): void {
    for (const [node, managers] of Object.entries(cluster)) {
        fs.mkdirSync(path.join(state, "nodes", node), { recursive: true });
        for (const [m, labels] of Object.entries(managers))
            fs.writeFileSync(
                path.join(state, "nodes", node, m),
                Object.entries(labels)
                    .map(([k, v]) => `${k}=${v}\n`)
                    .join(""),
            );
    }
}

function readCluster(state: string): Cluster {
    const dir = path.join(state, "nodes");
    return Object.fromEntries(
        fs.readdirSync(dir).map((node) => [
            node,
            Object.fromEntries(
                fs.readdirSync(path.join(dir, node)).map((m) => [
                    m,
                    Object.fromEntries(
                        fs
                            .readFileSync(path.join(dir, node, m), "utf8")
                            .split("\n")
                            .filter(Boolean)
                            .map((l) => l.split("=")),
                    ),
                ]),
            ),
        ]),
    );
}

/** Runs the script (`delete`: as the Command's delete runs it) on a cluster; returns what it printed and the cluster after. */
function labels(cluster: Cluster, nodes: string[], previous: string, opts: { delete?: boolean } = {}) {
    const state = kubectl.newState();
    writeCluster(state, cluster);
    const env: NodeJS.ProcessEnv = { ...kubectl.env(state), LABEL, FIELD_MANAGER: MANAGER, NODES: nodes.join("\n") };
    if (previous) env.PULUMI_COMMAND_STDOUT = previous;
    const text = (opts.delete ? "NODES=''\n" : "") + script(NODE_LABELS_SCRIPT);
    const r = spawnSync("/bin/bash", ["-c", text], { encoding: "utf8", env, timeout: 30_000 });
    const after = readCluster(state);
    const calls = fs.existsSync(path.join(state, "calls")) ? fs.readFileSync(path.join(state, "calls"), "utf8").trim().split("\n") : [];
    return { code: r.status, out: r.stdout, err: r.stderr, after, calls };
}

/** The labels a node shows: every label some manager holds. */
const shown = (cluster: Cluster, node: string) => Object.assign({}, ...Object.values(cluster[node] ?? {}));
const node = (extra: Record<string, Record<string, string>> = {}) => ({ kubelet: { "kubernetes.io/hostname": "x" }, ...extra });

describe("node labels: one Command per label", () => {
    it("is a bash script", () => {
        assert.equal(spawnSync("bash", ["-n", scriptPath(NODE_LABELS_SCRIPT)]).status, 0);
    });

    it("labels every node of the list in one apply under its field manager, and prints the list", () => {
        const r = labels({ k1: node(), k2: node(), k3: node() }, ["k2", "k1"], "");
        assert.equal(r.code, 0, r.err);
        assert.equal(r.out, "k1\nk2\n");
        assert.deepEqual(r.after.k1[MANAGER], { [LABEL]: "enabled" });
        assert.deepEqual(r.after.k2[MANAGER], { [LABEL]: "enabled" });
        assert.equal(r.after.k3[MANAGER], undefined);
        assert.equal(r.calls.filter((c) => c.startsWith("apply")).length, 1);
        assert.deepEqual(
            r.calls.filter((c) => c.startsWith("apply")),
            [`apply --server-side --field-manager ${MANAGER} -f -`],
        );
    });

    it("applies a long list in up to 8 kubectl calls at once (kubectl paces each to 5 requests a second)", () => {
        const many = Array.from({ length: 260 }, (_, i) => `n${String(i).padStart(3, "0")}`);
        const r = labels(Object.fromEntries(many.map((n) => [n, node()])), many, "");
        assert.equal(r.code, 0, r.err);
        assert.equal(r.out, many.map((n) => `${n}\n`).join(""));
        for (const n of many) assert.deepEqual(r.after[n][MANAGER], { [LABEL]: "enabled" }, n);
        assert.equal(r.calls.filter((c) => c.startsWith("apply")).length, 8);
    });

    it("gives up a node taken out of the list: the label goes, its other labels and a label someone else holds stay", () => {
        const cluster = {
            k1: node({ [MANAGER]: { [LABEL]: "enabled" } }),
            k2: node({ [MANAGER]: { [LABEL]: "enabled" } }),
            k3: node({ [MANAGER]: { [LABEL]: "enabled" }, operator: { [LABEL]: "enabled" } }),
            k4: node(),
        };
        const r = labels(cluster, ["k1", "k4"], "k1\nk2\nk3");
        assert.equal(r.code, 0, r.err);
        assert.equal(r.out, "k1\nk4\n");
        assert.deepEqual(r.after.k2[MANAGER], {}, "our hold on k2 given up");
        assert.deepEqual(shown(r.after, "k2"), { "kubernetes.io/hostname": "x" }, "k2 keeps its other labels");
        assert.deepEqual(shown(r.after, "k3"), { "kubernetes.io/hostname": "x", [LABEL]: "enabled" }, "the operator's hold on k3 stays");
        assert.deepEqual(r.after.k4[MANAGER], { [LABEL]: "enabled" });
        assert.match(r.err, /label openstack-compute-node: given up on k2 k3/);
    });

    it("needs nothing for a node already gone from the cluster (an apply would create it)", () => {
        const r = labels({ k1: node({ [MANAGER]: { [LABEL]: "enabled" } }) }, ["k1"], "k1\nk5");
        assert.equal(r.code, 0, r.err);
        assert.deepEqual(Object.keys(r.after), ["k1"]);
        assert.equal(r.out, "k1\n");
    });

    it("refuses a node of the list the cluster does not have, naming it, and changes nothing", () => {
        const r = labels({ k1: node() }, ["k1", "k7", "k9"], "");
        assert.equal(r.code, 1);
        assert.match(r.err, /^label openstack-compute-node: node\(s\) not in the cluster: k7 k9\. Fix: join them to the cluster first/);
        assert.deepEqual(r.calls, ['get nodes -o jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}']);
    });

    it("on delete gives up every node the last run labelled", () => {
        const cluster = { k1: node({ [MANAGER]: { [LABEL]: "enabled" } }), k2: node({ [MANAGER]: { [LABEL]: "enabled" } }) };
        const r = labels(cluster, ["k1", "k2"], "k1\nk2", { delete: true });
        assert.equal(r.code, 0, r.err);
        assert.equal(r.out, "");
        assert.deepEqual(shown(r.after, "k1"), { "kubernetes.io/hostname": "x" });
        assert.deepEqual(shown(r.after, "k2"), { "kubernetes.io/hostname": "x" });
    });

    it("passes the kubeconfig context on", () => {
        const state = kubectl.newState();
        writeCluster(state, { k1: node() });
        const env = { ...kubectl.env(state), LABEL, FIELD_MANAGER: MANAGER, NODES: "k1", KUBE_CONTEXT: "admin@osh" };
        const r = spawnSync("/bin/bash", ["-c", script(NODE_LABELS_SCRIPT)], { encoding: "utf8", env });
        // The stand-in knows no --context: the call names it.
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /unexpected call: --context admin@osh get nodes/);
    });
});
