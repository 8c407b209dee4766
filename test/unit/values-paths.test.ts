// The values-path check itself: it accepts real chart keys and free-form config, and rejects
// the keys the seed used that no chart has.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deepMerge, valuePaths } from "../../components/release/valueTree";
import { credentialPaths, unknownPaths } from "../support/chart-paths";

describe("values paths against the charts", () => {
    it("rejects the seed's volume.storage_class (mariadb, rabbitmq)", () => {
        assert.deepEqual(unknownPaths("mariadb", ["volume.storage_class"]), ["volume.storage_class"]);
        assert.deepEqual(unknownPaths("rabbitmq", ["volume.storage_class"]), ["volume.storage_class"]);
    });

    it("rejects the seed's dependency_service (neutron)", () => {
        assert.deepEqual(unknownPaths("neutron", ["dependency_service"]), ["dependency_service"]);
    });

    it("rejects the seed's job.storage_init.backoffLimit (glance)", () => {
        assert.deepEqual(unknownPaths("glance", ["job.storage_init.backoffLimit"]), ["job.storage_init.backoffLimit"]);
    });

    it("accepts real keys and keys under free-form maps", () => {
        assert.deepEqual(unknownPaths("mariadb", ["volume.class_name", "pod.replicas.server"]), []);
        assert.deepEqual(unknownPaths("nova", ["conf.nova.libvirt.virt_type", "conf.nova.libvirt.cpu_mode"]), []);
        assert.deepEqual(unknownPaths("keystone", ["endpoints.identity.host_fqdn_override.public.host"]), []);
        assert.deepEqual(unknownPaths("neutron", ["network.interface.tunnel"]), []);
    });

    it("does not treat every map as free-form", () => {
        assert.deepEqual(unknownPaths("keystone", ["endpoints.identity.auth.admin.passwd"]), ["endpoints.identity.auth.admin.passwd"]);
        assert.deepEqual(unknownPaths("glance", ["manifests.job_storage_init_backoff"]), ["manifests.job_storage_init_backoff"]);
        assert.deepEqual(unknownPaths("nope", ["a"]), ["a (no chart nope)"]);
    });

    it("lists each chart's credentials", () => {
        assert.ok(credentialPaths("nova").includes("conf.nova.neutron.metadata_proxy_shared_secret"));
        assert.ok(credentialPaths("rabbitmq").includes("endpoints.oslo_messaging.auth.erlang_cookie"));
        assert.ok(!credentialPaths("heat").includes("conf.paste.filter:authpassword"), "a paste filter name is not a credential");
    });
});

describe("deepMerge and valuePaths", () => {
    it("merges maps key by key and lets extra values win", () => {
        const merged = deepMerge({ a: { b: 1, c: [1, 2] }, d: "x" }, { a: { c: [3], e: true }, f: null });
        assert.deepEqual(merged, { a: { b: 1, c: [3], e: true }, d: "x", f: null });
        assert.deepEqual(valuePaths(merged).sort(), ["a.b", "a.c", "a.e", "d", "f"]);
    });
});
