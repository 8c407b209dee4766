// Recovery from an interrupted `pulumi up` (`npm run recover`, components/recovery/recover.ts).
//
// A `pulumi up` killed while it creates a resource leaves a pending CREATE in the stack's state
// and, for a Helm release, the release itself in the cluster: deployed if Helm finished before
// the kill, `pending-install` if it was still installing (Helm never moves it on), or `failed`.
// The engine re-creates on the next `up`, which Helm refuses ("cannot re-use a name that is still
// in use"), and clearing the pending CREATE (`pulumi refresh`) forgets a release that exists.
// This module decides, from the exported state and what the cluster holds, what to do with each
// pending CREATE; the script carries the plan out. Pure functions only, so the rules are tested.

/** The secret signature of Pulumi's state format (a secret value is `{[SECRET_SIG_KEY]: SECRET_SIG, plaintext}`). */
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";

/** A resource as `pulumi stack export` writes it (the fields recovery reads or writes). */
export interface StateResource {
    urn: string;
    type: string;
    custom?: boolean;
    id?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
    parent?: string;
    provider?: string;
    [key: string]: unknown;
}

export interface PendingOperation {
    resource: StateResource;
    type: string;
}

/** `pulumi stack export` (version 3). */
export interface ExportedStack {
    version: number;
    deployment: {
        resources?: StateResource[];
        pending_operations?: PendingOperation[];
        [key: string]: unknown;
    };
}

/** A Helm release as `helm list -a` and `helm history` describe it. */
export interface HelmRelease {
    name: string;
    namespace: string;
    /** Helm's status of the newest revision: deployed, pending-install, pending-upgrade, failed, … */
    status: string;
    /** Whether any revision ever reached `deployed` (a first install that never finished has none). */
    everDeployed: boolean;
}

/** What recovery needs to know of the cluster. */
export interface ClusterFacts {
    /** The release, or undefined when Helm has no record of it. */
    release(namespace: string, name: string): HelmRelease | undefined;
    /** Whether the Kubernetes object a pending CREATE was making exists. */
    objectExists(ref: ObjectRef): boolean;
}

/** A Kubernetes object named by a resource's inputs. */
export interface ObjectRef {
    apiVersion: string;
    kind: string;
    name: string;
    namespace?: string;
}

export type RecoveryStep =
    /** The release is deployed: take it into the stack as created (nothing re-installed). */
    | { action: "adopt-release"; urn: string; id: string; why: string }
    /** The object exists: take it into the stack with its provider ID. */
    | { action: "adopt-object"; urn: string; id: string; why: string }
    /**
     * The release never finished its first install: uninstall it without its hooks and delete
     * the objects its hooks made (kept Secrets included), so the next `up` installs it afresh.
     */
    | { action: "clean-release"; urn: string; namespace: string; name: string; status: string; why: string }
    /** Nothing to keep: forget the pending CREATE; the next `up` creates it again. */
    | { action: "forget"; urn: string; why: string };

/** A release interrupted in an upgrade or rollback: roll back to its last deployed revision. */
export interface StuckRelease {
    namespace: string;
    name: string;
    status: string;
}

export interface RecoveryPlan {
    steps: RecoveryStep[];
    /** Releases of the stack whose last operation was interrupted mid-upgrade or mid-rollback. */
    rollbacks: StuckRelease[];
    /**
     * Releases of our charts in the stack's namespace that neither the state nor a pending CREATE
     * names: never adopted (a hand install, another stack's, or one whose pending CREATE was
     * cleared); recovery names them and leaves them alone.
     */
    strangers: FoundRelease[];
}

/** A release of our charts found in the cluster (`helm list -a`). */
export type FoundRelease = Pick<HelmRelease, "namespace" | "name" | "status">;

/** The namespace, name and Helm timeout (its `timeout` input, when set) of every release the state names, created or pending. */
export function stackReleases(stack: ExportedStack): { namespace: string; name: string; timeoutSeconds?: number }[] {
    return [...(stack.deployment.resources ?? []), ...(stack.deployment.pending_operations ?? []).map((op) => op.resource)]
        .filter((r) => r.type === RELEASE_TYPE)
        .flatMap((r) => {
            const namespace = str(r.inputs?.namespace);
            const name = str(r.inputs?.name);
            const timeout = r.inputs?.timeout;
            return namespace && name ? [{ namespace, name, ...(typeof timeout === "number" ? { timeoutSeconds: timeout } : {}) }] : [];
        });
}

function str(v: unknown): string | undefined {
    return typeof v === "string" ? v : undefined;
}

/** The object a `kubernetes:` resource's inputs name (undefined when they name none). */
export function objectRef(res: StateResource): ObjectRef | undefined {
    const inputs = res.inputs ?? {};
    const metadata = (inputs.metadata ?? {}) as Record<string, unknown>;
    const name = str(metadata.name);
    const apiVersion = str(inputs.apiVersion);
    const kind = str(inputs.kind);
    if (!name || !apiVersion || !kind) return undefined;
    const namespace = str(metadata.namespace);
    return { apiVersion, kind, name, ...(namespace ? { namespace } : {}) };
}

/** The provider ID pulumi-kubernetes gives an object: `namespace/name`, or `name` when cluster-scoped. */
export function objectId(ref: ObjectRef): string {
    return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

const UNFINISHED = ["pending-upgrade", "pending-rollback"];

/**
 * Decides what to do with each pending CREATE of the stack, which of its releases to roll back,
 * and which releases of our charts found in the cluster (`found`) are not the stack's.
 */
export function planRecovery(stack: ExportedStack, cluster: ClusterFacts, found: readonly FoundRelease[] = []): RecoveryPlan {
    const steps: RecoveryStep[] = [];
    // The engine may record the same pending CREATE more than once.
    const seen = new Set<string>();
    for (const op of stack.deployment.pending_operations ?? []) {
        if (op.type !== "creating" || seen.has(op.resource.urn)) continue;
        seen.add(op.resource.urn);
        steps.push(planPendingCreate(op.resource, cluster));
    }
    const rollbacks: StuckRelease[] = [];
    for (const res of stack.deployment.resources ?? []) {
        if (res.type !== RELEASE_TYPE) continue;
        const name = str(res.inputs?.name);
        const namespace = str(res.inputs?.namespace);
        if (!name || !namespace) continue;
        const rel = cluster.release(namespace, name);
        if (rel && UNFINISHED.includes(rel.status)) rollbacks.push({ namespace, name, status: rel.status });
    }
    const known = new Set(stackReleases(stack).map((r) => `${r.namespace}/${r.name}`));
    const strangers = found
        .filter((r) => !known.has(`${r.namespace}/${r.name}`))
        .map(({ namespace, name, status }) => ({ namespace, name, status }));
    return { steps, rollbacks, strangers };
}

function planPendingCreate(res: StateResource, cluster: ClusterFacts): RecoveryStep {
    const urn = res.urn;
    if (res.type === RELEASE_TYPE) {
        const name = str(res.inputs?.name);
        const namespace = str(res.inputs?.namespace);
        if (!name || !namespace) return { action: "forget", urn, why: "the release's name or namespace is not known yet" };
        const rel = cluster.release(namespace, name);
        if (!rel) return { action: "forget", urn, why: `Helm has no release ${namespace}/${name}` };
        if (rel.status === "deployed")
            return { action: "adopt-release", urn, id: `${namespace}/${name}`, why: `release ${namespace}/${name} is deployed` };
        if (rel.everDeployed)
            // Not ours to reinstall: a deployed revision exists, so it may hold a working service.
            return {
                action: "adopt-release",
                urn,
                id: `${namespace}/${name}`,
                why: `release ${namespace}/${name} is ${rel.status} after a deployed revision; the next up upgrades it`,
            };
        return {
            action: "clean-release",
            urn,
            namespace,
            name,
            status: rel.status,
            why: `release ${namespace}/${name} never finished its first install (${rel.status})`,
        };
    }
    // Patches are server-side applies: creating one again is the same apply.
    if (res.type.startsWith("kubernetes:") && !res.type.startsWith("pulumi:providers:") && !res.type.endsWith("Patch")) {
        const ref = objectRef(res);
        if (ref && cluster.objectExists(ref))
            return { action: "adopt-object", urn, id: objectId(ref), why: `${ref.kind} ${objectId(ref)} exists` };
        return { action: "forget", urn, why: ref ? `${ref.kind} ${objectId(ref)} does not exist` : "its object is not named yet" };
    }
    if (res.type === "command:local:Command") return { action: "forget", urn, why: "its script is safe to run again; the next up runs it" };
    if (res.type.startsWith("random:")) return { action: "forget", urn, why: "nothing used the value yet; the next up generates it" };
    return { action: "forget", urn, why: "nothing outside the state to keep" };
}

/** A secret in the state format, from a value in the same (plaintext) format; `pulumi stack import` encrypts it. */
function plaintextSecret(value: unknown): Record<string, unknown> {
    return { [SECRET_SIG_KEY]: SECRET_SIG, plaintext: JSON.stringify(value) };
}

/**
 * The state after the plan: every pending CREATE gone, each adopted resource recorded as created
 * with its provider ID. `stack` must come from `pulumi stack export --show-secrets` (secrets as
 * plaintext, in memory only), because an adopted release's outputs carry its inputs as one secret
 * (`__inputs`, as pulumi-kubernetes keeps them), which only the CLI can encrypt on import.
 */
export function recoveredState(stack: ExportedStack, plan: RecoveryPlan): ExportedStack {
    const adopted = new Map(plan.steps.filter((s) => s.action === "adopt-release" || s.action === "adopt-object").map((s) => [s.urn, s]));
    const pending = stack.deployment.pending_operations ?? [];
    const resources = [...(stack.deployment.resources ?? [])];
    for (const op of pending) {
        const step = op.type === "creating" ? adopted.get(op.resource.urn) : undefined;
        // Once per resource, however often the engine recorded its pending CREATE.
        adopted.delete(op.resource.urn);
        if (!step || (step.action !== "adopt-release" && step.action !== "adopt-object")) continue;
        const inputs = op.resource.inputs ?? {};
        // The outputs a refresh then completes (status, revision, the live object) from the cluster.
        const outputs = step.action === "adopt-release" ? { ...inputs, __inputs: plaintextSecret(inputs) } : { ...inputs };
        resources.push({ ...op.resource, id: step.id, outputs });
    }
    const handled = new Set(plan.steps.map((s) => s.urn));
    return {
        ...stack,
        deployment: {
            ...stack.deployment,
            resources,
            pending_operations: pending.filter((op) => !(op.type === "creating" && handled.has(op.resource.urn))),
        },
    };
}

/** Kinds and names of the objects a release's hooks made, from `helm get hooks` (YAML documents). */
export function hookObjects(manifests: readonly { kind?: string; metadata?: { name?: string } }[]): { kind: string; name: string }[] {
    return manifests
        .filter((m) => m && typeof m.kind === "string" && typeof m.metadata?.name === "string")
        .map((m) => ({ kind: m.kind!, name: m.metadata!.name! }));
}

/** One line per step, for the operator. */
export function describePlan(plan: RecoveryPlan): string[] {
    const lines = plan.steps.map((s) => `${s.action.padEnd(13)} ${s.urn.split("::").pop()}: ${s.why}`);
    for (const r of plan.rollbacks) lines.push(`${"rollback".padEnd(13)} ${r.namespace}/${r.name}: interrupted in ${r.status}`);
    for (const r of plan.strangers)
        lines.push(
            `${"leave alone".padEnd(13)} ${r.namespace}/${r.name} (${r.status}): not this stack's (no resource or interrupted create of it names it); ` +
                `remove it yourself if it is a leftover (helm uninstall ${r.name} -n ${r.namespace})`,
        );
    return lines;
}
