// Glance's pool carries the application glance's storage-init enables: the chart's script runs
// `ceph osd pool application enable glance.images glance-image`, which Ceph refuses ("Are you
// SURE? Pool ... already has an enabled application") while the pool carries another, as
// `rbd pool init` leaves it ("rbd"). Found by the real charts on the real node. The pool script
// runs here against a stand-in `ceph` that keeps each pool's applications and refuses a second
// one as Ceph does, then the chart's own enable is run after it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { poolCreateScript } from "../../components/commands/ceph";
import { GLANCE_POOL, GLANCE_POOL_APPLICATION } from "../../components/layers/image";
import { devRun, named } from "../support/program-fixture";

/** A `ceph`/`rbd` stand-in: pools and their applications as files under $STATE. */
const STAND_IN = String.raw`#!/usr/bin/env bash
set -eo pipefail
tool=$1; shift
apps() { cat "$STATE/$1.apps" 2>/dev/null || true; }
if [ "$tool" = rbd ]; then
  [ "$1 $2" = "pool init" ] || exit 64
  a=$(apps "$3"); [ -z "$a" ] || [ "$a" = rbd ] || { echo "rbd: pool $3 has application $a" >&2; exit 1; }
  echo rbd > "$STATE/$3.apps"; exit 0
fi
case "$1 $2 $3" in
  "osd pool ls") ls "$STATE" | sed -n 's/\.pool$//p' ;;
  "osd pool create") touch "$STATE/$4.pool" ;;
  "osd pool set") : ;;
  "osd pool application")
    op=$4 pool=$5 app=$6
    [ -e "$STATE/$pool.pool" ] || { echo "Error ENOENT: pool '$pool' does not exist" >&2; exit 2; }
    case $op in
      get) grep -qx "$app" <(apps "$pool") || exit 2 ;;
      enable)
        if grep -qx "$app" <(apps "$pool"); then exit 0; fi
        if [ -n "$(apps "$pool")" ] && [ "$7" != --yes-i-really-mean-it ]; then
          echo "Error EPERM: Are you SURE? Pool '$pool' already has an enabled application; pass --yes-i-really-mean-it to proceed anyway" >&2; exit 1
        fi
        echo "$app" >> "$STATE/$pool.apps" ;;
      disable) grep -vx "$app" <(apps "$pool") > "$STATE/$pool.apps.new" || true; mv "$STATE/$pool.apps.new" "$STATE/$pool.apps" ;;
    esac ;;
  *) echo "stand-in ceph: unexpected $*" >&2; exit 64 ;;
esac
`;

function cephStandIn(): { prefix: string; state: string; run: (script: string) => { code: number; stderr: string } } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ceph-pool-"));
    const state = path.join(dir, "state");
    fs.mkdirSync(state);
    const bin = path.join(dir, "stand-in");
    fs.writeFileSync(bin, STAND_IN, { mode: 0o755 });
    const prefix = `env STATE=${state} ${bin}`;
    return {
        prefix,
        state,
        run: (script) => {
            const r = spawnSync("bash", ["-c", script], { encoding: "utf8" });
            return { code: r.status ?? -1, stderr: r.stderr };
        },
    };
}

const spec = { name: GLANCE_POOL, pgs: 8, size: 1, purge: false, application: GLANCE_POOL_APPLICATION };
/** What glance's storage-init does with the pool after the program made it (_storage-init.sh.tpl). */
const chartEnable = (prefix: string) => `${prefix} ceph osd pool application enable ${GLANCE_POOL} ${GLANCE_POOL_APPLICATION}`;

describe("glance's pool and the chart's storage-init", () => {
    it("a new pool gets glance-image, and the chart's own enable then passes, again and again", () => {
        const ceph = cephStandIn();
        for (let i = 0; i < 2; i++) {
            const r = ceph.run(poolCreateScript(ceph.prefix, spec));
            assert.equal(r.code, 0, r.stderr);
        }
        assert.equal(fs.readFileSync(path.join(ceph.state, `${GLANCE_POOL}.apps`), "utf8"), "glance-image\n");
        const chart = ceph.run(chartEnable(ceph.prefix));
        assert.equal(chart.code, 0, chart.stderr);
    });

    it("a pool an earlier version tagged rbd is moved to glance-image (the chart's enable failed on it before)", () => {
        const ceph = cephStandIn();
        const old = ceph.run(poolCreateScript(ceph.prefix, { ...spec, application: undefined }));
        assert.equal(old.code, 0, old.stderr);
        const before = ceph.run(chartEnable(ceph.prefix));
        assert.notEqual(before.code, 0, "the stand-in refuses a second application, as Ceph does");
        assert.match(before.stderr, /Are you SURE\?/);
        const r = ceph.run(poolCreateScript(ceph.prefix, spec));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(fs.readFileSync(path.join(ceph.state, `${GLANCE_POOL}.apps`), "utf8"), "glance-image\n");
        assert.equal(ceph.run(chartEnable(ceph.prefix)).code, 0);
    });

    it("the program tags glance.images and tells the chart the same application", async () => {
        const run = await devRun();
        const pool = named(run, "image-pool-glance-images");
        assert.match(pool.inputs.create, /application enable 'glance\.images' 'glance-image'/);
        assert.doesNotMatch(pool.inputs.create, /rbd pool init/);
        const glance = run.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.name === "glance")!;
        assert.equal(glance.inputs.values.conf.glance.rbd.rbd_store_pool_app_name, GLANCE_POOL_APPLICATION);
    });
});
