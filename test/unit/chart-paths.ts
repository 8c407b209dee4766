// Checks values paths against the real charts' values (../shared/reference), the contract.
import * as fs from "fs";
import * as path from "path";

export const REFERENCE_FILE = path.resolve(__dirname, "../../../shared/reference/osh-values-paths-head.json");

type Kind = "map" | "list" | "string" | "number" | "bool" | "null";
interface Reference { charts: Record<string, { version: string; paths: Record<string, Kind> }> }

let cached: Reference | undefined;
export function reference(): Reference {
    if (!cached) {
        if (!fs.existsSync(REFERENCE_FILE)) {
            throw new Error(`chart reference ${REFERENCE_FILE} is missing: the tests need the shared/ folder beside the repository`);
        }
        cached = JSON.parse(fs.readFileSync(REFERENCE_FILE, "utf8")) as Reference;
    }
    return cached;
}

/**
 * Maps whose keys are free-form in the charts (rendered config files, per-endpoint host
 * overrides, extra manifests): a path below one of them need not be listed.
 */
const FREE_FORM = [/^conf$/, /^conf\./, /^endpoints\.[^.]+\.host_fqdn_override$/, /^extraObjects$/];

/** The paths (dotted) a chart does not have; empty when every path is valid. */
export function unknownPaths(chart: string, paths: string[]): string[] {
    const known = reference().charts[chart]?.paths;
    if (!known) return paths.map((p) => `${p} (no chart ${chart})`);
    return paths.filter((p) => {
        if (p in known) return false;
        const parts = p.split(".");
        for (let i = parts.length - 1; i > 0; i--) {
            const ancestor = parts.slice(0, i).join(".");
            if (ancestor in known) {
                return !(known[ancestor] === "map" && FREE_FORM.some((re) => re.test(ancestor)));
            }
        }
        return true;
    });
}

/** Every credential leaf of a chart: passwords, cookies and shared secrets. */
export function credentialPaths(chart: string): string[] {
    const known = reference().charts[chart].paths;
    return Object.keys(known).filter(
        (p) => known[p] === "string" && (/^endpoints\..*\.auth\..*password$/.test(p) || /(memcache_secret_key|erlang_cookie|metadata_proxy_shared_secret|horizon_secret_key)$/.test(p)),
    );
}
