// components/catalog/images.ts: imageRegistry rewrites every image of every chart, images.<chart>.<key>
// overrides one (checked like chartValues), imagePullSecret reaches every pod, and the `images`
// output is exactly what the releases receive. The rules are tested as pure functions; the
// program runs once (every chart installed, every image setting on) for what the releases get.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, describe, it } from "node:test";
import { CHARTS, ChartName, DEFAULT_CHART_VERSIONS } from "../../components/catalog/charts";
import { imageTagsFromCheckout, pinnedInventory } from "../../components/catalog/inventory";
import { ClusterProbe, clusterProblems } from "../../components/probes/cluster";
import { ConfigError, StackConfig, loadConfig } from "../../components/config";
import { valuePaths } from "../../components/release/valueTree";
import { imagePlan, imageValues, mirrored, parseImageRef, prefixProblem, referenceProblem } from "../../components/catalog/images";
import { unknownPaths } from "../support/chart-paths";
import { fixtureCopy, renderChart, skipWithoutHelm } from "../support/fixture-render";
import { FIXTURE_CHARTS, ProgramRun, byType, devStackConfig, release, runProgram } from "../support/program-fixture";

const PREFIX = "registry.example.internal:5000/osh";
const OVERRIDE = `${PREFIX}/patched/keystone:2026.1-hotfix1`;
const pinnedImages = (chart: ChartName) => pinnedInventory(chart, DEFAULT_CHART_VERSIONS[chart])!.images!;
const load = (values: Record<string, unknown>): StackConfig =>
    loadConfig({
        get: (k) =>
            values[k] === undefined ? undefined : typeof values[k] === "string" ? (values[k] as string) : JSON.stringify(values[k]),
    });
function problemsOf(values: Record<string, unknown>): string[] {
    try {
        load(values);
    } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return [...e.problems];
    }
    return [];
}

describe("the mapping", () => {
    it("keeps the path after the registry host, the tag and the digest", () => {
        const digest = `sha256:${"a".repeat(64)}`;
        for (const [from, to] of [
            ["registry-a.example/airshipit/keystone:2026.1-ubuntu_noble", `${PREFIX}/airshipit/keystone:2026.1-ubuntu_noble`],
            ["registry-b.example:443/rabbitmq:4.3.5-management", `${PREFIX}/rabbitmq:4.3.5-management`],
            ["bitnamilegacy/kubectl:1.33.4", `${PREFIX}/bitnamilegacy/kubectl:1.33.4`],
            ["localhost:5000/tools/kubectl:1.0", `${PREFIX}/tools/kubectl:1.0`],
            [`registry-c.example/vexxhost/netoffload@${digest}`, `${PREFIX}/vexxhost/netoffload@${digest}`],
            [`${PREFIX}/airshipit/keystone:x`, `${PREFIX}/airshipit/keystone:x`],
        ]) {
            assert.equal(mirrored(from, PREFIX), to, from);
        }
        assert.deepEqual(parseImageRef("registry-b.example/library/mariadb:11"), {
            host: "registry-b.example",
            path: "library/mariadb",
            tag: "11",
            digest: undefined,
        });
        assert.equal(
            parseImageRef("airshipit/keystone:1")?.host,
            undefined,
            "a first component without dot or port is a Docker Hub namespace",
        );
    });

    it("refuses a malformed reference or prefix, saying what is wrong", () => {
        assert.match(referenceProblem("Registry-a.example/X/Keystone:1")!, /is not an image reference/);
        assert.match(referenceProblem("registry-a.example/airshipit/keystone")!, /no tag or digest/);
        assert.match(referenceProblem(3)!, /a string/);
        assert.equal(referenceProblem("registry-a.example/airshipit/keystone:2026.1-ubuntu_noble"), undefined);
        assert.match(prefixProblem("https://registry.example.internal")!, /is a URL/);
        assert.match(prefixProblem("myorg/images")!, /names no registry host/);
        assert.match(prefixProblem("registry.example.internal/UPPER")!, /not host\[:port\]\[\/path\]/);
        assert.equal(prefixProblem("registry.example.internal:5000/openstack/mirror"), undefined);
        assert.equal(prefixProblem("localhost:5000"), undefined);
    });

    it("refuses two sources landing on one target, and lists each pulled image once with its source", () => {
        const plan = imagePlan(
            PREFIX,
            { keystone: { a: "registry-a.example/x/y:1", b: "registry-b.example/x/y:1", c: "registry-a.example/x/y:1" } },
            {},
            "bitnamilegacy/kubectl:1.33.4",
        );
        assert.deepEqual(plan.collisions, [
            `maps both registry-a.example/x/y:1 (keystone.a) and registry-b.example/x/y:1 (keystone.b) to ${PREFIX}/x/y:1`,
        ]);
        const fine = imagePlan(
            PREFIX,
            { keystone: { a: "registry-a.example/x/y:1", c: "registry-a.example/x/y:1" } },
            { keystone: { c: OVERRIDE } },
            "k:1",
        );
        assert.deepEqual(fine.collisions, []);
        assert.deepEqual(fine.settings.pulled, [`${PREFIX}/k:1`, OVERRIDE, `${PREFIX}/x/y:1`].sort());
        assert.equal(fine.settings.sources[`${PREFIX}/x/y:1`], "registry-a.example/x/y:1");
        assert.equal(fine.settings.sources[OVERRIDE], OVERRIDE, "an override is mirrored by the operator: it comes from itself");
        const none = imagePlan(undefined, { keystone: { a: "registry-a.example/x/y:1" } }, {}, "k:1");
        assert.deepEqual(none.settings.tags, {}, "without a registry or override no release gets images.tags");
    });
});

describe("the chart images the program knows", () => {
    it("the committed inventory lists every chart's images.tags, and the fixture charts carry the same keys and defaults", () => {
        for (const chart of CHARTS) {
            const images = pinnedImages(chart);
            assert.ok(Object.keys(images).includes("dep_check"), `${chart} has the entrypoint image`);
            for (const ref of Object.values(images)) assert.ok(parseImageRef(ref), `${chart}: ${ref} parses`);
            assert.deepEqual(imageTagsFromCheckout(FIXTURE_CHARTS, chart), images, chart);
        }
    });
});

describe("images overrides are checked at preview", () => {
    const dev = devStackConfig();
    it("names the nearest chart and key, and refuses a malformed reference with the fix", () => {
        const problems = problemsOf({
            ...dev,
            imageRegistry: "https://registry.example.internal",
            images: {
                keystne: { keystone_api: OVERRIDE },
                keystone: { keystone_apii: OVERRIDE, keystone_db_sync: "Keystone:latest" },
                glance: "registry-a.example/airshipit/glance:1",
            },
        });
        const line = (key: string) =>
            problems.find((p) => p.startsWith(`openstack-helm-pulumi:${key}:`)) ?? assert.fail(`no ${key}: ${problems.join("\n")}`);
        assert.match(
            line("imageRegistry"),
            /is a URL; .*Fix: pulumi config set openstack-helm-pulumi:imageRegistry registry\.example\.internal:5000\/openstack$/,
        );
        assert.match(
            line("images.keystne"),
            /is not a chart this program installs; did you mean keystone\?\. Fix: pulumi config rm --path/,
        );
        assert.match(
            line("images.keystone.keystone_apii"),
            new RegExp(
                `is not an image of chart keystone 2026\\.1\\.24\\+0ee5adeff \\(its images\\.tags has no keystone_apii\\); did you mean keystone_api\\?\\. Fix: pulumi config rm --path 'openstack-helm-pulumi:images\\.keystone\\.keystone_apii' && pulumi config set --path 'openstack-helm-pulumi:images\\.keystone\\.keystone_api' ${OVERRIDE.replace(/\./g, "\\.")}$`,
            ),
        );
        assert.match(
            line("images.keystone.keystone_db_sync"),
            /"Keystone:latest" is not an image reference.*Fix: pulumi config set --path/,
        );
        assert.match(line("images.glance"), /must be a map of the chart's images\.tags keys/);
        assert.equal(problems.length, 5, problems.join("\n"));
    });

    it("checks the keys against the local checkout with chartSource local, and warns about a chart the stack does not install", () => {
        const cfg = load({ ...dev, chartSource: "local", chartLocalPath: FIXTURE_CHARTS, images: { heat: { heat_api: OVERRIDE } } });
        assert.ok(cfg.warnings.some((w) => /images\.heat: chart heat is not installed/.test(w)));
        const problems = problemsOf({
            ...dev,
            chartSource: "local",
            chartLocalPath: FIXTURE_CHARTS,
            images: { glance: { glance_apl: OVERRIDE } },
        });
        assert.match(
            problems[0],
            new RegExp(`images\\.glance\\.glance_apl: is not an image of chart glance in ${FIXTURE_CHARTS}.*did you mean glance_api\\?`),
        );
    });

    it("counts chartValues' images.tags as an override, under images", () => {
        const cfg = load({
            ...dev,
            chartValues: {
                glance: {
                    images: {
                        tags: {
                            glance_api: "registry-a.example/airshipit/glance:custom",
                            glance_db_sync: "registry-a.example/airshipit/glance:custom",
                        },
                    },
                },
            },
            images: { glance: { glance_db_sync: OVERRIDE } },
        });
        assert.deepEqual(cfg.images.tags.glance, { glance_api: "registry-a.example/airshipit/glance:custom", glance_db_sync: OVERRIDE });
        assert.ok(cfg.images.pulled.includes("registry-a.example/airshipit/glance:custom"));
    });

    it("needs the pull Secret in the namespace before the install", () => {
        const cfg = load({ ...dev, imagePullSecret: "registry-pull" });
        const probe =
            (found: string[]): ClusterProbe =>
            (args) =>
                found.includes(args.join(" ")) ? "found" : "missing";
        const [problem] = clusterProblems(cfg, probe([])).problems;
        assert.match(
            problem,
            /^openstack-helm-pulumi:imagePullSecret: Secret registry-pull does not exist in namespace openstack.*Fix: kubectl create namespace openstack; kubectl -n openstack create secret docker-registry registry-pull/,
        );
        assert.deepEqual(clusterProblems(cfg, probe(["-n openstack secret registry-pull"])).problems, []);
        assert.match(problemsOf({ ...dev, imagePullSecret: "Registry Pull" })[0], /imagePullSecret: "Registry Pull" is not a Secret name/);
    });
});

describe("a stack with imageRegistry, an override and a pull Secret", () => {
    let run: ProgramRun;
    const settings = {
        enableCinder: "true",
        enableHorizon: "true",
        enableHeat: "true",
        imageRegistry: `${PREFIX}/`,
        images: { keystone: { keystone_api: OVERRIDE } },
        imagePullSecret: "registry-pull",
        // No cluster under mocks: the pull Secret's check can only warn.
        kubeconfig: "/nonexistent/kubeconfig",
    };
    before(async () => {
        run = await runProgram({ ...devStackConfig(), ...settings });
    });

    /** What each release's pods run: its images.tags over the chart's defaults. */
    const received = (chart: ChartName): Record<string, string> => ({
        ...pinnedImages(chart),
        ...release(run, chart).inputs.values.images?.tags,
    });

    it("rewrites every image of every chart under the prefix, the override aside, and leaves none pointing elsewhere", () => {
        for (const chart of CHARTS) {
            const tags = release(run, chart).inputs.values.images.tags;
            assert.deepEqual(Object.keys(tags).sort(), Object.keys(pinnedImages(chart)).sort(), `${chart}: every key written`);
            for (const [key, ref] of Object.entries(received(chart))) {
                if (chart === "keystone" && key === "keystone_api") assert.equal(ref, OVERRIDE);
                else assert.equal(ref, mirrored(pinnedImages(chart)[key], PREFIX), `${chart}.${key}`);
                assert.ok(ref.startsWith(`${PREFIX}/`), `${chart}.${key}: ${ref}`);
            }
        }
        const cron = byType(run, "kubernetes:batch/v1:CronJob")[0];
        assert.equal(cron.inputs.spec.jobTemplate.spec.template.spec.containers[0].image, `${PREFIX}/bitnamilegacy/kubectl:1.33.4`);
    });

    it("outputs exactly the images the releases and the refresher receive, sorted, in the clear", () => {
        const expected = new Set<string>([`${PREFIX}/bitnamilegacy/kubectl:1.33.4`]);
        for (const chart of CHARTS) for (const ref of Object.values(received(chart))) expected.add(ref);
        assert.deepEqual(run.outputs.images, [...expected].sort());
        assert.ok(!run.secretOutputs.has("images") && !run.secretOutputs.has("imageSources"));
        // Each rewritten image names the chart default it is copied from.
        for (const chart of CHARTS) {
            for (const [key, dflt] of Object.entries(pinnedImages(chart))) {
                if (chart !== "keystone" || key !== "keystone_api") assert.equal(run.outputs.imageSources[mirrored(dflt, PREFIX)], dflt);
            }
        }
        assert.equal(run.outputs.imageSources[OVERRIDE], OVERRIDE);
        assert.equal(run.outputs.images.length, Object.keys(run.outputs.imageSources).length);
    });

    it("switches on the charts' own registry auth with the operator's Secret, through real keys only", () => {
        for (const chart of CHARTS) {
            const values = release(run, chart).inputs.values;
            assert.equal(values.endpoints.oci_image_registry.auth.enabled, true, chart);
            assert.deepEqual(values.secrets.oci_image_registry, { [chart]: "registry-pull" }, chart);
            assert.equal(values.manifests.secret_registry, false, `${chart} does not make its own Secret over the operator's`);
            assert.deepEqual(unknownPaths(chart, valuePaths(values)), [], chart);
        }
        const sa = byType(run, "kubernetes:core/v1:ServiceAccount").find((r) => r.inputs.metadata.name === "ceph-config-refresher")!;
        assert.deepEqual(sa.inputs.imagePullSecrets, [{ name: "registry-pull" }]);
    });
});

describe("the fixture charts name every container's image by its images.tags key", { skip: skipWithoutHelm }, () => {
    let work = "";
    after(() => work && fs.rmSync(work, { recursive: true, force: true }));
    it("rendered with the rewrite and the pull Secret, every container and init container is under the prefix and pulls with it", async () => {
        const cfg = load({
            ...devStackConfig(),
            enableCinder: "true",
            enableHorizon: "true",
            enableHeat: "true",
            imageRegistry: PREFIX,
            imagePullSecret: "registry-pull",
        });
        work = fixtureCopy("fixture-images-", CHARTS);
        type Pod = { imagePullSecrets?: { name: string }[]; containers: { image: string }[]; initContainers?: { image: string }[] };
        type Obj = { kind: string; metadata: { name: string }; spec?: { template?: { spec: Pod } } };
        const rendered = await Promise.all(CHARTS.map((c) => renderChart<Obj>(work, c, "openstack", imageValues(c, cfg.images))));
        let containers = 0;
        for (const [i, objects] of rendered.entries()) {
            for (const o of objects.filter((x) => x.spec?.template?.spec)) {
                const pod = o.spec!.template!.spec;
                assert.deepEqual(pod.imagePullSecrets, [{ name: "registry-pull" }], `${CHARTS[i]} ${o.kind}/${o.metadata.name}`);
                for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
                    containers++;
                    assert.ok(c.image.startsWith(`${PREFIX}/`), `${CHARTS[i]} ${o.kind}/${o.metadata.name}: ${c.image}`);
                }
            }
        }
        assert.ok(containers > 100, `${containers} containers`);
    });
});
