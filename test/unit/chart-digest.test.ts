// The digest that makes an edit of a local chart an update of that release (and only that one).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { localChartDigest } from "../../components/release/source";
import { FIXTURE_CHARTS } from "../support/program-fixture";

let checkout: string;
before(() => {
    checkout = fs.mkdtempSync(path.join(os.tmpdir(), "chart-digest-"));
    fs.cpSync(FIXTURE_CHARTS, checkout, { recursive: true });
});
after(() => fs.rmSync(checkout, { recursive: true, force: true }));

const digests = () => Object.fromEntries(["keystone", "glance", "nova"].map((c) => [c, localChartDigest(checkout, c)]));

describe("local chart digest", () => {
    it("changes for the edited chart only", () => {
        const before = digests();
        fs.appendFileSync(path.join(checkout, "glance/templates/service-api.yaml"), "\n# edited\n");
        const after = digests();
        assert.notEqual(after.glance, before.glance);
        assert.equal(after.keystone, before.keystone);
        assert.equal(after.nova, before.nova);
    });

    it("changes for every chart when helm-toolkit changes", () => {
        const before = digests();
        fs.appendFileSync(path.join(checkout, "helm-toolkit/templates/_labels.tpl"), "\n{{/* edited */}}\n");
        const after = digests();
        for (const c of Object.keys(before)) assert.notEqual(after[c], before[c], c);
    });

    it("ignores what helm dependency build writes", () => {
        const before = digests();
        fs.mkdirSync(path.join(checkout, "nova/charts"), { recursive: true });
        fs.writeFileSync(path.join(checkout, "nova/charts/helm-toolkit-2026.1.0.tgz"), "archive");
        fs.writeFileSync(path.join(checkout, "nova/Chart.lock"), "lock");
        assert.deepEqual(digests(), before);
    });
});
