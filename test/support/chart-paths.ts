// Checks values paths against the real charts at the pinned versions: the program's committed
// inventory (components/catalog/data/chart-values.json, made from the charts by test/harness/chart-inventory.ts).
import { ChartInventory, checkOverrides, pinnedInventory } from "../../components/catalog/inventory";
import { CHARTS, ChartName, DEFAULT_CHART_VERSIONS } from "../../components/config";

export function inventory(chart: string): ChartInventory | undefined {
    if (!(CHARTS as readonly string[]).includes(chart)) return undefined;
    return pinnedInventory(chart, DEFAULT_CHART_VERSIONS[chart as ChartName]);
}

/** The paths (dotted) the pinned chart does not read; empty when every path is valid. */
export function unknownPaths(chart: string, paths: string[]): string[] {
    const inv = inventory(chart);
    if (!inv) return paths.map((p) => `${p} (no chart ${chart})`);
    const tree: Record<string, unknown> = {};
    for (const p of paths) {
        const parts = p.split(".");
        let at = tree;
        for (const k of parts.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
        at[parts[parts.length - 1]] = null;
    }
    return checkOverrides(chart, inv, tree).map((x) => x.path);
}

/** Whether a values path names a credential: a password, cookie or shared secret. */
export function isCredentialPath(p: string): boolean {
    return (
        /^endpoints\..*\.auth\..*password$/.test(p) ||
        /(memcache_secret_key|erlang_cookie|metadata_proxy_shared_secret|horizon_secret_key)$/.test(p)
    );
}

/** Every credential leaf a chart has a default for (which the program must replace). */
export function credentialPaths(chart: string): string[] {
    const known = inventory(chart)!.paths;
    return Object.keys(known).filter((p) => known[p] === "string" && isCredentialPath(p));
}
