// The recovery rules (components/recovery/plan.ts): what `npm run recover` does with each pending
// CREATE an interrupted `pulumi up` leaves, and the state it writes back.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    ClusterFacts,
    ExportedStack,
    HelmRelease,
    SECRET_SIG,
    SECRET_SIG_KEY,
    StateResource,
    describePlan,
    hookObjects,
    planRecovery,
    recoveredState,
    stackReleases,
} from "../../components/recovery/plan";

const PREFIX = "urn:pulumi:dev::openstack-helm-pulumi::";
const PROVIDER = `${PREFIX}pulumi:providers:kubernetes::kubernetes::04da6b54-80e4-46f7-96ec-b56ff0331ba9`;
const secret = (v: string) => ({ [SECRET_SIG_KEY]: SECRET_SIG, plaintext: JSON.stringify(v) });

function release(chart: string, layer = "Infra"): StateResource {
    return {
        urn: `${PREFIX}openstack-helm-pulumi:components:${layer}$kubernetes:helm.sh/v3:Release::${chart}`,
        type: "kubernetes:helm.sh/v3:Release",
        custom: true,
        parent: `${PREFIX}openstack-helm-pulumi:components:${layer}::${layer.toLowerCase()}`,
        provider: PROVIDER,
        inputs: {
            name: chart,
            namespace: "openstack",
            chart: `/charts/${chart}`,
            values: { endpoints: { oslo_db: { auth: { admin: { password: secret("s3cret") } } } } },
        },
        dependencies: [],
    };
}
const secretObject: StateResource = {
    urn: `${PREFIX}openstack-helm-pulumi:components:Storage$kubernetes:core/v1:Secret::pvc-ceph-client-key`,
    type: "kubernetes:core/v1:Secret",
    custom: true,
    provider: PROVIDER,
    inputs: { apiVersion: "v1", kind: "Secret", metadata: { name: "pvc-ceph-client-key", namespace: "openstack" } },
};
const storageClass: StateResource = {
    urn: `${PREFIX}openstack-helm-pulumi:components:Storage$kubernetes:storage.k8s.io/v1:StorageClass::rook-ceph-block`,
    type: "kubernetes:storage.k8s.io/v1:StorageClass",
    custom: true,
    provider: PROVIDER,
    inputs: { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "rook-ceph-block" } },
};
const nodePatch: StateResource = {
    urn: `${PREFIX}openstack-helm-pulumi:components:Infra$kubernetes:core/v1:NodePatch::infra-k1-openstack-control-plane`,
    type: "kubernetes:core/v1:NodePatch",
    custom: true,
    inputs: { apiVersion: "v1", kind: "Node", metadata: { name: "k1" } },
};
const command: StateResource = {
    urn: `${PREFIX}command:local:Command::image-pool-glance-images`,
    type: "command:local:Command",
    custom: true,
};
const password: StateResource = {
    urn: `${PREFIX}random:index/randomPassword:RandomPassword::infra-db-root`,
    type: "random:index/randomPassword:RandomPassword",
    custom: true,
};

function stackWith(pending: StateResource[], resources: StateResource[] = []): ExportedStack {
    return {
        version: 3,
        deployment: {
            manifest: {},
            resources: [
                {
                    urn: PROVIDER.split("::").slice(0, -1).join("::"),
                    type: "pulumi:providers:kubernetes",
                    custom: true,
                    id: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
                },
                ...resources,
            ],
            pending_operations: [
                ...pending.map((resource) => ({ resource, type: "creating" })),
                { resource: release("memcached"), type: "updating" },
            ],
        },
    };
}

function cluster(
    rels: Record<string, Omit<HelmRelease, "name" | "namespace">>,
    objects: string[] = [],
): ClusterFacts & { asked: string[] } {
    const asked: string[] = [];
    return {
        asked,
        release(namespace, name) {
            asked.push(`${namespace}/${name}`);
            const r = rels[name];
            return r && { name, namespace, ...r };
        },
        objectExists(ref) {
            return objects.includes(`${ref.kind}/${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`);
        },
    };
}

describe("recovery after an interrupted up", () => {
    it("adopts a deployed release, cleans one that never finished its first install, forgets one Helm never recorded", () => {
        const stack = stackWith([release("mariadb"), release("keystone", "Identity"), release("glance", "Image")]);
        const plan = planRecovery(
            stack,
            cluster({ mariadb: { status: "deployed", everDeployed: true }, keystone: { status: "pending-install", everDeployed: false } }),
        );
        assert.deepEqual(
            plan.steps.map((s) => [s.action, s.urn.split("::").pop()]),
            [
                ["adopt-release", "mariadb"],
                ["clean-release", "keystone"],
                ["forget", "glance"],
            ],
        );
        const clean = plan.steps[1];
        assert.ok(
            clean.action === "clean-release" &&
                clean.namespace === "openstack" &&
                clean.name === "keystone" &&
                clean.status === "pending-install",
        );
        assert.deepEqual(plan.rollbacks, []);
        assert.deepEqual(plan.strangers, []);
        assert.match(describePlan(plan).join("\n"), /^adopt-release +mariadb: release openstack\/mariadb is deployed$/m);
        assert.match(
            describePlan(plan).join("\n"),
            /^clean-release +keystone: release openstack\/keystone never finished its first install \(pending-install\)$/m,
        );
    });

    it("a failed first install is cleaned too; a release that was deployed once is never uninstalled", () => {
        const plan = planRecovery(
            stackWith([release("nova", "Compute"), release("neutron", "Network")]),
            cluster({ nova: { status: "failed", everDeployed: false }, neutron: { status: "failed", everDeployed: true } }),
        );
        assert.deepEqual(
            plan.steps.map((s) => s.action),
            ["clean-release", "adopt-release"],
        );
    });

    it("objects: adopted when they exist (with pulumi-kubernetes' ID), forgotten when not; patches, commands and random values are forgotten", () => {
        const plan = planRecovery(
            stackWith([secretObject, storageClass, nodePatch, command, password]),
            cluster({}, ["Secret/openstack/pvc-ceph-client-key"]),
        );
        assert.deepEqual(
            plan.steps.map((s) => [s.action, "id" in s ? s.id : undefined]),
            [
                ["adopt-object", "openstack/pvc-ceph-client-key"],
                ["forget", undefined],
                ["forget", undefined],
                ["forget", undefined],
                ["forget", undefined],
            ],
        );
    });

    it("a release of the stack stuck in an upgrade is rolled back; pending updates are left to the engine", () => {
        const plan = planRecovery(
            stackWith([], [release("rabbitmq"), release("memcached")]),
            cluster({ rabbitmq: { status: "pending-upgrade", everDeployed: true }, memcached: { status: "deployed", everDeployed: true } }),
        );
        assert.deepEqual(plan.steps, []);
        assert.deepEqual(plan.rollbacks, [{ namespace: "openstack", name: "rabbitmq", status: "pending-upgrade" }]);
    });

    it("the state written back: adopted resources keep URN, parent, provider and inputs, with the ID; every handled pending create is gone", () => {
        const stack = stackWith([release("mariadb"), release("keystone", "Identity"), secretObject, command]);
        const plan = planRecovery(
            stack,
            cluster({ mariadb: { status: "deployed", everDeployed: true }, keystone: { status: "pending-install", everDeployed: false } }, [
                "Secret/openstack/pvc-ceph-client-key",
            ]),
        );
        const after = recoveredState(stack, plan);
        assert.deepEqual(
            after.deployment.pending_operations!.map((o) => `${o.type} ${o.resource.urn.split("::").pop()}`),
            ["updating memcached"],
            "only the engine's own pending update is left",
        );
        const added = after.deployment.resources!.slice(stack.deployment.resources!.length);
        assert.deepEqual(
            added.map((r) => [r.urn.split("::").pop(), r.id]),
            [
                ["mariadb", "openstack/mariadb"],
                ["pvc-ceph-client-key", "openstack/pvc-ceph-client-key"],
            ],
        );
        const mariadb = added[0];
        const original = release("mariadb");
        assert.equal(mariadb.parent, original.parent);
        assert.equal(mariadb.provider, PROVIDER);
        assert.deepEqual(mariadb.inputs, original.inputs);
        // pulumi-kubernetes reads a release's inputs from its outputs' __inputs: one secret, whose
        // plaintext keeps the nested secrets secret; `pulumi stack import` encrypts it.
        const inner = mariadb.outputs!.__inputs as Record<string, string>;
        assert.equal(inner[SECRET_SIG_KEY], SECRET_SIG);
        assert.deepEqual(JSON.parse(inner.plaintext), original.inputs);
        assert.deepEqual((mariadb.outputs as any).values, original.inputs!.values, "the secret leaves stay secret in the outputs");
        assert.equal(added[1].outputs!.__inputs, undefined);
        assert.deepEqual(stack.deployment.pending_operations!.length, 5, "the exported stack itself is not changed");
    });

    it("a pending create the engine recorded twice is decided, and adopted, once", () => {
        const stack = stackWith([release("mariadb"), release("mariadb")]);
        const plan = planRecovery(stack, cluster({ mariadb: { status: "deployed", everDeployed: true } }));
        assert.equal(plan.steps.length, 1);
        const after = recoveredState(stack, plan);
        assert.equal(after.deployment.resources!.filter((r) => r.urn.endsWith("::mariadb")).length, 1);
        assert.deepEqual(
            after.deployment.pending_operations!.map((o) => o.type),
            ["updating"],
        );
    });

    it("a release of our charts that neither the state nor a pending create names is never adopted, only named", () => {
        const stack = stackWith([release("keystone", "Identity")], [release("mariadb")]);
        const found = ["mariadb", "keystone", "glance"].map((name) => ({
            name,
            namespace: "openstack",
            status: "deployed",
            everDeployed: true,
        }));
        const plan = planRecovery(
            stack,
            cluster({ keystone: { status: "deployed", everDeployed: true }, mariadb: { status: "deployed", everDeployed: true } }),
            found,
        );
        assert.deepEqual(plan.strangers, [{ namespace: "openstack", name: "glance", status: "deployed" }]);
        assert.deepEqual(
            plan.steps.map((s) => s.urn.split("::").pop()),
            ["keystone"],
        );
        assert.ok(!recoveredState(stack, plan).deployment.resources!.some((r) => r.urn.endsWith("::glance")));
        assert.match(
            describePlan(plan).join("\n"),
            /^leave alone +openstack\/glance \(deployed\): not this stack's .*helm uninstall glance -n openstack\)$/m,
        );
    });

    it("lists the stack's releases, created or pending, with the Helm timeout each was given (what a pending one may still take)", () => {
        const rabbitmq = release("rabbitmq");
        rabbitmq.inputs = { ...rabbitmq.inputs, timeout: 1800 };
        const keystone = release("keystone", "Identity");
        keystone.inputs = { ...keystone.inputs, timeout: 300 };
        assert.deepEqual(stackReleases(stackWith([keystone], [rabbitmq])), [
            { namespace: "openstack", name: "rabbitmq", timeoutSeconds: 1800 },
            { namespace: "openstack", name: "keystone", timeoutSeconds: 300 },
            { namespace: "openstack", name: "memcached" },
        ]);
    });

    it("names the hook objects of `helm get hooks`", () => {
        assert.deepEqual(
            hookObjects([
                { kind: "Secret", metadata: { name: "keystone-fernet-keys" } },
                null as never,
                { kind: "Job", metadata: { name: "keystone-db-init" } },
                {},
            ]),
            [
                { kind: "Secret", name: "keystone-fernet-keys" },
                { kind: "Job", name: "keystone-db-init" },
            ],
        );
    });
});
