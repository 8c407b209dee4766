// What a failed release's Jobs say. When Helm fails a release, the provider's error names at best
// the hook Job (`job glance-db-sync failed: BackoffLimitExceeded`), or only a timeout; why the Job
// failed is in its pod's log. An error hook on every release (components/release/release.ts) asks the cluster
// then, and `pulumi up` shows, next to the provider's error, each failed Job of the release with
// the last lines its container printed:
//
//   release glance: hook Job glance-db-sync failed (BackoffLimitExceeded); last log lines:
//     ERROR glance ...
//
// A Job counts when its Failed condition is set, or, still running, when a pod of it has failed or
// a container of it has exited non-zero (the real charts' Jobs retry 1000 times: Helm times out
// first, with the pod crash-looping). The lines are the container's termination message when it
// has one (terminationMessagePolicy FallbackToLogsOnError puts the log's tail there; so does the
// simulator), else `kubectl logs --tail`. Only Job and pod status and the container's own output
// are read: no Secret, no env.
import * as pulumi from "@pulumi/pulumi";
import { Kubectl, kubectlAsync } from "../commands/kubectl";

/** How many log lines each failed Job shows. */
export const LOG_LINES = 20;
/** A failure older than the program's start by more than this is an earlier run's (clock skew). */
const STALE_MS = 60_000;
/** When this program started: Jobs that failed before are left out. */
const PROGRAM_START = new Date();

// --- The Kubernetes objects, as much of them as is read.

interface Meta {
    readonly name: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly creationTimestamp?: string;
    readonly ownerReferences?: readonly { readonly kind: string; readonly name: string }[];
}

export interface JobJson {
    readonly metadata: Meta;
    readonly status?: {
        readonly conditions?: readonly {
            readonly type: string;
            readonly status: string;
            readonly reason?: string;
            readonly lastTransitionTime?: string;
        }[];
    };
}

interface Terminated {
    readonly exitCode: number;
    readonly reason?: string;
    readonly message?: string;
    readonly finishedAt?: string;
}

interface ContainerStatusJson {
    readonly name: string;
    readonly restartCount?: number;
    readonly state?: { readonly terminated?: Terminated };
    readonly lastState?: { readonly terminated?: Terminated };
}

export interface PodJson {
    readonly metadata: Meta;
    readonly status?: {
        readonly phase?: string;
        readonly containerStatuses?: readonly ContainerStatusJson[];
        readonly initContainerStatuses?: readonly ContainerStatusJson[];
    };
}

/** One failed (or failing) Job of a release, and where its last failure can be read. */
export interface JobFailure {
    readonly job: string;
    /** A Helm hook (`helm.sh/hook`), which Helm waited for. */
    readonly hook: boolean;
    /** The Job's Failed condition is set (else it still runs, and has failed at least once). */
    readonly failed: boolean;
    /** The Failed condition's reason (BackoffLimitExceeded, DeadlineExceeded, …), or how it fails. */
    readonly reason: string;
    /** The pod and container whose last failure is shown; undefined when no pod of it is left. */
    readonly pod?: string;
    readonly container?: string;
    /** The container's termination message (with FallbackToLogsOnError, its log's tail). */
    readonly message?: string;
    /** The failure is the container's previous run (it has been restarted since). */
    readonly previous?: boolean;
}

// --- Pure: which Jobs failed, and what is said about them.

/** The Jobs of a release: labelled with its release_group (every openstack-helm object is), else with its chart. */
export function releaseJobs(release: string, chart: string, jobs: readonly JobJson[]): JobJson[] {
    return jobs.filter((j) => {
        const l = j.metadata.labels ?? {};
        return l.release_group !== undefined ? l.release_group === release : l.application === chart;
    });
}

function podsOf(job: string, pods: readonly PodJson[]): PodJson[] {
    return pods.filter((p) => {
        const l = p.metadata.labels ?? {};
        if (l["batch.kubernetes.io/job-name"] !== undefined || l["job-name"] !== undefined)
            return (l["batch.kubernetes.io/job-name"] ?? l["job-name"]) === job;
        return (p.metadata.ownerReferences ?? []).some((o) => o.kind === "Job" && o.name === job);
    });
}

/** A container's last non-zero exit: its current state, else the run before its restart. */
function lastExit(c: ContainerStatusJson): { t: Terminated; previous: boolean } | undefined {
    if (c.state?.terminated && c.state.terminated.exitCode !== 0) return { t: c.state.terminated, previous: false };
    if (c.lastState?.terminated && c.lastState.terminated.exitCode !== 0) return { t: c.lastState.terminated, previous: true };
    return undefined;
}

const time = (s: string | undefined) => (s ? Date.parse(s) || 0 : 0);

interface Exit {
    readonly pod: PodJson;
    readonly container: string;
    readonly t: Terminated;
    readonly previous: boolean;
    readonly restarts: number;
}

/** Every non-zero exit of a container of these pods, newest first (then by the pod's creation). */
function exits(pods: readonly PodJson[]): Exit[] {
    return pods
        .flatMap((pod) =>
            [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].flatMap((c) => {
                const e = lastExit(c);
                return e ? [{ pod, container: c.name, t: e.t, previous: e.previous, restarts: c.restartCount ?? 0 }] : [];
            }),
        )
        .sort(
            (a, b) =>
                time(b.t.finishedAt) - time(a.t.finishedAt) ||
                time(b.pod.metadata.creationTimestamp) - time(a.pod.metadata.creationTimestamp),
        );
}

/**
 * The release's Jobs that failed, or that still run after a failure, each with its newest failed
 * container. Jobs whose failure is older than `since` (an earlier run's, which Helm deletes
 * before it runs the hook again) are left out.
 */
export function jobFailures(
    release: string,
    chart: string,
    jobs: readonly JobJson[],
    pods: readonly PodJson[],
    since?: Date,
): JobFailure[] {
    const out: JobFailure[] = [];
    for (const job of releaseJobs(release, chart, jobs)) {
        const name = job.metadata.name;
        const conditions = job.status?.conditions ?? [];
        if (conditions.some((c) => c.type === "Complete" && c.status === "True")) continue;
        const failedCondition = conditions.find((c) => c.type === "Failed" && c.status === "True");
        const mine = podsOf(name, pods);
        const newest = exits(mine)[0];
        const failedPods = mine.filter((p) => p.status?.phase === "Failed").length;
        if (!failedCondition && !newest && failedPods === 0) continue;
        const at = failedCondition ? time(failedCondition.lastTransitionTime) : time(newest?.t.finishedAt);
        if (since && at > 0 && at < since.getTime()) continue;
        const hook = job.metadata.annotations?.["helm.sh/hook"] !== undefined;
        let reason = failedCondition?.reason ?? "Failed";
        if (!failedCondition) {
            const how = [
                ...(newest ? [`container ${newest.container} exited with code ${newest.t.exitCode}`] : []),
                ...(newest && newest.restarts > 0 ? [`restarted ${newest.restarts} times`] : []),
                ...(failedPods > 0 ? [`${failedPods} failed pod${failedPods === 1 ? "" : "s"}`] : []),
            ];
            reason = how.join(", ");
        }
        const message = newest?.t.message?.trim();
        out.push({
            job: name,
            hook,
            failed: failedCondition !== undefined,
            reason,
            ...(newest
                ? { pod: newest.pod.metadata.name, container: newest.container, previous: newest.previous, ...(message ? { message } : {}) }
                : {}),
        });
    }
    return out.sort((a, b) => a.job.localeCompare(b.job));
}

/** The last `n` lines of a text, without trailing blank lines. */
export function tailLines(text: string, n = LOG_LINES): string[] {
    const lines = text.replace(/\r\n/g, "\n").split("\n");
    while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
    return lines.slice(-n);
}

/**
 * The report of one Job: `release <r>: hook Job <job> failed (<reason>); last log lines:` and the
 * lines, indented; or why there are none.
 */
export function formatFailure(release: string, f: JobFailure, log: { lines?: string[]; error?: string }): string {
    const head = `release ${release}: ${f.hook ? "hook " : ""}Job ${f.job} ${f.failed ? "failed" : "has not succeeded"} (${f.reason})`;
    if (log.lines && log.lines.length > 0) return `${head}; last log lines:\n${log.lines.map((l) => `  ${l}`).join("\n")}`;
    if (!f.pod) return `${head}; no pod of it is left to read its log`;
    if (log.error) return `${head}; the log of ${f.pod} (${f.container}) could not be read: ${log.error}`;
    return `${head}; ${f.pod} (${f.container}) printed nothing`;
}

// --- The cluster.

export type { Kubectl };

/** The report lines of a release's failed Jobs (none when no Job of it failed). */
export async function releaseFailureReport(
    kubectl: Kubectl,
    release: { name: string; chart: string; namespace: string },
    since: Date | undefined,
): Promise<string[]> {
    const ns = ["-n", release.namespace];
    const jobs = (JSON.parse(await kubectl([...ns, "get", "jobs", "-o", "json"])) as { items: JobJson[] }).items;
    if (releaseJobs(release.name, release.chart, jobs).length === 0) return [];
    const pods = (
        JSON.parse(await kubectl([...ns, "get", "pods", "-l", "batch.kubernetes.io/job-name", "-o", "json"])) as { items: PodJson[] }
    ).items;
    const failures = jobFailures(release.name, release.chart, jobs, pods, since);
    return Promise.all(
        failures.map(async (f) => {
            if (f.message) return formatFailure(release.name, f, { lines: tailLines(f.message) });
            if (!f.pod) return formatFailure(release.name, f, {});
            try {
                const out = await kubectl([
                    ...ns,
                    "logs",
                    f.pod,
                    "-c",
                    f.container!,
                    `--tail=${LOG_LINES}`,
                    ...(f.previous ? ["--previous"] : []),
                ]);
                return formatFailure(release.name, f, { lines: tailLines(out) });
            } catch (e) {
                return formatFailure(release.name, f, { error: (e as Error).message });
            }
        }),
    );
}

/** A plain string input of the failed operation (new inputs, or old ones for a delete). */
function inputOf(args: pulumi.ErrorHookArgs, key: string): string | undefined {
    const v = (args.newInputs ?? args.oldInputs)?.[key];
    return typeof v === "string" ? v : undefined;
}

export interface ReleaseFailureHookOptions {
    /** kubectl (default: kubectlAsync of the environment). */
    readonly kubectl?: Kubectl;
    /** Where a report line goes (default: pulumi.log.error on the failed resource). */
    readonly report?: (line: string, urn: string) => void;
    /** Where a failure of the look-up itself goes (default: pulumi.log.warn on the failed resource). */
    readonly warn?: (line: string, urn: string) => void;
    /** Jobs that failed before this are left out (default: the program's start, less a minute). */
    readonly since?: Date;
}

/**
 * The failed resource, to attach a log line to, by the URN the engine names: the Release object's
 * own URN resolves only when its registration completes, after the failed step, so a line logged
 * on it while the step fails would wait for it and never be shown.
 */
const onResource = (urn: string) => (urn ? new pulumi.DependencyResource(urn) : undefined);

/** The error hook name of a chart's release; one per release, as the engine requires unique names. */
export const failureHookName = (chart: string) => `${chart}-release-failures`;

/**
 * The error hook of a chart's release: on a failed create, update or delete, reports each failed
 * Job of the release and its log's tail. It never retries (Helm would rerun the same hooks) and
 * never throws: a hook's error would replace the provider's in the engine's report.
 */
export function releaseFailureHook(
    chart: string,
    namespace: pulumi.Input<string>,
    environment: Record<string, string>,
    opts: ReleaseFailureHookOptions = {},
): pulumi.ErrorHook {
    let resolvedNamespace: string | undefined;
    pulumi.output(namespace).apply((ns) => (resolvedNamespace = ns));
    const kubectl = opts.kubectl ?? kubectlAsync(environment);
    const report = opts.report ?? ((line: string, urn: string) => pulumi.log.error(line, onResource(urn)));
    const warn = opts.warn ?? ((line: string, urn: string) => pulumi.log.warn(line, onResource(urn)));
    const since = opts.since ?? new Date(PROGRAM_START.getTime() - STALE_MS);
    return new pulumi.ErrorHook(failureHookName(chart), async (args) => {
        const name = inputOf(args, "name") ?? chart;
        const ns = inputOf(args, "namespace") ?? resolvedNamespace;
        try {
            if (!ns) throw new Error("its namespace is not known");
            for (const line of await releaseFailureReport(kubectl, { name, chart, namespace: ns }, since)) report(line, args.urn);
        } catch (e) {
            warn(`release ${name}: could not look for its failed Jobs: ${(e as Error).message}`, args.urn);
        }
        return false;
    });
}
