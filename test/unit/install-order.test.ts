// The dev stack's install order: every chart at once, after what must exist (install-order.ts).
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { installedCharts } from "../../components/catalog/charts";
import { assertInstallOrder, releaseEdges } from "../support/install-order";
import { ProgramRun, devRun, release } from "../support/program-fixture";

let run: ProgramRun;
before(async () => {
    run = await devRun();
});

describe("install order (dev stack)", () => {
    it("hands every chart to Helm at once, after what must exist, deleted before what its pre-delete hooks need", () => {
        assertInstallOrder(run, installedCharts({ cinder: false, horizon: false, heat: false }));
    });

    it("has no release-level edge at all", () => {
        assert.ok(Object.values(releaseEdges(run)).every((e) => e.length === 0));
    });

    it("makes keystone-rabbit-init wait for RabbitMQ (the chart declares it where its Job does not read it)", () => {
        assert.deepEqual(release(run, "keystone").inputs.values.dependencies.static.rabbit_init, {
            services: [{ endpoint: "internal", service: "oslo_messaging" }],
        });
    });
});
