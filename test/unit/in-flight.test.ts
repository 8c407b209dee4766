// The rules `npm run recover` uses to find work still in flight on the stack before it changes
// anything (components/recovery/inFlight.ts, releaseActivity.ts), fed /proc-like snapshots and Helm's records.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import {
    PendingRelease,
    ProcessInfo,
    ReadFile,
    StackIdentity,
    cliChanges,
    describeRefusal,
    inFlightProcesses,
    normalizeBackend,
    parseCli,
    processKind,
    sameStack,
} from "../../components/recovery/inFlight";
import { QUIET_SECONDS, ReleaseActivity, lastWrite, releaseInFlight } from "../../components/recovery/releaseActivity";

const PROJECT_DIR = "/home/op/osh";
const HOME = "/home/op";
const OURS: StackIdentity = {
    project: "openstack-helm-pulumi",
    stack: "dev",
    backend: "file:///home/op/state",
    pulumiHome: "/home/op/.pulumi",
    backendFromLogin: false,
};
const workspaceFile = (home: string, dir: string) =>
    `${home}/workspaces/openstack-helm-pulumi-${createHash("sha1").update(`${dir}/Pulumi.yaml`).digest("hex")}-workspace.json`;

function files(extra: Record<string, string> = {}): ReadFile {
    const all: Record<string, string> = {
        [`${PROJECT_DIR}/Pulumi.yaml`]: "name: openstack-helm-pulumi\nruntime: nodejs\n",
        "/home/op/other/Pulumi.yaml": "name: another-project\nruntime: nodejs\n",
        "/home/op/checkout2/Pulumi.yaml": "name: openstack-helm-pulumi\nruntime: nodejs\nbackend:\n  url: file:///srv/shared-state\n",
        ...extra,
    };
    return (f) => all[f];
}

/** The environment `pulumi up` had in the README's setup (a file backend given by URL, with its options). */
const ENV = { HOME, PULUMI_BACKEND_URL: "file://~/state?no_tmp_dir=true", PATH: "/usr/bin" };

function cli(pid: number, args: string[], over: Partial<ProcessInfo> = {}): ProcessInfo {
    return { pid, ppid: 100, state: "S", argv: ["pulumi", ...args], cwd: PROJECT_DIR, env: ENV, ...over };
}

const PLUGINS_START = Date.parse("2026-12-06T04:50:00Z");

/** The plugins the engine starts (own process groups, children of the CLI until it dies). */
function plugins(ppid: number, first: number, env: Record<string, string> = ENV): ProcessInfo[] {
    const penv = { ...env, PULUMI_PROJECT: "openstack-helm-pulumi" };
    const startedAt = PLUGINS_START;
    return [
        {
            pid: first,
            ppid,
            state: "S",
            argv: ["/home/op/.pulumi/plugins/resource-kubernetes-v4.25.0/pulumi-resource-kubernetes", "127.0.0.1:40001"],
            cwd: PROJECT_DIR,
            env: penv,
            startedAt,
        },
        { pid: first + 1, ppid, state: "S", argv: ["pulumi-resource-command", "127.0.0.1:40001"], cwd: PROJECT_DIR, env: penv, startedAt },
        {
            pid: first + 2,
            ppid,
            state: "S",
            argv: ["pulumi-language-nodejs", "-root", PROJECT_DIR, "127.0.0.1:40001"],
            cwd: PROJECT_DIR,
            env,
            startedAt,
        },
        {
            pid: first + 3,
            ppid: first + 2,
            state: "S",
            argv: [
                "node",
                `${PROJECT_DIR}/node_modules/@pulumi/pulumi/cmd/run`,
                "--monitor",
                "127.0.0.1:40002",
                "--project",
                "openstack-helm-pulumi",
                "--stack",
                "dev",
                ".",
            ],
            cwd: PROJECT_DIR,
            env,
            startedAt,
        },
    ];
}

const shell: ProcessInfo = { pid: 100, ppid: 1, state: "S", argv: ["-bash"] };
const busyPids = (procs: ProcessInfo[], read = files(), self: number[] = []) =>
    inFlightProcesses(procs, OURS, read, self).busy.map((b) => b.pid);

describe("the pulumi CLI's command line", () => {
    it("finds the command words, --stack and --cwd, wherever the flags stand", () => {
        assert.deepEqual(parseCli(["up", "--yes", "--skip-preview"]), { words: ["up"] });
        assert.deepEqual(parseCli(["--cwd", "/p", "-v", "9", "up", "-s", "org/dev", "-m", "a message"]), {
            words: ["up"],
            stack: "org/dev",
            cwd: "/p",
        });
        assert.deepEqual(parseCli(["-C=/p", "--stack=dev", "destroy", "-y"]), { words: ["destroy"], stack: "dev", cwd: "/p" });
        assert.deepEqual(parseCli(["stack", "export", "--show-secrets"]), { words: ["stack", "export"] });
    });

    it("counts the commands that change a stack or the cluster, and an unknown one, as changing; previews and reads not", () => {
        for (const w of [
            ["up"],
            ["update"],
            ["destroy"],
            ["down"],
            ["refresh"],
            ["import"],
            ["watch"],
            ["state", "delete"],
            ["stack", "import"],
            ["stack", "rm"],
            ["mystery"],
        ])
            assert.equal(cliChanges(w), true, w.join(" "));
        for (const w of [
            [],
            ["preview"],
            ["pre"],
            ["stack"],
            ["stack", "export"],
            ["stack", "ls"],
            ["stack", "output"],
            ["config", "set"],
            ["cancel"],
            ["whoami"],
            ["about"],
        ])
            assert.equal(cliChanges(w), false, w.join(" "));
    });

    it("tells the CLI, its plugins and the Node.js program from other processes", () => {
        assert.equal(processKind({ argv: ["/usr/local/bin/pulumi", "up"] }), "cli");
        assert.equal(processKind({ argv: ["pulumi-resource-random", "127.0.0.1:1"] }), "plugin");
        assert.equal(processKind({ argv: ["pulumi-language-nodejs", "127.0.0.1:1"] }), "plugin");
        assert.equal(processKind({ argv: ["node", "/p/node_modules/@pulumi/pulumi/cmd/run/index.js", "--stack", "dev"] }), "program");
        for (const argv of [
            ["node", "/p/node_modules/.bin/tsx", "components/recovery/recover.ts"],
            ["pulumi-up-notes.sh"],
            ["bash", "-c", "pulumi up"],
            [],
        ])
            assert.equal(processKind({ argv }), undefined, argv.join(" "));
    });
});

describe("a pulumi process of this project and stack on this host", () => {
    it("is in flight while `pulumi up` runs, lock or no lock (the issue: `pulumi cancel` from a second shell)", () => {
        const home = "/home/op/.pulumi";
        const up = cli(4242, ["up", "--yes", "--skip-preview"], { ppid: shell.pid, env: { ...ENV, PULUMI_HOME: home } });
        const procs = [shell, up, ...plugins(up.pid, 4300)];
        const v = inFlightProcesses(procs, OURS, files({ [workspaceFile(home, PROJECT_DIR)]: '{"stack":"dev"}' }));
        // The CLI stands for its plugins while it runs: one pid to wait for or stop.
        assert.deepEqual(
            v.busy.map((b) => b.pid),
            [4242],
        );
        assert.equal(v.busy[0].what, "pulumi up --yes --skip-preview");
        assert.match(v.busy[0].why, /a pulumi run of stack dev that is still going, whether the stack is locked or not/);
        assert.deepEqual(v.unreadable, []);
    });

    it("is each command that changes the stack; reading commands and a preview are not", () => {
        const procs = [
            cli(1, ["destroy", "--yes"]),
            cli(2, ["refresh"]),
            cli(3, ["preview"]),
            cli(4, ["stack", "export"]),
            cli(5, ["stack", "import"]),
            cli(6, ["cancel", "--yes"]),
        ];
        assert.deepEqual(busyPids(procs), [1, 2, 5]);
    });

    it("is matched by project, backend and stack, not by directory: another checkout of the project on the same backend is this stack", () => {
        const procs = [
            cli(1, ["up", "--stack", "prod"]),
            cli(2, ["up", "--stack", "organization/openstack-helm-pulumi/dev"]),
            cli(3, ["up", "--stack", "organization/another-project/dev"]),
            cli(4, ["up", "-s", "dev"], { cwd: "/home/op/other" }),
            cli(5, ["up", "-s", "dev"], { env: { ...ENV, PULUMI_BACKEND_URL: "s3://bucket/state" } }),
            cli(6, ["up"], { env: { ...ENV, PULUMI_STACK: "prod" } }),
            cli(7, ["up"], { env: { ...ENV, PULUMI_STACK: "dev" } }),
            cli(8, ["up", "-s", "dev"], { cwd: "/home/op/checkout2", env: { HOME } }),
            cli(9, ["up", "-s", "dev"], {
                cwd: "/home/op/checkout2/components",
                env: { HOME, PULUMI_BACKEND_URL: "file:///home/op/state/" },
            }),
            cli(10, ["--cwd", PROJECT_DIR, "up", "-s", "dev"], { cwd: "/tmp" }),
            cli(11, ["up", "-s", "dev"], { cwd: "/tmp" }),
        ];
        // 8: its Pulumi.yaml names another backend; 9: same backend (a trailing slash), found from a subdirectory.
        assert.deepEqual(busyPids(procs), [2, 7, 9, 10]);
    });

    it("without --stack runs the stack its workspace selected, and counts as ours when that cannot be read", () => {
        const home = "/home/op/.pulumi";
        const up = cli(1, ["up", "--yes"], { env: { ...ENV, PULUMI_HOME: home } });
        assert.deepEqual(busyPids([up], files({ [workspaceFile(home, PROJECT_DIR)]: '{"stack":"prod"}' })), []);
        assert.deepEqual(
            busyPids([up], files({ [workspaceFile(home, PROJECT_DIR)]: '{"stack":"organization/openstack-helm-pulumi/dev"}' })),
            [1],
        );
        assert.deepEqual(busyPids([up], files()), [1]);
        const v = inFlightProcesses([up], OURS, files());
        assert.match(v.busy[0].why, /\(or of another stack of this project\)/);
    });

    it("on the backend `pulumi login` chose is ours when it shares our Pulumi home", () => {
        const ours = { ...OURS, backendFromLogin: true };
        const env = { HOME, PULUMI_HOME: "/home/op/.pulumi" };
        const procs = [
            cli(1, ["up", "-s", "dev"], { env }),
            cli(2, ["up", "-s", "dev"], { env: { ...env, PULUMI_HOME: "/srv/ci/.pulumi" } }),
        ];
        assert.deepEqual(
            inFlightProcesses(procs, ours, files()).busy.map((b) => b.pid),
            [1],
        );
    });

    it("is not a zombie, nor recover's own process tree", () => {
        assert.deepEqual(busyPids([cli(1, ["up"], { state: "Z" }), cli(2, ["up"])], files(), [2]), []);
    });

    it("that cannot be read (another user's) is named, not waited for", () => {
        const v = inFlightProcesses([cli(7, ["up", "--yes"], { cwd: undefined, env: undefined })], OURS, files());
        assert.deepEqual(v.busy, []);
        assert.deepEqual(v.unreadable, ["pid 7 `pulumi up --yes`"]);
    });
});

describe("a plugin whose pulumi process is gone (kill -9 of the CLI alone)", () => {
    // Reparented to init: no pulumi ancestor is left. Started at 04:50; keystone's install began at 04:55.
    const orphans = plugins(1, 4300);
    const keystone: PendingRelease = {
        namespace: "openstack",
        name: "keystone",
        status: "pending-install",
        startedAt: PLUGINS_START + 300_000,
    };
    const verdict = (procs: ProcessInfo[], pending: PendingRelease[] = [keystone]) => inFlightProcesses(procs, OURS, files(), [], pending);

    it("is in flight while it works, by its own markers: the provider's PULUMI_PROJECT and directory, the program's --project and --stack", () => {
        const v = verdict([shell, ...orphans]);
        assert.deepEqual(
            v.busy.map((b) => b.pid),
            [4300, 4302, 4303],
        );
        assert.match(v.busy[0].what, /pulumi-resource-kubernetes 127\.0\.0\.1:40001$/);
        assert.equal(
            v.busy[0].why,
            "a plugin of a pulumi run of this project whose pulumi process is gone, still at work: Helm may be at work in it on openstack/keystone (pending-install)",
        );
        assert.match(v.busy[1].why, /still at work: its program \(pid 4303\) is still running/);
        assert.match(v.busy[2].why, /^the program of a pulumi run of this project and stack dev whose pulumi process is gone/);
        // The command provider runs no script: nothing of it is in flight.
        assert.deepEqual(v.idle, [{ pid: 4301, what: "pulumi-resource-command 127.0.0.1:40001" }]);
    });

    it("a provider running a command's script is at work", () => {
        const script: ProcessInfo = { pid: 4390, ppid: 4301, state: "S", argv: ["bash", "-c", "ceph osd pool create glance.images"] };
        const v = verdict([...orphans.filter((p) => p.pid < 4302), script], []);
        assert.deepEqual(
            v.busy.map((b) => b.pid),
            [4301],
        );
        assert.match(
            v.busy[0].why,
            /its child pid 4390 `bash -c 'ceph osd pool create glance.images'` \(a command's script\) is still running/,
        );
    });

    it("the Kubernetes provider with no Helm operation it may have started is idle: named, not waited for", () => {
        const done = { ...keystone, status: "deployed" };
        const older = { ...keystone, name: "mariadb", startedAt: PLUGINS_START - 600_000 };
        for (const pending of [[], [older], [done].filter((r) => r.status.startsWith("pending"))]) {
            const v = verdict(orphans.slice(0, 2), pending);
            assert.deepEqual(v.busy, [], JSON.stringify(pending));
            assert.deepEqual(
                v.idle.map((p) => p.pid),
                [4300, 4301],
            );
        }
        // recover --explain says why, with both times: a clock that jumped shows there.
        const why = verdict(orphans.slice(0, 1), [older]).setAside.map((a) => `${a.pid}: ${a.why}`);
        assert.deepEqual(why, [
            `4300: its pulumi process is gone; it started at ${new Date(PLUGINS_START).toISOString()}, after every pending Helm operation ` +
                `of the stack began (openstack/mariadb pending-install since ${new Date(PLUGINS_START - 600_000).toISOString()})`,
        ]);
    });

    it("of another project, backend or stack is not ours", () => {
        const other = plugins(1, 4400).map((p): ProcessInfo => ({
            ...p,
            cwd: "/home/op/other",
            env: { ...p.env!, PULUMI_PROJECT: "another-project" },
        }));
        other[2].env = { ...ENV }; // the language host: its directory's project
        other[3].argv = other[3].argv.map((a) => (a === "openstack-helm-pulumi" ? "another-project" : a));
        const otherBackend = plugins(1, 4500, { ...ENV, PULUMI_BACKEND_URL: "file:///srv/other" });
        const prod = plugins(1, 4600, { ...ENV, PULUMI_STACK: "prod" });
        prod[3].argv = prod[3].argv.map((a) => (a === "dev" ? "prod" : a));
        const v = verdict([...other, ...otherBackend, ...prod]);
        assert.deepEqual([v.busy, v.idle], [[], []]);
        assert.deepEqual(
            v.setAside.map((a) => a.pid),
            [...other, ...otherBackend, ...prod].map((p) => p.pid),
        );
        assert.match(
            v.setAside[0].why,
            /^of another project, backend or stack than openstack-helm-pulumi\/dev \(its directory \/home\/op\/other\)$/,
        );
    });

    it("is not a language host whose program has ended: it only waits for its engine", () => {
        const v = verdict([shell, ...orphans.filter((p) => p.pid !== 4303)]);
        assert.deepEqual(
            v.busy.map((b) => b.pid),
            [4300],
        );
        assert.ok(!v.idle.some((p) => p.pid === 4302));
    });

    it("goes with its CLI while that runs: a preview's plugins are not in flight", () => {
        const preview = cli(50, ["preview"]);
        const v = verdict([preview, ...plugins(50, 4300)]);
        assert.deepEqual([v.busy, v.unreadable, v.idle], [[], [], []]);
        assert.deepEqual(
            v.setAside.map((a) => `${a.pid}: ${a.why}`),
            [
                "50: a pulumi command that changes no stack",
                ...[4300, 4301, 4302, 4303].map(
                    (pid) => `${pid}: started by pulumi process 50, which is still running: it goes with that one`,
                ),
            ],
        );
    });
});

describe("a release Helm may still be working on (from another machine)", () => {
    const NOW = Date.parse("2026-12-06T05:00:00Z");
    const rel = (over: Partial<ReleaseActivity> = {}): ReleaseActivity => ({
        namespace: "openstack",
        name: "keystone",
        status: "pending-install",
        startedAt: NOW - 40_000,
        timeoutSeconds: 300,
        lastWrite: NOW - 5_000,
        ...over,
    });

    it("is one in a pending operation younger than its timeout whose objects are still being written", () => {
        assert.deepEqual(releaseInFlight(rel(), NOW), {
            subject: "release openstack/keystone",
            what: "pending-install for 40s of its 300s timeout, an object of it written 5s ago",
            why: "Helm may still be working on it (from a pulumi run on another machine)",
        });
        assert.ok(releaseInFlight(rel({ status: "pending-upgrade" }), NOW));
        assert.ok(releaseInFlight(rel({ status: "pending-rollback" }), NOW));
        assert.match(releaseInFlight(rel({ startedAt: NaN }), NOW)!.what, /^pending-install for \?s of its 300s timeout/);
    });

    it("is not one whose objects stayed quiet, that ran past its timeout, or that is no longer pending", () => {
        assert.equal(releaseInFlight(rel({ lastWrite: NOW - QUIET_SECONDS * 1000 }), NOW), undefined);
        assert.equal(releaseInFlight(rel({ lastWrite: undefined }), NOW), undefined);
        assert.equal(releaseInFlight(rel({ startedAt: NOW - 300_000 }), NOW), undefined);
        for (const status of ["deployed", "failed", "superseded", "uninstalling"])
            assert.equal(releaseInFlight(rel({ status }), NOW), undefined, status);
    });

    it("was last written at its objects' newest creation, managed-fields write or condition change", () => {
        const t = (s: number) => new Date(NOW - s * 1000).toISOString();
        const objects = [
            { metadata: { creationTimestamp: t(100), managedFields: [{ time: t(90) }, { time: t(12) }] } },
            { metadata: { creationTimestamp: t(60) }, status: { conditions: [{ lastTransitionTime: t(7) }], startTime: t(50) } },
            { metadata: { creationTimestamp: "not a time" } },
        ];
        assert.equal(lastWrite(objects), NOW - 7_000);
        assert.equal(lastWrite([]), undefined);
    });
});

describe("the refusal", () => {
    it("names each pid or release and what to do: wait (--wait), or stop the processes", () => {
        const lines = describeRefusal(
            "dev",
            [
                { subject: "pid 4242", what: "pulumi up --yes", why: "a pulumi run of stack dev that is still going", pid: 4242 },
                { subject: "pid 4300", what: "pulumi-resource-kubernetes 127.0.0.1:1", why: "a plugin", pid: 4300 },
            ],
            3600,
        );
        assert.deepEqual(lines, [
            "refused: work on stack dev is still in flight, and recovering now would undo it (nothing was changed):",
            "  pid 4242 `pulumi up --yes`: a pulumi run of stack dev that is still going",
            "  pid 4300 `pulumi-resource-kubernetes 127.0.0.1:1`: a plugin",
            "wait for it: `npm run recover -- --wait` waits until it is gone (at most 3600s), then recovers; " +
                "or, if you know it is stuck, stop it (kill 4242 4300) and run `npm run recover` again",
        ]);
        const release = describeRefusal(
            "dev",
            [{ subject: "release openstack/glance", what: "pending-install", why: "Helm may still be working on it" }],
            60,
        );
        assert.ok(!release.join("\n").includes("kill"), "nothing of this host to stop");
    });
});

describe("backend URLs and stack names", () => {
    it("compare a file backend by its directory, without ~ and the URL's options", () => {
        assert.equal(normalizeBackend("file://~/state?no_tmp_dir=true", HOME), "file:///home/op/state");
        assert.equal(normalizeBackend("file:///home/op/state/", HOME), "file:///home/op/state");
        assert.equal(normalizeBackend("https://api.example.test/", HOME), "https://api.example.test");
    });

    it("take a stack name bare or qualified, checking the project when it is named", () => {
        assert.ok(sameStack("dev", OURS));
        assert.ok(sameStack("organization/dev", OURS));
        assert.ok(sameStack("organization/openstack-helm-pulumi/dev", OURS));
        assert.ok(!sameStack("organization/another-project/dev", OURS));
        assert.ok(!sameStack("prod", OURS));
    });
});
