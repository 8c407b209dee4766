// Rule (3) of what recover must not race (inFlight.ts): a release Helm may still be working on
// from a machine recover cannot see, told by its pending status and its objects' last writes.
import type { InFlight } from "./inFlight";

/** A release's newest revision and how its objects have moved, for rule (3). */
export interface ReleaseActivity {
    namespace: string;
    name: string;
    /** Helm's status of the newest revision. */
    status: string;
    /** When that revision's operation started (Helm's `updated`), in ms. */
    startedAt: number;
    /** The release's Helm timeout (its `timeout` input). */
    timeoutSeconds: number;
    /** The newest write to its objects or its records, in ms (undefined: none found). */
    lastWrite?: number;
}

export const PENDING = ["pending-install", "pending-upgrade", "pending-rollback"];
/** How long a pending release's objects must stay unwritten before recover takes its Helm as gone. */
export const QUIET_SECONDS = 30;

/**
 * A release Helm may still be working on from somewhere recover cannot see (another machine): in
 * a pending operation younger than its timeout (a Helm that ran out of time would have marked it
 * failed), with an object written in the last QUIET_SECONDS.
 */
export function releaseInFlight(r: ReleaseActivity, now: number): InFlight | undefined {
    if (!PENDING.includes(r.status)) return undefined;
    // An unreadable start time leaves the writes to decide.
    const age = Number.isFinite(r.startedAt) ? Math.max(0, Math.round((now - r.startedAt) / 1000)) : undefined;
    if (age !== undefined && age >= r.timeoutSeconds) return undefined;
    if (r.lastWrite === undefined) return undefined;
    const quiet = Math.max(0, Math.round((now - r.lastWrite) / 1000));
    if (quiet >= QUIET_SECONDS) return undefined;
    return {
        subject: `release ${r.namespace}/${r.name}`,
        what: `${r.status} for ${age ?? "?"}s of its ${r.timeoutSeconds}s timeout, an object of it written ${quiet}s ago`,
        why: "Helm may still be working on it (from a pulumi run on another machine)",
    };
}

/** The metadata and status of a Kubernetes object that tell when it was last written (`kubectl get -o json --show-managed-fields`). */
export interface ObjectTimes {
    metadata?: { creationTimestamp?: string; deletionTimestamp?: string; managedFields?: { time?: string }[] };
    status?: { conditions?: { lastTransitionTime?: string; lastUpdateTime?: string }[]; startTime?: string; completionTime?: string };
}

/** The newest write among objects, in ms (managed fields record every writer's last change). */
export function lastWrite(objects: readonly ObjectTimes[]): number | undefined {
    const times = objects.flatMap((o) => [
        o.metadata?.creationTimestamp,
        o.metadata?.deletionTimestamp,
        ...(o.metadata?.managedFields ?? []).map((f) => f.time),
        ...(o.status?.conditions ?? []).flatMap((c) => [c.lastTransitionTime, c.lastUpdateTime]),
        o.status?.startTime,
        o.status?.completionTime,
    ]);
    const ms = times.filter((t): t is string => typeof t === "string").map((t) => Date.parse(t));
    const valid = ms.filter((t) => !Number.isNaN(t));
    return valid.length ? Math.max(...valid) : undefined;
}
