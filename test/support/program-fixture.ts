// Runs the whole program (index.ts) under mocks with a given stack config and returns what it
// registered, for the program tests.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { IndexFetcher, useIndexStandIn } from "../../components/probes/repository";
import { CHART_CATALOG } from "../../components/catalog/charts";
import { Read, Registered, errorHooks, installMocks, promiseOf, reads, registered } from "./mocks";

export const ROOT = path.resolve(__dirname, "../..");
/** The fixture charts, laid out as an openstack-helm checkout. */
export const FIXTURE_CHARTS = path.join(ROOT, "test/fixtures/openstack-helm");

/** Pulumi.dev.yaml's config, without the project prefix. */
export function devStackConfig(): Record<string, unknown> {
    const doc = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    return Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k.replace(/^openstack-helm-pulumi:/, ""), v]));
}

/**
 * The dev stack with the optional parts on and the other choices flipped: Cinder, Horizon and
 * Heat, a local openstack-helm checkout, an adopted namespace, purge on destroy, and extra
 * chart values (set with --secret: ALL_OPTIONS_SECRET_KEYS).
 */
export function allOptionsConfig(): Record<string, unknown> {
    return {
        ...devStackConfig(),
        enableCinder: "true",
        enableHorizon: "true",
        enableHeat: "true",
        chartSource: "local",
        chartLocalPath: FIXTURE_CHARTS,
        namespaceMode: "adopt",
        namespace: "osh",
        purgeOnDestroy: "true",
        manageStorageClass: "false",
        ephemeralOnCeph: "true",
        cephReplication: "2",
        tunnelInterface: "eth1",
        externalInterface: "eth2",
        chartValues: { nova: { conf: { nova: { DEFAULT: { debug: true } } } } },
    };
}

export const ALL_OPTIONS_SECRET_KEYS = ["chartValues"];

/** Pulumi.yaml's schema defaults, as the CLI would put them into the stack config. */
export function schemaDefaults(): Record<string, unknown> {
    const doc = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { config: Record<string, { default?: unknown }> };
    return Object.fromEntries(
        Object.entries(doc.config)
            .filter(([, v]) => v.default !== undefined)
            .map(([k, v]) => [k, v.default]),
    );
}

export interface ProgramRun {
    readonly resources: readonly Registered[];
    /** Resources read with `.get` (adopted namespace, existing StorageClass). */
    readonly reads: readonly Read[];
    /** The error hooks the run registered (`new pulumi.ErrorHook`), by name. */
    readonly errorHooks: readonly string[];
    readonly outputs: Record<string, any>;
    readonly secretOutputs: Set<string>;
}

/** A chart repository's index.yaml offering the given versions of each chart. */
export function chartIndexYaml(versions: Record<string, readonly string[]>): string {
    const entries = Object.fromEntries(
        Object.entries(versions).map(([name, vs]) => [
            name,
            vs.map((version) => ({ apiVersion: "v2", name, version, urls: [`${name}-${version}.tgz`], digest: "0".repeat(64) })),
        ]),
    );
    return yaml.dump({ apiVersion: "v1", entries, generated: "2026-08-20T00:00:00Z" });
}

/** The chart repository the program's index check sees: every chart at its pinned version (no network under mocks). */
export const PINNED_REPOSITORY: IndexFetcher = () => ({
    kind: "ok",
    body: chartIndexYaml(Object.fromEntries(CHART_CATALOG.map((c) => [c.name, [c.version]]))),
});

const INDEX = require.resolve("../../index");

/**
 * Evaluates index.ts afresh under the mocks installed last (its top level is the program), inside the
 * root Stack resource as the engine runs it (stack transformations need one). A program that refuses
 * its config rejects here. Fresh each time: the unit files share one process, and so do the runs.
 */
export async function evaluateProgram(): Promise<Record<string, unknown>> {
    delete require.cache[INDEX];
    let program: Record<string, unknown> = {};
    let refused: unknown;
    await pulumi.runtime.runInPulumiStack(async () => {
        // Caught here and thrown below: a Stack whose init throws leaves a rejection nobody awaits.
        try {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            program = require(INDEX) as Record<string, unknown>;
        } catch (e) {
            refused = e ?? new Error("the program threw");
        }
        return undefined;
    });
    if (refused !== undefined) throw refused;
    return program;
}

async function runOnce(config: Record<string, unknown>, secretKeys: string[], chartIndex: IndexFetcher): Promise<ProgramRun> {
    await installMocks({ ...schemaDefaults(), ...config }, "dev", secretKeys);
    useIndexStandIn(chartIndex);
    try {
        const program = await evaluateProgram();
        const outputs: Record<string, any> = {};
        const secretOutputs = new Set<string>();
        for (const [k, v] of Object.entries(program)) {
            outputs[k] = await promiseOf(v as any);
            if (await (v as any).isSecret) secretOutputs.add(k);
        }
        // Let registrations still in flight land.
        for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
        return deepFreeze({ resources: [...registered], reads: [...reads], errorHooks: [...errorHooks], outputs, secretOutputs });
    } finally {
        useIndexStandIn(undefined);
    }
}

/** Shared runs are read-only: a test that changed one would change what the next test sees. */
function deepFreeze<T>(v: T): T {
    if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
        Object.freeze(v);
        for (const x of Object.values(v)) deepFreeze(x);
    }
    return v;
}

const runs = new Map<string, Promise<ProgramRun>>();
/** The mocks are global: one run at a time, even when tests ask at once. */
let last: Promise<unknown> = Promise.resolve();
function queued(config: Record<string, unknown>, secretKeys: string[], chartIndex: IndexFetcher): Promise<ProgramRun> {
    const run = last.then(() => runOnce(config, secretKeys, chartIndex));
    last = run.catch(() => undefined);
    return run;
}

/**
 * Runs index.ts under mocks; secretKeys are the config keys set with --secret; chartIndex answers the
 * repository check. Memoized: every test (in any unit file) asking for the same config and secret keys
 * with the pinned repository gets the same run, so the program runs once per config, not once per test
 * or file. The run is frozen; read it, never change it. A custom chartIndex always runs afresh.
 */
export function runProgram(config: Record<string, unknown>, secretKeys: string[] = [], chartIndex?: IndexFetcher): Promise<ProgramRun> {
    if (chartIndex) return queued(config, secretKeys, chartIndex);
    const key = JSON.stringify([config, [...secretKeys].sort()]);
    let run = runs.get(key);
    if (!run) {
        run = queued(config, secretKeys, PINNED_REPOSITORY);
        runs.set(key, run);
    }
    return run;
}

/** The two configs most tests read: Pulumi.dev.yaml, and every option on (allOptionsConfig). */
export const devRun = (): Promise<ProgramRun> => runProgram(devStackConfig());
export const allOptionsRun = (): Promise<ProgramRun> => runProgram(allOptionsConfig(), ALL_OPTIONS_SECRET_KEYS);

export const byType = (run: ProgramRun, type: string) => run.resources.filter((r) => r.type === type);
export const release = (run: ProgramRun, chart: string) => {
    const r = run.resources.find((x) => x.type === "kubernetes:helm.sh/v3:Release" && x.inputs.name === chart);
    if (!r) throw new Error(`no release ${chart}`);
    return r;
};
/** The node label Commands (components/layers/layer.ts labelNodes): each with its label key and nodes. */
export const nodeLabels = (run: ProgramRun) =>
    run.resources
        .filter((r) => r.type === "command:local:Command" && r.inputs.environment?.FIELD_MANAGER !== undefined)
        .map((r) => ({
            resource: r,
            label: r.inputs.environment.LABEL as string,
            nodes: (r.inputs.environment.NODES as string).split("\n"),
        }));
export const named = (run: ProgramRun, name: string) => {
    const r = run.resources.find((x) => x.name === name);
    if (!r) throw new Error(`no resource named ${name}`);
    return r;
};

/** Walks every string leaf of a value. */
export function stringLeaves(v: unknown, at = ""): [string, string][] {
    if (typeof v === "string") return [[at, v]];
    if (Array.isArray(v)) return v.flatMap((x, i) => stringLeaves(x, `${at}[${i}]`));
    if (typeof v === "object" && v !== null) return Object.entries(v).flatMap(([k, x]) => stringLeaves(x, at ? `${at}.${k}` : k));
    return [];
}

export function get(obj: any, dotted: string): any {
    return dotted.split(".").reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), obj);
}
