// The stuck-install doctor (components/scripts/stuck-pods.cjs) on the entrypoint cases the
// simulator's controller is tested on too, and its report as the readiness check prints it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../support/program-fixture";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const doctor = require("../../components/scripts/stuck-pods.cjs") as {
    stuckPods(list: unknown): {
        pod: string;
        node: string;
        waitsInEntrypoint: boolean;
        waitingFor: Record<string, unknown>[];
        containers: Record<string, unknown>[];
    }[];
    report(stuck: unknown): string;
};

interface Case {
    name: string;
    pod: Record<string, any>;
    objects: Record<string, any>[];
    unmet: Record<string, unknown>[];
}
const CASES = (JSON.parse(fs.readFileSync(path.join(ROOT, "test/fixtures/entrypoint-cases.json"), "utf8")) as { cases: Case[] }).cases;
const key = (d: Record<string, unknown>) =>
    JSON.stringify([d.kind, d.namespace, d.name ?? null, d.labels ?? null, d.requireSameNode ?? null]);

describe("the doctor applies kubernetes-entrypoint's rules", () => {
    for (const c of CASES) {
        it(c.name, () => {
            const stuck = doctor.stuckPods({ items: [c.pod, ...c.objects] });
            const mine = stuck.find((s) => s.pod === c.pod.metadata.name)!;
            assert.ok(mine, "the waiting pod is reported");
            assert.deepEqual(
                mine.waitingFor.map((d) => key({ ...d, requireSameNode: d.kind === "pod" ? d.requireSameNode : undefined })).sort(),
                c.unmet.map(key).sort(),
            );
        });
    }
});

describe("the doctor's report", () => {
    it("names each waiting pod, its node and what it waits for", () => {
        const c = CASES.find((x) => x.name.startsWith("a same-node pod dependency with the pod only on another node"))!;
        const pod = { ...c.pod, metadata: { ...c.pod.metadata, name: "nova-compute-default-x7k2p" } };
        const text = doctor.report(
            doctor.stuckPods({
                items: [
                    pod,
                    ...c.objects,
                    { kind: "Pod", metadata: { name: "done", namespace: "openstack" }, spec: {}, status: { phase: "Running" } },
                ],
            }),
        );
        assert.equal(
            text,
            "nova-compute-default-x7k2p (k2) waits for pod openstack application=neutron,component=neutron-ovs-agent: no such pod on my node (k2)",
        );
        assert.equal(doctor.report([]), "no pod waits in its kubernetes-entrypoint init container");
    });

    it("runs as the readiness check runs it: a kubectl List on stdin, node -e", () => {
        const c = CASES.find((x) => x.name === "a Service with no endpoints at all is not met")!;
        const r = spawnSync("node", ["-e", fs.readFileSync(path.join(ROOT, "components/scripts/stuck-pods.cjs"), "utf8")], {
            input: JSON.stringify({ kind: "List", items: [c.pod, ...c.objects] }),
            encoding: "utf8",
            env: { ...process.env, STUCK_PODS_MAIN: "1" },
        });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, "waiter-0 (k2) waits for Service openstack/keystone-api: no ready endpoint\n");
    });
});

// Pods on a real kubelet: their status as `kubectl get pod -o json` shows it, for the states the
// kubelet reports a container it cannot start, or keeps restarting, in.
const ENTRYPOINT_IMAGE = "quay.io/airshipit/kubernetes-entrypoint:latest-ubuntu_noble";
const KEYSTONE_IMAGE = "quay.io/airshipit/keystone:2025.1-ubuntu_noble";
const NOVA_IMAGE = "quay.io/airshipit/nova:2025.1-ubuntu_noble";

/** A pod on osh-node whose spec names the containers its status reports on; "init" is the entrypoint. */
function kubeletPod(name: string, status: Record<string, any>, extraMetadata: Record<string, unknown> = {}) {
    const specOf = (s: Record<string, any>) =>
        s.name === "init"
            ? {
                  name: "init",
                  image: ENTRYPOINT_IMAGE,
                  command: ["kubernetes-entrypoint"],
                  env: [{ name: "DEPENDENCY_SERVICE", value: "" }],
              }
            : { name: s.name, image: s.image };
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: "openstack", uid: "6b1f0c2e-4d0a-4c1e-9a4e-2f0d8c3b7a51", ...extraMetadata },
        spec: {
            nodeName: "osh-node",
            restartPolicy: "Always",
            initContainers: (status.initContainerStatuses ?? []).map(specOf),
            containers: (status.containerStatuses ?? []).map(specOf),
        },
        status: { hostIP: "10.0.0.11", podIP: "10.244.0.23", qosClass: "BestEffort", startTime: "2025-06-02T09:14:03Z", ...status },
    };
}

/** A container the kubelet has not started yet, as it reports one on its way up (no image pulled, no restarts). */
const waitingToStart = (name: string, image: string, reason: string) => ({
    name,
    image,
    imageID: "",
    ready: false,
    started: false,
    restartCount: 0,
    state: { waiting: { reason } },
    lastState: {},
});

const entrypointDone = {
    name: "init",
    image: ENTRYPOINT_IMAGE,
    imageID: "quay.io/airshipit/kubernetes-entrypoint@sha256:4f1e6b0a0c5d2f9e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f",
    containerID: "containerd://9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b",
    ready: true,
    started: false,
    restartCount: 0,
    state: {
        terminated: {
            exitCode: 0,
            reason: "Completed",
            startedAt: "2025-06-02T09:14:05Z",
            finishedAt: "2025-06-02T09:14:41Z",
            containerID: "containerd://9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b",
        },
    },
    lastState: {},
};
/** The kubelet's conditions for a pod whose containers are not ready, waiting on `pending` if it is not initialized. */
const notReady = (unready: string, pending?: string) => [
    { type: "PodReadyToStartContainers", status: "True", lastTransitionTime: "2025-06-02T09:14:04Z" },
    pending
        ? {
              type: "Initialized",
              status: "False",
              reason: "ContainersNotInitialized",
              message: `containers with incomplete status: [${pending}]`,
              lastTransitionTime: "2025-06-02T09:14:03Z",
          }
        : { type: "Initialized", status: "True", lastTransitionTime: "2025-06-02T09:14:42Z" },
    {
        type: "Ready",
        status: "False",
        reason: "ContainersNotReady",
        message: `containers with unready status: [${unready}]`,
        lastTransitionTime: "2025-06-02T09:14:03Z",
    },
    {
        type: "ContainersReady",
        status: "False",
        reason: "ContainersNotReady",
        message: `containers with unready status: [${unready}]`,
        lastTransitionTime: "2025-06-02T09:14:03Z",
    },
    { type: "PodScheduled", status: "True", lastTransitionTime: "2025-06-02T09:14:03Z" },
];

describe("the doctor reports containers the kubelet cannot start or keeps restarting", () => {
    it("an image it cannot pull, with the kubelet's message on one line of at most 200 characters", () => {
        const pullError =
            `failed to pull and unpack image "${KEYSTONE_IMAGE}": failed to resolve reference "${KEYSTONE_IMAGE}": ` +
            `unexpected status from HEAD request to https://quay.io/v2/airshipit/keystone/manifests/2025.1-ubuntu_noble: 401 UNAUTHORIZED`;
        const backOff = kubeletPod("keystone-api-6d9c8b7f4-x2x9q", {
            phase: "Pending",
            conditions: notReady("keystone-api"),
            initContainerStatuses: [entrypointDone],
            containerStatuses: [
                {
                    name: "keystone-api",
                    image: KEYSTONE_IMAGE,
                    imageID: "",
                    ready: false,
                    started: false,
                    restartCount: 0,
                    state: {
                        waiting: {
                            reason: "ImagePullBackOff",
                            message: `Back-off pulling image "${KEYSTONE_IMAGE}": ErrImagePull: ${pullError}`,
                        },
                    },
                    lastState: {},
                },
            ],
        });
        const pulling = kubeletPod("keystone-db-sync-8kq2d", {
            phase: "Pending",
            conditions: notReady("keystone-db-sync"),
            initContainerStatuses: [entrypointDone],
            containerStatuses: [
                {
                    name: "keystone-db-sync",
                    image: KEYSTONE_IMAGE,
                    imageID: "",
                    ready: false,
                    started: false,
                    restartCount: 0,
                    state: { waiting: { reason: "ErrImagePull", message: `rpc error: code = Unknown desc = ${pullError}` } },
                    lastState: {},
                },
            ],
        });
        const stuck = doctor.stuckPods({ kind: "List", items: [backOff, pulling] });
        assert.deepEqual(
            stuck.map((s) => [s.pod, s.waitsInEntrypoint, s.containers.map((c) => [c.container, c.init, c.reason, c.restartCount])]),
            [
                ["keystone-api-6d9c8b7f4-x2x9q", false, [["keystone-api", false, "ImagePullBackOff", 0]]],
                ["keystone-db-sync-8kq2d", false, [["keystone-db-sync", false, "ErrImagePull", 0]]],
            ],
        );
        const lines = doctor.report(stuck).split("\n");
        assert.equal(lines.length, 2);
        const backOffMessage = `Back-off pulling image "${KEYSTONE_IMAGE}": ErrImagePull: ${pullError}`;
        assert.ok(backOffMessage.length > 200, "the kubelet's message is longer than a line");
        assert.equal(
            lines[0],
            `keystone-api-6d9c8b7f4-x2x9q (osh-node) container keystone-api: ImagePullBackOff: ${backOffMessage.slice(0, 199)}…`,
        );
        assert.match(
            lines[1],
            /^keystone-db-sync-8kq2d \(osh-node\) container keystone-db-sync: ErrImagePull: rpc error: code = Unknown desc = /,
        );
        assert.equal(stuck[0].containers[0].message, `${backOffMessage.slice(0, 199)}…`);
    });

    it("a crash loop, with the restart count and the last exit code and reason", () => {
        const message =
            "back-off 2m40s restarting failed container=keystone-api pod=keystone-api-6d9c8b7f4-x2x9q_openstack(6b1f0c2e-4d0a-4c1e-9a4e-2f0d8c3b7a51)";
        const pod = kubeletPod("keystone-api-6d9c8b7f4-x2x9q", {
            phase: "Running",
            conditions: notReady("keystone-api"),
            initContainerStatuses: [entrypointDone],
            containerStatuses: [
                {
                    name: "keystone-api",
                    image: KEYSTONE_IMAGE,
                    imageID: "quay.io/airshipit/keystone@sha256:0d3c5e7f9a1b2c4d6e8f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d",
                    containerID: "containerd://1f2e3d4c5b6a79880f1e2d3c4b5a69788f9e0d1c2b3a4958f6e7d8c9b0a1f2e3",
                    ready: false,
                    started: false,
                    restartCount: 5,
                    state: { waiting: { reason: "CrashLoopBackOff", message } },
                    lastState: {
                        terminated: {
                            exitCode: 1,
                            reason: "Error",
                            startedAt: "2025-06-02T09:21:12Z",
                            finishedAt: "2025-06-02T09:21:15Z",
                            containerID: "containerd://1f2e3d4c5b6a79880f1e2d3c4b5a69788f9e0d1c2b3a4958f6e7d8c9b0a1f2e3",
                        },
                    },
                },
                {
                    // Its other container runs: not reported.
                    name: "keystone-api-logs",
                    image: KEYSTONE_IMAGE,
                    imageID: "quay.io/airshipit/keystone@sha256:0d3c5e7f9a1b2c4d6e8f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d",
                    containerID: "containerd://2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819",
                    ready: true,
                    started: true,
                    restartCount: 0,
                    state: { running: { startedAt: "2025-06-02T09:14:44Z" } },
                    lastState: {},
                },
            ],
        });
        const stuck = doctor.stuckPods({ kind: "List", items: [pod] });
        assert.equal(stuck.length, 1);
        assert.deepEqual(stuck[0].containers, [
            {
                container: "keystone-api",
                init: false,
                reason: "CrashLoopBackOff",
                message,
                restartCount: 5,
                lastExitCode: 1,
                lastExitReason: "Error",
            },
        ]);
        assert.equal(
            doctor.report(stuck),
            `keystone-api-6d9c8b7f4-x2x9q (osh-node) container keystone-api: CrashLoopBackOff (restarted 5 times, last exit code 1: Error): ${message}`,
        );
    });

    it("a container whose Secret or ConfigMap key is missing (CreateContainerConfigError)", () => {
        const pod = kubeletPod("keystone-api-6d9c8b7f4-x2x9q", {
            phase: "Pending",
            conditions: notReady("keystone-api"),
            initContainerStatuses: [entrypointDone],
            containerStatuses: [
                {
                    name: "keystone-api",
                    image: KEYSTONE_IMAGE,
                    imageID: "",
                    ready: false,
                    started: false,
                    restartCount: 0,
                    state: {
                        waiting: {
                            reason: "CreateContainerConfigError",
                            message: "couldn't find key password in Secret openstack/keystone-db-user",
                        },
                    },
                    lastState: {},
                },
            ],
        });
        assert.equal(
            doctor.report(doctor.stuckPods({ kind: "List", items: [pod] })),
            "keystone-api-6d9c8b7f4-x2x9q (osh-node) container keystone-api: CreateContainerConfigError: couldn't find key password in Secret openstack/keystone-db-user",
        );
    });

    it("an init container after the entrypoint that fails: crash-looping, or exited where the pod does not restart it", () => {
        const crashLooping = kubeletPod("nova-compute-default-7xk2p", {
            phase: "Pending",
            conditions: notReady("nova-compute", "nova-compute-init"),
            initContainerStatuses: [
                entrypointDone,
                {
                    name: "nova-compute-init",
                    image: NOVA_IMAGE,
                    imageID: "quay.io/airshipit/nova@sha256:7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f",
                    containerID: "containerd://5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d",
                    ready: false,
                    started: false,
                    restartCount: 4,
                    state: {
                        waiting: {
                            reason: "CrashLoopBackOff",
                            message:
                                "back-off 1m20s restarting failed container=nova-compute-init pod=nova-compute-default-7xk2p_openstack(6b1f0c2e-4d0a-4c1e-9a4e-2f0d8c3b7a51)",
                        },
                    },
                    lastState: {
                        terminated: {
                            exitCode: 1,
                            reason: "Error",
                            startedAt: "2025-06-02T09:17:01Z",
                            finishedAt: "2025-06-02T09:17:02Z",
                            containerID: "containerd://5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d",
                        },
                    },
                },
            ],
            containerStatuses: [waitingToStart("nova-compute", NOVA_IMAGE, "PodInitializing")],
        });
        // A Job pod that does not restart its containers fails for good; FallbackToLogsOnError puts
        // the log's tail, several lines, in the termination message.
        const exited = kubeletPod("nova-cell-setup-q8v4n", {
            phase: "Failed",
            initContainerStatuses: [
                entrypointDone,
                {
                    name: "nova-cell-setup-init",
                    image: NOVA_IMAGE,
                    imageID: "quay.io/airshipit/nova@sha256:7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f",
                    containerID: "containerd://6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e",
                    ready: false,
                    started: false,
                    restartCount: 0,
                    state: {
                        terminated: {
                            exitCode: 2,
                            reason: "Error",
                            message: "+ nova-manage cell_v2 list_hosts\nERROR: Could not find cell mapping\n",
                            startedAt: "2025-06-02T09:18:10Z",
                            finishedAt: "2025-06-02T09:18:12Z",
                            containerID: "containerd://6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e",
                        },
                    },
                    lastState: {},
                },
            ],
            containerStatuses: [waitingToStart("nova-cell-setup", NOVA_IMAGE, "PodInitializing")],
        });
        exited.spec.restartPolicy = "Never";
        const stuck = doctor.stuckPods({ kind: "List", items: [crashLooping, exited] });
        assert.deepEqual(
            stuck.map((s) => [s.pod, s.waitsInEntrypoint, s.containers.length]),
            [
                ["nova-compute-default-7xk2p", false, 1],
                ["nova-cell-setup-q8v4n", false, 1],
            ],
        );
        assert.equal(
            doctor.report(stuck),
            [
                "nova-compute-default-7xk2p (osh-node) init container nova-compute-init: CrashLoopBackOff (restarted 4 times, last exit code 1: Error): " +
                    "back-off 1m20s restarting failed container=nova-compute-init pod=nova-compute-default-7xk2p_openstack(6b1f0c2e-4d0a-4c1e-9a4e-2f0d8c3b7a51)",
                "nova-cell-setup-q8v4n (osh-node) init container nova-cell-setup-init: Error (exit code 2): + nova-manage cell_v2 list_hosts ERROR: Could not find cell mapping",
            ].join("\n"),
        );
    });

    it("an entrypoint whose own image cannot be pulled: the pull error, not 'it should start in a few seconds'", () => {
        const pod = kubeletPod("keystone-api-6d9c8b7f4-x2x9q", {
            phase: "Pending",
            initContainerStatuses: [
                {
                    name: "init",
                    image: ENTRYPOINT_IMAGE,
                    imageID: "",
                    ready: false,
                    started: false,
                    restartCount: 0,
                    state: { waiting: { reason: "ImagePullBackOff", message: `Back-off pulling image "${ENTRYPOINT_IMAGE}"` } },
                    lastState: {},
                },
            ],
            containerStatuses: [waitingToStart("keystone-api", KEYSTONE_IMAGE, "PodInitializing")],
        });
        const stuck = doctor.stuckPods({ kind: "List", items: [pod] });
        assert.deepEqual(
            stuck.map((s) => [s.waitsInEntrypoint, s.waitingFor, s.containers.length]),
            [[true, [], 1]],
        );
        assert.equal(
            doctor.report(stuck),
            `keystone-api-6d9c8b7f4-x2x9q (osh-node) init container init: ImagePullBackOff: Back-off pulling image "${ENTRYPOINT_IMAGE}"`,
        );
    });

    it("not a pod on its way up (ContainerCreating, PodInitializing), nor one deleted or done", () => {
        const creating = kubeletPod("keystone-api-6d9c8b7f4-x2x9q", {
            phase: "Pending",
            conditions: notReady("keystone-api"),
            initContainerStatuses: [entrypointDone],
            containerStatuses: [waitingToStart("keystone-api", KEYSTONE_IMAGE, "ContainerCreating")],
        });
        const initializing = kubeletPod("nova-compute-default-7xk2p", {
            phase: "Pending",
            initContainerStatuses: [
                entrypointDone,
                {
                    name: "nova-compute-init",
                    image: NOVA_IMAGE,
                    imageID: "quay.io/airshipit/nova@sha256:7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f",
                    containerID: "containerd://5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d",
                    ready: false,
                    started: true,
                    restartCount: 0,
                    state: { running: { startedAt: "2025-06-02T09:14:43Z" } },
                    lastState: {},
                },
            ],
            containerStatuses: [waitingToStart("nova-compute", NOVA_IMAGE, "PodInitializing")],
        });
        const crashLooping = {
            name: "keystone-api",
            image: KEYSTONE_IMAGE,
            imageID: "",
            ready: false,
            started: false,
            restartCount: 3,
            state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s restarting failed container=keystone-api" } },
            lastState: { terminated: { exitCode: 1, reason: "Error" } },
        };
        const deleted = kubeletPod(
            "keystone-api-6d9c8b7f4-old12",
            { phase: "Running", initContainerStatuses: [entrypointDone], containerStatuses: [crashLooping] },
            { deletionTimestamp: "2025-06-02T09:20:00Z", deletionGracePeriodSeconds: 30 },
        );
        const done = kubeletPod("keystone-bootstrap-z7m3c", {
            phase: "Succeeded",
            initContainerStatuses: [entrypointDone],
            containerStatuses: [],
        });
        assert.deepEqual(doctor.stuckPods({ kind: "List", items: [creating, initializing, deleted, done] }), []);
        assert.equal(doctor.report([]), "no pod waits in its kubernetes-entrypoint init container");
    });

    it("a pod waiting in its entrypoint is reported for what it waits for only, not for its containers' PodInitializing", () => {
        const c = CASES.find((x) => x.name === "a Service with no endpoints at all is not met")!;
        const pod = structuredClone(c.pod);
        pod.status.containerStatuses = [
            {
                name: "main",
                image: "x",
                imageID: "",
                ready: false,
                started: false,
                restartCount: 0,
                state: { waiting: { reason: "PodInitializing" } },
                lastState: {},
            },
        ];
        const stuck = doctor.stuckPods({ kind: "List", items: [pod, ...c.objects] });
        assert.deepEqual(stuck[0].containers, []);
        assert.equal(doctor.report(stuck), "waiter-0 (k2) waits for Service openstack/keystone-api: no ready endpoint");
    });
});
