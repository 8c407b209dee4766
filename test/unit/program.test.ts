// The whole program under mocks with the dev stack (the seed's cluster): layer DAG, parenting,
// secrets, the Ceph plumbing, the refresher, labels and the values the charts get.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { before, describe, it } from "node:test";
import { CHART_CATALOG, installedCharts } from "../../components/catalog/charts";
import { valuePaths } from "../../components/release/valueTree";
import { NODE_LABELS_SCRIPT } from "../../components/layers/layer";
import { scriptPath } from "../../components/commands/shell";
import { credentialPaths, isCredentialPath, unknownPaths } from "../support/chart-paths";
import { assertPublicEndpoints } from "../support/routes-check";
import { FAKE_ADMIN_KEY, FAKE_CHECK, FAKE_FSID, FAKE_GLANCE_KEY } from "../support/mocks";
import { ProgramRun, byType, devRun, get, named, nodeLabels, release, stringLeaves } from "../support/program-fixture";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const COMPONENT_TYPES = [
    "Preflight",
    "Storage",
    "DnsRbac",
    "Infra",
    "Identity",
    "Image",
    "Compute",
    "Network",
    "Readiness",
    "Verification",
].map((t) => `openstack-helm-pulumi:components:${t}`);
const DEV_CHARTS = installedCharts({ cinder: false, horizon: false, heat: false });

let run: ProgramRun;
before(async () => {
    run = await devRun();
});

const urnOf = (name: string) => named(run, name).urn;
const releaseUrn = (chart: string) => release(run, chart).urn;
const dependsOn = (dependent: { dependencies: string[] }, urn: string) => dependent.dependencies.includes(urn);

describe("install order", () => {
    it("installs exactly the default charts", () => {
        assert.deepEqual(
            byType(run, RELEASE)
                .map((r) => r.inputs.name)
                .sort(),
            [...DEV_CHARTS].sort(),
        );
        assert.deepEqual(DEV_CHARTS, [
            "mariadb",
            "rabbitmq",
            "memcached",
            "keystone",
            "glance",
            "placement",
            "openvswitch",
            "libvirt",
            "nova",
            "neutron",
        ]);
    });

    it("installs each chart in its catalog layer, waited for as the catalog says, at its pinned version", () => {
        for (const spec of CHART_CATALOG.filter((c) => DEV_CHARTS.includes(c.name))) {
            const r = release(run, spec.name);
            assert.equal(r.parent.split("::").at(-1), spec.layer, `${spec.name} layer`);
            assert.equal(r.inputs.skipAwait, spec.wait === "hooks", `${spec.name} skipAwait`);
            assert.equal(r.inputs.waitForJobs, spec.wait === "ready", `${spec.name} waitForJobs`);
            assert.equal(r.inputs.version, spec.version, `${spec.name} version`);
        }
    });

    it("preflight -> storage and DNS RBAC: the leftover check runs before anything is changed", () => {
        const check = urnOf("preflight-leftovers");
        for (const name of ["storage-storageclass", "storage-pool-replicapool", "storage-ceph-etc", "dns-rbac-coredns-restart"]) {
            assert.ok(dependsOn(named(run, name), check), `${name} waits for the preflight check`);
        }
        assert.match(named(run, "preflight-leftovers").inputs.environment.PVC_PATTERN, /mysql-data-mariadb-server-/);
        // Not only the first layers: no custom resource at all may be created before it passes.
        for (const r of run.resources) {
            if (!r.custom || r.type.startsWith("pulumi:providers:") || r.urn === check) continue;
            assert.ok(dependsOn(r, check), `${r.type} ${r.name} waits for the preflight check`);
        }
    });

    it("gives every Command scripts bash can parse (a syntax error fails up before anything waits)", () => {
        const commands = byType(run, "command:local:Command");
        assert.ok(commands.length >= 8);
        for (const c of commands) {
            for (const key of ["create", "update", "delete"]) {
                if (typeof c.inputs[key] !== "string") continue;
                const r = spawnSync("bash", ["-n", "-c", c.inputs[key]], { encoding: "utf8" });
                assert.equal(r.status, 0, `${c.name}.${key}: ${r.stderr}`);
            }
        }
    });

    // Which release waits for what: install-order.test.ts.
    it("glance waits for its pool and Ceph user; the user's caps name the pool", () => {
        assert.ok(dependsOn(release(run, "glance"), urnOf("image-pool-glance-images")));
        assert.ok(dependsOn(release(run, "glance"), urnOf("image-ceph-user-glance")));
        assert.ok(dependsOn(named(run, "image-ceph-user-glance"), urnOf("image-pool-glance-images")), "the user's caps name the pool");
    });

    it("ends with one readiness check after every release", () => {
        const check = named(run, "readiness-namespace-ready");
        for (const chart of DEV_CHARTS) assert.ok(dependsOn(check, releaseUrn(chart)), `readiness waits for ${chart}`);
        assert.match(check.inputs.create, /deployments,statefulsets,daemonsets/);
        assert.equal(run.outputs.readinessSummary.trim(), "all 20 workloads in openstack are ready");
    });

    it("then verifies the cloud: after readiness, again when a release changes, the passwords secret, the plan in the clear", () => {
        const verify = named(run, "verification-cloud-answers");
        assert.ok(dependsOn(verify, urnOf("readiness-namespace-ready")), "after the readiness check");
        assert.equal(verify.inputs.triggers.length, DEV_CHARTS.length, "one trigger per release revision");
        assert.ok(
            verify.secretPaths.some((p) => p.startsWith("environment")),
            "its environment (the passwords) is secret",
        );
        const plan = JSON.parse(verify.inputs.environment.VERIFY_PLAN);
        assert.equal(plan.authUrl, "http://keystone.citec.com/v3");
        assert.deepEqual(
            plan.services.map((s: { name: string }) => s.name),
            ["keystone", "glance", "nova", "neutron", "placement"],
        );
        assert.deepEqual(
            plan.users.map((u: { name: string }) => u.name),
            ["glance", "neutron", "nova", "placement"],
        );
        assert.equal(plan.agents.length, 4 + 3 * 3, "an OVS agent per node, DHCP/L3/metadata per control node");
        assert.deepEqual(plan.computeHosts, ["k2", "k3", "k4"]);
        const secrets = JSON.parse(verify.inputs.environment.VERIFY_SECRETS);
        assert.deepEqual(Object.keys(secrets.users).sort(), ["glance", "neutron", "nova", "placement"]);
        assert.ok(!verify.inputs.environment.VERIFY_PLAN.includes(secrets.adminPassword), "no password in the plan");
        assert.deepEqual(run.outputs.verificationChecks, [FAKE_CHECK]);
    });

    it("waits for readiness only where no hook deadlock is possible", () => {
        for (const chart of DEV_CHARTS) {
            const r = release(run, chart);
            const waits = ["mariadb", "rabbitmq", "memcached", "openvswitch"].includes(chart);
            assert.equal(r.inputs.skipAwait, !waits, `${chart} skipAwait`);
            assert.equal(r.inputs.disableWebhooks, false, `${chart} runs its hooks`);
        }
        assert.ok(release(run, "rabbitmq").inputs.timeout > release(run, "mariadb").inputs.timeout, "RabbitMQ gets the longer timeout");
    });
});

describe("parenting", () => {
    it("puts every resource under its layer component", () => {
        const components = run.resources.filter((r) => COMPONENT_TYPES.includes(r.type));
        assert.equal(components.length, COMPONENT_TYPES.length);
        const componentUrns = new Set(components.map((c) => c.urn));
        for (const r of run.resources) {
            if (COMPONENT_TYPES.includes(r.type) || r.type === "pulumi:providers:kubernetes" || r.type === "pulumi:pulumi:Stack") continue;
            assert.ok(componentUrns.has(r.parent), `${r.type} ${r.name} is parented under ${r.parent}`);
        }
    });

    it("names each resource after its layer", () => {
        for (const r of run.resources) {
            if (!r.custom || r.type.startsWith("pulumi:")) continue;
            if (r.type === RELEASE) continue; // releases are named after their chart
            assert.match(r.name, /^(preflight|storage|dns-rbac|infra|identity|image|compute|network|readiness|verification)-/, r.name);
        }
    });
});

describe("secrets", () => {
    it("hands every credential to Helm as a secret leaf, and nothing else", () => {
        for (const chart of DEV_CHARTS) {
            const r = release(run, chart);
            const secret = new Set(r.secretPaths);
            assert.ok(!secret.has("values"), `${chart}: the values tree itself must not be one secret`);
            const set = new Set(valuePaths(r.inputs.values));
            for (const p of credentialPaths(chart).filter((c) => set.has(c)))
                assert.ok(secret.has(`values.${p}`), `${chart} ${p} must be secret`);
            for (const p of r.secretPaths) {
                assert.match(p, /^values\./, `${chart}: only values leaves are secret`);
                assert.ok(!p.includes("["), `${chart}: a list carries a secret at ${p}`);
                assert.ok(isCredentialPath(p.slice("values.".length)), `${chart}: ${p} is secret but not a credential`);
            }
        }
        const mariadb = new Set(release(run, "mariadb").secretPaths);
        for (const plain of ["values.pod.replicas.server", "values.volume.class_name"])
            assert.ok(!mariadb.has(plain), `${plain} must be plain`);
    });

    it("generates every password with @pulumi/random and never uses the word password", () => {
        const leaves = run.resources.flatMap((r) => stringLeaves(r.inputs).map(([p, v]) => [`${r.name}.${p}`, v] as const));
        const offenders = leaves.filter(([, v]) => v === "password" || v === "Password");
        assert.deepEqual(offenders, []);
        assert.ok(byType(run, "random:index/randomPassword:RandomPassword").length >= 30);
    });

    it("sets every credential key of every chart", () => {
        for (const chart of DEV_CHARTS) {
            const set = new Set(valuePaths(release(run, chart).inputs.values));
            const missing = credentialPaths(chart).filter((p) => !set.has(p));
            assert.deepEqual(missing, [], `${chart} leaves credentials at the chart default`);
        }
    });

    it("shares DB root, RabbitMQ admin, Keystone admin and the memcache key across charts", () => {
        const v = (chart: string, p: string) => get(release(run, chart).inputs.values, p);
        const dbRoot = v("mariadb", "endpoints.oslo_db.auth.admin.password");
        const rmq = v("rabbitmq", "endpoints.oslo_messaging.auth.user.password");
        const ksAdmin = v("keystone", "endpoints.identity.auth.admin.password");
        const memcache = v("glance", "endpoints.oslo_cache.auth.memcache_secret_key");
        for (const chart of ["keystone", "glance", "placement", "nova", "neutron"]) {
            assert.equal(v(chart, "endpoints.oslo_db.auth.admin.password"), dbRoot, `${chart} DB root`);
            assert.equal(v(chart, "endpoints.identity.auth.admin.password"), ksAdmin, `${chart} Keystone admin`);
        }
        for (const chart of ["keystone", "glance", "nova", "neutron"]) {
            assert.equal(v(chart, "endpoints.oslo_messaging.auth.admin.password"), rmq, `${chart} RabbitMQ admin`);
            assert.equal(
                v(chart, "endpoints.oslo_messaging.auth.admin.username"),
                v("rabbitmq", "endpoints.oslo_messaging.auth.user.username"),
            );
        }
        for (const chart of ["placement", "nova", "neutron"])
            assert.equal(v(chart, "endpoints.oslo_cache.auth.memcache_secret_key"), memcache);
        assert.equal(v("nova", "endpoints.oslo_db_cell0.auth.admin.password"), dbRoot);
        assert.equal(
            v("nova", "conf.nova.neutron.metadata_proxy_shared_secret"),
            v("neutron", "conf.metadata_agent.DEFAULT.metadata_proxy_shared_secret"),
        );
        // Per-service credentials differ.
        assert.notEqual(v("glance", "endpoints.oslo_db.auth.glance.password"), v("nova", "endpoints.oslo_db.auth.nova.password"));
    });

    it("keeps Ceph keys secret and out of the logs", () => {
        for (const name of ["storage-ceph-admin-key", "image-ceph-user-glance"]) {
            const c = named(run, name);
            assert.deepEqual(c.additionalSecretOutputs, ["stdout"], `${name} stdout is secret`);
            assert.equal(c.inputs.logging, "stderr", `${name} does not log stdout`);
        }
        const secret = byType(run, "kubernetes:core/v1:Secret").find((s) => s.inputs.metadata.name === "pvc-ceph-client-key")!;
        assert.equal(secret.inputs.stringData.key, FAKE_ADMIN_KEY, "the bare client.admin key, trimmed");
        assert.equal(secret.inputs.type, "kubernetes.io/rbd");
        assert.ok(
            secret.secretPaths.includes("stringData.key") || secret.secretPaths.includes("stringData"),
            "the key is sent as a secret",
        );
    });

    it("puts no key or credential in any ConfigMap", () => {
        const credentials = new Set(
            byType(run, RELEASE).flatMap((r) =>
                stringLeaves(r.inputs.values)
                    .filter(([p]) => /password|secret|cookie/.test(p))
                    .map(([, v]) => v),
            ),
        );
        for (const cm of byType(run, "kubernetes:core/v1:ConfigMap")) {
            for (const [, v] of stringLeaves(cm.inputs.data ?? {})) {
                assert.ok(!v.includes(FAKE_ADMIN_KEY) && !v.includes(FAKE_GLANCE_KEY), `${cm.inputs.metadata.name} holds a Ceph key`);
                assert.ok(!/^\s*key\s*=|keyring/m.test(v), `${cm.inputs.metadata.name} holds keyring material`);
                for (const c of credentials) assert.ok(!v.includes(c), `${cm.inputs.metadata.name} holds a credential`);
            }
        }
        assert.equal(cmByName("ceph-etc").secretPaths.length, 0, "ceph-etc is plain config");
    });

    it("exports the admin openrc as a secret and the URLs in clear", () => {
        assert.ok(run.secretOutputs.has("adminOpenrc"));
        assert.ok(!run.secretOutputs.has("keystonePublicUrl"));
        assert.match(run.outputs.adminOpenrc, /^export OS_AUTH_URL=http:\/\/keystone\.citec\.com\/v3$/m);
        assert.match(run.outputs.adminOpenrc, /^export OS_USERNAME=admin$/m);
        assert.equal(run.outputs.keystonePublicUrl, "http://keystone.citec.com/v3");
        assert.equal(run.outputs.keystoneInternalUrl, "http://keystone-api.openstack.svc.cluster.local:5000/v3");
    });
});

const cmByName = (name: string) => byType(run, "kubernetes:core/v1:ConfigMap").find((c) => c.inputs.metadata.name === name)!;

describe("storage layer", () => {
    it("declares the seed's StorageClass exactly", () => {
        const [sc] = byType(run, "kubernetes:storage.k8s.io/v1:StorageClass");
        assert.equal(sc.inputs.metadata.name, "rook-ceph-block");
        assert.equal(sc.inputs.metadata.namespace, undefined, "cluster-scoped");
        assert.equal(sc.inputs.provisioner, "rook-ceph.rbd.csi.ceph.com");
        assert.deepEqual(sc.inputs.parameters, {
            clusterID: "rook-ceph",
            pool: "replicapool",
            imageFormat: "2",
            imageFeatures: "layering",
            "csi.storage.k8s.io/provisioner-secret-name": "rook-csi-rbd-provisioner",
            "csi.storage.k8s.io/provisioner-secret-namespace": "rook-ceph",
            "csi.storage.k8s.io/controller-expand-secret-name": "rook-csi-rbd-provisioner",
            "csi.storage.k8s.io/controller-expand-secret-namespace": "rook-ceph",
            "csi.storage.k8s.io/node-stage-secret-name": "rook-csi-rbd-node",
            "csi.storage.k8s.io/node-stage-secret-namespace": "rook-ceph",
            "csi.storage.k8s.io/fstype": "ext4",
        });
        assert.equal(sc.inputs.reclaimPolicy, "Delete");
        assert.equal(sc.inputs.allowVolumeExpansion, true);
    });

    it("creates replicapool and inits it for RBD through the toolbox, idempotently, keeping it on destroy", () => {
        const c = named(run, "storage-pool-replicapool");
        assert.match(c.inputs.create, /tb\(\) \{ kubectl -n rook-ceph exec deploy\/rook-ceph-tools -- "\$@"; \}/);
        assert.match(c.inputs.create, /grep -qxF 'replicapool'.*else tb ceph osd pool create 'replicapool' 32 32/);
        assert.match(c.inputs.create, /tb rbd pool init 'replicapool'/);
        assert.doesNotMatch(c.inputs.delete, /pool rm/, "pools that may hold data are kept");
    });

    it("writes ceph-etc from the live cluster's fsid and monitors", () => {
        assert.equal(
            cmByName("ceph-etc").inputs.data["ceph.conf"],
            `[global]\nfsid = ${FAKE_FSID}\nmon_host = 10.96.10.1:6789,10.96.10.2:6789,10.96.10.3:6789\n`,
        );
        assert.equal(run.outputs.cephFsid, FAKE_FSID);
    });

    it("runs the refresher every few minutes with a pinned image, an interpreter and its own narrow RBAC", () => {
        const [cron] = byType(run, "kubernetes:batch/v1:CronJob");
        assert.equal(cron.inputs.spec.schedule, "*/5 * * * *");
        const pod = cron.inputs.spec.jobTemplate.spec.template.spec;
        const [container] = pod.containers;
        assert.deepEqual(container.command, ["/bin/bash", "/scripts/update-ceph-config.sh"]);
        assert.doesNotMatch(container.image, /:latest$/);
        assert.match(container.image, /:[0-9]/);
        assert.equal(pod.serviceAccountName, "ceph-config-refresher");
        assert.equal(pod.volumes[0].configMap.defaultMode, 0o555);
        assert.equal(cmByName("update-ceph-config-script").inputs.data["update-ceph-config.sh"].startsWith("#!/bin/bash"), true);

        const roles = byType(run, "kubernetes:rbac.authorization.k8s.io/v1:Role");
        const readMons = roles.find((r) => r.inputs.metadata.namespace === "rook-ceph")!;
        assert.deepEqual(readMons.inputs.rules, [
            { apiGroups: [""], resources: ["services"], verbs: ["list"] },
            { apiGroups: [""], resources: ["configmaps"], resourceNames: ["rook-ceph-mon-endpoints"], verbs: ["get"] },
        ]);
        const patch = roles.find((r) => r.inputs.metadata.namespace === "openstack")!;
        assert.deepEqual(patch.inputs.rules, [
            { apiGroups: [""], resources: ["configmaps"], resourceNames: ["ceph-etc"], verbs: ["get", "patch"] },
        ]);
        assert.equal(roles.length, 2);
        const bindings = byType(run, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding");
        assert.equal(bindings.length, 2);
        for (const b of bindings)
            assert.deepEqual(b.inputs.subjects, [{ kind: "ServiceAccount", name: "ceph-config-refresher", namespace: "openstack" }]);
    });

    it("creates the namespace but keeps it (and its volumes) on destroy unless purging", () => {
        const ns = named(run, "storage-namespace");
        assert.equal(ns.inputs.metadata.name, "openstack");
        assert.equal(ns.retainOnDelete, true);
    });
});

describe("DNS RBAC layer", () => {
    it("declares the seed's ClusterRole and binding and restarts CoreDNS after them", () => {
        const role = named(run, "dns-rbac-coredns");
        assert.equal(role.inputs.metadata.name, "coredns");
        assert.deepEqual(role.inputs.rules[0].resources, ["endpoints", "services", "pods", "namespaces"]);
        assert.deepEqual(role.inputs.rules[1], {
            apiGroups: ["discovery.k8s.io"],
            resources: ["endpointslices"],
            verbs: ["list", "watch"],
        });
        const binding = byType(run, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")[0];
        assert.deepEqual(binding.inputs.subjects, [{ kind: "ServiceAccount", name: "coredns", namespace: "kube-system" }]);
        const restart = named(run, "dns-rbac-coredns-restart");
        assert.ok(dependsOn(restart, role.urn) && dependsOn(restart, binding.urn));
        const digest = restart.inputs.spec.template.metadata.annotations["openstack-helm-pulumi/coredns-rbac-digest"];
        assert.match(digest, /^[0-9a-f]{16}$/);
    });
});

describe("node labels", () => {
    const labelled = (key: string) =>
        nodeLabels(run)
            .filter((l) => l.label === key)
            .flatMap((l) => l.nodes)
            .sort();
    it("labels control, compute and openvswitch nodes as the charts select them", () => {
        assert.deepEqual(labelled("openstack-control-plane"), ["k1", "k2", "k3"]);
        assert.deepEqual(labelled("openstack-compute-node"), ["k2", "k3", "k4"]);
        assert.deepEqual(labelled("openvswitch"), ["k1", "k2", "k3", "k4"], "every compute node and every neutron-agent node");
    });

    it("puts each label on all its nodes with one Command, named after the layer and the label, whatever the node count", () => {
        assert.deepEqual(
            nodeLabels(run)
                .map((l) => `${l.resource.name} ${l.label}`)
                .sort(),
            [
                "compute-label-openstack-compute-node openstack-compute-node",
                "infra-label-openstack-control-plane openstack-control-plane",
                "network-label-openvswitch openvswitch",
            ],
        );
        assert.deepEqual(byType(run, "kubernetes:core/v1:NodePatch"), [], "no NodePatch per node and label");
    });

    it("runs node-labels.sh on create and update, gives every node up on delete, under a field manager of the stack and label", () => {
        const script = fs.readFileSync(scriptPath(NODE_LABELS_SCRIPT), "utf8");
        for (const { resource, label } of nodeLabels(run)) {
            const i = resource.inputs;
            assert.equal(i.create, script);
            assert.equal(i.update, script);
            assert.equal(i.delete, `NODES=''\n${script}`);
            assert.deepEqual(i.interpreter, ["/bin/bash", "-c"]);
            assert.equal(i.logging, "stderr", "the node list is stdout, not the engine log");
            assert.equal(i.environment.FIELD_MANAGER, `openstack-helm-pulumi-dev-${label}`);
            // On the cluster the provider uses (Pulumi.dev.yaml sets neither: kubectl's own default).
            assert.equal(i.environment.KUBECONFIG, undefined);
            // Parented on its layer, without the layer edge: only the node objects.
            assert.ok(resource.parent.endsWith(resource.name.split("-label-")[0]), resource.parent);
        }
    });
});

describe("chart values", () => {
    it("sets only paths the real charts have", () => {
        for (const chart of DEV_CHARTS) {
            assert.deepEqual(unknownPaths(chart, valuePaths(release(run, chart).inputs.values)), [], chart);
        }
    });

    it("uses volume.class_name (not the seed's volume.storage_class) and the configured replicas", () => {
        for (const chart of ["mariadb", "rabbitmq"]) {
            const values = release(run, chart).inputs.values;
            assert.equal(values.volume.class_name, "rook-ceph-block");
            assert.equal(values.volume.storage_class, undefined);
            assert.equal(values.pod.replicas.server, 1);
        }
        for (const chart of ["keystone", "glance", "nova", "neutron"]) {
            assert.equal(get(release(run, chart).inputs.values, "endpoints.oslo_messaging.statefulset.replicas"), 1, chart);
        }
    });

    it("routes every API on its own host to the chart's Service, and every chart renders the same public URLs", () => {
        assertPublicEndpoints(run, DEV_CHARTS, "http");
        const keystone = byType(run, "kubernetes:networking.k8s.io/v1:Ingress").find((i) => i.name === "identity-keystone-ingress")!;
        assert.equal(keystone.inputs.metadata.name, "keystone-ingress");
        assert.equal(keystone.inputs.spec.ingressClassName, "nginx");
        assert.deepEqual(run.outputs.publicEndpoints, {
            keystone: "http://keystone.citec.com/v3",
            glance: "http://glance.citec.com",
            nova: "http://nova.citec.com/v2.1/",
            novncproxy: "http://novncproxy.citec.com/vnc_auto.html",
            neutron: "http://neutron.citec.com",
            placement: "http://placement.citec.com/",
        });
        assert.equal(run.outputs.keystonePublicUrl, "http://keystone.citec.com/v3");
    });

    it("runs Glance on RBD with the pool, user and replica count the Ceph commands use", () => {
        const v = release(run, "glance").inputs.values;
        assert.equal(v.storage, "rbd");
        assert.deepEqual(v.conf.glance.rbd, {
            rbd_store_pool: "glance.images",
            rbd_store_user: "glance",
            rbd_store_replication: 1,
            rbd_store_pool_app_name: "glance-image",
        });
        assert.equal(v.bootstrap.enabled, false);
        const pool = named(run, "image-pool-glance-images");
        assert.match(pool.inputs.create, /tb ceph osd pool set 'glance.images' size 1 --yes-i-really-mean-it/);
        const user = named(run, "image-ceph-user-glance");
        assert.match(
            user.inputs.create,
            /'client\.glance' mon 'allow r' osd 'allow class-read object_prefix rbd_children, allow rwx pool=glance\.images'/,
        );
        assert.match(user.inputs.create, /then tb ceph auth caps 'client\.glance'.* else tb ceph auth get-or-create 'client\.glance'/);
        assert.match(user.inputs.delete, /tb ceph auth del 'client\.glance'/);
        assert.equal(
            byType(run, "kubernetes:core/v1:Secret").filter((s) => s.inputs.metadata.name === "images-rbd-keyring").length,
            0,
            "the chart's storage-init writes images-rbd-keyring",
        );
    });

    it("gives libvirt and nova one Ceph user and one libvirt secret UUID", () => {
        const lv = release(run, "libvirt").inputs.values.conf.ceph;
        const nova = release(run, "nova").inputs.values.conf;
        assert.equal(lv.enabled, true);
        assert.equal(nova.ceph.enabled, true);
        assert.deepEqual(nova.ceph.cinder, lv.cinder);
        assert.equal(nova.nova.libvirt.rbd_user, lv.cinder.user);
        assert.equal(nova.nova.libvirt.rbd_secret_uuid, lv.cinder.secret_uuid);
        assert.match(lv.cinder.secret_uuid, /^[0-9a-f-]{36}$/);
        assert.equal(nova.nova.libvirt.virt_type, "qemu");
    });

    it("configures neutron's external bridge and flat network", () => {
        const v = release(run, "neutron").inputs.values;
        assert.equal(v.conf.plugins.ml2_conf.ml2_type_flat.flat_networks, "public");
        assert.equal(v.conf.plugins.openvswitch_agent.ovs.bridge_mappings, "public:br-ex");
        assert.equal(v.dependency_service, undefined);
    });
});
