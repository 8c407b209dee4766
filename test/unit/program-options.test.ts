// The program with the optional parts on and the other choices flipped: Cinder, Horizon and
// Heat, a local openstack-helm checkout, an adopted namespace, purge on destroy.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { CHARTS, CHART_CATALOG } from "../../components/catalog/charts";
import { valuePaths } from "../../components/release/valueTree";
import { credentialPaths, unknownPaths } from "../support/chart-paths";
import { assertInstallOrder } from "../support/install-order";
import { assertPublicEndpoints } from "../support/routes-check";
import { FIXTURE_CHARTS, ProgramRun, allOptionsRun, byType, named, release } from "../support/program-fixture";

let run: ProgramRun;
before(async () => {
    run = await allOptionsRun();
});

const componentOf = (chart: string) => release(run, chart).parent.split("::").at(-1);

describe("optional charts", () => {
    it("installs every chart of the catalog, each optional one in its catalog layer", () => {
        assert.deepEqual(
            byType(run, "kubernetes:helm.sh/v3:Release")
                .map((r) => r.inputs.name)
                .sort(),
            [...CHARTS].sort(),
        );
        for (const spec of CHART_CATALOG) assert.equal(componentOf(spec.name), spec.layer, spec.name);
        assert.equal(componentOf("cinder"), "compute");
        assert.equal(componentOf("heat"), "compute");
        assert.equal(componentOf("horizon"), "identity");
        for (const chart of CHART_CATALOG.filter((c) => "optional" in c).map((c) => c.name)) {
            assert.equal(release(run, chart).inputs.skipAwait, true);
        }
    });

    it("routes the optional charts' APIs too (cinder, heat, heat-cfn, horizon), each chart rendering the same public URLs", () => {
        assertPublicEndpoints(run, CHARTS, "http");
    });

    it("hands the optional charts to Helm at once too, after what must exist (an adopted namespace, an existing StorageClass)", () => {
        assertInstallOrder(run, CHARTS);
    });

    it("sets only real keys and every credential of the optional charts", () => {
        for (const chart of CHARTS) {
            const paths = valuePaths(release(run, chart).inputs.values);
            assert.deepEqual(unknownPaths(chart, paths), [], chart);
            const set = new Set(paths);
            assert.deepEqual(
                credentialPaths(chart).filter((p) => !set.has(p)),
                [],
                `${chart} credentials`,
            );
        }
    });

    it("gives Cinder the Ceph user and libvirt secret UUID nova and libvirt use, and the replica count", () => {
        const cinder = release(run, "cinder").inputs.values.conf;
        const lv = release(run, "libvirt").inputs.values.conf.ceph.cinder;
        assert.equal(cinder.backends.rbd1.rbd_user, lv.user);
        assert.equal(cinder.backends.rbd1.rbd_secret_uuid, lv.secret_uuid);
        assert.equal(cinder.ceph.pools["cinder.volumes"].replication, 2);
        assert.equal(release(run, "cinder").inputs.values.manifests.deployment_backup, false);
    });
});

describe("other choices", () => {
    it("installs from a local checkout with helm-toolkit resolved by a dependency build", () => {
        for (const r of byType(run, "kubernetes:helm.sh/v3:Release")) {
            assert.equal(r.inputs.chart, `${FIXTURE_CHARTS}/${r.inputs.name}`);
            assert.equal(r.inputs.dependencyUpdate, true);
            assert.equal(r.inputs.version, undefined);
            assert.equal(r.inputs.repositoryOpts, undefined);
            assert.equal(r.inputs.namespace, "osh");
        }
    });

    it("adopts the namespace and the StorageClass instead of creating them", () => {
        assert.equal(byType(run, "kubernetes:core/v1:Namespace").length, 0);
        assert.equal(byType(run, "kubernetes:storage.k8s.io/v1:StorageClass").length, 0);
        assert.equal(release(run, "mariadb").inputs.values.volume.class_name, "rook-ceph-block");
    });

    it("removes the pools on destroy when purging", () => {
        assert.match(
            named(run, "storage-pool-replicapool").inputs.delete,
            /tb ceph osd pool rm 'replicapool' 'replicapool' --yes-i-really-really-mean-it/,
        );
        assert.match(named(run, "image-pool-glance-images").inputs.delete, /pool rm 'glance.images'/);
        assert.doesNotMatch(
            named(run, "image-pool-glance-images").inputs.create,
            /size 2 --yes-i-really-mean-it/,
            "size 2 needs no confirmation",
        );
    });

    it("puts instance disks on Ceph and sets the network interfaces", () => {
        const nova = release(run, "nova").inputs.values;
        assert.equal(nova.conf.nova.libvirt.images_type, "rbd");
        assert.equal(nova.conf.nova.libvirt.images_rbd_pool, "vms");
        assert.equal(nova.rbd_pool.replication, 2);
        assert.equal(nova.conf.nova.DEFAULT.debug, true, "extra values are merged after ours");
        assert.equal(nova.conf.nova.libvirt.virt_type, "qemu", "and keep ours beside them");
        const neutron = release(run, "neutron").inputs.values;
        assert.equal(neutron.network.interface.tunnel, "eth1");
        assert.deepEqual(neutron.conf.auto_bridge_add, { "br-ex": "eth2" });
    });

    it("keeps extra values set with --secret secret, leaf by leaf", () => {
        assert.ok(release(run, "nova").secretPaths.includes("values.conf.nova.DEFAULT.debug"));
        assert.ok(!release(run, "nova").secretPaths.includes("values.conf.nova.libvirt.virt_type"), "our own plain values stay plain");
    });

    it("carries a digest of each local chart and helm-toolkit in the release description", () => {
        const digests = new Set<string>();
        for (const r of byType(run, "kubernetes:helm.sh/v3:Release")) {
            assert.match(r.inputs.description, /^chart files sha256:[0-9a-f]{16}$/, r.inputs.name);
            digests.add(r.inputs.description);
        }
        assert.equal(digests.size, byType(run, "kubernetes:helm.sh/v3:Release").length, "each chart has its own digest");
    });

    it("points the refresher and the Ceph plumbing at the adopted namespace", () => {
        const cron = byType(run, "kubernetes:batch/v1:CronJob")[0];
        assert.equal(cron.inputs.metadata.namespace, "osh");
        const env = cron.inputs.spec.jobTemplate.spec.template.spec.containers[0].env;
        assert.deepEqual(env.find((e: { name: string }) => e.name === "TARGET_NAMESPACE").value, "osh");
    });
});
