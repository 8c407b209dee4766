// Keystone's admin renamed through chartValues.keystone (endpoints.identity.auth.admin): the
// chart bootstraps that user, so the admin openrc and the verification log in as it, with its
// own password; with chartValues set as a secret, the verification's plan that names it is too.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { ProgramRun, devStackConfig, named, release, runProgram } from "../support/program-fixture";

const ADMIN = { username: "cloudadmin", project_name: "ops", region_name: "RegionTwo", user_domain_name: "corp" };
const config = { ...devStackConfig(), chartValues: { keystone: { endpoints: { identity: { auth: { admin: ADMIN } } } } } };

let plain: ProgramRun;
let secret: ProgramRun;
let dev: ProgramRun;
before(async () => {
    plain = await runProgram(config);
    secret = await runProgram(config, ["chartValues"]);
    dev = await runProgram(devStackConfig());
});

const plan = (run: ProgramRun) => JSON.parse(named(run, "verification-cloud-answers").inputs.environment.VERIFY_PLAN);

describe("Keystone's admin renamed in chartValues", () => {
    it("is the user the admin openrc names, with the chart's project, domains and region", () => {
        const openrc = plain.outputs.adminOpenrc as string;
        assert.match(openrc, /^export OS_USERNAME=cloudadmin$/m);
        assert.match(openrc, /^export OS_PROJECT_NAME=ops$/m);
        assert.match(openrc, /^export OS_REGION_NAME=RegionTwo$/m);
        assert.match(openrc, /^export OS_USER_DOMAIN_NAME=corp$/m);
        assert.match(openrc, /^export OS_PROJECT_DOMAIN_NAME=default$/m, "what the override leaves alone stays ours");
        // The password is the one the keystone chart bootstraps the renamed admin with.
        const values = release(plain, "keystone").inputs.values;
        assert.equal(values.endpoints.identity.auth.admin.username, "cloudadmin");
        assert.ok(openrc.split("\n").includes(`export OS_PASSWORD=${values.endpoints.identity.auth.admin.password}`));
    });

    it("is the user the verification logs in as", () => {
        const p = plan(plain);
        assert.deepEqual(p.admin, { username: "cloudadmin", project: "ops", userDomain: "corp", projectDomain: "default" });
        assert.equal(p.region, "RegionTwo");
        assert.ok(!named(plain, "verification-cloud-answers").secretPaths.includes("environment.VERIFY_PLAN"), "in the clear");
    });

    it("keeps the plan secret when chartValues were set as a secret, and the dev stack's plan in the clear as before", () => {
        assert.ok(named(secret, "verification-cloud-answers").secretPaths.includes("environment.VERIFY_PLAN"));
        assert.equal(plan(secret).admin.username, "cloudadmin");
        assert.ok(!named(dev, "verification-cloud-answers").secretPaths.includes("environment.VERIFY_PLAN"));
        assert.equal(plan(dev).admin.username, "admin");
        assert.match(dev.outputs.adminOpenrc as string, /^export OS_USERNAME=admin$/m);
    });
});
