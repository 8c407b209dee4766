// A chartValues override that renames a user gives that user a password of its own; one that
// names another chart's user gives it that user's password. The program run is the all-options
// stack with cinder's `glance` entry renamed to `cinder_glance`; the rest is the plan alone.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { loadConfig } from "../../components/config";
import { planUsers } from "../../components/layers/credentials";
import {
    ALL_OPTIONS_SECRET_KEYS,
    FIXTURE_CHARTS,
    ProgramRun,
    allOptionsConfig,
    byType,
    runProgram,
    schemaDefaults,
} from "../support/program-fixture";
import { UserSecrets, checkoutUsernames, passwordResource, userSecrets, usersWithSeveralSecrets } from "../support/user-secrets";

const withValues = (chartValues: Record<string, unknown>): Record<string, unknown> => ({
    ...allOptionsConfig(),
    chartValues: { ...(allOptionsConfig().chartValues as object), ...chartValues },
});
const CINDER_GLANCE = { cinder: { endpoints: { identity: { auth: { glance: { username: "cinder_glance" } } } } } };

let run: ProgramRun;
let users: UserSecrets;
before(async () => {
    run = await runProgram(withValues(CINDER_GLANCE), ALL_OPTIONS_SECRET_KEYS);
    users = userSecrets(run, (chart) => checkoutUsernames(FIXTURE_CHARTS, chart));
});

/** The plan of the all-options stack with these chartValues: `<kind> <username>` -> password name. */
function plan(chartValues: Record<string, unknown>): Map<string, string> {
    const values = { ...schemaDefaults(), ...withValues(chartValues) };
    const cfg = loadConfig({
        get: (k) =>
            values[k] === undefined ? undefined : typeof values[k] === "string" ? (values[k] as string) : JSON.stringify(values[k]),
    });
    return new Map(planUsers(cfg).map((u) => [`${u.kind} ${u.username}`, `${u.layer}-${u.name}`]));
}

describe("a user renamed in chartValues", () => {
    it("gets a password of its own (cinder's glance entry as cinder_glance), and glance keeps its own", () => {
        assert.deepEqual(usersWithSeveralSecrets(users), []);
        const cinderGlance = users.byEntry.get("cinder.identity.glance")!;
        assert.equal(cinderGlance.user, "keystone cinder_glance");
        assert.equal(passwordResource(run, cinderGlance.password), "compute-cinder-glance-keystone-password");
        assert.equal(passwordResource(run, users.byEntry.get("glance.identity.glance")!.password), "image-glance-keystone-password");
        const compute = byType(run, "random:index/randomPassword:RandomPassword").find(
            (r) => r.name === "compute-cinder-glance-keystone-password",
        )!;
        assert.match(compute.parent, /components:Compute::compute$/, "a child of the compute layer, as cinder's other passwords");
        // The username reaches the chart as the override says.
        const values = byType(run, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "cinder")!.inputs.values;
        assert.equal(values.endpoints.identity.auth.glance.username, "cinder_glance");
    });

    it("to another chart's user gets that user's password, and no copy is made", () => {
        const p = plan({ cinder: { endpoints: { identity: { auth: { nova: { username: "nova" } } } } } });
        assert.equal(p.get("keystone nova"), "compute-nova-keystone-password");
        assert.ok(![...p.values()].includes("compute-cinder-nova-keystone-password"));
    });

    it("whose own password another user keeps gets one named after it (a nova cell's DB user)", () => {
        const p = plan({ nova: { endpoints: { oslo_db_cell1: { auth: { nova: { username: "nova_cell1" } } } } } });
        assert.equal(p.get("db nova"), "compute-nova-db-password");
        assert.equal(p.get("db nova_cell1"), "compute-user-nova_cell1-db-password");
        const odd = plan({ nova: { endpoints: { oslo_db_cell1: { auth: { nova: { username: "nova cell/1" } } } } } });
        assert.match(odd.get("db nova cell/1")!, /^compute-user-nova-cell-1-[0-9a-f]{8}-db-password$/);
    });

    it("leaves the chart's own user its password when it renames it, the other entries keep theirs", () => {
        const p = plan({ glance: { endpoints: { identity: { auth: { glance: { username: "glance_svc" } } } } } });
        assert.equal(p.get("keystone glance_svc"), "image-glance-keystone-password");
        assert.equal(p.get("keystone glance"), "compute-cinder-glance-keystone-password");
    });

    it("without a rename, the plan is the one the program made (no user of its own for a copy)", () => {
        const p = plan({});
        assert.equal(p.get("keystone glance"), "image-glance-keystone-password");
        assert.equal(p.get("db nova"), "compute-nova-db-password");
        assert.equal(new Set(p.values()).size, p.size - 5, "the five helm-test users share one password, as before");
    });
});
