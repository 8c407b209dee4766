// Runs the whole program (index.ts) under mocks with a given stack config and returns what it
// registered, for the program tests.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { IndexFetcher, useIndexStandIn } from "../../components/chartRepository";
import { CHART_CATALOG } from "../../components/charts";
import { Read, Registered, installMocks, promiseOf, reads, registered } from "./mocks";

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
    readonly resources: Registered[];
    /** Resources read with `.get` (adopted namespace, existing StorageClass). */
    readonly reads: Read[];
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

/** Runs index.ts under mocks; secretKeys are the config keys set with --secret; chartIndex answers the repository check. */
export async function runProgram(
    config: Record<string, unknown>,
    secretKeys: string[] = [],
    chartIndex: IndexFetcher = PINNED_REPOSITORY,
): Promise<ProgramRun> {
    await installMocks({ ...schemaDefaults(), ...config }, "dev", secretKeys);
    useIndexStandIn(chartIndex);
    // As the engine runs it: inside the root Stack resource (stack transformations need one).
    let program: Record<string, unknown> = {};
    await pulumi.runtime.runInPulumiStack(async () => {
        program = await import("../../index");
        return undefined;
    });
    const outputs: Record<string, any> = {};
    const secretOutputs = new Set<string>();
    for (const [k, v] of Object.entries(program)) {
        outputs[k] = await promiseOf(v as any);
        if (await (v as any).isSecret) secretOutputs.add(k);
    }
    // Let registrations still in flight land.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    return { resources: [...registered], reads: [...reads], outputs, secretOutputs };
}

export const byType = (run: ProgramRun, type: string) => run.resources.filter((r) => r.type === type);
export const release = (run: ProgramRun, chart: string) => {
    const r = run.resources.find((x) => x.type === "kubernetes:helm.sh/v3:Release" && x.inputs.name === chart);
    if (!r) throw new Error(`no release ${chart}`);
    return r;
};
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
