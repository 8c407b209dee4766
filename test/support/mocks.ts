// Pulumi mocks that record every registration: type, name, inputs, parent and dependencies.
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

// The SDK's store of engine features; not in its typings.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getStore } = require("@pulumi/pulumi/runtime/state") as { getStore: () => Record<string, unknown> };

/** A serialized property map with each secret replaced by its value. */
function unwrapSecrets(v: unknown): any {
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (typeof v !== "object" || v === null) return v;
    const o = v as Record<string, unknown>;
    if (o[specialSigKey] === specialSecretSig) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
}

/** Paths in a serialized property map whose value carries the secret signature. */
function findSecrets(v: unknown, path: string): string[] {
    if (Array.isArray(v)) return v.flatMap((x, i) => findSecrets(x, `${path}[${i}]`));
    if (typeof v !== "object" || v === null) return [];
    const o = v as Record<string, unknown>;
    if (o[specialSigKey] === specialSecretSig) return [path];
    return Object.entries(o).flatMap(([k, x]) => findSecrets(x, path ? `${path}.${k}` : k));
}

export interface Registered {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    /** Inputs with secrets unwrapped to their values. */
    readonly inputs: Record<string, any>;
    /** Dotted paths of the inputs that were sent as secrets. */
    readonly secretPaths: string[];
    readonly additionalSecretOutputs: string[];
    readonly retainOnDelete: boolean;
    readonly deleteBeforeReplace: boolean;
    readonly parent: string;
    readonly dependencies: string[];
    readonly custom: boolean;
    /** The names of the error hooks bound to it (`hooks.onError`). */
    readonly errorHooks: string[];
}

/** What the verification Command prints under mocks (the real one runs components/scripts/verify.cjs). */
export const FAKE_CHECK = { check: "token", ok: true, detail: "admin token from http://keystone.citec.com/v3", ms: 12 };
export const FAKE_FSID = "5c0f6f2e-0b8e-4d3f-9a54-3f1c2c7e9d10";
export const FAKE_ADMIN_KEY = "AQBfakeadminkeyfakeadminkeyfakeadmin==";
export const FAKE_GLANCE_KEY = "AQBfakeglancekeyfakeglancekeyfakegl==";
export const FAKE_MON_DUMP = JSON.stringify({
    fsid: FAKE_FSID,
    mons: [
        {
            name: "a",
            public_addrs: {
                addrvec: [
                    { type: "v2", addr: "10.96.10.1:3300", nonce: 0 },
                    { type: "v1", addr: "10.96.10.1:6789", nonce: 0 },
                ],
            },
        },
        {
            name: "b",
            public_addrs: {
                addrvec: [
                    { type: "v2", addr: "10.96.10.2:3300", nonce: 0 },
                    { type: "v1", addr: "10.96.10.2:6789", nonce: 0 },
                ],
            },
        },
        { name: "c", addr: "10.96.10.3:6789/0" },
    ],
});

export const registered: Registered[] = [];

/** The error hooks the program registered (`new pulumi.ErrorHook`), by name. */
export const errorHooks: string[] = [];

/** A resource read from the cluster (`.get`): in the state under its URN, but not managed. */
export interface Read {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly parent: string;
}
export const reads: Read[] = [];

/** What the fake cluster answers for each resource type. */
function outputsFor(type: string, name: string, inputs: Record<string, any>, id?: string): Record<string, any> {
    switch (type) {
        case "command:local:Command": {
            const create: string = inputs.create ?? "";
            let stdout = "";
            if (create.includes("mon dump")) stdout = FAKE_MON_DUMP;
            else if (create.includes("get-key 'client.glance'")) stdout = `${FAKE_GLANCE_KEY}\n`;
            else if (create.includes("get-key client.admin")) stdout = `${FAKE_ADMIN_KEY}\n`;
            else if (create.includes("rbd pool init")) stdout = `${/rbd pool init '([^']+)'/.exec(create)![1]}\n`;
            else if (create.includes("workloads")) stdout = "all 20 workloads in openstack are ready\n";
            else if (create.includes("VERIFY_JS")) stdout = `${JSON.stringify({ checks: [FAKE_CHECK] })}\n`;
            return { ...inputs, stdout, stderr: "" };
        }
        case "kubernetes:helm.sh/v3:Release":
            return {
                ...inputs,
                status: {
                    chart: inputs.chart,
                    version: inputs.version ?? "2026.1.0",
                    revision: 1,
                    status: "deployed",
                    name: inputs.name,
                    namespace: inputs.namespace,
                },
            };
        case "random:index/randomPassword:RandomPassword":
            return { ...inputs, result: `generated-${name}`.replace(/[^A-Za-z0-9]/g, "x") };
        case "random:index/randomUuid:RandomUuid":
            return { ...inputs, result: "2f1b0a5c-93a1-4e6e-9d0c-3b7c1f1d2e4a" };
        default:
            if (type.startsWith("kubernetes:")) {
                // A read (`.get`) answers with the object the id names.
                const readName = id ? id.split("/").at(-1) : undefined;
                return { ...inputs, metadata: { ...(inputs.metadata ?? {}), name: readName ?? inputs.metadata?.name ?? name } };
            }
            return inputs;
    }
}

/** The registration being handled: MockMonitor calls newResource synchronously from registerResource. */
let currentSecretOutputs: string[] = [];

class RecordingMonitor extends MockMonitor {
    async registerResource(req: any, callback: (err: any, res: any) => void): Promise<void> {
        currentSecretOutputs = req.getAdditionalsecretoutputsList();
        const type: string = req.getType();
        const name: string = req.getName();
        const parent: string = req.getParent();
        const urn: string = (this as any).newUrn(parent, type, name);
        registered.push({
            type,
            name,
            urn,
            parent,
            custom: req.getCustom(),
            inputs: unwrapSecrets(req.getObject().toJavaScript()),
            secretPaths: findSecrets(req.getObject().toJavaScript(), ""),
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            retainOnDelete: req.getRetainondelete(),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            dependencies: req.getDependenciesList(),
            errorHooks: req.getHooks()?.getOnErrorList() ?? [],
        });
        return super.registerResource(req, callback);
    }

    /** The engine's side of `new pulumi.ErrorHook`: recorded; the mocks never fail, so never called. */
    registerErrorHook(req: any, callback: (err: any, res: any) => void): void {
        errorHooks.push(req.getName());
        callback(null, {});
    }

    async readResource(req: any, callback: (err: any, res: any) => void): Promise<void> {
        const type: string = req.getType();
        const name: string = req.getName();
        const parent: string = req.getParent();
        reads.push({ type, name, parent, urn: (this as any).newUrn(parent, type, name) });
        return super.readResource(req, callback);
    }
}

const mocks: pulumi.runtime.Mocks = {
    newResource: (args) => {
        const state = args.custom ? outputsFor(args.type, args.name, args.inputs, args.id) : {};
        // As the engine does: outputs named in additionalSecretOutputs come back as secrets
        // (RandomPassword.result, a Command's stdout).
        for (const k of currentSecretOutputs) if (k in state) state[k] = pulumi.secret(state[k]);
        currentSecretOutputs = [];
        return { id: args.id ?? (args.custom ? `${args.name}-id` : undefined), state };
    },
    call: (args) => {
        throw new Error(`Mock not implemented: ${args.token}`);
    },
};

export const PROJECT = "openstack-helm-pulumi";

/** Installs the mocks and the given stack config (keys without the project prefix; secretKeys set with --secret). */
export async function installMocks(config: Record<string, unknown>, stack = "dev", secretKeys: string[] = []): Promise<void> {
    registered.length = 0;
    reads.length = 0;
    errorHooks.length = 0;
    await pulumi.runtime.setMocks(mocks, PROJECT, stack, false);
    // setMocks turns on the features a mock engine has (secrets above all); swapping in the
    // recording monitor resets them, so carry them over.
    const store = getStore();
    const features = Object.fromEntries(
        Object.keys(store)
            .filter((k) => k.startsWith("supports"))
            .map((k) => [k, store[k]]),
    );
    pulumi.runtime.setMockOptions(new RecordingMonitor(mocks), PROJECT, stack, false);
    Object.assign(store, features);
    const all: Record<string, string> = {};
    for (const [k, v] of Object.entries(config)) all[`${PROJECT}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    pulumi.runtime.setAllConfig(
        all,
        secretKeys.map((k) => `${PROJECT}:${k}`),
    );
}

/** Resolves an Output (test helper; Outputs have no public promise()). */
export function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) =>
        o.apply((v) => {
            resolve(v);
            return v;
        }),
    );
}

export function isSecretOutput(o: pulumi.Output<unknown>): Promise<boolean> {
    return (o as any).isSecret as Promise<boolean>;
}

/** The seed's cluster, as in Pulumi.dev.yaml. */
export const DEV_CONFIG = {
    domain: "citec.com",
    nodes: [
        { name: "k1", roles: ["control"] },
        { name: "k2", roles: ["control", "compute"] },
        { name: "k3", roles: ["control", "compute"] },
        { name: "k4", roles: ["compute"] },
    ],
    cephReplication: "1",
};
