// components/config/: every bad stack config is rejected before anything runs, with one
// error that names each key and its fix.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { describe, it } from "node:test";
import { ConfigError, DEFAULTS, DEFAULT_CHART_VERSIONS, StackConfig, checkMinuteSchedule, loadConfig } from "../../components/config";
import { FIXTURE_CHARTS, devStackConfig, schemaDefaults } from "../support/program-fixture";

/** A reader over plain values, as the Pulumi runtime hands them over (objects as JSON). */
function reader(values: Record<string, unknown>) {
    return {
        get: (k: string) =>
            values[k] === undefined ? undefined : typeof values[k] === "string" ? (values[k] as string) : JSON.stringify(values[k]),
    };
}
const load = (values: Record<string, unknown>): StackConfig => loadConfig(reader(values));
const dev = devStackConfig();

function rejects(values: Record<string, unknown>, key: string, fix: RegExp): ConfigError {
    try {
        load(values);
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
        const line = e.problems.find((p) => p.startsWith(`openstack-helm-pulumi:${key}:`));
        assert.ok(line, `no problem names ${key}; got:\n${e.message}`);
        assert.match(line, /Fix: /);
        assert.match(line, fix);
        return e;
    }
    assert.fail(`config with bad ${key} was accepted`);
}

describe("a good config", () => {
    it("loads the dev stack (the seed's cluster)", () => {
        const cfg = load(dev);
        assert.equal(cfg.domain, "citec.com");
        assert.equal(cfg.identity.publicHost, "keystone.citec.com");
        assert.deepEqual(
            cfg.nodes.map((n) => [n.name, n.roles.join("+")]),
            [
                ["k1", "control"],
                ["k2", "compute+control"],
                ["k3", "compute+control"],
                ["k4", "compute"],
            ],
        );
        assert.equal(cfg.storage.replication, 1);
        assert.equal(cfg.compute.virtType, "qemu");
        assert.deepEqual(cfg.charts.source, { kind: "repository", repository: DEFAULTS.chartRepository });
        assert.deepEqual(cfg.charts.versions, DEFAULT_CHART_VERSIONS);
    });

    it("takes the same defaults as Pulumi.yaml's schema declares", () => {
        const fromCode = load(dev);
        const fromSchema = load({ ...schemaDefaults(), ...dev });
        assert.deepEqual(fromSchema, fromCode);
        // And every schema default is one of ours.
        const defaults = DEFAULTS as Record<string, unknown>;
        for (const [k, v] of Object.entries(schemaDefaults())) {
            assert.deepEqual(defaults[k], v, `Pulumi.yaml default of ${k}`);
        }
    });

    it("declares in Pulumi.yaml without a default only the keys the program requires", () => {
        // Pulumi refuses to run a stack that lacks any schema key with no default.
        const doc = yaml.load(fs.readFileSync(path.join(__dirname, "../../Pulumi.yaml"), "utf8")) as {
            config: Record<string, { default?: unknown }>;
        };
        const required = Object.entries(doc.config)
            .filter(([, v]) => v.default === undefined)
            .map(([k]) => k);
        assert.deepEqual(required, ["domain"]);
        // domain really is required by the config module.
        assert.throws(() => load({ ...dev, domain: undefined }), /domain/);
    });

    it("takes a local checkout, chart versions and extra values", () => {
        const cfg = load({
            ...dev,
            chartSource: "local",
            chartLocalPath: `${FIXTURE_CHARTS}/`,
            chartVersions: { keystone: "2026.1.30+abcdef123" },
            chartValues: { nova: { conf: { nova: { DEFAULT: { debug: true } } } } },
        });
        assert.deepEqual(cfg.charts.source, { kind: "local", path: FIXTURE_CHARTS });
        assert.equal(cfg.charts.versions.keystone, "2026.1.30+abcdef123");
        assert.equal(cfg.charts.versions.nova, DEFAULT_CHART_VERSIONS.nova);
        assert.deepEqual(cfg.charts.values.nova, { conf: { nova: { DEFAULT: { debug: true } } } });
    });

    it("runs the default Ceph toolbox on the configured kube context", () => {
        assert.equal(load(dev).storage.cephToolbox, DEFAULTS.cephToolbox);
        const cfg = load({ ...dev, kubeContext: "arn:aws:eks:eu-west-1:123456789012:cluster/osh" });
        assert.equal(
            cfg.storage.cephToolbox,
            "kubectl --context 'arn:aws:eks:eu-west-1:123456789012:cluster/osh' -n rook-ceph exec deploy/rook-ceph-tools --",
        );
        assert.equal(
            load({ ...dev, kubeContext: "a@b", cephToolbox: "ssh admin ceph-shell" }).storage.cephToolbox,
            "ssh admin ceph-shell",
            "a toolbox given is used as it is",
        );
    });

    it("accepts minute schedules and rejects daily ones", () => {
        for (const ok of ["*/5 * * * *", "* * * * *", "0,15,30,45 * * * *", "*/30 * * * *"])
            assert.equal(checkMinuteSchedule(ok), undefined, ok);
        for (const bad of ["0 0 * * *", "0 * * * *", "*/5 * * *", "*/90 * * * *", "@daily"]) assert.ok(checkMinuteSchedule(bad), bad);
    });
});

describe("bad configs are rejected, naming the key and the fix", () => {
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
        ["missing domain", { ...dev, domain: undefined }, "domain", /pulumi config set openstack-helm-pulumi:domain/],
        ["domain not a DNS name", { ...dev, domain: "Not A Domain" }, "domain", /example\.com/],
        ["single-label domain", { ...dev, domain: "localhost" }, "domain", /example\.com/],
        ["missing nodes", { ...dev, nodes: undefined }, "nodes", /--path/],
        ["nodes not a list", { ...dev, nodes: { k1: "control" } }, "nodes", /--path/],
        ["node without name", { ...dev, nodes: [{ roles: ["control", "compute"] }] }, "nodes[0].name", /\.name/],
        [
            "unknown role",
            {
                ...dev,
                nodes: [
                    { name: "k1", roles: ["control", "storage"] },
                    { name: "k2", roles: ["compute"] },
                ],
            },
            "nodes[0].roles",
            /"storage"/,
        ],
        [
            "duplicate node",
            {
                ...dev,
                nodes: [
                    { name: "k1", roles: ["control"] },
                    { name: "k1", roles: ["compute"] },
                ],
            },
            "nodes[1].name",
            /duplicate/,
        ],
        ["no control node", { ...dev, nodes: [{ name: "k1", roles: ["compute"] }] }, "nodes", /control/],
        ["no compute node", { ...dev, nodes: [{ name: "k1", roles: ["control"] }] }, "nodes", /compute/],
        ["unknown node field", { ...dev, nodes: [{ name: "k1", roles: ["control", "compute"], zone: "a" }] }, "nodes[0].zone", /config rm/],
        ["namespace not a DNS label", { ...dev, namespace: "Open_Stack" }, "namespace", /openstack/],
        ["namespace mode", { ...dev, namespaceMode: "reuse" }, "namespaceMode", /create/],
        ["storage class 'default'", { ...dev, storageClass: "default" }, "storageClass", /rook-ceph-block/],
        ["replication not a number", { ...dev, cephReplication: "three" }, "cephReplication", /whole number/],
        ["replication zero", { ...dev, cephReplication: "0" }, "cephReplication", /between 1 and 7/],
        ["pgs not a power of two", { ...dev, cephPoolPgs: "30" }, "cephPoolPgs", /power of two/],
        ["purge not a boolean", { ...dev, purgeOnDestroy: "yes" }, "purgeOnDestroy", /true or false/],
        ["allowLeftoverData not a boolean", { ...dev, allowLeftoverData: "sometimes" }, "allowLeftoverData", /true or false/],
        [
            "toolbox with a command separator",
            { ...dev, cephToolbox: "kubectl exec x -- ; rm -rf /" },
            "cephToolbox",
            /plain command prefix/,
        ],
        ["daily refresher", { ...dev, refresherSchedule: "0 0 * * *" }, "refresherSchedule", /\*\/5/],
        ["refresher image latest", { ...dev, refresherImage: "bitnami/kubectl:latest" }, "refresherImage", /pinned/],
        ["refresher image without a tag", { ...dev, refresherImage: "bitnami/kubectl" }, "refresherImage", /tag or digest/],
        ["even MariaDB replicas", { ...dev, mariadbReplicas: "2" }, "mariadbReplicas", /odd/],
        ["more RabbitMQ replicas than control nodes", { ...dev, rabbitmqReplicas: "5" }, "rabbitmqReplicas", /control role/],
        ["unknown chart source", { ...dev, chartSource: "git" }, "chartSource", /repository/],
        ["local source without a path", { ...dev, chartSource: "local" }, "chartLocalPath", /chartLocalPath/],
        ["local path with repository source", { ...dev, chartLocalPath: "/x" }, "chartLocalPath", /chartSource local/],
        ["repository not a URL", { ...dev, chartRepository: "tarballs/openstack-helm" }, "chartRepository", /https?/],
        ["version for an unknown chart", { ...dev, chartVersions: { designate: "2026.1.0" } }, "chartVersions.designate", /config rm/],
        ["version not semver", { ...dev, chartVersions: { nova: "latest" } }, "chartVersions.nova", /2026\.1\.27\+0ee5adeff/],
        [
            "values with --set style keys",
            { ...dev, chartValues: { mariadb: { "volume.class_name": "x" } } },
            "chartValues.mariadb",
            /nested objects/,
        ],
        ["values not an object", { ...dev, chartValues: { nova: "debug=true" } }, "chartValues.nova", /values object/],
        ["values for an unknown chart", { ...dev, chartValues: { ironic: {} } }, "chartValues.ironic", /config rm/],
        [
            "a node selector's label value given as a bool (config set --path ... true)",
            { ...dev, chartValues: { keystone: { labels: { api: { node_selector_key: "rack", node_selector_value: true } } } } },
            "chartValues.keystone.labels.api.node_selector_value",
            /is a boolean: the chart writes it unquoted .*Fix: kubectl label node <node> --overwrite <key>=enabled && pulumi config set --path 'openstack-helm-pulumi:chartValues\.keystone\.labels\.api\.node_selector_value' enabled/,
        ],
        [
            "a node selector's label value that YAML reads as a bool when the chart renders it",
            { ...dev, chartValues: { mariadb: { labels: { server: { node_selector_key: "rack", node_selector_value: "true" } } } } },
            "chartValues.mariadb.labels.server.node_selector_value",
            /is "true", which YAML reads as a bool or null/,
        ],
        [
            "a nested component's node selector key given as a number",
            { ...dev, chartValues: { nova: { labels: { agent: { compute: { node_selector_key: "1.5" } } } } } },
            "chartValues.nova.labels.agent.compute.node_selector_key",
            /is "1\.5", which YAML reads as a number/,
        ],
        ["bad virt type", { ...dev, virtType: "xen" }, "virtType", /kvm, qemu/],
        ["ceph user with client. prefix", { ...dev, cephComputeUser: "client.cinder" }, "cephComputeUser", /cinder/],
        ["interface name too long", { ...dev, tunnelInterface: "a-very-long-interface-name" }, "tunnelInterface", /eth1/],
        ["flat networks empty", { ...dev, flatNetworks: [] }, "flatNetworks", /--path/],
        ["helm timeout too short", { ...dev, helmTimeoutSeconds: "5" }, "helmTimeoutSeconds", /between 60/],
        ["keystone host not DNS", { ...dev, keystonePublicHost: "keystone citec" }, "keystonePublicHost", /keystone\.citec\.com/],
        ["structured key given as text", { ...dev, nodes: "k1,k2" }, "nodes", /YAML/],
        ["kube context with shell syntax", { ...dev, kubeContext: "prod; rm -rf /" }, "kubeContext", /my-cluster/],
    ];
    for (const [what, values, key, fix] of cases) {
        it(what, () => {
            rejects(values, key, fix);
        });
    }

    it("reports every problem at once", () => {
        const e = rejects({ ...dev, domain: undefined, virtType: "xen", cephPoolPgs: "30", mariadbReplicas: "4" }, "domain", /domain/);
        assert.equal(e.problems.length, 4, e.message);
        assert.match(e.message, /4 problems; nothing was changed/);
    });
});

describe("chartValues are checked against the chart at the version being installed", () => {
    const v = (chartValues: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ ...dev, chartValues, ...extra });
    const bad: [string, Record<string, unknown>, string, RegExp][] = [
        [
            "the seed's volume.storage_class (mariadb)",
            v({ mariadb: { volume: { storage_class: "rook-ceph-block" } } }),
            "chartValues.mariadb.volume.storage_class",
            /chart mariadb 2026\.1\.6\+0ee5adeff .*did you mean volume\.class_name\?/,
        ],
        [
            "the seed's volume.storage_class (rabbitmq)",
            v({ rabbitmq: { volume: { storage_class: "rook-ceph-block" } } }),
            "chartValues.rabbitmq.volume.storage_class",
            /did you mean volume\.class_name\?/,
        ],
        [
            "the seed's dependency_service (neutron)",
            v({ neutron: { dependency_service: "mariadb" } }),
            "chartValues.neutron.dependency_service",
            /chart neutron .*did you mean dependencies\?/,
        ],
        [
            "the seed's job.storage_init.backoffLimit (glance)",
            v({ glance: { job: { storage_init: { backoffLimit: 50 } } } }),
            "chartValues.glance.job.storage_init.backoffLimit",
            /is not a value of chart glance/,
        ],
        [
            "a misspelt password key",
            v({ keystone: { endpoints: { identity: { auth: { admin: { passwd: "x" } } } } } }),
            "chartValues.keystone.endpoints.identity.auth.admin.passwd",
            /did you mean endpoints\.identity\.auth\.admin\.password\?/,
        ],
        [
            "a misspelt map",
            v({ nova: { pod: { replica: { api: 2 } } } }),
            "chartValues.nova.pod.replica.api",
            /did you mean pod\.replicas\?/,
        ],
        [
            "a made-up manifest",
            v({ glance: { manifests: { job_storage_init_backoff: true } } }),
            "chartValues.glance.manifests.job_storage_init_backoff",
            /is not a value of chart glance/,
        ],
        [
            "a map where the chart has a number",
            v({ mariadb: { pod: { replicas: { server: { count: 3 } } } } }),
            "chartValues.mariadb.pod.replicas.server.count",
            /goes below pod\.replicas\.server, which is a number/,
        ],
        [
            "a string where the chart has a map",
            v({ mariadb: { volume: "10Gi" } }),
            "chartValues.mariadb.volume",
            /is a map in chart mariadb .* gives a string/,
        ],
        [
            "a list where the chart has a map",
            v({ nova: { images: { tags: ["nova:latest"] } } }),
            "chartValues.nova.images.tags",
            /is a map .* gives a list/,
        ],
        [
            "below a string",
            v({ mariadb: { volume: { size: { gb: 5 } } } }),
            "chartValues.mariadb.volume.size.gb",
            /goes below volume\.size, which is a string/,
        ],
        [
            "a misspelt key of a service user",
            v({ placement: { endpoints: { oslo_db: { auth: { placement: { pasword: "x" } } } } } }),
            "chartValues.placement.endpoints.oslo_db.auth.placement.pasword",
            /did you mean endpoints\.oslo_db\.auth\.placement\.password\?/,
        ],
        [
            "an override of a local checkout's chart it lacks",
            v({ mariadb: { volume: { storage_class: "x" } } }, { chartSource: "local", chartLocalPath: FIXTURE_CHARTS }),
            "chartValues.mariadb.volume.storage_class",
            /chart mariadb .*did you mean volume\.class_name\?/,
        ],
        [
            "a local checkout without the chart",
            v({ nova: { pod: {} } }, { chartSource: "local", chartLocalPath: "/nonexistent/openstack-helm" }),
            "chartLocalPath",
            /cannot read chart nova/,
        ],
        ["chartValuesUnchecked not a list of paths", v({}, { chartValuesUnchecked: ["nova"] }), "chartValuesUnchecked", /--path/],
        [
            "a user entry's username that is not a name (its password is chosen by it)",
            v({ cinder: { endpoints: { identity: { auth: { glance: { username: 7 } } } } } }),
            "chartValues.cinder.endpoints.identity.auth.glance.username",
            /--path 'openstack-helm-pulumi:chartValues\.cinder\.endpoints\.identity\.auth\.glance\.username' cinder_glance/,
        ],
        [
            "an empty database username",
            v({ placement: { endpoints: { oslo_db: { auth: { nova_api: { username: "" } } } } } }),
            "chartValues.placement.endpoints.oslo_db.auth.nova_api.username",
            /must be a user name|Fix/,
        ],
    ];
    for (const [what, values, key, fix] of bad) {
        it(`refuses ${what}`, () => {
            rejects(values, key, fix);
        });
    }

    it("names the fix: remove the key, or mark it unchecked", () => {
        const e = rejects(
            v({ mariadb: { volume: { storage_class: "x" } } }),
            "chartValues.mariadb.volume.storage_class",
            /config rm --path 'openstack-helm-pulumi:chartValues\.mariadb\.volume\.storage_class'/,
        );
        assert.match(e.message, /chartValuesUnchecked\[0\]' mariadb\.volume\.storage_class/);
    });

    it("accepts real keys, new keys of maps the chart enumerates, and free-form subtrees", () => {
        const cfg = load(
            v({
                mariadb: {
                    volume: { class_name: "fast" },
                    pod: { replicas: { server: 3 }, security_context: { server: { pod: { fsGroup: 999 } } } },
                },
                nova: { conf: { nova: { DEFAULT: { debug: true } } }, extraObjects: [{ kind: "ConfigMap" }] },
                keystone: {
                    endpoints: {
                        identity: {
                            auth: { operator: { password: "x", username: "operator" } },
                            host_fqdn_override: { public: { host: "id.example.com", tls: {} } },
                        },
                    },
                },
                neutron: {
                    network: { interface: { tunnel: "eth1" } },
                    conf: { plugins: { ml2_conf: { ml2: { mechanism_drivers: "openvswitch,l2population" } } } },
                },
                cinder: { conf: { backends: { rbd2: { volume_driver: "rbd" } } } },
            }),
        );
        assert.equal(cfg.charts.values.mariadb?.volume && (cfg.charts.values.mariadb.volume as { class_name: string }).class_name, "fast");
        assert.deepEqual(cfg.warnings, []);
    });

    it("takes an emptied chart's values (what config rm of its last key leaves) as no override", () => {
        const cfg = load(v({ neutron: {}, mariadb: { volume: {} } }));
        assert.deepEqual(cfg.charts.values.neutron, {});
    });

    it("lets a path marked unchecked through", () => {
        const cfg = load(v({ nova: { not_in_chart: 1 } }, { chartValuesUnchecked: ["nova.not_in_chart"] }));
        assert.deepEqual(cfg.charts.values.nova, { not_in_chart: 1 });
    });

    it("warns, and does not pass silently, for a version it has no inventory of", () => {
        const cfg = load(v({ nova: { not_in_chart: 1 } }, { chartVersions: { nova: "2026.1.99+abcdef123" } }));
        assert.equal(cfg.warnings.length, 2);
        assert.match(
            cfg.warnings[0],
            /chartValues\.nova: the program has no values inventory for chart nova 2026\.1\.99\+abcdef123; its keys are not checked/,
        );
        // Its users' names come from the pinned version, and the warning says so.
        assert.match(cfg.warnings[1], /chartVersions\.nova: .* users its credentials are for are taken from 2026\.1\.27\+0ee5adeff/);
        assert.equal(cfg.charts.usernames.nova?.["endpoints.identity.auth.neutron"], "nova_neutron");
    });

    it("keeps chartValues set with --secret secret", () => {
        const values = v({ nova: { conf: { nova: { DEFAULT: { debug: true } } } } });
        assert.equal(load(values).charts.valuesSecret, false);
        assert.equal(loadConfig({ ...reader(values), isSecret: (k) => k === "chartValues" }).charts.valuesSecret, true);
    });
});
