// A failed release's Jobs in the error (components/release/failures.ts): which Jobs count, what is
// said of each, the kubectl calls that find them, and the error hook every release carries.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import {
    JobJson,
    Kubectl,
    PodJson,
    failureHookName,
    formatFailure,
    jobFailures,
    releaseFailureHook,
    releaseFailureReport,
    tailLines,
} from "../../components/release/failures";
import { kubectlAsync } from "../../components/commands/kubectl";
import { installMocks } from "../support/mocks";
import { allOptionsRun, byType } from "../support/program-fixture";
import { standinKubectl } from "../support/standin";

const FIXTURES = path.resolve(__dirname, "../fixtures/release-failures");
const items = <T>(file: string): T[] => (JSON.parse(fs.readFileSync(path.join(FIXTURES, file), "utf8")) as { items: T[] }).items;
const glanceJobs = items<JobJson>("glance-jobs.json");
const glancePods = items<PodJson>("glance-pods.json");
const loopJobs = items<JobJson>("crashloop-jobs.json");
const loopPods = items<PodJson>("crashloop-pods.json");

/** The run the fixtures were captured in started here: glance-ks-user failed in an earlier one. */
const SINCE = new Date("2026-08-20T11:59:00Z");
const DB_SYNC_MESSAGE = glancePods.find((p) => p.metadata.name.startsWith("glance-db-sync"))!.status!.containerStatuses![0].state!
    .terminated!.message!;

describe("jobFailures: the failed Jobs of a release", () => {
    it("finds the Job Helm failed on, with its pod's termination message (the simulator's picture)", () => {
        assert.deepEqual(jobFailures("glance", "glance", glanceJobs, glancePods, SINCE), [
            {
                job: "glance-db-sync",
                hook: true,
                failed: true,
                reason: "BackoffLimitExceeded",
                pod: "glance-db-sync-8kz4d",
                container: "db-sync",
                previous: false,
                message: DB_SYNC_MESSAGE,
            },
        ]);
    });

    it("leaves out completed Jobs, other releases' Jobs and an earlier run's failures", () => {
        const names = (since?: Date) => jobFailures("glance", "glance", glanceJobs, glancePods, since).map((f) => f.job);
        assert.deepEqual(names(SINCE), ["glance-db-sync"]);
        assert.deepEqual(names(undefined), ["glance-db-sync", "glance-ks-user"]);
        assert.deepEqual(
            jobFailures("keystone", "keystone", glanceJobs, glancePods, SINCE).map((f) => [f.job, f.reason, f.pod, f.message]),
            [["keystone-db-sync", "DeadlineExceeded", "keystone-db-sync-q9w7e", undefined]],
        );
        // A Job that failed once and then succeeded is no failure.
        const retried: JobJson = { ...glanceJobs[0], metadata: { ...glanceJobs[0].metadata, name: "glance-db-sync" } };
        assert.deepEqual(jobFailures("glance", "glance", [retried], glancePods, SINCE), []);
    });

    it("counts a Job still running after its container failed, whose log is the previous run's (a real chart's 1000 retries)", () => {
        assert.deepEqual(jobFailures("glance", "glance", loopJobs, loopPods, SINCE), [
            {
                job: "glance-db-sync",
                hook: true,
                failed: false,
                reason: "container glance-db-sync exited with code 1, restarted 7 times",
                pod: "glance-db-sync-wq5lp",
                container: "glance-db-sync",
                previous: true,
            },
        ]);
    });

    it("reports a failed Job whose pods are gone, and a plain Job as a Job", () => {
        assert.deepEqual(jobFailures("nova", "nova", loopJobs, loopPods, SINCE), [
            { job: "nova-cell-setup", hook: false, failed: true, reason: "BackoffLimitExceeded" },
        ]);
    });

    it("falls back to the application label, and to owner references for pods without the job-name label", () => {
        const job: JobJson = {
            metadata: { name: "x-job", labels: { application: "x" } },
            status: { conditions: [{ type: "Failed", status: "True" }] },
        };
        const pod: PodJson = {
            metadata: { name: "x-job-1", ownerReferences: [{ kind: "Job", name: "x-job" }] },
            status: { phase: "Failed", containerStatuses: [{ name: "c", state: { terminated: { exitCode: 2, message: "boom" } } }] },
        };
        assert.deepEqual(jobFailures("x", "x", [job], [pod]), [
            { job: "x-job", hook: false, failed: true, reason: "Failed", pod: "x-job-1", container: "c", previous: false, message: "boom" },
        ]);
        assert.deepEqual(jobFailures("y", "y", [job], [pod]), []);
    });
});

describe("formatFailure and tailLines: the error's lines", () => {
    it("names the release, the Job and the reason, then the last log lines indented", () => {
        const [f] = jobFailures("glance", "glance", glanceJobs, glancePods, SINCE);
        assert.equal(
            formatFailure("glance", f, { lines: tailLines(f.message!) }),
            "release glance: hook Job glance-db-sync failed (BackoffLimitExceeded); last log lines:\n" +
                "  ERROR oslo_db.sqlalchemy.engines [-] Database connection was found disconnected\n" +
                `  sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (1045, "Access denied for user 'glance'@'10.0.0.12'")`,
        );
    });

    it("says why there are no lines", () => {
        const [gone] = jobFailures("nova", "nova", loopJobs, loopPods, SINCE);
        assert.equal(
            formatFailure("nova", gone, {}),
            "release nova: Job nova-cell-setup failed (BackoffLimitExceeded); no pod of it is left to read its log",
        );
        const [loop] = jobFailures("glance", "glance", loopJobs, loopPods, SINCE);
        assert.equal(
            formatFailure("glance", loop, { error: "Unable to connect to the server" }),
            "release glance: hook Job glance-db-sync has not succeeded (container glance-db-sync exited with code 1, restarted 7 times); " +
                "the log of glance-db-sync-wq5lp (glance-db-sync) could not be read: Unable to connect to the server",
        );
        assert.match(formatFailure("glance", loop, { lines: [] }), /; glance-db-sync-wq5lp \(glance-db-sync\) printed nothing$/);
    });

    it("keeps the last 20 lines, without trailing blank ones", () => {
        const text = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join("\r\n") + "\n\n";
        const lines = tailLines(text);
        assert.equal(lines.length, 20);
        assert.equal(lines[0], "line 11");
        assert.equal(lines[19], "line 30");
        assert.deepEqual(tailLines("one\n"), ["one"]);
    });
});

/** A kubectl answering from the fixtures, recording its calls. */
function fakeKubectl(jobs: JobJson[], pods: PodJson[], logs?: (args: string[]) => string): Kubectl & { calls: string[][] } {
    const calls: string[][] = [];
    const run = async (args: string[]) => {
        calls.push(args);
        const cmd = args.slice(2).join(" ");
        if (cmd === "get jobs -o json") return JSON.stringify({ items: jobs });
        if (cmd === "get pods -l batch.kubernetes.io/job-name -o json") return JSON.stringify({ items: pods });
        if (args[2] === "logs" && logs) return logs(args);
        throw new Error(`unexpected kubectl ${args.join(" ")}`);
    };
    return Object.assign(run, { calls });
}

describe("releaseFailureReport: the kubectl calls", () => {
    it("reads Jobs and Job pods of the release's namespace, and uses the termination message without asking for logs", async () => {
        const kubectl = fakeKubectl(glanceJobs, glancePods);
        const lines = await releaseFailureReport(kubectl, { name: "glance", chart: "glance", namespace: "openstack" }, SINCE);
        assert.deepEqual(kubectl.calls, [
            ["-n", "openstack", "get", "jobs", "-o", "json"],
            ["-n", "openstack", "get", "pods", "-l", "batch.kubernetes.io/job-name", "-o", "json"],
        ]);
        assert.equal(lines.length, 1);
        assert.match(
            lines[0],
            /^release glance: hook Job glance-db-sync failed \(BackoffLimitExceeded\); last log lines:\n {2}ERROR oslo_db/,
        );
    });

    it("reads the crashed run's log with kubectl logs --previous when there is no message", async () => {
        const log = Array.from({ length: 25 }, (_, i) => `2026-08-20 12:14:0${i % 10} ERROR glance step ${i}`).join("\n");
        const kubectl = fakeKubectl(loopJobs, loopPods, (args) =>
            args.join(" ") === "-n openstack logs glance-db-sync-wq5lp -c glance-db-sync --tail=20 --previous"
                ? log.split("\n").slice(-20).join("\n")
                : "",
        );
        const [line] = await releaseFailureReport(kubectl, { name: "glance", chart: "glance", namespace: "openstack" }, SINCE);
        assert.equal(line.split("\n").length, 21);
        assert.match(line, /restarted 7 times\); last log lines:\n {2}2026-08-20 12:14:05 ERROR glance step 5\n/);
        assert.match(line, /ERROR glance step 24$/);
    });

    it("asks for no pods when the namespace has no Job of the release", async () => {
        const kubectl = fakeKubectl(loopJobs, loopPods);
        assert.deepEqual(await releaseFailureReport(kubectl, { name: "neutron", chart: "neutron", namespace: "openstack" }, SINCE), []);
        assert.equal(kubectl.calls.length, 1);
    });
});

// The stand-in records its arguments and KUBECONFIG, and answers `get` with an empty list.
const STANDIN = String.raw`#!/bin/bash
printf '%s\n' "$KUBECONFIG $*" >> "$STANDIN_STATE/calls"
case "$*" in
  *" get jobs -o json") echo '{"items": []}' ;;
  *) echo "error: the server doesn't have a resource type" >&2; exit 1 ;;
esac
`;
const standin = standinKubectl(STANDIN);

describe("kubectlAsync: kubectl on the provider's cluster", () => {
    it("passes KUBECONFIG and the context, with a request timeout", async () => {
        const state = standin.newState();
        const env = Object.fromEntries(Object.entries(standin.env(state)).filter((e): e is [string, string] => e[1] !== undefined));
        const kubectl = kubectlAsync({ ...env, KUBECONFIG: "/etc/osh/kubeconfig", KUBE_CONTEXT: "admin@osh" });
        assert.equal(await kubectl(["-n", "openstack", "get", "jobs", "-o", "json"]), '{"items": []}\n');
        await assert.rejects(kubectl(["get", "widgets"]), /the server doesn't have a resource type/);
        assert.deepEqual(fs.readFileSync(path.join(state, "calls"), "utf8").trim().split("\n"), [
            "/etc/osh/kubeconfig --context admin@osh --request-timeout=20s -n openstack get jobs -o json",
            "/etc/osh/kubeconfig --context admin@osh --request-timeout=20s get widgets",
        ]);
    });
});

/** Waits for the SDK to register an error hook with the (mock) engine. */
const registration = (hook: unknown) => (hook as { __registered: Promise<void> }).__registered;

describe("releaseFailureHook: the error hook", () => {
    const args = (extra: Record<string, unknown>) =>
        ({
            urn: "urn:pulumi:dev::p::kubernetes:helm.sh/v3:Release::glance",
            id: "",
            name: "glance",
            type: "kubernetes:helm.sh/v3:Release",
            errors: ["boom"],
            ...extra,
        }) as any;

    it("reports each failed Job of the release and never asks for a retry", async () => {
        await installMocks({});
        const reported: string[] = [];
        const warned: string[] = [];
        const hook = releaseFailureHook(
            "glance",
            "ignored",
            {},
            {
                kubectl: fakeKubectl(glanceJobs, glancePods),
                report: (l, urn) => reported.push(`${urn} ${l}`),
                warn: (l) => warned.push(l),
                since: SINCE,
            },
        );
        await registration(hook);
        assert.equal(hook.name, "glance-release-failures");
        const retry = await hook.callback(
            args({ failedOperation: "create", newInputs: { name: "glance", namespace: "openstack", values: {} } }),
        );
        assert.equal(retry, false);
        assert.equal(reported.length, 1);
        // On the failed resource, by the URN the engine names.
        assert.match(
            reported[0],
            /^urn:pulumi:dev::p::kubernetes:helm.sh\/v3:Release::glance release glance: hook Job glance-db-sync failed \(BackoffLimitExceeded\); last log lines:\n/,
        );
        assert.deepEqual(warned, []);
    });

    it("reads a failed delete's old inputs, and the namespace it was made with when the inputs lack one", async () => {
        await installMocks({});
        const reported: string[] = [];
        const kubectl = fakeKubectl(glanceJobs, glancePods);
        const hook = releaseFailureHook("keystone", "osh", {}, { kubectl, report: (l) => reported.push(l), since: SINCE });
        await registration(hook); // by then the namespace Output has resolved
        assert.equal(await hook.callback(args({ failedOperation: "delete", oldInputs: { name: "keystone" } })), false);
        assert.deepEqual(kubectl.calls[0].slice(0, 2), ["-n", "osh"]);
        assert.match(reported[0], /^release keystone: hook Job keystone-db-sync failed \(DeadlineExceeded\)/);
    });

    it("only warns when the cluster cannot be asked: an error from the hook would replace the provider's", async () => {
        await installMocks({});
        const reported: string[] = [];
        const warned: string[] = [];
        const broken: Kubectl = async () => {
            throw new Error("Unable to connect to the server: dial tcp 127.0.0.1:16443: connect: connection refused");
        };
        const hook = releaseFailureHook(
            "glance",
            "openstack",
            {},
            { kubectl: broken, report: (l) => reported.push(l), warn: (l) => warned.push(l) },
        );
        await registration(hook);
        assert.equal(
            await hook.callback(args({ failedOperation: "update", newInputs: { name: "glance", namespace: "openstack" } })),
            false,
        );
        assert.deepEqual(reported, []);
        assert.deepEqual(warned, [
            "release glance: could not look for its failed Jobs: Unable to connect to the server: dial tcp 127.0.0.1:16443: connect: connection refused",
        ]);
    });
});

describe("every release carries the error hook", () => {
    it("binds <chart>-release-failures to each release, and to nothing else, and registers each once", async () => {
        // Every chart on (the optional ones too); one program run per test file.
        const run = await allOptionsRun();
        const releases = byType(run, "kubernetes:helm.sh/v3:Release");
        assert.equal(releases.length, 13);
        for (const r of releases) assert.deepEqual(r.errorHooks, [failureHookName(r.inputs.name)], r.name);
        assert.deepEqual([...run.errorHooks].sort(), releases.map((r) => failureHookName(r.inputs.name)).sort());
        for (const r of run.resources.filter((x) => x.type !== "kubernetes:helm.sh/v3:Release")) assert.deepEqual(r.errorHooks, [], r.name);
    });
});
