// `annotations.job.<job>`: helm-toolkit puts the chart's values there on each Job (the key is
// the Job's name with _ for -, else `default`), the fixture charts do the same, and the
// chartValues check lets such overrides through. The e2e sets osh-sim.dev/fail there to make a
// hook Job fail on the simulator.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, describe, it } from "node:test";
import { checkOverrides, inventoryFromCheckout } from "../../components/catalog/inventory";
import { loadConfig } from "../../components/config";
import { inventory } from "../support/chart-paths";
import { fixtureCopy, renderChart, skipWithoutHelm } from "../support/fixture-render";
import { FIXTURE_CHARTS, devStackConfig, schemaDefaults } from "../support/program-fixture";

const FAIL = { "osh-sim.dev/fail": "ERROR glance: no such table: images\nTraceback (most recent call last):" };
const OVERRIDE = { annotations: { job: { glance_db_sync: FAIL, default: { "example.com/team": "storage" } } } };

describe("chartValues: annotations.job is read per Job", () => {
    it("is a free tree of every pinned chart (helm-toolkit renders each Job's map whole)", () => {
        for (const chart of ["mariadb", "keystone", "glance", "nova", "neutron", "cinder", "heat", "horizon"]) {
            assert.ok(inventory(chart)!.freeTrees.includes("annotations.job"), chart);
        }
        assert.deepEqual(checkOverrides("glance", inventory("glance")!, OVERRIDE), []);
        // Only under job: annotations.jobs is no key of the chart.
        assert.deepEqual(
            checkOverrides("glance", inventory("glance")!, { annotations: { jobs: { glance_db_sync: FAIL } } }).map((p) => p.path),
            ["annotations.jobs.glance_db_sync.osh-sim.dev/fail"],
        );
    });

    it("is a free tree of the fixture charts too (chartSource: local)", () => {
        const inv = inventoryFromCheckout(FIXTURE_CHARTS, "glance");
        assert.ok(inv.freeTrees.includes("annotations.job"));
        assert.deepEqual(checkOverrides("glance", inv, OVERRIDE), []);
    });

    it("passes the stack config check", () => {
        const values: Record<string, unknown> = { ...schemaDefaults(), ...devStackConfig(), chartValues: { glance: OVERRIDE } };
        const cfg = loadConfig({
            get: (k: string) =>
                values[k] === undefined ? undefined : typeof values[k] === "string" ? (values[k] as string) : JSON.stringify(values[k]),
        });
        assert.deepEqual(cfg.charts.values.glance, OVERRIDE);
    });
});

interface Job {
    kind: string;
    metadata: { name: string; annotations?: Record<string, string> };
    spec: { backoffLimit: number; template: { metadata: { annotations?: Record<string, string> } } };
}

describe("rendered fixtures: each Job carries its annotations.job", { skip: skipWithoutHelm }, () => {
    let work: string;
    before(() => (work = fixtureCopy("fixture-job-annotations-", ["glance", "nova"])));
    after(() => fs.rmSync(work, { recursive: true, force: true }));

    const jobs = async (chart: string, values: object) =>
        new Map(
            (await renderChart<Job>(work, chart, "openstack", values)).filter((o) => o.kind === "Job").map((o) => [o.metadata.name, o]),
        );

    it("puts the Job's own map on it, the default map on the others, beside Helm's hook annotations", async () => {
        const glance = await jobs("glance", OVERRIDE);
        const dbSync = glance.get("glance-db-sync")!;
        assert.deepEqual(dbSync.metadata.annotations, {
            "helm.sh/hook": "post-install,post-upgrade",
            "helm.sh/hook-weight": "-4",
            "helm.sh/hook-delete-policy": "before-hook-creation",
            ...FAIL,
        });
        assert.equal(dbSync.spec.backoffLimit, 0);
        // As in the real charts, on the Job only: the simulator copies osh-sim.dev/fail to its pods.
        assert.equal(dbSync.spec.template.metadata.annotations, undefined);
        for (const [name, job] of glance) {
            if (name === "glance-db-sync") continue;
            assert.equal(job.metadata.annotations?.["example.com/team"], "storage", name);
            assert.equal(job.metadata.annotations?.["osh-sim.dev/fail"], undefined, name);
        }
    });

    it("annotates a plain Job (no hook) too, and nothing without annotations.job", async () => {
        const nova = await jobs("nova", { annotations: { job: { nova_cell_setup: FAIL } } });
        assert.deepEqual(nova.get("nova-cell-setup")!.metadata.annotations, FAIL);
        assert.equal(nova.get("nova-bootstrap")!.metadata.annotations, undefined);
        for (const [name, job] of await jobs("glance", {})) {
            assert.deepEqual(
                Object.keys(job.metadata.annotations ?? {}).filter((k) => !k.startsWith("helm.sh/")),
                [],
                name,
            );
        }
    });
});
