// The stuck-install doctor: which pods still wait in their kubernetes-entrypoint init container,
// and for what, and which pods have a container the kubelet cannot start or keeps restarting.
// Reads a kubectl List on stdin (`kubectl -n <ns> get pods,jobs,endpointslices,endpoints,
// daemonsets -o json`) and prints one line per unmet dependency and per failing container:
//   nova-compute-default-x7k2p (k2) waits for Service openstack/neutron-server: no ready endpoint
//   keystone-api-abc (k1) container keystone-api: CrashLoopBackOff (restarted 5 times, last exit code 1: Error): back-off …
//
// The rules are kubernetes-entrypoint's (the same the simulator's controller applies,
// test/harness/simulator; test/fixtures/entrypoint-cases.json holds the cases both are tested on):
// a Service needs an EndpointSlice (else Endpoints) address that is ready; a Job needs
// status.succeeded > 0 (by labels: every match); a pod dependency needs a Ready matching pod (on
// my node with requireSameNode); a DaemonSet needs its pod on my node Ready, and none there counts
// as met. Plain CommonJS, no dependencies: the Readiness check runs it with the operator's Node.
"use strict";

const ENTRYPOINT = "kubernetes-entrypoint";

/** The pod's entrypoint init container, or undefined. */
function entrypointContainer(pod) {
    return (pod.spec?.initContainers ?? []).find((c) => (c.command ?? [])[0] === ENTRYPOINT);
}

/** The value of an env var of the container, with the pod's own name and namespace resolved. */
function envOf(pod, container, name) {
    const e = (container.env ?? []).find((x) => x.name === name);
    if (!e) return undefined;
    if (e.value !== undefined) return e.value;
    const field = e.valueFrom?.fieldRef?.fieldPath;
    if (field === "metadata.name") return pod.metadata?.name;
    if (field === "metadata.namespace") return pod.metadata?.namespace;
    return undefined;
}

/**
 * `a,ns:b` → [{namespace, name}]; `a:b:c` and an empty namespace are dropped, as the entrypoint
 * does. Entries are not trimmed, and an empty one (`a,,b`) stays: a wait that never resolves.
 */
function splitNames(raw, defaultNs) {
    if (!raw) return [];
    return raw
        .split(",")
        .map((s) => s.split(":"))
        .filter((p) => p.length === 1 || (p.length === 2 && p[0] !== ""))
        .map((p) => (p.length === 1 ? { namespace: defaultNs, name: p[0] } : { namespace: p[0], name: p[1] }));
}

function parseJson(raw) {
    if (!raw) return [];
    try {
        const v = JSON.parse(raw);
        return Array.isArray(v) ? v : [];
    } catch {
        return [];
    }
}

/** Every dependency the pod's entrypoint waits for. */
function dependencies(pod) {
    const c = entrypointContainer(pod);
    if (!c) return [];
    const ns = envOf(pod, c, "NAMESPACE") || "default";
    const deps = [];
    for (const s of splitNames(envOf(pod, c, "DEPENDENCY_SERVICE"), ns)) deps.push({ kind: "service", ...s });
    const jobsJson = envOf(pod, c, "DEPENDENCY_JOBS_JSON");
    if (jobsJson) {
        for (const j of parseJson(jobsJson)) {
            if (j.name && j.labels) continue; // name and labels together: the entrypoint drops it
            if (j.name) deps.push({ kind: "job", namespace: j.namespace || ns, name: j.name });
            else if (j.labels) deps.push({ kind: "job", namespace: j.namespace || ns, labels: j.labels });
        }
    } else {
        for (const j of splitNames(envOf(pod, c, "DEPENDENCY_JOBS"), ns)) deps.push({ kind: "job", ...j });
    }
    // Pod and DaemonSet dependencies need the pod's own name (the entrypoint skips them without it).
    if (envOf(pod, c, "POD_NAME")) {
        for (const p of parseJson(envOf(pod, c, "DEPENDENCY_POD_JSON"))) {
            deps.push({ kind: "pod", namespace: p.namespace || ns, labels: p.labels ?? {}, requireSameNode: !!p.requireSameNode });
        }
        for (const d of splitNames(envOf(pod, c, "DEPENDENCY_DAEMONSET"), ns)) deps.push({ kind: "daemonset", ...d });
    }
    for (const r of parseJson(envOf(pod, c, "DEPENDENCY_CUSTOM_RESOURCE"))) {
        deps.push({ kind: "customresource", namespace: r.namespace || ns, name: r.name, apiVersion: r.apiVersion, resource: r.kind });
    }
    return deps;
}

const isReady = (pod) => (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
/** Label selection as the entrypoint does it: an empty label set selects nothing. */
const matches = (labels, want) => Object.keys(want ?? {}).length > 0 && Object.entries(want).every(([k, v]) => labels?.[k] === v);

/** Why the dependency is not met in the snapshot, or null when it is. */
function unmetReason(dep, view, pod) {
    const inNs = (items) => items.filter((o) => o.metadata?.namespace === dep.namespace);
    switch (dep.kind) {
        case "service": {
            const slices = inNs(view.endpointslices).filter((s) => s.metadata?.labels?.["kubernetes.io/service-name"] === dep.name);
            const sliceReady = slices.some((s) => (s.endpoints ?? []).some((e) => (e.addresses ?? []).length > 0 && e.conditions?.ready !== false));
            if (sliceReady) return null;
            const ep = inNs(view.endpoints).find((e) => e.metadata?.name === dep.name);
            if ((ep?.subsets ?? []).some((s) => (s.addresses ?? []).length > 0)) return null;
            return "no ready endpoint";
        }
        case "job": {
            const jobs = inNs(view.jobs).filter((j) => (dep.labels ? matches(j.metadata?.labels, dep.labels) : j.metadata?.name === dep.name));
            if (jobs.length === 0) return "does not exist";
            const pending = jobs.filter((j) => !((j.status?.succeeded ?? 0) > 0));
            return pending.length === 0 ? null : dep.labels ? `${pending.map((j) => j.metadata.name).join(", ")} not succeeded` : "not succeeded";
        }
        case "pod": {
            const candidates = inNs(view.pods).filter((p) => matches(p.metadata?.labels, dep.labels));
            const here = dep.requireSameNode ? candidates.filter((p) => p.status?.hostIP && p.status.hostIP === pod.status?.hostIP) : candidates;
            if (here.some(isReady)) return null;
            const where = dep.requireSameNode ? ` on my node${pod.spec?.nodeName ? ` (${pod.spec.nodeName})` : ""}` : "";
            return here.length === 0 ? `no such pod${where}` : `no Ready pod${where}`;
        }
        case "daemonset": {
            const ds = inNs(view.daemonsets).find((d) => d.metadata?.name === dep.name);
            if (!ds) return "does not exist";
            const sel = ds.spec?.selector?.matchLabels ?? {};
            const mine = inNs(view.pods).filter((p) => matches(p.metadata?.labels, sel) && p.status?.hostIP === pod.status?.hostIP);
            if (mine.length === 0 || isReady(mine[0])) return null; // none on my node: met
            return "its pod on my node is not Ready";
        }
        default:
            return "not inspected (custom resource)";
    }
}

/** Whether the pod's entrypoint init container has not finished yet. */
function waitsInEntrypoint(pod) {
    const c = entrypointContainer(pod);
    if (!c) return false;
    const status = (pod.status?.initContainerStatuses ?? []).find((s) => s.name === c.name);
    return !status?.state?.terminated && pod.status?.phase !== "Running";
}

// A container waits for these on its way up; any other waiting reason is the kubelet failing to
// start it (ErrImagePull, CrashLoopBackOff, CreateContainerConfigError, RunContainerError, ...).
const STARTING_REASONS = new Set(["ContainerCreating", "PodInitializing"]);
const MESSAGE_MAX_CHARS = 200;

/** A kubelet message on one line, cut short: pull errors and termination logs run long. */
function oneLine(message) {
    const line = (message ?? "").replace(/\s+/g, " ").trim();
    return line.length > MESSAGE_MAX_CHARS ? `${line.slice(0, MESSAGE_MAX_CHARS - 1)}…` : line;
}

/**
 * The pod's containers the kubelet fails to start or keeps restarting, and its init containers that
 * exited non-zero (a pod that never restarts them stops there; one that does shows it between
 * restarts).
 */
function failingContainers(pod) {
    const statuses = [
        ...(pod.status?.initContainerStatuses ?? []).map((status) => ({ status, init: true })),
        ...(pod.status?.containerStatuses ?? []).map((status) => ({ status, init: false })),
    ];
    const failing = [];
    for (const { status, init } of statuses) {
        const waiting = status.state?.waiting;
        const exited = init ? status.state?.terminated : undefined;
        let state;
        if (waiting?.reason && !STARTING_REASONS.has(waiting.reason)) {
            state = { reason: waiting.reason, message: waiting.message };
        } else if (exited && (exited.exitCode ?? 0) !== 0) {
            state = { reason: exited.reason || "Terminated", exitCode: exited.exitCode, message: exited.message };
        } else {
            continue;
        }
        const last = status.lastState?.terminated;
        failing.push({
            container: status.name,
            init,
            ...state,
            message: oneLine(state.message),
            restartCount: status.restartCount ?? 0,
            lastExitCode: last?.exitCode,
            lastExitReason: last?.reason,
        });
    }
    return failing;
}

/**
 * Pods stuck on the way up: each with waitsInEntrypoint and, if so, its unmet dependencies
 * (waitingFor), and its failing containers.
 */
function stuckPods(list) {
    const items = list.items ?? [];
    const of = (kind) => items.filter((o) => o.kind === kind);
    const view = { pods: of("Pod"), jobs: of("Job"), endpointslices: of("EndpointSlice"), endpoints: of("Endpoints"), daemonsets: of("DaemonSet") };
    const stuck = [];
    for (const pod of view.pods) {
        if (pod.metadata?.deletionTimestamp || pod.status?.phase === "Succeeded") continue;
        const inEntrypoint = waitsInEntrypoint(pod);
        const containers = failingContainers(pod);
        if (!inEntrypoint && containers.length === 0) continue;
        const waitingFor = inEntrypoint
            ? dependencies(pod)
                  .map((d) => ({ ...d, why: unmetReason(d, view, pod) }))
                  .filter((d) => d.why !== null)
            : [];
        stuck.push({
            pod: pod.metadata.name,
            namespace: pod.metadata.namespace,
            node: pod.spec?.nodeName ?? "",
            waitsInEntrypoint: inEntrypoint,
            waitingFor,
            containers,
        });
    }
    return stuck;
}

const KIND = { service: "Service", job: "Job", pod: "pod", daemonset: "DaemonSet", customresource: "custom resource" };

function describe(d) {
    const what = d.name ? `${d.namespace}/${d.name}` : `${d.namespace} ${Object.entries(d.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(",")}`;
    return `${KIND[d.kind] ?? d.kind} ${what}: ${d.why}`;
}

function describeContainer(c) {
    const details = [];
    if (c.exitCode !== undefined) details.push(`exit code ${c.exitCode}`);
    if (c.restartCount > 0) details.push(`restarted ${c.restartCount} ${c.restartCount === 1 ? "time" : "times"}`);
    if (c.exitCode === undefined && c.lastExitCode !== undefined) {
        details.push(`last exit code ${c.lastExitCode}${c.lastExitReason ? `: ${c.lastExitReason}` : ""}`);
    }
    const what = `${c.init ? "init container" : "container"} ${c.container}`;
    return `${what}: ${c.reason}${details.length > 0 ? ` (${details.join(", ")})` : ""}${c.message ? `: ${c.message}` : ""}`;
}

/** The report: one line per unmet dependency of a waiting pod, and one per failing container. */
function report(stuck) {
    if (stuck.length === 0) return "no pod waits in its kubernetes-entrypoint init container";
    return stuck
        .flatMap((s) => {
            const head = `${s.pod}${s.node ? ` (${s.node})` : ""}`;
            const failing = s.containers.map((c) => `${head} ${describeContainer(c)}`);
            if (!s.waitsInEntrypoint) return failing;
            // With every dependency met, a failing container (the entrypoint's own image, say) is why it still waits.
            if (s.waitingFor.length === 0 && failing.length > 0) return failing;
            if (s.waitingFor.length === 0) return [`${head} waits in its init container with every dependency met (it should start in a few seconds)`];
            return [...s.waitingFor.map((d) => `${head} waits for ${describe(d)}`), ...failing];
        })
        .join("\n");
}

function main() {
    let input = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk) => (input += chunk));
    process.stdin.on("end", () => {
        const stuck = stuckPods(JSON.parse(input || "{}"));
        process.stdout.write(`${report(stuck)}\n`);
    });
}

module.exports = { dependencies, unmetReason, stuckPods, report };
if (require.main === module || process.env.STUCK_PODS_MAIN === "1") main();
