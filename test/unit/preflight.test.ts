// The preflight leftover check, run by bash against a stand-in kubectl on PATH that answers
// like a namespace an earlier install left behind (or a new one).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { PREFLIGHT_SCRIPT, preflightEnvironment } from "../../components/layers/preflight";
import { scriptPath } from "../../components/commands/shell";
import { standinKubectl } from "../support/standin";

const STANDIN = String.raw`#!/bin/bash
set -eu
S="$STANDIN_STATE"
case "$*" in
  "get namespace openstack -o name") [ -e "$S/namespace" ] && echo namespace/openstack || { echo 'Error from server (NotFound)' >&2; exit 1; } ;;
  "-n openstack get persistentvolumeclaims,secrets -o name") cat "$S/objects" ;;
  "-n openstack get secrets -l owner=helm -o jsonpath={range .items[*]}{.metadata.labels.name}{\"\\n\"}{end}") cat "$S/releases" ;;
  *) echo "stand-in kubectl: unexpected call: $*" >&2; exit 99 ;;
esac
`;

const kubectl = standinKubectl(STANDIN);

function check(ns: { exists: boolean; objects?: string[]; releases?: string[] }, allow = false) {
    const state = kubectl.newState();
    if (ns.exists) fs.writeFileSync(path.join(state, "namespace"), "");
    fs.writeFileSync(path.join(state, "objects"), (ns.objects ?? []).map((o) => `${o}\n`).join(""));
    fs.writeFileSync(path.join(state, "releases"), (ns.releases ?? []).map((o) => `${o}\n`).join(""));
    const r = spawnSync("bash", [scriptPath(PREFLIGHT_SCRIPT)], {
        encoding: "utf8",
        env: { ...kubectl.env(state), ...preflightEnvironment("openstack", allow) },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("preflight: an earlier install's leftovers stop the first install", () => {
    it("passes on a new namespace", () => {
        const r = check({ exists: false });
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /is new/);
    });

    it("passes on a namespace with only unrelated objects", () => {
        const r = check({
            exists: true,
            objects: ["persistentvolumeclaim/data-something-0", "secret/my-tls", "secret/keystone-fernet-keys-backup"],
            releases: ["ingress-nginx"],
        });
        assert.equal(r.code, 0, r.err);
    });

    it("refuses kept volumes, kept Keystone keys and foreign releases, naming each and the fixes", () => {
        const r = check({
            exists: true,
            objects: [
                "persistentvolumeclaim/mysql-data-mariadb-server-0",
                "persistentvolumeclaim/rabbitmq-data-rabbitmq-rabbitmq-0",
                "secret/keystone-fernet-keys",
                "secret/keystone-credential-keys",
                "secret/other",
            ],
            releases: ["keystone", "keystone", "ingress-nginx"],
        });
        assert.equal(r.code, 1);
        for (const what of [
            "persistentvolumeclaim/mysql-data-mariadb-server-0",
            "persistentvolumeclaim/rabbitmq-data-rabbitmq-rabbitmq-0",
            "secret/keystone-fernet-keys",
            "helm release keystone",
        ]) {
            assert.ok(r.err.includes(what), `names ${what}:\n${r.err}`);
        }
        assert.doesNotMatch(r.err, /secret\/other|ingress-nginx/);
        assert.equal(r.err.match(/helm release keystone/g)?.length, 1);
        assert.match(r.err, /Nothing has been changed/);
        assert.match(r.err, /kubectl delete namespace openstack/);
        assert.match(r.err, /purgeOnDestroy=true/);
        assert.match(r.err, /kubectl -n openstack delete secret keystone-fernet-keys keystone-credential-keys/);
        assert.match(r.err, /helm -n openstack uninstall keystone/);
        assert.match(r.err, /pulumi config set allowLeftoverData true/);
    });

    it("lets kept volumes through with a warning when allowLeftoverData is set", () => {
        const r = check({ exists: true, objects: ["persistentvolumeclaim/mysql-data-mariadb-server-0"] }, true);
        assert.equal(r.code, 0);
        assert.match(r.err, /allowLeftoverData is true/);
        assert.match(r.err, /mysql-data-mariadb-server-0/);
    });

    it("still refuses the Keystone keys and foreign releases with allowLeftoverData: the install would fail on them", () => {
        const keys = check(
            { exists: true, objects: ["persistentvolumeclaim/mysql-data-mariadb-server-0", "secret/keystone-fernet-keys"] },
            true,
        );
        assert.equal(keys.code, 1);
        assert.match(keys.err, /kubectl -n openstack delete secret keystone-fernet-keys/);
        const releases = check({ exists: true, releases: ["nova"] }, true);
        assert.equal(releases.code, 1);
        assert.match(releases.err, /helm -n openstack uninstall nova/);
        assert.doesNotMatch(releases.err, /allowLeftoverData/, "the volumes hint only when there are volumes");
    });
});

describe("preflight: the kube context", () => {
    const logging = standinKubectl('#!/bin/bash\necho "$*" >> "$STANDIN_STATE/calls"\nexit 1\n');
    it("passes KUBE_CONTEXT to kubectl as --context", () => {
        const state = logging.newState();
        const r = spawnSync("bash", [scriptPath(PREFLIGHT_SCRIPT)], {
            encoding: "utf8",
            env: { ...logging.env(state), ...preflightEnvironment("openstack", false), KUBE_CONTEXT: "admin@prod" },
        });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(fs.readFileSync(path.join(state, "calls"), "utf8"), "--context admin@prod get namespace openstack -o name\n");
    });
});
