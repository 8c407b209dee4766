// The per-service sections: replicas, compute, network and the verification.
import { DEFAULTS } from "./defaults";
import { CEPH_NAME, DNS_SUBDOMAIN, INTERFACE, Readers } from "./readers";
import { StackConfig } from "./types";

export function replicasSection(r: Readers, controlCount: number): StackConfig["replicas"] {
    const replicas = {
        mariadb: r.int("mariadbReplicas", DEFAULTS.mariadbReplicas, 1, 9, (n) =>
            n % 2 === 1 ? undefined : `must be odd so the Galera cluster keeps quorum, got ${n}`,
        ),
        rabbitmq: r.int("rabbitmqReplicas", DEFAULTS.rabbitmqReplicas, 1, 9),
        memcached: r.int("memcachedReplicas", DEFAULTS.memcachedReplicas, 1, 9),
    };
    if (controlCount > 0) {
        for (const [k, n] of [
            ["mariadbReplicas", replicas.mariadb],
            ["rabbitmqReplicas", replicas.rabbitmq],
        ] as const) {
            if (n <= controlCount) continue;
            const fit = controlCount % 2 === 1 || k !== "mariadbReplicas" ? controlCount : controlCount - 1;
            r.fail(
                k,
                `asks for ${n} replicas but only ${controlCount} node(s) have the control role`,
                `${r.setFix(k, String(fit))} or give more nodes the control role`,
            );
        }
    }
    return replicas;
}

export function verificationSection(r: Readers): StackConfig["verification"] {
    const resolve: Record<string, string> = {};
    const raw = r.json("verifyResolve");
    const fix = r.objFix("verifyResolve", `["keystone.example.com:80"]' 192.0.2.10:80`);
    if (raw !== undefined) {
        if (typeof raw !== "object" || raw === null || Array.isArray(raw))
            r.fail("verifyResolve", "must be a map of host[:port] to address:port", fix);
        else {
            for (const [host, to] of Object.entries(raw)) {
                const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(host);
                if (!m || !DNS_SUBDOMAIN.test(m[1])) {
                    r.fail(`verifyResolve.${host}`, "is not a host or host:port", fix);
                } else if (typeof to !== "string" || !/^[0-9A-Za-z.:[\]-]+:\d{1,5}$/.test(to)) {
                    r.fail(`verifyResolve.${host}`, `${JSON.stringify(to)} is not address:port`, fix);
                } else resolve[host] = to;
            }
        }
    }
    return { enabled: r.bool("verify", DEFAULTS.verify), resolve };
}

export function computeSection(r: Readers): StackConfig["compute"] {
    const cephUser = r.matching(
        "cephComputeUser",
        CEPH_NAME,
        "a Ceph user name (without client.)",
        DEFAULTS.cephComputeUser,
        DEFAULTS.cephComputeUser,
    )!;
    if (cephUser.startsWith("client."))
        r.fail("cephComputeUser", "must not start with client.", r.setFix("cephComputeUser", DEFAULTS.cephComputeUser));
    return {
        virtType: r.oneOf("virtType", ["kvm", "qemu"] as const, DEFAULTS.virtType),
        ephemeralOnCeph: r.bool("ephemeralOnCeph", DEFAULTS.ephemeralOnCeph),
        cephUser,
    };
}

export function networkSection(r: Readers): StackConfig["network"] {
    let flatNetworks: string[] = [...DEFAULTS.flatNetworks];
    const flatRaw = r.json("flatNetworks");
    if (flatRaw !== undefined) {
        if (!Array.isArray(flatRaw) || flatRaw.length === 0 || !flatRaw.every((f) => typeof f === "string" && /^[A-Za-z0-9_-]+$/.test(f))) {
            r.fail(
                "flatNetworks",
                "must be a non-empty list of physical network names (letters, digits, _ and -)",
                r.objFix("flatNetworks", "[0]' public"),
            );
        } else if (new Set(flatRaw).size !== flatRaw.length) {
            r.fail("flatNetworks", "lists a network twice", "remove the duplicate");
        } else flatNetworks = flatRaw as string[];
    }
    return {
        tunnelInterface: r.matching("tunnelInterface", INTERFACE, "a network interface name", undefined, "eth1"),
        externalInterface: r.matching("externalInterface", INTERFACE, "a network interface name", undefined, "eth2"),
        externalBridge: r.matching("externalBridge", INTERFACE, "a bridge name", DEFAULTS.externalBridge, DEFAULTS.externalBridge)!,
        flatNetworks,
    };
}
