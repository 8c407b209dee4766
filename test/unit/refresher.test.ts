// The ceph-etc monitor refresher, run by bash against a stand-in kubectl on PATH that answers
// like a cluster and records what the script asks for.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { REFRESHER_SCRIPT_PATH } from "../../components/layers/cephRefresher";
import { standinKubectl } from "../support/standin";

const FSID = "5c0f6f2e-0b8e-4d3f-9a54-3f1c2c7e9d10";
const ORIGINAL_CONF = `[global]\nfsid = ${FSID}\nmon_host = 10.96.10.1:6789,10.96.10.2:6789,10.96.10.3:6789\nauth_client_required = cephx\n\n[client]\nrbd_cache = true\n`;

// The stand-in: answers exactly the calls the refresher is allowed to make (its RBAC) and
// fails loudly on anything else. Patches are applied to the stored ceph.conf.
const STANDIN = String.raw`#!/bin/bash
set -eu
S="$STANDIN_STATE"
echo "$*" >> "$S/calls"
case "$*" in
  "-n rook-ceph get configmap rook-ceph-mon-endpoints -o jsonpath={.data.data}") cat "$S/mon-endpoints" ;;
  "-n rook-ceph get services -l app=rook-ceph-mon -o jsonpath={range .items[*]}{.metadata.name}{\" \"}{.spec.clusterIP}{\"\n\"}{end}") cat "$S/services" ;;
  "-n openstack get configmap ceph-etc -o jsonpath={.data.ceph\.conf}") cat "$S/ceph.conf" ;;
  "-n openstack patch configmap ceph-etc --type merge -p "*)
    payload="${"$"}{@: -1}"
    echo "$payload" >> "$S/patches"
    node -e 'const p = JSON.parse(process.argv[1]); if (Object.keys(p).join() !== "data" || Object.keys(p.data).join() !== "ceph.conf") process.exit(3); process.stdout.write(p.data["ceph.conf"])' "$payload" > "$S/ceph.conf.new"
    mv "$S/ceph.conf.new" "$S/ceph.conf"
    echo "configmap/ceph-etc patched" ;;
  *) echo "stand-in kubectl: unexpected call: $*" >&2; exit 99 ;;
esac
`;

const kubectl = standinKubectl(STANDIN);
let state: string;

interface Cluster {
    endpoints: string;
    services: [string, string][];
    conf: string;
}

function cluster(c: Cluster) {
    state = kubectl.newState();
    fs.writeFileSync(path.join(state, "mon-endpoints"), c.endpoints);
    fs.writeFileSync(path.join(state, "services"), c.services.map(([n, ip]) => `${n} ${ip}\n`).join(""));
    // kubectl's jsonpath prints the value as stored.
    fs.writeFileSync(path.join(state, "ceph.conf"), c.conf);
    fs.writeFileSync(path.join(state, "calls"), "");
}

function refresh() {
    // bash reads the script: no exec bit needed (as the CronJob runs it).
    const r = spawnSync("bash", [REFRESHER_SCRIPT_PATH], {
        env: kubectl.env(state),
        encoding: "utf8",
    });
    return {
        code: r.status,
        stderr: r.stderr,
        conf: fs.readFileSync(path.join(state, "ceph.conf"), "utf8"),
        patches: readOr(path.join(state, "patches")),
    };
}
const readOr = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8").trim().split("\n") : []);

describe("update-ceph-config.sh", () => {
    it("is valid bash", () => {
        execFileSync("bash", ["-n", REFRESHER_SCRIPT_PATH]);
    });

    it("follows renamed monitors, keeps fsid and every other line", () => {
        // Rook replaced mon-c by mon-d at a new address.
        cluster({
            endpoints: "a=10.96.10.1:6789,b=10.96.10.2:6789,d=10.96.10.4:6789",
            services: [
                ["rook-ceph-mon-a", "10.96.10.1"],
                ["rook-ceph-mon-b", "10.96.10.2"],
                ["rook-ceph-mon-d", "10.96.10.4"],
            ],
            conf: ORIGINAL_CONF,
        });
        const r = refresh();
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.patches.length, 1);
        assert.equal(r.conf, ORIGINAL_CONF.replace("10.96.10.3:6789", "10.96.10.4:6789"));
        assert.match(r.conf, new RegExp(`^fsid = ${FSID}$`, "m"));
        assert.match(r.stderr, /mon_host is now 10\.96\.10\.1:6789,10\.96\.10\.2:6789,10\.96\.10\.4:6789/);

        // A second run finds nothing to do and does not patch.
        const again = refresh();
        assert.equal(again.code, 0, again.stderr);
        assert.equal(again.patches.length, 1);
        assert.match(again.stderr, /unchanged/);
    });

    it("refuses a short monitor list (one mon Service missing) and changes nothing", () => {
        cluster({
            endpoints: "a=10.96.10.1:6789,b=10.96.10.2:6789,d=10.96.10.4:6789",
            services: [
                ["rook-ceph-mon-a", "10.96.10.1"],
                ["rook-ceph-mon-d", "10.96.10.4"],
            ],
            conf: ORIGINAL_CONF,
        });
        const r = refresh();
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /found 2 monitor Service\(s\) but Rook lists 3/);
        assert.deepEqual(r.patches, []);
        assert.equal(r.conf, ORIGINAL_CONF);
    });

    it("does not count a Service without a cluster IP", () => {
        cluster({
            endpoints: "a=10.96.10.1:6789,b=10.96.10.2:6789",
            services: [
                ["rook-ceph-mon-a", "10.96.10.1"],
                ["rook-ceph-mon-b", "None"],
            ],
            conf: ORIGINAL_CONF,
        });
        const r = refresh();
        assert.notEqual(r.code, 0);
        assert.deepEqual(r.patches, []);
    });

    it("refuses to rewrite a ceph.conf without fsid", () => {
        cluster({
            endpoints: "a=10.96.10.1:6789",
            services: [["rook-ceph-mon-a", "10.96.10.9"]],
            conf: "[global]\nmon_host = 10.96.10.1:6789\n",
        });
        const r = refresh();
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /no fsid/);
        assert.deepEqual(r.patches, []);
    });

    it("refuses when Rook lists no monitors", () => {
        cluster({ endpoints: "", services: [["rook-ceph-mon-a", "10.96.10.1"]], conf: ORIGINAL_CONF });
        const r = refresh();
        assert.notEqual(r.code, 0);
        assert.deepEqual(r.patches, []);
    });

    it("shrinks mon_host only when Rook itself dropped a monitor", () => {
        cluster({
            endpoints: "a=10.96.10.1:6789,b=10.96.10.2:6789",
            services: [
                ["rook-ceph-mon-a", "10.96.10.1"],
                ["rook-ceph-mon-b", "10.96.10.2"],
            ],
            conf: ORIGINAL_CONF,
        });
        const r = refresh();
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.conf, /^mon_host = 10\.96\.10\.1:6789,10\.96\.10\.2:6789$/m);
    });

    it("only reads Rook's monitors and reads/patches ceph-etc", () => {
        cluster({
            endpoints: "a=10.96.10.1:6789",
            services: [["rook-ceph-mon-a", "10.96.10.7"]],
            conf: ORIGINAL_CONF,
        });
        const r = refresh();
        assert.equal(r.code, 0, r.stderr);
        const calls = fs
            .readFileSync(path.join(state, "calls"), "utf8")
            .trim()
            .split("\n")
            .map((c) => c.split(" ").slice(0, 5).join(" "));
        assert.deepEqual(calls, [
            "-n rook-ceph get configmap rook-ceph-mon-endpoints",
            "-n rook-ceph get services -l",
            "-n openstack get configmap ceph-etc",
            "-n openstack patch configmap ceph-etc",
        ]);
    });
});
