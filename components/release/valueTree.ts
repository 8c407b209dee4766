// Value-tree helpers: the trees our builders make, the user's overrides merged over them, and the
// paths the override check compares with what a chart reads.
import * as pulumi from "@pulumi/pulumi";

/** A values tree whose leaves may be Outputs (credentials). */
export type Values = { [key: string]: ValueLeaf };
type ValueLeaf = pulumi.Input<string | number | boolean | null> | ValueLeaf[] | Values;

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v) && !pulumi.Output.isInstance(v);
}

/** Deep merge: maps merge key by key, anything else in `override` replaces `base`. */
export function deepMerge<T extends Record<string, unknown>>(base: T, override: Record<string, unknown> | undefined): T {
    if (!override) return base;
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(override)) {
        const b = out[k];
        out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
    }
    return out as T;
}

/** The same tree with every leaf (a list counts as one) made a secret. */
export function secretLeaves(values: Record<string, unknown>): Values {
    return Object.fromEntries(
        Object.entries(values).map(([k, v]) => [k, isPlainObject(v) ? secretLeaves(v) : pulumi.secret(v as ValueLeaf)]),
    ) as Values;
}

/** Every leaf path of a values tree, dotted (`volume.class_name`). */
export function valuePaths(values: Record<string, unknown>, prefix = ""): string[] {
    const paths: string[] = [];
    for (const [k, v] of Object.entries(values)) {
        const p = prefix ? `${prefix}.${k}` : k;
        if (isPlainObject(v) && Object.keys(v).length > 0) paths.push(...valuePaths(v, p));
        else paths.push(p);
    }
    return paths;
}
