// Self-check of the real Keystone harness, with timings: npx tsx test/harness/keystone/smoke.ts
// Starts a Keystone with the charts' kind of identity endpoints, logs in as admin, registers a
// service and a service user twice (the second time with changes), logs in as that user, reads the
// catalog, checks that no password leaked into the instance's files, restarts on the same data
// with the charts' lower-case domain name, and stops. Needs `bash test/harness/toolchain.sh keystone`.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { ensureUser, issueToken, KeystoneError, keystoneUnavailable, registerService, startKeystone } from "./index";

const timings: [string, number][] = [];
async function timed<T>(label: string, f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
        return await f();
    } finally {
        timings.push([label, (performance.now() - t0) / 1000]);
    }
}

async function rejectsWith(status: number, f: () => Promise<unknown>): Promise<void> {
    await assert.rejects(f, (e) => e instanceof KeystoneError && e.status === status);
}

/** Every file under dir that contains one of the secrets. */
async function leaks(dir: string, secrets: string[]): Promise<string[]> {
    const found: string[] = [];
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const file = path.join(entry.parentPath, entry.name);
        const text = (await readFile(file)).toString("latin1");
        if (secrets.some((s) => text.includes(s))) found.push(file);
    }
    return found;
}

async function main(): Promise<void> {
    const why = await keystoneUnavailable();
    if (why) throw new Error(why);
    const dir = await mkdtemp(path.join(os.tmpdir(), "keystone-smoke-"));
    const adminPassword = randomBytes(24).toString("base64url");
    const [glancePw1, glancePw2] = [randomBytes(24).toString("base64url"), randomBytes(24).toString("base64url")];
    const publicUrl = "http://keystone.example.com/v3";
    const internalUrl = "http://keystone-api.openstack.svc.cluster.local:5000/v3";
    const region = "RegionOne";
    let ks = await timed("start (config, db, keys, bootstrap, serve)", () =>
        startKeystone({ dir, adminPassword, region, publicUrl, internalUrl }),
    );
    try {
        const { url } = ks;
        assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v3$/);
        const admin = await timed("token: admin, first", () =>
            issueToken({ url, user: "admin", password: adminPassword, project: "admin" }),
        );
        await timed("token: admin, second", () => issueToken({ url, user: "admin", password: adminPassword, project: "admin" }));
        const identity = admin.catalog.find((s) => s.type === "identity");
        assert.ok(identity, "the catalog has the identity service");
        const byIface = Object.fromEntries(identity.endpoints.map((e) => [e.interface, e.url]));
        assert.deepEqual(byIface, { public: publicUrl, internal: internalUrl, admin: url });
        await rejectsWith(401, () => issueToken({ url, user: "admin", password: "wrong", project: "admin" }));

        const glance = {
            url,
            adminToken: admin.token,
            name: "glance",
            type: "image",
            region,
            endpoints: {
                public: "http://glance.example.com",
                internal: "http://glance-api.openstack.svc.cluster.local:9292",
                admin: "http://glance-api.openstack.svc.cluster.local:9292",
            },
        };
        const first = await timed("registerService (new)", () => registerService(glance));
        const changed = { ...glance, endpoints: { ...glance.endpoints, public: "https://glance.example.com" } };
        const second = await timed("registerService (again, one URL changed)", () => registerService(changed));
        assert.deepEqual(second, first, "the same service and endpoints are reused");
        const other = await timed("registerService (new region)", () => registerService({ ...glance, region: "RegionTwo" }));
        assert.equal(other.serviceId, first.serviceId);
        assert.notEqual(other.endpointIds.public, first.endpointIds.public);

        const user = { url, adminToken: admin.token, name: "glance", password: glancePw1, project: "service", roles: ["admin", "service"] };
        const u1 = await timed("ensureUser (new project, user, grants)", () => ensureUser(user));
        const u2 = await timed("ensureUser (again, new password)", () => ensureUser({ ...user, password: glancePw2 }));
        assert.deepEqual(u2, u1);
        await rejectsWith(401, () => issueToken({ url, user: "glance", password: glancePw1, project: "service" }));
        const svc = await timed("token: service user", () => issueToken({ url, user: "glance", password: glancePw2, project: "service" }));
        assert.equal(svc.projectId, u1.projectId);
        const image = svc.catalog.find((s) => s.type === "image");
        assert.ok(image, "the service user's catalog has the image service");
        const publicImage = image.endpoints.filter((e) => e.interface === "public").map((e) => [e.region_id, e.url]);
        assert.deepEqual(publicImage.sort(), [
            ["RegionOne", "https://glance.example.com"],
            ["RegionTwo", "http://glance.example.com"],
        ]);
        await timed("10 parallel admin tokens", () =>
            Promise.all(Array.from({ length: 10 }, () => issueToken({ url, user: "admin", password: adminPassword, project: "admin" }))),
        );

        await timed("stop", () => ks.stop());
        await ks.stop(); // idempotent
        await assert.rejects(fetch(url), "nothing answers after stop");

        // The same data again, with bootstrap's "Default" renamed to the charts' "default".
        ks = await timed("restart on the same dir", () => startKeystone({ dir, adminPassword, region, defaultDomainName: "default" }));
        const lower = {
            url: ks.url,
            user: "glance",
            password: glancePw2,
            project: "service",
            userDomain: "default",
            projectDomain: "default",
        };
        const again = await timed("token: service user, after restart", () => issueToken(lower));
        assert.equal(again.userId, u1.userId);
        await rejectsWith(401, () => issueToken({ ...lower, userDomain: "Default", projectDomain: "Default" }));

        const leaked = await leaks(dir, [adminPassword, glancePw1, glancePw2]);
        assert.deepEqual(leaked, [], "no password in the instance's files");
    } finally {
        await ks.stop();
        await rm(dir, { recursive: true, force: true });
    }
    for (const [label, s] of timings) console.log(`${label.padEnd(45)} ${s.toFixed(2).padStart(6)} s`);
    console.log("keystone smoke: ok");
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
