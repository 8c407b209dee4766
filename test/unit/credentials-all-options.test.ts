// One password per user in the stack with every chart (the local checkout: the fixture charts,
// which carry the real charts' default usernames): cinder's `glance` entry is the Keystone user
// glance, so it gets glance's own password, and the program generates no copy of it.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { CHARTS } from "../../components/catalog/charts";
import { pinnedInventory } from "../../components/catalog/inventory";
import { DEFAULT_CHART_VERSIONS } from "../../components/config";
import { ALL_OPTIONS_SECRET_KEYS, FIXTURE_CHARTS, ProgramRun, allOptionsConfig, byType, runProgram } from "../support/program-fixture";
import { UserSecrets, checkoutUsernames, passwordResource, userSecrets, usersWithSeveralSecrets } from "../support/user-secrets";

let run: ProgramRun;
let users: UserSecrets;
before(async () => {
    run = await runProgram(allOptionsConfig(), ALL_OPTIONS_SECRET_KEYS);
    users = userSecrets(run, (chart) => checkoutUsernames(FIXTURE_CHARTS, chart));
});

describe("the all-options stack's users", () => {
    it("each get one secret across every chart", () => {
        assert.deepEqual(usersWithSeveralSecrets(users), []);
        // The dev stack's 53 entries and 34 users, and cinder's 11 entries (7 users of its own, and glance), horizon's 3 (1), heat's 9 (6).
        assert.equal(users.secrets.size, 48);
        assert.equal([...users.entries.values()].flat().length, 76);
        for (const [user, s] of users.secrets) assert.ok(passwordResource(run, [...s][0]), `${user}: not a RandomPassword`);
    });

    it("give cinder's glance entry glance's own password, and make no copy of it", () => {
        const glance = users.byEntry.get("glance.identity.glance")!;
        assert.deepEqual(users.byEntry.get("cinder.identity.glance"), glance);
        assert.equal(glance.user, "keystone glance");
        assert.equal(passwordResource(run, glance.password), "image-glance-keystone-password");
        const names = byType(run, "random:index/randomPassword:RandomPassword").map((r) => r.name);
        assert.ok(!names.includes("compute-cinder-glance-keystone-password"));
        // cinder's own cross-service users are users of their own.
        for (const key of ["nova", "service", "swift"]) {
            assert.equal(
                passwordResource(run, users.byEntry.get(`cinder.identity.${key}`)!.password),
                `compute-cinder-${key}-keystone-password`,
            );
        }
    });

    it("read from the fixture charts what the real charts say (the committed inventory, made from them)", () => {
        for (const chart of CHARTS) {
            const real = pinnedInventory(chart, DEFAULT_CHART_VERSIONS[chart])!.usernames;
            const fixture = checkoutUsernames(FIXTURE_CHARTS, chart);
            assert.deepEqual(
                Object.fromEntries(Object.entries(fixture).sort()),
                Object.fromEntries(
                    Object.entries(real)
                        .map(([p, u]) => [p.replace(/^endpoints\.(.*)\.auth\./, "$1."), u])
                        .sort(),
                ),
                chart,
            );
        }
    });
});
