// One password per user in the dev stack (the pinned charts): every user a chart logs in as, by
// the committed inventory's default usernames, gets one secret across every chart.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { DEFAULT_CHART_VERSIONS } from "../../components/catalog/charts";
import { pinnedInventory } from "../../components/catalog/inventory";
import { ProgramRun, devStackConfig, runProgram } from "../support/program-fixture";
import { UserSecrets, passwordResource, userSecrets, usersWithSeveralSecrets } from "../support/user-secrets";

let run: ProgramRun;
let users: UserSecrets;
before(async () => {
    run = await runProgram(devStackConfig());
    users = userSecrets(run, (chart) => {
        const inv = pinnedInventory(chart, DEFAULT_CHART_VERSIONS[chart as keyof typeof DEFAULT_CHART_VERSIONS])!;
        return Object.fromEntries(Object.entries(inv.usernames).map(([p, u]) => [p.replace(/^endpoints\.(.*)\.auth\./, "$1."), u]));
    });
});

describe("the dev stack's users", () => {
    it("each get one secret across every chart", () => {
        assert.deepEqual(usersWithSeveralSecrets(users), []);
        // 53 entries of 8 charts, 34 users: the admins, each service's own and the cross-service users the charts name.
        assert.equal(users.secrets.size, 34);
        assert.equal([...users.entries.values()].flat().length, 53);
    });

    it("each secret a generated password", () => {
        for (const [user, s] of users.secrets) assert.ok(passwordResource(run, [...s][0]), `${user}: not a RandomPassword`);
    });

    it("give placement's nova_api entry the MariaDB user nova's password, nova's own", () => {
        const nova = users.byEntry.get("nova.oslo_db.nova")!;
        assert.equal(users.byEntry.get("placement.oslo_db.nova_api")!.user, "db nova");
        assert.equal(users.byEntry.get("placement.oslo_db.nova_api")!.password, nova.password);
        assert.equal(passwordResource(run, nova.password), "compute-nova-db-password");
        assert.deepEqual(users.entries.get("db nova"), [
            "placement.oslo_db.nova_api",
            "nova.oslo_db.nova",
            "nova.oslo_db_cell0.nova",
            "nova.oslo_db_cell1.nova",
        ]);
    });

    it("keep the users the charts name apart apart (nova_neutron is not neutron)", () => {
        const pw = (entry: string) => users.byEntry.get(entry)!.password;
        assert.equal(users.byEntry.get("nova.identity.neutron")!.user, "keystone nova_neutron");
        assert.notEqual(pw("nova.identity.neutron"), pw("neutron.identity.neutron"));
        assert.notEqual(pw("neutron.identity.nova"), pw("nova.identity.nova"));
        assert.notEqual(pw("glance.oslo_db.glance"), pw("glance.identity.glance"), "Keystone glance and MariaDB glance are two users");
    });
});
