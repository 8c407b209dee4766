// One password per user: the credentials every chart gets in `endpoints.<type>.auth.<key>` of
// its Keystone (`identity`), database (`oslo_db*`) and RabbitMQ (`oslo_messaging`) endpoints,
// chosen by the user each entry logs in as, not by its key. cinder's `identity.auth.glance` is
// the Keystone user `glance`, the glance chart's own: it gets glance's password, not one of its
// own that Keystone never heard of. An entry's user is the stack's chartValues override of its
// `username`, else the one the program sets, else the chart's default at the version installed
// (config.charts.usernames: the committed inventory, or the local checkout).
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { ChartLayer, ChartName, chartSpec, installedCharts } from "../catalog/charts";
import { KEYSTONE_ADMIN as OUR_ADMIN, StackConfig, keystoneAdmin, renamedAdminFields } from "../config";
import { chartHasPath } from "../catalog/endpoints";
import type { Values } from "../release/valueTree";
import { password } from "./secrets";

/** What the credentials read of the stack config: the installed charts and their overrides (usernames). */
export type CredentialsConfig = Pick<StackConfig, "charts" | "optional">;

/** The user the program names itself in every chart's Keystone admin entry (keystone bootstraps it). */
export const KEYSTONE_ADMIN_USER = OUR_ADMIN.username;
/** The RabbitMQ admin the program names in the rabbitmq chart and every chart's messaging admin entry. */
export const RABBITMQ_ADMIN_USER = "rabbitmq";

export type UserKind = "keystone" | "db" | "rabbitmq";

/** Which kind of user an endpoint's auth entries are (the kinds are separate name spaces). */
export function userKind(endpoint: string): UserKind {
    if (endpoint === "identity") return "keystone";
    if (endpoint === "oslo_messaging") return "rabbitmq";
    if (/^oslo_db(_|$)/.test(endpoint)) return "db";
    throw new Error(`endpoints.${endpoint} has no users`);
}

/** A generated password: `<layer name>-<name>`, a child of that layer. */
interface PasswordSource {
    readonly layer: ChartLayer;
    readonly name: string;
    /** May serve several users: the charts' helm-test users share one password (as before). */
    readonly manyUsers?: boolean;
}

/** One credential entry of a chart: `endpoints.<endpoint>.auth.<key>`. */
export interface CredentialEntry {
    readonly chart: ChartName;
    readonly endpoint: string;
    readonly key: string;
    /** The password it brings when it decides its user's (see `ownerRank`). */
    readonly source: PasswordSource;
    /** The username the program writes itself (a chartValues override still wins). */
    readonly username?: string;
    /** The entry whose chart the user belongs to: the chart's own user, or an admin's home chart. */
    readonly home: boolean;
}

const infraPassword = (name: string, manyUsers?: boolean): PasswordSource => ({ layer: "infra", name, manyUsers });
const KEYSTONE_ADMIN = infraPassword("keystone-admin-password");
const DB_ROOT = infraPassword("db-root-password");
const RABBITMQ_ADMIN = infraPassword("rabbitmq-admin-password");
const TEST_USER = infraPassword("test-user-password", true);

interface ServiceUsers {
    /** Keystone users: key -> password name after `<chart>-` (the chart's own: `keystone-password`). */
    readonly keystone?: Readonly<Record<string, string>>;
    /** The chart's `test` Keystone user (helm test). */
    readonly test?: boolean;
    /** Database endpoints with the chart's own user (`oslo_db`, nova's cells) and other DB users. */
    readonly db?: readonly string[];
    readonly otherDb?: Readonly<Record<string, string>>;
    /** The chart's own RabbitMQ user. */
    readonly rabbitmq?: boolean;
}

/** An OpenStack service chart's entries: the admins, its own users and the others it is given. */
function serviceEntries(chart: ChartName, u: ServiceUsers): CredentialEntry[] {
    const layer = chartSpec(chart).layer;
    const own = (name: string): PasswordSource => ({ layer, name: `${chart}-${name}` });
    const e = (endpoint: string, key: string, source: PasswordSource, username?: string): CredentialEntry => ({
        chart,
        endpoint,
        key,
        source,
        username,
        home: key === chart || (chart === "keystone" && endpoint === "identity" && key === "admin"),
    });
    const out = [e("identity", "admin", KEYSTONE_ADMIN, chart === "keystone" ? KEYSTONE_ADMIN_USER : undefined)];
    if (u.test) out.push(e("identity", "test", TEST_USER));
    for (const [key, name] of Object.entries(u.keystone ?? {})) out.push(e("identity", key, own(name)));
    for (const endpoint of u.db ?? []) out.push(e(endpoint, "admin", DB_ROOT), e(endpoint, chart, own("db-password")));
    for (const [key, name] of Object.entries(u.otherDb ?? {})) out.push(e("oslo_db", key, own(name)));
    if (u.rabbitmq) {
        out.push(e("oslo_messaging", "admin", RABBITMQ_ADMIN, RABBITMQ_ADMIN_USER), e("oslo_messaging", chart, own("rabbitmq-password")));
    }
    return out;
}

const keystoneUsers = (chart: string, others: readonly string[]) =>
    Object.fromEntries([[chart, "keystone-password"], ...others.map((k) => [k, `${k}-keystone-password`])]);
const infraEntry = (chart: ChartName, endpoint: string, key: string, source: PasswordSource, home: boolean, username?: string) => ({
    chart,
    endpoint,
    key,
    source,
    home,
    username,
});

/** Every credential entry the program fills, in chart catalog order: the one list the values come from. */
export const CREDENTIAL_ENTRIES: readonly CredentialEntry[] = [
    infraEntry("mariadb", "identity", "admin", KEYSTONE_ADMIN, false),
    infraEntry("mariadb", "identity", "mariadb", infraPassword("mariadb-backup-user-password"), true),
    infraEntry("mariadb", "oslo_db", "admin", DB_ROOT, true),
    ...["sst", "audit", "exporter"].map((k) => infraEntry("mariadb", "oslo_db", k, infraPassword(`mariadb-${k}-password`), true)),
    infraEntry("rabbitmq", "oslo_messaging", "user", RABBITMQ_ADMIN, true, RABBITMQ_ADMIN_USER),
    infraEntry("rabbitmq", "oslo_messaging", "guest", infraPassword("rabbitmq-guest-password"), true),
    ...serviceEntries("keystone", { test: true, db: ["oslo_db"], rabbitmq: true }),
    ...serviceEntries("glance", { keystone: keystoneUsers("glance", []), test: true, db: ["oslo_db"], rabbitmq: true }),
    ...serviceEntries("placement", {
        keystone: keystoneUsers("placement", []),
        db: ["oslo_db"],
        otherDb: { nova_api: "nova-api-db-password" },
    }),
    ...serviceEntries("nova", {
        keystone: keystoneUsers("nova", ["neutron", "placement", "cinder", "service", "ironic"]),
        test: true,
        db: ["oslo_db", "oslo_db_cell0", "oslo_db_cell1"],
        rabbitmq: true,
    }),
    ...serviceEntries("neutron", {
        keystone: keystoneUsers("neutron", ["nova", "placement", "designate", "ironic"]),
        test: true,
        db: ["oslo_db"],
        rabbitmq: true,
    }),
    ...serviceEntries("cinder", {
        keystone: keystoneUsers("cinder", ["nova", "service", "glance", "swift"]),
        test: true,
        db: ["oslo_db"],
        rabbitmq: true,
    }),
    ...serviceEntries("horizon", { db: ["oslo_db"] }),
    ...serviceEntries("heat", {
        keystone: { heat: "keystone-password", heat_trustee: "trustee-password", heat_stack_user: "stack-user-password" },
        test: true,
        db: ["oslo_db"],
        rabbitmq: true,
    }),
];

/** One user of the stack and the password every entry naming it gets. */
export interface StackUser {
    readonly kind: UserKind;
    readonly username: string;
    /** The password: `<layer name>-<name>` in `layer`. */
    readonly layer: ChartLayer;
    readonly name: string;
    /** The entries that log in as it: `<chart>.endpoints.<endpoint>.auth.<key>`. */
    readonly entries: readonly string[];
}

const entryId = (e: Pick<CredentialEntry, "chart" | "endpoint" | "key">) => `${e.chart}.endpoints.${e.endpoint}.auth.${e.key}`;

/** Another chart's Keystone admin entry: it follows the admin the keystone chart bootstraps (config/keystoneAdmin.ts). */
const followsKeystoneAdmin = (e: Pick<CredentialEntry, "chart" | "endpoint" | "key">) =>
    e.endpoint === "identity" && e.key === "admin" && e.chart !== "keystone";

/** The username an entry resolves to, and whether the stack renamed it (a chartValues override). */
export function entryUsername(cfg: CredentialsConfig, e: CredentialEntry): { username: string; renamed: boolean } {
    const auth = (cfg.charts.values[e.chart]?.endpoints as Record<string, { auth?: Record<string, { username?: unknown }> }> | undefined)?.[
        e.endpoint
    ]?.auth;
    const override = auth?.[e.key]?.username;
    const dflt =
        (followsKeystoneAdmin(e) ? renamedAdminFields(keystoneAdmin(cfg.charts)).username : undefined) ??
        e.username ??
        cfg.charts.usernames[e.chart]?.[`endpoints.${e.endpoint}.auth.${e.key}`] ??
        e.key;
    return typeof override === "string" && override !== ""
        ? { username: override, renamed: override !== dflt }
        : { username: dflt, renamed: false };
}

/** A password name from a username: its safe characters, and a digest when it has others. */
function nameFor(username: string): string {
    const safe = username.replace(/[^A-Za-z0-9_.-]/g, "-");
    return safe === username ? safe : `${safe}-${createHash("sha256").update(username).digest("hex").slice(0, 8)}`;
}

/**
 * Which password each user of the stack gets. One of a user's entries decides: one the stack did
 * not rename before a renamed one, then its home entry (the chart's own user, or the Keystone,
 * DB and RabbitMQ admins' home in keystone, mariadb and rabbitmq), then chart catalog order. The
 * deciding entry brings its password, so the chart a user belongs to keeps its password (and URN)
 * and the other charts' copies go. A password is one user's (the helm-test users' excepted): a
 * user whose deciding entry brings a password another user already has gets one of its own,
 * `<chart's layer>-user-<username>-<kind>-password`, stable while the user is.
 */
export function planUsers(cfg: CredentialsConfig): StackUser[] {
    const installed = new Set<string>(installedCharts(cfg.optional));
    const entries = CREDENTIAL_ENTRIES.filter((e) => installed.has(e.chart)).map((e, order) => ({ e, order, ...entryUsername(cfg, e) }));
    const groups = new Map<string, typeof entries>();
    for (const x of entries) {
        const k = `${userKind(x.e.endpoint)}\0${x.username}`;
        groups.set(k, [...(groups.get(k) ?? []), x]);
    }
    // Not renamed before renamed, home before not, then catalog order.
    const rank = (x: (typeof entries)[number]) => (x.renamed ? 2 : 0) * entries.length + (x.e.home ? 0 : 1) * entries.length + x.order;
    const deciders = [...groups.values()].map((g) => ({ g, d: g.reduce((best, x) => (rank(x) < rank(best) ? x : best)) }));
    deciders.sort((a, b) => rank(a.d) - rank(b.d));
    const taken = new Set<string>();
    return deciders.map(({ g, d }) => {
        const kind = userKind(d.e.endpoint);
        const id = `${d.e.source.layer}\0${d.e.source.name}`;
        const own = taken.has(id) && !d.e.source.manyUsers;
        taken.add(id);
        return {
            kind,
            username: d.username,
            layer: own ? chartSpec(d.e.chart).layer : d.e.source.layer,
            name: own ? `user-${nameFor(d.username)}-${kind}-password` : d.e.source.name,
            entries: g.map((x) => entryId(x.e)),
        };
    });
}

/**
 * The stack's credentials: each user's password, generated once by the layer its deciding entry
 * names (`generate`, which every layer calls first) and handed to every entry that logs in as it,
 * in whichever layer, before or after.
 */
export class Credentials {
    public readonly users: readonly StackUser[];
    private readonly deferred = new Map<StackUser, { out: pulumi.Output<string>; resolve?: (p: pulumi.Output<string>) => void }>();
    private readonly byEntry = new Map<string, { user: StackUser; username: string; entry: CredentialEntry }>();

    /** What every other chart's admin entry is given where the stack renamed Keystone's admin (usually nothing). */
    private readonly renamedAdmin: Readonly<Record<string, string>>;

    constructor(cfg: CredentialsConfig) {
        this.users = planUsers(cfg);
        this.renamedAdmin = renamedAdminFields(keystoneAdmin(cfg.charts));
        for (const user of this.users) {
            const [out, resolve] = pulumi.deferredOutput<string>();
            this.deferred.set(user, { out, resolve });
        }
        for (const entry of CREDENTIAL_ENTRIES) {
            const user = this.users.find((u) => u.entries.includes(entryId(entry)));
            if (user) this.byEntry.set(entryId(entry), { user, username: user.username, entry });
        }
    }

    /** Generates the passwords of the users `layer` decides, as children of `parent` named `<layerName>-<name>`. */
    generate(layer: ChartLayer, parent: pulumi.Resource, layerName: string): void {
        const made = new Map<string, pulumi.Output<string>>();
        for (const user of this.users.filter((u) => u.layer === layer)) {
            const pw = made.get(user.name) ?? password(`${layerName}-${user.name}`, parent);
            made.set(user.name, pw);
            const d = this.deferred.get(user)!;
            d.resolve!(pw);
            d.resolve = undefined;
        }
    }

    /** Fails for a user whose layer never generated its password (a program error: it would hang). */
    assertComplete(): void {
        const missing = this.users.filter((u) => this.deferred.get(u)!.resolve !== undefined);
        if (missing.length > 0)
            throw new Error(`no layer generated the passwords of ${missing.map((u) => `${u.kind} user ${u.username}`).join(", ")}`);
    }

    private lookup(chart: ChartName, endpoint: string, key: string) {
        const found = this.byEntry.get(entryId({ chart, endpoint, key }));
        if (!found) throw new Error(`${chart} has no credential entry endpoints.${endpoint}.auth.${key} (or the chart is not installed)`);
        return found;
    }

    /** The password of the user `endpoints.<endpoint>.auth.<key>` of `chart` logs in as. */
    password(chart: ChartName, endpoint: string, key: string): pulumi.Output<string> {
        return this.deferred.get(this.lookup(chart, endpoint, key).user)!.out;
    }

    /** The user `endpoints.<endpoint>.auth.<key>` of `chart` logs in as. */
    username(chart: ChartName, endpoint: string, key: string): string {
        return this.lookup(chart, endpoint, key).username;
    }

    /** A chart's own Keystone service user (`identity.auth.<chart>`) and its password: the verification logs it in. */
    serviceUser(chart: ChartName): [string, pulumi.Output<string>] {
        return [this.username(chart, "identity", chart), this.password(chart, "identity", chart)];
    }

    /** Every credential entry of `chart` as values: `<endpoint>.auth.<key>` = the password (and the username the program sets). */
    endpointAuth(chart: ChartName): Values {
        const out: Record<string, { auth: Values }> = {};
        for (const { entry, user } of this.byEntry.values()) {
            if (entry.chart !== chart) continue;
            const auth = (out[entry.endpoint] ??= { auth: {} }).auth;
            // A renamed Keystone admin reaches every chart's admin entry, the fields the chart has.
            const admin = followsKeystoneAdmin(entry)
                ? Object.fromEntries(
                      Object.entries(this.renamedAdmin).filter(([f]) => chartHasPath(chart, `endpoints.identity.auth.admin.${f}`)),
                  )
                : {};
            auth[entry.key] = { ...admin, ...(entry.username ? { username: entry.username } : {}), password: this.deferred.get(user)!.out };
        }
        return out;
    }
}
