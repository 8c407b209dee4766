// The chart repository check (components/probes/repository.ts): the index.yaml parser, the versions
// Helm would find, the problems and warnings at preview, the program refusing a version the
// repository lacks, and the fetch against a real loopback HTTP server in a child process.
import assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import {
    IndexFetch,
    IndexFetcher,
    chartRepositoryProblems,
    fetchChartIndex,
    helmFinds,
    newestFirst,
    parseChartIndex,
    shownUrl,
    useIndexStandIn,
} from "../../components/probes/repository";
import { CHART_CATALOG } from "../../components/catalog/charts";
import { ConfigError, StackConfig, loadConfig } from "../../components/config";
import { installMocks } from "../support/mocks";
import { chartIndexYaml, devStackConfig, evaluateProgram, schemaDefaults } from "../support/program-fixture";

const REPO = "http://127.0.0.1:18080";
const PINNED = Object.fromEntries(CHART_CATALOG.map((c) => [c.name, [c.version]])) as Record<string, string[]>;

const reader = (values: Record<string, unknown>) => ({
    get: (k: string) =>
        values[k] === undefined ? undefined : typeof values[k] === "string" ? (values[k] as string) : JSON.stringify(values[k]),
});
const load = (extra: Record<string, unknown> = {}): StackConfig =>
    loadConfig(reader({ ...schemaDefaults(), ...devStackConfig(), chartRepository: REPO, ...extra }));

/** A fetcher answering with an index of these versions, recording the URLs asked. */
function serving(versions: Record<string, readonly string[]>): IndexFetcher & { asked: string[] } {
    const asked: string[] = [];
    return Object.assign((url: string): IndexFetch => (asked.push(url), { kind: "ok", body: chartIndexYaml(versions) }), { asked });
}

describe("index.yaml", () => {
    it("reads each chart's versions as strings, as `helm repo index` writes them", () => {
        const index = parseChartIndex(`apiVersion: v1
entries:
  glance:
  - apiVersion: v2
    created: "2026-08-20T10:00:00.000000000Z"
    dependencies:
    - name: helm-toolkit
      repository: file://../helm-toolkit
      version: '>= 0.1.0'
    digest: 5b5e2a
    name: glance
    urls:
    - http://127.0.0.1:18080/glance-2026.1.22+0ee5adeff.tgz
    version: 2026.1.22+0ee5adeff
  - name: glance
    version: 1.10
  keystone: []
generated: "2026-08-20T10:00:00Z"
`);
        assert.deepEqual([...index.keys()], ["glance", "keystone"]);
        assert.deepEqual(index.get("glance"), ["2026.1.22+0ee5adeff", "1.10"], "1.10 stays 1.10, not the number 1.1");
        assert.deepEqual(index.get("keystone"), []);
        assert.deepEqual(parseChartIndex("apiVersion: v1\nentries: {}\n").size, 0);
    });

    it("refuses what is not an index", () => {
        assert.throws(() => parseChartIndex("<html><body>Welcome</body></html>"), /no entries map/);
        assert.throws(() => parseChartIndex("entries: [a, b]"), /no entries map/);
        assert.throws(() => parseChartIndex("entries: {a: [\n"), /not YAML/);
    });

    it("orders versions newest first by SemVer precedence", () => {
        assert.deepEqual(
            newestFirst([
                "2026.1.22+0ee5adeff",
                "2026.1.3+abc",
                "latest",
                "2026.1.23-rc.1",
                "2026.1.23+e2e",
                "v2026.2.0",
                "2026.1.23-rc.2",
            ]),
            ["v2026.2.0", "2026.1.23+e2e", "2026.1.23-rc.2", "2026.1.23-rc.1", "2026.1.22+0ee5adeff", "2026.1.3+abc", "latest"],
        );
    });

    it("finds a version as Helm does: the same string, else the same SemVer without the build metadata", () => {
        const offered = ["2026.1.22+0ee5adeff", "2026.1.23-rc.1"];
        assert.ok(helmFinds("2026.1.22+0ee5adeff", offered));
        assert.ok(helmFinds("2026.1.22", offered));
        assert.ok(helmFinds("v2026.1.22+other", offered));
        assert.ok(!helmFinds("2026.1.23", offered), "a pre-release is not the release");
        assert.ok(helmFinds("2026.1.23-rc.1", offered));
        assert.ok(!helmFinds("2026.1.21", offered));
    });
});

describe("the check at preview", () => {
    it("passes when every installed chart is there at its version, fetching index.yaml once", () => {
        const fetch = serving(PINNED);
        assert.deepEqual(chartRepositoryProblems(load(), fetch), { problems: [], warnings: [] });
        assert.deepEqual(fetch.asked, [`${REPO}/index.yaml`]);
    });

    it("names the key, the chart, the version asked and the versions on offer, newest first", () => {
        const fetch = serving({ ...PINNED, glance: ["2026.1.22+0ee5adeff", "2026.1.23+e2e"] });
        const { problems, warnings } = chartRepositoryProblems(load({ chartVersions: { glance: "9.9.9" } }), fetch);
        assert.deepEqual(warnings, []);
        assert.deepEqual(problems, [
            "openstack-helm-pulumi:chartVersions.glance: chart glance has no version 9.9.9 in http://127.0.0.1:18080 " +
                "(versions on offer: 2026.1.23+e2e, 2026.1.22+0ee5adeff). " +
                "Fix: pulumi config set --path 'openstack-helm-pulumi:chartVersions.glance' 2026.1.23+e2e",
        ]);
    });

    it("lists at most eight versions", () => {
        const many = Array.from({ length: 12 }, (_, i) => `2026.1.${i}+x`);
        const [p] = chartRepositoryProblems(load(), serving({ ...PINNED, nova: many })).problems;
        assert.match(p, /^openstack-helm-pulumi:chartVersions\.nova: chart nova has no version 2026\.1\.27\+0ee5adeff in /);
        assert.match(p, /\(versions on offer: 2026\.1\.11\+x, 2026\.1\.10\+x, 2026\.1\.9\+x, .*, 2026\.1\.4\+x, … and 4 more\)/);
    });

    it("refuses a chart the repository does not have, for the charts the stack installs only", () => {
        const rest = Object.fromEntries(Object.entries(PINNED).filter(([chart]) => chart !== "cinder" && chart !== "keystone"));
        assert.deepEqual(chartRepositoryProblems(load(), serving({ ...rest, cinder: [] })).problems, [
            `openstack-helm-pulumi:chartRepository: chart keystone is not in ${REPO} (charts on offer: ` +
                "cinder, glance, heat, horizon, libvirt, mariadb, memcached, neutron, … and 4 more). " +
                "Fix: pulumi config set openstack-helm-pulumi:chartRepository <a repository with the openstack-helm charts>",
        ]);
        const withCinder = chartRepositoryProblems(load({ enableCinder: "true" }), serving({ ...rest, keystone: PINNED.keystone }));
        assert.deepEqual(
            withCinder.problems.map((p) => p.split(" (")[0]),
            [`openstack-helm-pulumi:chartRepository: chart cinder is not in ${REPO}`],
        );
    });

    it("warns, and lets the preview go on, when the repository cannot be reached", () => {
        const down: IndexFetcher = () => ({ kind: "unreachable", detail: `GET ${REPO}/index.yaml: ECONNREFUSED` });
        assert.deepEqual(chartRepositoryProblems(load(), down), {
            problems: [],
            warnings: [
                `openstack-helm-pulumi:chartRepository: could not check the chart versions in ${REPO} (GET ${REPO}/index.yaml: ECONNREFUSED)`,
            ],
        });
    });

    it("refuses a URL with no index.yaml, or one that is not an index", () => {
        const missing: IndexFetcher = () => ({ kind: "missing", detail: `GET ${REPO}/index.yaml: HTTP 404` });
        assert.match(
            chartRepositoryProblems(load(), missing).problems[0],
            /^openstack-helm-pulumi:chartRepository: http:\/\/127\.0\.0\.1:18080 is not a Helm chart repository \(GET .*: HTTP 404\)\. Fix: /,
        );
        const page: IndexFetcher = () => ({ kind: "ok", body: "<html>Welcome</html>" });
        assert.match(
            chartRepositoryProblems(load(), page).problems[0],
            /is not a Helm chart repository \(index\.yaml has no entries map\)/,
        );
    });

    it("checks nothing for an OCI registry or a local checkout", () => {
        const never: IndexFetcher = () => assert.fail("fetched");
        assert.deepEqual(chartRepositoryProblems(load({ chartRepository: "oci://registry.example/osh" }), never), {
            problems: [],
            warnings: [],
        });
        assert.deepEqual(chartRepositoryProblems(load({ chartSource: "local", chartLocalPath: "/tmp/osh" }), never).problems, []);
    });

    it("shows no credentials of the URL", () => {
        const url = "https://robot:s3cret@charts.example/osh";
        assert.equal(shownUrl(url), "https://***@charts.example/osh");
        const fetch = serving({ ...PINNED, glance: ["1.0.0"] });
        const { problems } = chartRepositoryProblems(load({ chartRepository: url }), fetch);
        assert.deepEqual(fetch.asked, [`${url}/index.yaml`], "the fetch gets them");
        assert.ok(problems.length === 1 && !problems[0].includes("s3cret") && problems[0].includes("https://***@charts.example/osh"));
    });
});

describe("the program", () => {
    it("refuses a chart version the repository lacks", async () => {
        const fetch = serving({ ...PINNED, glance: ["2026.1.22+0ee5adeff", "2026.1.23+e2e"] });
        await installMocks({ ...schemaDefaults(), ...devStackConfig(), chartRepository: REPO, chartVersions: { glance: "9.9.9" } });
        useIndexStandIn(fetch);
        try {
            // Its top level throws, as the engine runs it at preview.
            await assert.rejects(
                evaluateProgram(),
                (e: unknown) =>
                    e instanceof ConfigError &&
                    e.problems.length === 1 &&
                    e.problems[0].startsWith("openstack-helm-pulumi:chartVersions.glance: chart glance has no version 9.9.9 in"),
            );
        } finally {
            useIndexStandIn(undefined);
        }
        assert.deepEqual(fetch.asked, [`${REPO}/index.yaml`]);
    });
});

// A chart repository in a child process (the fetch blocks this one): /repo/index.yaml, Basic
// auth on /private/, a request never answered on /hang/, 404 elsewhere. It prints its port.
const SERVER = `
const http = require("node:http");
const index = process.env.INDEX;
const server = http.createServer((req, res) => {
    if (req.url === "/repo/index.yaml") return res.end(index);
    if (req.url === "/private/index.yaml") {
        const ok = req.headers.authorization === "Basic " + Buffer.from("robot:s3cret").toString("base64");
        res.statusCode = ok ? 200 : 401;
        return res.end(ok ? index : "");
    }
    if (req.url.startsWith("/hang/")) return;
    res.statusCode = 404;
    res.end("not found");
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

describe("fetching index.yaml over HTTP (a loopback server in a child process)", () => {
    let server: ChildProcess;
    let port = "";
    let base = "";
    before(async () => {
        const index = chartIndexYaml({ ...PINNED, glance: ["2026.1.22+0ee5adeff", "2026.1.23+e2e"] });
        server = spawn(process.execPath, ["-e", SERVER], { env: { ...process.env, INDEX: index }, stdio: ["ignore", "pipe", "inherit"] });
        port = await new Promise<string>((resolve, reject) => {
            server.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim()));
            server.once("exit", (code) => reject(new Error(`server exited ${code}`)));
        });
        base = `http://127.0.0.1:${port}`;
    });
    after(() => server.kill());

    it("gets the index, and the check reads it", () => {
        const got = fetchChartIndex(`${base}/repo/index.yaml`);
        assert.equal(got.kind, "ok");
        assert.deepEqual(parseChartIndex((got as { body: string }).body).get("glance"), ["2026.1.22+0ee5adeff", "2026.1.23+e2e"]);
        const cfg = load({ chartRepository: `${base}/repo/`, chartVersions: { glance: "9.9.9" } });
        assert.deepEqual(chartRepositoryProblems(cfg, fetchChartIndex).problems, [
            `openstack-helm-pulumi:chartVersions.glance: chart glance has no version 9.9.9 in ${base}/repo ` +
                "(versions on offer: 2026.1.23+e2e, 2026.1.22+0ee5adeff). " +
                "Fix: pulumi config set --path 'openstack-helm-pulumi:chartVersions.glance' 2026.1.23+e2e",
        ]);
        assert.deepEqual(chartRepositoryProblems(load({ chartRepository: `${base}/repo` }), fetchChartIndex), {
            problems: [],
            warnings: [],
        });
    });

    it("sends the URL's user and password as Basic auth, and never shows them", () => {
        assert.equal(fetchChartIndex(`http://robot:s3cret@127.0.0.1:${port}/private/index.yaml`).kind, "ok");
        const denied = fetchChartIndex(`http://robot:wrong@127.0.0.1:${port}/private/index.yaml`);
        assert.deepEqual(denied, { kind: "unreachable", detail: `GET http://***@127.0.0.1:${port}/private/index.yaml: HTTP 401` });
    });

    it("tells a missing index (404) from a server that does not answer or is not there", async () => {
        assert.deepEqual(fetchChartIndex(`${base}/nothing/index.yaml`), {
            kind: "missing",
            detail: `GET ${base}/nothing/index.yaml: HTTP 404`,
        });
        assert.deepEqual(fetchChartIndex(`${base}/hang/index.yaml`, { answerMs: 300, totalMs: 2_000 }), {
            kind: "unreachable",
            detail: `GET ${base}/hang/index.yaml: timed out`,
        });
        const closed = await new Promise<number>((resolve) => {
            const s = net.createServer().listen(0, "127.0.0.1", () => {
                const { port } = s.address() as net.AddressInfo;
                s.close(() => resolve(port));
            });
        });
        assert.deepEqual(fetchChartIndex(`http://127.0.0.1:${closed}/index.yaml`), {
            kind: "unreachable",
            detail: `GET http://127.0.0.1:${closed}/index.yaml: ECONNREFUSED`,
        });
        const warning = chartRepositoryProblems(load({ chartRepository: `http://127.0.0.1:${closed}` }), fetchChartIndex).warnings;
        assert.match(
            warning[0],
            /^openstack-helm-pulumi:chartRepository: could not check the chart versions in http:\/\/127\.0\.0\.1:\d+ \(.*ECONNREFUSED\)$/,
        );
    });

    it("reads a file:// repository from the disk", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chart-repository-"));
        try {
            fs.writeFileSync(path.join(dir, "index.yaml"), chartIndexYaml(PINNED));
            assert.deepEqual(chartRepositoryProblems(load({ chartRepository: `file://${dir}` }), fetchChartIndex), {
                problems: [],
                warnings: [],
            });
            assert.deepEqual(fetchChartIndex(`file://${dir}/none/index.yaml`), { kind: "missing", detail: "no index.yaml" });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
