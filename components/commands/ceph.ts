import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { bashCommand, shq } from "./shell";

// Every Ceph call goes through one toolbox prefix (default: exec into Rook's toolbox). The
// scripts are idempotent: re-running create changes nothing, a caps change is applied with
// `ceph auth caps` (get-or-create with other caps fails with EINVAL), and delete tolerates a
// target that is already gone.

export interface CephPoolSpec {
    readonly name: string;
    readonly pgs: number;
    /** Replica count to set; unset leaves the pool's size alone (e.g. a Rook-managed pool). */
    readonly size?: number;
    /** Remove the pool on delete; otherwise it is kept because it may hold data. */
    readonly purge: boolean;
    /**
     * The application the pool is tagged with. Unset: `rbd` (`rbd pool init`). A chart's
     * storage-init enables its own (glance: `glance-image`) and fails while another is set, since
     * Ceph refuses a second application unless told "Are you SURE?".
     */
    readonly application?: string;
}

export interface CephUserSpec {
    /** Without the `client.` prefix. */
    readonly name: string;
    readonly caps: Readonly<Record<"mon" | "osd" | "mgr", string | undefined>>;
}

/** The script preamble: strict mode and `tb`, the toolbox prefix as a shell function. */
export function toolboxPreamble(prefix: string): string {
    return `set -euo pipefail\ntb() { ${prefix} "$@"; }\n`;
}

export function poolCreateScript(prefix: string, pool: CephPoolSpec): string {
    const p = shq(pool.name);
    const lines = [
        toolboxPreamble(prefix),
        `if tb ceph osd pool ls | grep -qxF ${p}; then echo "pool ${pool.name} exists" >&2; else tb ceph osd pool create ${p} ${pool.pgs} ${pool.pgs} >&2; fi`,
    ];
    if (pool.size !== undefined) {
        // Size 1 needs mon_allow_pool_size_one on the cluster and an explicit confirmation.
        const confirm = pool.size === 1 ? " --yes-i-really-mean-it" : "";
        lines.push(`tb ceph osd pool set ${p} size ${pool.size}${confirm} >&2`);
    }
    if (pool.application === undefined) lines.push(`tb rbd pool init ${p} >&2`);
    else {
        const app = shq(pool.application);
        // Tagged "rbd" by an earlier version of this script (rbd pool init): the tag is only a
        // label (no client reads it), so it is swapped for the chart's.
        lines.push(
            `if ! tb ceph osd pool application get ${p} ${app} >/dev/null 2>&1; then`,
            `  if tb ceph osd pool application get ${p} rbd >/dev/null 2>&1; then tb ceph osd pool application disable ${p} rbd --yes-i-really-mean-it >&2; fi`,
            `  tb ceph osd pool application enable ${p} ${app} >&2`,
            `fi`,
        );
    }
    lines.push(`echo ${p}`);
    return lines.join("\n");
}

export function poolDeleteScript(prefix: string, pool: CephPoolSpec): string {
    const p = shq(pool.name);
    if (!pool.purge) {
        return `echo "keeping Ceph pool ${pool.name}: it may hold data (set purgeOnDestroy to remove it)" >&2`;
    }
    return [
        toolboxPreamble(prefix),
        `if tb ceph osd pool ls | grep -qxF ${p}; then tb ceph osd pool rm ${p} ${p} --yes-i-really-really-mean-it >&2; fi`,
    ].join("\n");
}

function capsArgs(user: CephUserSpec): string {
    return (["mon", "osd", "mgr"] as const)
        .filter((k) => user.caps[k] !== undefined)
        .map((k) => `${k} ${shq(user.caps[k]!)}`)
        .join(" ");
}

/** Creates the user or brings its caps to the declared ones; prints its key (a secret output). */
export function userCreateScript(prefix: string, user: CephUserSpec): string {
    const u = shq(`client.${user.name}`);
    const caps = capsArgs(user);
    return [
        toolboxPreamble(prefix),
        `if tb ceph auth get ${u} >/dev/null 2>&1; then tb ceph auth caps ${u} ${caps} >&2; else tb ceph auth get-or-create ${u} ${caps} >/dev/null; fi`,
        `tb ceph auth get-key ${u}`,
    ].join("\n");
}

export function userDeleteScript(prefix: string, user: CephUserSpec): string {
    const u = shq(`client.${user.name}`);
    return [toolboxPreamble(prefix), `if tb ceph auth get ${u} >/dev/null 2>&1; then tb ceph auth del ${u} >&2; fi`].join("\n");
}

export interface CephCommandContext {
    readonly toolbox: string;
    /** Extra environment for the commands (e.g. KUBECONFIG for the default toolbox prefix). */
    readonly environment: Record<string, string>;
}

export function cephPool(
    name: string,
    ctx: CephCommandContext,
    pool: CephPoolSpec,
    opts: pulumi.CustomResourceOptions,
): command.local.Command {
    return bashCommand(
        name,
        {
            create: poolCreateScript(ctx.toolbox, pool),
            delete: poolDeleteScript(ctx.toolbox, pool),
            environment: ctx.environment,
        },
        opts,
    );
}

/** A Ceph user; `stdout` is its key, stored as a secret and never logged. */
export function cephUser(
    name: string,
    ctx: CephCommandContext,
    user: CephUserSpec,
    opts: pulumi.CustomResourceOptions,
): command.local.Command {
    return bashCommand(
        name,
        {
            create: userCreateScript(ctx.toolbox, user),
            delete: userDeleteScript(ctx.toolbox, user),
            environment: ctx.environment,
            logging: "stderr",
        },
        { ...opts, additionalSecretOutputs: ["stdout"] },
    );
}

/** Reads facts from the live cluster; `secret` keeps stdout encrypted and out of the logs. */
export function cephRead(
    name: string,
    ctx: CephCommandContext,
    script: string,
    secret: boolean,
    opts: pulumi.CustomResourceOptions,
): command.local.Command {
    return bashCommand(
        name,
        {
            create: `${toolboxPreamble(ctx.toolbox)}${script}`,
            environment: ctx.environment,
            logging: secret ? "stderr" : "stdoutAndStderr",
        },
        secret ? { ...opts, additionalSecretOutputs: ["stdout"] } : opts,
    );
}

export interface MonitorMap {
    readonly fsid: string;
    /** `ip:port` of each monitor's v1 address, in monmap order. */
    readonly monHost: string[];
}

/** Parses `ceph mon dump -f json`. */
export function parseMonDump(json: string): MonitorMap {
    const dump = JSON.parse(json) as {
        fsid?: string;
        mons?: { name: string; addr?: string; public_addrs?: { addrvec?: { type: string; addr: string }[] } }[];
    };
    if (!dump.fsid || !Array.isArray(dump.mons) || dump.mons.length === 0) {
        throw new Error("ceph mon dump returned no fsid or no monitors: is the toolbox prefix pointing at the right cluster?");
    }
    const monHost = dump.mons.map((m) => {
        const v1 = m.public_addrs?.addrvec?.find((a) => a.type === "v1")?.addr ?? m.addr;
        if (!v1) throw new Error(`monitor ${m.name} has no v1 address in ceph mon dump`);
        return v1.replace(/\/\d+$/, "");
    });
    return { fsid: dump.fsid, monHost };
}

/** The ceph.conf the charts read from ConfigMap ceph-etc: no keyring, only where the cluster is. */
export function cephConf(map: MonitorMap): string {
    return `[global]\nfsid = ${map.fsid}\nmon_host = ${map.monHost.join(",")}\n`;
}
