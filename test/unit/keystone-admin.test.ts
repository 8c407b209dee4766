// Keystone's admin renamed through chartValues.keystone (endpoints.identity.auth.admin): the
// chart bootstraps that user, every other chart's admin entry follows it (their Keystone Jobs log
// in as it), and the admin openrc and the verification log in as it; with chartValues set as a
// secret, the verification's plan that names it is one too. A chart's own override naming another
// admin is refused where the chart registers its service in Keystone.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { ChartName } from "../../components/catalog/charts";
import { ConfigError, StackConfig, loadConfig } from "../../components/config";
import { ProgramRun, devStackConfig, named, release, runProgram, schemaDefaults } from "../support/program-fixture";

const ADMIN = { username: "cloudadmin", project_name: "ops", region_name: "RegionTwo", user_domain_name: "corp" };
const adminEntry = (admin: object) => ({ endpoints: { identity: { auth: { admin } } } });
const renamed = { ...devStackConfig(), chartValues: { keystone: adminEntry(ADMIN) } };
/** The dev stack's charts that register their service in Keystone. */
const REGISTERING: ChartName[] = ["glance", "placement", "nova", "neutron"];

let plain: ProgramRun;
let secret: ProgramRun;
let dev: ProgramRun;
before(async () => {
    plain = await runProgram(renamed);
    secret = await runProgram(renamed, ["chartValues"]);
    dev = await runProgram(devStackConfig());
});

const plan = (run: ProgramRun) => JSON.parse(named(run, "verification-cloud-answers").inputs.environment.VERIFY_PLAN);
const adminOf = (run: ProgramRun, chart: string) => release(run, chart).inputs.values.endpoints.identity.auth.admin;

describe("Keystone's admin renamed in chartValues.keystone", () => {
    it("is the user the admin openrc names, with the chart's project, domains and region", () => {
        const openrc = plain.outputs.adminOpenrc as string;
        assert.match(openrc, /^export OS_USERNAME=cloudadmin$/m);
        assert.match(openrc, /^export OS_PROJECT_NAME=ops$/m);
        assert.match(openrc, /^export OS_REGION_NAME=RegionTwo$/m);
        assert.match(openrc, /^export OS_USER_DOMAIN_NAME=corp$/m);
        assert.match(openrc, /^export OS_PROJECT_DOMAIN_NAME=default$/m, "what the override leaves alone stays ours");
        // The password is the one the keystone chart bootstraps the renamed admin with.
        const keystone = adminOf(plain, "keystone");
        assert.equal(keystone.username, "cloudadmin");
        assert.ok(openrc.split("\n").includes(`export OS_PASSWORD=${keystone.password}`));
    });

    it("reaches every other chart's admin entry: the same user, project, domain and region, and the same password", () => {
        const keystone = adminOf(plain, "keystone");
        for (const chart of [...REGISTERING, "mariadb"]) {
            const entry = adminOf(plain, chart);
            assert.equal(entry.username, "cloudadmin", `${chart}'s admin`);
            assert.equal(entry.project_name, "ops", `${chart}'s admin project`);
            assert.equal(entry.region_name, "RegionTwo", `${chart}'s admin region`);
            assert.equal(entry.user_domain_name, "corp", `${chart}'s admin user domain`);
            assert.equal(
                entry.project_domain_name,
                undefined,
                `${chart}: what Keystone's admin keeps of ours is left to the chart's default`,
            );
            assert.equal(entry.password, keystone.password, `${chart} logs in with the admin's password`);
        }
        // The dev stack names none of it: its values are as before.
        for (const chart of REGISTERING) assert.deepEqual(Object.keys(adminOf(dev, chart)), ["password"], chart);
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

describe("a chart's own admin entry naming another admin than Keystone's", () => {
    const load = (chartValues: Record<string, unknown>): StackConfig => {
        const values: Record<string, unknown> = { ...schemaDefaults(), ...devStackConfig(), chartValues };
        return loadConfig({
            get: (k) =>
                values[k] === undefined ? undefined : typeof values[k] === "string" ? (values[k] as string) : JSON.stringify(values[k]),
        });
    };
    const refusal = (chartValues: Record<string, unknown>): ConfigError => {
        try {
            load(chartValues);
        } catch (e) {
            assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
            return e;
        }
        assert.fail("the config was accepted");
    };

    it("is refused at preview where the chart registers its service, naming the key and the fix", () => {
        const e = refusal({
            keystone: adminEntry(ADMIN),
            glance: adminEntry({ username: "admin", region_name: "RegionTwo" }),
            nova: adminEntry({ project_name: "admin" }),
        });
        const lines = e.problems.filter((p) => p.includes(".endpoints.identity.auth.admin."));
        assert.deepEqual(
            lines.map((l) => l.split(":")[1]),
            ["chartValues.glance.endpoints.identity.auth.admin.username", "chartValues.nova.endpoints.identity.auth.admin.project_name"],
        );
        assert.match(lines[0], /is admin, but Keystone's admin has username cloudadmin/);
        assert.match(
            lines[0],
            /Fix: pulumi config rm --path 'openstack-helm-pulumi:chartValues\.glance\.endpoints\.identity\.auth\.admin\.username'$/,
        );
        // Against our admin too, when chartValues.keystone renames nothing.
        const ours = refusal({ neutron: adminEntry({ username: "root" }) });
        assert.match(
            ours.message,
            /chartValues\.neutron\.endpoints\.identity\.auth\.admin\.username: is root, but Keystone's admin has username admin/,
        );
    });

    it("only warns about MariaDB, which logs in as the admin only with its Keystone features on; an override that agrees passes", () => {
        const cfg = load({
            keystone: adminEntry(ADMIN),
            mariadb: adminEntry({ username: "admin" }),
            glance: adminEntry({ username: "cloudadmin" }),
        });
        const warning = cfg.warnings.find((w) =>
            w.startsWith("openstack-helm-pulumi:chartValues.mariadb.endpoints.identity.auth.admin.username:"),
        );
        assert.ok(warning, cfg.warnings.join("\n"));
        assert.match(warning, /to follow Keystone's: pulumi config rm --path '[^']+'$/);
        assert.equal(cfg.warnings.filter((w) => w.includes("chartValues.glance")).length, 0);
    });
});
