// A real Keystone for tests: start one on loopback (keystone.sh), and talk to its v3 API with
// Node's fetch. The helpers do what the charts' ks-service, ks-endpoints and ks-user Jobs do, so a
// test can replay an install's registrations and then log in as each service user.
import { execFile } from "node:child_process";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const script = path.join(__dirname, "keystone.sh");

export interface KeystoneOptions {
    /** Directory of this instance: config, SQLite database, keys, logs. Created if missing. */
    dir: string;
    adminPassword: string;
    /** Region of the identity endpoints bootstrap registers. */
    region: string;
    /** Identity endpoints in the catalog; each defaults to the loopback URL. */
    publicUrl?: string;
    internalUrl?: string;
    adminUrl?: string;
    /**
     * Rename bootstrap's "Default" domain, e.g. to "default", the name the charts' clients use:
     * SQLite matches names case-sensitively where the charts' MariaDB does not.
     */
    defaultDomainName?: string;
}

export interface RunningKeystone {
    /** The v3 root, http://127.0.0.1:<port>/v3. */
    url: string;
    /** Stops the server; the directory stays (start again on it to serve the same data). */
    stop(): Promise<void>;
}

/** Why a real Keystone cannot run here (its venv is not built), or undefined when it can. */
export async function keystoneUnavailable(): Promise<string | undefined> {
    try {
        await run("bash", [script, "check"]);
        return undefined;
    } catch (e: any) {
        return String(e.stderr || e.message).trim();
    }
}

/** Starts a Keystone in opts.dir and resolves once its /v3 answers. */
export async function startKeystone(opts: KeystoneOptions): Promise<RunningKeystone> {
    await mkdir(opts.dir, { recursive: true, mode: 0o700 });
    // keystone.sh reads the password from a private file, so that it is on no command line. The
    // file goes once bootstrap has hashed the password into the database.
    const pwFile = path.join(opts.dir, "admin-password");
    await writeFile(pwFile, opts.adminPassword, { mode: 0o600 });
    await chmod(pwFile, 0o600); // writeFile's mode applies only when it creates the file
    const env: NodeJS.ProcessEnv = { ...process.env, KEYSTONE_WATCH_PID: String(process.pid) };
    for (const [key, value] of [
        ["KEYSTONE_PUBLIC_URL", opts.publicUrl],
        ["KEYSTONE_INTERNAL_URL", opts.internalUrl],
        ["KEYSTONE_ADMIN_URL", opts.adminUrl],
        ["KEYSTONE_DEFAULT_DOMAIN_NAME", opts.defaultDomainName],
    ] as const) {
        if (value === undefined) delete env[key];
        else env[key] = value;
    }
    let stdout: string;
    try {
        ({ stdout } = await run("bash", [script, "start", opts.dir, pwFile, opts.region], { env, timeout: 120_000 }));
    } catch (e: any) {
        throw new Error(`keystone.sh start ${opts.dir} failed: ${String(e.stderr || e.message).trim()}`);
    } finally {
        await rm(pwFile, { force: true });
    }
    const url = /^url=(\S+)$/m.exec(stdout)?.[1];
    if (!url) throw new Error(`keystone.sh start printed no url= line: ${stdout}`);
    return {
        url,
        stop: async () => {
            await run("bash", [script, "stop", opts.dir]);
        },
    };
}

/** A non-2xx answer from Keystone. */
export class KeystoneError extends Error {
    constructor(
        readonly status: number,
        readonly method: string,
        readonly url: string,
        readonly body: string,
    ) {
        super(`${method} ${url}: ${status} ${body.slice(0, 300)}`);
    }
}

async function call<T>(method: string, url: string, token: string | undefined, body?: unknown): Promise<{ body: T; headers: Headers }> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (token) headers["X-Auth-Token"] = token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new KeystoneError(res.status, method, url, text);
    return { body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

export interface CatalogEndpoint {
    id: string;
    interface: "public" | "internal" | "admin";
    region_id: string;
    url: string;
}
export interface CatalogEntry {
    id: string;
    name: string;
    type: string;
    endpoints: CatalogEndpoint[];
}

export interface TokenRequest {
    url: string;
    user: string;
    password: string;
    /** Scope the token to this project; unscoped (and without a catalog) when omitted. */
    project?: string;
    /** Domain names; both default to bootstrap's "Default". */
    userDomain?: string;
    projectDomain?: string;
}

export interface IssuedToken {
    token: string;
    catalog: CatalogEntry[];
    userId: string;
    projectId?: string;
    expiresAt: string;
}

/** POST /v3/auth/tokens with a password, as `openstack token issue` does. */
export async function issueToken(req: TokenRequest): Promise<IssuedToken> {
    const auth: any = {
        identity: {
            methods: ["password"],
            password: { user: { name: req.user, domain: { name: req.userDomain ?? "Default" }, password: req.password } },
        },
    };
    if (req.project) auth.scope = { project: { name: req.project, domain: { name: req.projectDomain ?? "Default" } } };
    const { body, headers } = await call<any>("POST", `${req.url}/auth/tokens`, undefined, { auth });
    const token = headers.get("x-subject-token");
    if (!token) throw new Error(`POST ${req.url}/auth/tokens: no X-Subject-Token header`);
    return {
        token,
        catalog: body.token.catalog ?? [],
        userId: body.token.user.id,
        projectId: body.token.project?.id,
        expiresAt: body.token.expires_at,
    };
}

/** The one entity named `name` in a filtered list, if any (the filters make it unique). */
async function findOne(url: string, token: string, collection: string, filters: Record<string, string>): Promise<any | undefined> {
    const { body } = await call<any>("GET", `${url}/${collection}?${q(filters)}`, token);
    return body[collection][0];
}

export interface ServiceRegistration {
    url: string;
    adminToken: string;
    name: string;
    type: string;
    endpoints: { public: string; internal: string; admin: string };
    region: string;
}

/**
 * Registers a service and its three endpoints in one region, as the charts' ks-service and
 * ks-endpoints Jobs do: an existing service of the same name and type is reused, an existing
 * endpoint of the same service, interface and region is reused and its URL updated if it differs.
 */
export async function registerService(reg: ServiceRegistration): Promise<{ serviceId: string; endpointIds: Record<string, string> }> {
    const { url, adminToken: t } = reg;
    const services = (await call<any>("GET", `${url}/services?${q({ type: reg.type })}`, t)).body.services as any[];
    let service = services.find((s) => s.name === reg.name);
    if (!service) {
        service = (await call<any>("POST", `${url}/services`, t, { service: { name: reg.name, type: reg.type, enabled: true } })).body
            .service;
    }
    // An endpoint names an existing region; bootstrap made only its own.
    try {
        await call("GET", `${url}/regions/${encodeURIComponent(reg.region)}`, t);
    } catch (e) {
        if (!(e instanceof KeystoneError && e.status === 404)) throw e;
        await call("POST", `${url}/regions`, t, { region: { id: reg.region } });
    }
    const endpointIds: Record<string, string> = {};
    for (const iface of ["public", "internal", "admin"] as const) {
        const want = reg.endpoints[iface];
        const found = await findOne(url, t, "endpoints", { service_id: service.id, interface: iface, region_id: reg.region });
        if (!found) {
            const endpoint = { service_id: service.id, interface: iface, region_id: reg.region, url: want, enabled: true };
            endpointIds[iface] = (await call<any>("POST", `${url}/endpoints`, t, { endpoint })).body.endpoint.id;
        } else {
            if (found.url !== want) await call("PATCH", `${url}/endpoints/${found.id}`, t, { endpoint: { url: want } });
            endpointIds[iface] = found.id;
        }
    }
    return { serviceId: service.id, endpointIds };
}

export interface UserRegistration {
    url: string;
    adminToken: string;
    name: string;
    password: string;
    /** The user's project (its default project), where the roles are granted. */
    project: string;
    roles: string[];
    /** Domain name of the user and the project; default bootstrap's "Default". Created if missing. */
    domain?: string;
}

/**
 * Makes a service user as the charts' ks-user Job does: domain, project, user and roles are
 * created when missing and reused otherwise; the password is set every time, so the user logs in
 * with the one given even when it existed with another.
 */
export async function ensureUser(reg: UserRegistration): Promise<{ userId: string; projectId: string }> {
    const { url, adminToken: t } = reg;
    const domainName = reg.domain ?? "Default";
    const domain =
        (await findOne(url, t, "domains", { name: domainName })) ??
        (await call<any>("POST", `${url}/domains`, t, { domain: { name: domainName, enabled: true } })).body.domain;
    const project =
        (await findOne(url, t, "projects", { name: reg.project, domain_id: domain.id })) ??
        (await call<any>("POST", `${url}/projects`, t, { project: { name: reg.project, domain_id: domain.id, enabled: true } })).body
            .project;
    let user = await findOne(url, t, "users", { name: reg.name, domain_id: domain.id });
    if (!user) {
        const body = {
            user: { name: reg.name, domain_id: domain.id, default_project_id: project.id, password: reg.password, enabled: true },
        };
        user = (await call<any>("POST", `${url}/users`, t, body)).body.user;
    } else {
        await call("PATCH", `${url}/users/${user.id}`, t, { user: { password: reg.password, default_project_id: project.id } });
    }
    for (const roleName of reg.roles) {
        const role =
            (await findOne(url, t, "roles", { name: roleName })) ??
            (await call<any>("POST", `${url}/roles`, t, { role: { name: roleName } })).body.role;
        // PUT of a grant is idempotent: 204 whether or not it was there.
        await call("PUT", `${url}/projects/${project.id}/users/${user.id}/roles/${role.id}`, t);
    }
    return { userId: user.id, projectId: project.id };
}
