// Which secret each user a chart logs in as gets, read from what the program hands Helm: every
// `endpoints.<type>.auth.<key>` entry of the Keystone (identity), database (oslo_db*) and
// RabbitMQ (oslo_messaging) endpoints of every release, its user the entry's `username` in the
// release's values, else the chart's default.
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { ProgramRun, byType } from "./program-fixture";

/** The user endpoints: the kinds are separate name spaces (Keystone `nova` is not MariaDB `nova`). */
export function kindOf(endpoint: string): string | undefined {
    if (endpoint === "identity") return "keystone";
    if (endpoint === "oslo_messaging") return "rabbitmq";
    return /^oslo_db(_|$)/.test(endpoint) ? "db" : undefined;
}

/** A chart's default usernames, read from a checkout's values.yaml: `<endpoint>.<key>` -> username. */
export function checkoutUsernames(checkout: string, chart: string): Record<string, string> {
    const values = yaml.load(fs.readFileSync(path.join(checkout, chart, "values.yaml"), "utf8")) as {
        endpoints?: Record<string, { auth?: Record<string, { username?: unknown }> }>;
    };
    const out: Record<string, string> = {};
    for (const [endpoint, e] of Object.entries(values.endpoints ?? {})) {
        if (!kindOf(endpoint)) continue;
        for (const [key, entry] of Object.entries(e?.auth ?? {})) {
            if (typeof entry?.username === "string") out[`${endpoint}.${key}`] = entry.username;
        }
    }
    return out;
}

export interface UserSecrets {
    /** `<kind> <username>` -> the distinct password values its entries get. */
    readonly secrets: Map<string, Set<string>>;
    /** `<kind> <username>` -> its entries, `<chart>.<endpoint>.<key>`. */
    readonly entries: Map<string, string[]>;
    /** `<chart>.<endpoint>.<key>` -> its user and password. */
    readonly byEntry: Map<string, { user: string; password: string }>;
}

/** Every user entry with a password in the releases' values; `defaults(chart)` gives `<endpoint>.<key>` -> username. */
export function userSecrets(run: ProgramRun, defaults: (chart: string) => Record<string, string>): UserSecrets {
    const secrets = new Map<string, Set<string>>();
    const entries = new Map<string, string[]>();
    const byEntry = new Map<string, { user: string; password: string }>();
    for (const release of byType(run, "kubernetes:helm.sh/v3:Release")) {
        const chart: string = release.inputs.name;
        const endpoints = (release.inputs.values.endpoints ?? {}) as Record<string, { auth?: Record<string, any> }>;
        for (const [endpoint, e] of Object.entries(endpoints)) {
            const kind = kindOf(endpoint);
            if (!kind) continue;
            for (const [key, entry] of Object.entries(e.auth ?? {})) {
                if (typeof entry?.password !== "string") continue;
                const username = entry.username ?? defaults(chart)[`${endpoint}.${key}`] ?? key;
                const user = `${kind} ${username}`;
                secrets.set(user, (secrets.get(user) ?? new Set()).add(entry.password));
                entries.set(user, [...(entries.get(user) ?? []), `${chart}.${endpoint}.${key}`]);
                byEntry.set(`${chart}.${endpoint}.${key}`, { user, password: entry.password });
            }
        }
    }
    return { secrets, entries, byEntry };
}

/** The users whose entries do not all get the same secret, each with its entries. */
export function usersWithSeveralSecrets(u: UserSecrets): string[] {
    return [...u.secrets].filter(([, s]) => s.size > 1).map(([user]) => `${user}: ${u.entries.get(user)!.join(", ")}`);
}

/** The RandomPassword a mocked password value comes from (the mocks answer `generated-<name>`, non-alphanumerics as x). */
export function passwordResource(run: ProgramRun, value: string): string | undefined {
    return byType(run, "random:index/randomPassword:RandomPassword").find(
        (r) => `generated-${r.name}`.replace(/[^A-Za-z0-9]/g, "x") === value,
    )?.name;
}
