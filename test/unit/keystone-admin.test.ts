// Keystone's admin renamed through chartValues.keystone (endpoints.identity.auth.admin): the
// chart bootstraps that user, so the admin openrc and the verification log in as it, with its
// own password; with chartValues set as a secret, the verification's plan that names it is too.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { ChartName, DEFAULT_CHART_VERSIONS, installedCharts } from "../../components/catalog/charts";
import { pinnedInventory } from "../../components/catalog/inventory";
import { ConfigError, loadConfig } from "../../components/config";
import { ProgramRun, devStackConfig, named, release, runProgram, schemaDefaults } from "../support/program-fixture";

const ADMIN = { username: "cloudadmin", project_name: "ops", region_name: "RegionTwo", user_domain_name: "corp" };
const adminEntry = (admin: object) => ({ endpoints: { identity: { auth: { admin } } } });
/** The dev stack's charts whose values have a Keystone admin entry. */
const WITH_ADMIN = installedCharts({ cinder: false, horizon: false, heat: false }).filter(
    (c) => pinnedInventory(c, DEFAULT_CHART_VERSIONS[c])?.usernames?.["endpoints.identity.auth.admin"] !== undefined,
);
/** Of those, the ones that register a service in Keystone (their Jobs log in as the admin at every install). */
const REGISTERING: ChartName[] = ["glance", "nova", "neutron", "placement"];
const config = {
    ...devStackConfig(),
    chartValues: {
        ...Object.fromEntries(WITH_ADMIN.map((c) => [c, adminEntry({ username: ADMIN.username })])),
        keystone: adminEntry(ADMIN),
    },
};

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

describe("Keystone's admin renamed in chartValues.keystone alone", () => {
    const load = (chartValues: Record<string, unknown>) => {
        const values: Record<string, unknown> = { ...schemaDefaults(), ...devStackConfig(), chartValues };
        return loadConfig({
            get: (k) =>
                values[k] === undefined ? undefined : typeof values[k] === "string" ? (values[k] as string) : JSON.stringify(values[k]),
        });
    };

    it("is refused at preview for each chart that registers its service, naming the chart's key and the fix", () => {
        let error: unknown;
        try {
            load({ keystone: adminEntry(ADMIN), glance: adminEntry({ username: "cloudadmin" }) });
        } catch (e) {
            error = e;
        }
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
        const named = (chart: string) =>
            error.problems.find((p) => p.startsWith(`openstack-helm-pulumi:chartValues.${chart}.endpoints.identity.auth.admin.username:`));
        assert.deepEqual(
            WITH_ADMIN.filter((c) => named(c)),
            REGISTERING.filter((c) => c !== "glance").sort((a, b) => WITH_ADMIN.indexOf(a) - WITH_ADMIN.indexOf(b)),
            "glance follows the rename; MariaDB is only warned about",
        );
        for (const chart of REGISTERING.filter((c) => c !== "glance")) {
            const line = named(chart)!;
            assert.match(line, /is admin, but the keystone chart bootstraps Keystone's admin as cloudadmin/);
            assert.ok(
                line.endsWith(
                    `Fix: pulumi config set --path 'openstack-helm-pulumi:chartValues.${chart}.endpoints.identity.auth.admin.username' cloudadmin`,
                ),
                line,
            );
        }
    });

    it("only warns about a chart that logs in as the admin with its Keystone features on (MariaDB's backups)", () => {
        const cfg = load({
            keystone: adminEntry(ADMIN),
            ...Object.fromEntries(REGISTERING.map((c) => [c, adminEntry({ username: "cloudadmin" })])),
        });
        assert.ok(WITH_ADMIN.includes("mariadb"));
        const warning = cfg.warnings.find((w) =>
            w.startsWith("openstack-helm-pulumi:chartValues.mariadb.endpoints.identity.auth.admin.username:"),
        );
        assert.ok(warning, cfg.warnings.join("\n"));
        assert.match(warning, /to follow the rename: pulumi config set --path '[^']+' cloudadmin$/);
    });
});
