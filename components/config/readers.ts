// The shared readers every section uses, and the error that lists every problem at once.
import { PROJECT } from "./types";

/** What loadConfig needs from a config reader; `pulumi.Config` satisfies it. */
export interface ConfigReader {
    get(key: string): string | undefined;
    /** Whether the key was set with --secret (unknown: treated as not). */
    isSecret?(key: string): boolean;
}

/** The one shape of a problem with a key (config, cluster probes, chart repository): what is wrong and its fix. */
export function problem(key: string, what: string, fix: string): string {
    return `${PROJECT}:${key}: ${what}. Fix: ${fix}`;
}

/** A warning about a key: what could not be checked. */
export function keyWarning(key: string, what: string): string {
    return `${PROJECT}:${key}: ${what}`;
}

export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(
            `The stack config has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was changed:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const HELM_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
export const INTERFACE = /^[A-Za-z0-9_.:-]{1,15}$/;
export const CEPH_NAME = /^[A-Za-z0-9_.-]+$/;
export const IMAGE_REF =
    /^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
/** kubeconfig context names: EKS ARNs, `user@cluster`, `kind-dev`; no spaces or shell syntax. */
export const KUBE_CONTEXT = /^[A-Za-z0-9_.@:/+-]{1,253}$/;

/** The shared readers every section uses: each records a problem and returns a safe default. */
export interface Readers {
    readonly key: (k: string) => string;
    readonly fail: (k: string, problem: string, fix: string) => void;
    readonly setFix: (k: string, example: string) => string;
    readonly objFix: (k: string, example: string) => string;
    readonly str: (k: string) => string | undefined;
    readonly json: (k: string) => unknown;
    readonly bool: (k: string, dflt: boolean) => boolean;
    readonly int: (k: string, dflt: number, min: number, max: number, extra?: (n: number) => string | undefined) => number;
    readonly oneOf: <T extends string>(k: string, allowed: readonly T[], dflt: T) => T;
    readonly matching: (k: string, re: RegExp, what: string, dflt: string | undefined, example: string) => string | undefined;
    readonly isSecret: (k: string) => boolean;
}

export function readers(reader: ConfigReader, problems: string[]): Readers {
    const key = (k: string) => `${PROJECT}:${k}`;
    const fail = (k: string, what: string, fix: string) => problems.push(problem(k, what, fix));
    const setFix = (k: string, example: string) => `pulumi config set ${key(k)} ${example}`;
    const objFix = (k: string, example: string) => `pulumi config set --path '${key(k)}${example}`;
    const str = (k: string): string | undefined => {
        const v = reader.get(k);
        return v === undefined || v === "" ? undefined : v;
    };
    const rejectAs = <T>(k: string, problem: string, fix: string, dflt: T): T => {
        fail(k, problem, fix);
        return dflt;
    };
    return {
        key,
        fail,
        setFix,
        objFix,
        str,
        json: (k) => {
            const raw = str(k);
            if (raw === undefined) return undefined;
            try {
                return JSON.parse(raw);
            } catch {
                return rejectAs(k, "is not valid structured config", "set it as a YAML object/list in Pulumi.<stack>.yaml", undefined);
            }
        },
        bool: (k, dflt) => {
            const v = str(k);
            if (v === undefined) return dflt;
            if (v === "true" || v === "false") return v === "true";
            return rejectAs(k, `must be true or false, got ${JSON.stringify(v)}`, setFix(k, String(dflt)), dflt);
        },
        int: (k, dflt, min, max, extra) => {
            const v = str(k);
            if (v === undefined) return dflt;
            const n = Number(v);
            if (!Number.isInteger(n)) return rejectAs(k, `must be a whole number, got ${JSON.stringify(v)}`, setFix(k, String(dflt)), dflt);
            if (n < min || n > max) return rejectAs(k, `must be between ${min} and ${max}, got ${n}`, setFix(k, String(dflt)), dflt);
            const why = extra?.(n);
            return why ? rejectAs(k, why, setFix(k, String(dflt)), dflt) : n;
        },
        oneOf: <T extends string>(k: string, allowed: readonly T[], dflt: T): T => {
            const v = str(k);
            if (v === undefined) return dflt;
            if ((allowed as readonly string[]).includes(v)) return v as T;
            return rejectAs(k, `must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`, setFix(k, dflt), dflt);
        },
        matching: (k, re, what, dflt, example) => {
            const v = str(k);
            if (v === undefined) return dflt;
            return re.test(v) ? v : rejectAs(k, `${JSON.stringify(v)} is not ${what}`, setFix(k, example), dflt);
        },
        isSecret: (k) => reader.isSecret?.(k) ?? false,
    };
}
