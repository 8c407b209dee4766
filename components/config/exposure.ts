// The exposure section: the public host of every API, Ingress or Gateway, and TLS.
import { ChartName } from "../catalog/charts";
import { PUBLIC_APIS, PUBLIC_SERVICES, PublicService } from "../catalog/endpoints";
import { DEFAULTS } from "./defaults";
import { DNS_LABEL, DNS_SUBDOMAIN, Readers } from "./readers";
import { GatewayRef, StackConfig, TlsSetting } from "./types";

/** The public host of every installed API, the route kind and TLS (the identity and exposure sections). */
export function exposureSection(r: Readers, domain: string, charts: readonly ChartName[]): Pick<StackConfig, "identity" | "exposure"> {
    const hosts = publicHosts(r, domain);
    const apis = PUBLIC_APIS.filter((a) => charts.includes(a.chart)).map((a) => ({ ...a, host: hosts[a.service] }));
    // Only the APIs the stack installs need hosts of their own.
    const seen = new Map<string, string>();
    for (const { service, host } of apis) {
        if (host && seen.has(host)) {
            r.fail(
                `publicHosts.${service}`,
                `${host} is also ${seen.get(host)}'s host: each API needs its own`,
                r.objFix("publicHosts", `.${service}' ${service}.${domain || "example.com"}`),
            );
        }
        seen.set(host, service);
    }
    const mode = r.oneOf("exposure", ["ingress", "gateway"] as const, DEFAULTS.exposure);
    const ingressClass = r.matching(
        "ingressClass",
        DNS_SUBDOMAIN,
        "a valid IngressClass name",
        DEFAULTS.ingressClass,
        DEFAULTS.ingressClass,
    )!;
    const gateway = mode === "gateway" ? gatewayRef(r) : undefined;
    const tls = tlsSetting(r, mode);
    return {
        identity: { publicHost: hosts.keystone },
        exposure: {
            mode,
            ingressClass,
            gateway,
            tls,
            scheme: tls ? { scheme: "https", port: 443 } : { scheme: "http", port: 80 },
            apis,
        },
    };
}

/** `<service>.<domain>` for every API, or the host `publicHosts.<service>` (or keystonePublicHost) gives. */
function publicHosts(r: Readers, domain: string): Record<PublicService, string> {
    const hosts = Object.fromEntries(PUBLIC_SERVICES.map((s) => [s, domain ? `${s}.${domain}` : ""])) as Record<PublicService, string>;
    const raw = r.json("publicHosts");
    if (raw !== undefined) {
        if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
            r.fail(
                "publicHosts",
                "must be a map of service to host",
                r.objFix("publicHosts", `.glance' images.${domain || "example.com"}`),
            );
        } else {
            for (const [service, host] of Object.entries(raw)) {
                if (!(PUBLIC_SERVICES as readonly string[]).includes(service)) {
                    r.fail(
                        `publicHosts.${service}`,
                        `is not a routed API (one of ${PUBLIC_SERVICES.join(", ")})`,
                        `pulumi config rm --path '${r.key(`publicHosts.${service}`)}'`,
                    );
                } else if (typeof host !== "string" || !DNS_SUBDOMAIN.test(host)) {
                    r.fail(
                        `publicHosts.${service}`,
                        `${JSON.stringify(host)} is not a DNS name`,
                        r.objFix("publicHosts", `.${service}' ${service}.${domain || "example.com"}`),
                    );
                } else hosts[service as PublicService] = host;
            }
        }
    }
    const keystoneRaw = r.str("keystonePublicHost");
    if (keystoneRaw !== undefined) {
        if (!DNS_SUBDOMAIN.test(keystoneRaw)) {
            r.fail(
                "keystonePublicHost",
                `${JSON.stringify(keystoneRaw)} is not a DNS name`,
                r.setFix("keystonePublicHost", `keystone.${domain || "example.com"}`),
            );
        } else if (raw && typeof raw === "object" && "keystone" in raw && (raw as Record<string, unknown>).keystone !== keystoneRaw) {
            r.fail(
                "keystonePublicHost",
                "and publicHosts.keystone disagree",
                `pulumi config rm ${r.key("keystonePublicHost")} (publicHosts.keystone says the same)`,
            );
        } else hosts.keystone = keystoneRaw;
    }
    return hosts;
}

function gatewayRef(r: Readers): GatewayRef | undefined {
    const raw = r.json("gateway");
    const fix = r.objFix("gateway", ".name' my-gateway (and .namespace, optionally .sectionName)");
    if (raw === undefined) {
        r.fail("gateway", "is required with exposure gateway: the Gateway the HTTPRoutes attach to", fix);
        return undefined;
    }
    const g = raw as Record<string, unknown>;
    const ok = (v: unknown, re: RegExp) => typeof v === "string" && re.test(v);
    if (typeof raw !== "object" || raw === null || !ok(g.name, DNS_SUBDOMAIN) || !ok(g.namespace, DNS_LABEL)) {
        r.fail("gateway", "must be {namespace, name, sectionName?} naming an existing Gateway", fix);
        return undefined;
    }
    if (g.sectionName !== undefined && !ok(g.sectionName, DNS_SUBDOMAIN)) {
        r.fail("gateway.sectionName", `${JSON.stringify(g.sectionName)} is not a listener name`, fix);
        return undefined;
    }
    return { namespace: g.namespace as string, name: g.name as string, sectionName: g.sectionName as string | undefined };
}

function tlsSetting(r: Readers, mode: "ingress" | "gateway"): TlsSetting | undefined {
    const issuer = r.matching("tlsClusterIssuer", DNS_SUBDOMAIN, "a ClusterIssuer name", undefined, "letsencrypt");
    const secret = r.matching("tlsSecretName", DNS_SUBDOMAIN, "a Secret name", undefined, "openstack-public-tls");
    const viaGateway = r.bool("gatewayTls", DEFAULTS.gatewayTls);
    if (mode === "gateway") {
        for (const [k, v] of [
            ["tlsClusterIssuer", issuer],
            ["tlsSecretName", secret],
        ] as const) {
            if (v !== undefined)
                r.fail(
                    k,
                    "applies to exposure ingress; with a Gateway its listener terminates TLS",
                    `pulumi config rm ${r.key(k)} && ${r.setFix("gatewayTls", "true")}`,
                );
        }
        return viaGateway ? { kind: "gateway" } : undefined;
    }
    if (viaGateway)
        r.fail(
            "gatewayTls",
            "applies to exposure gateway",
            `pulumi config rm ${r.key("gatewayTls")} (set tlsClusterIssuer or tlsSecretName for the Ingresses)`,
        );
    if (issuer !== undefined && secret !== undefined) {
        r.fail(
            "tlsSecretName",
            "and tlsClusterIssuer are both set: cert-manager makes the certificates, or the Secret holds one",
            `pulumi config rm ${r.key("tlsSecretName")}`,
        );
    }
    if (issuer !== undefined) return { kind: "clusterIssuer", clusterIssuer: issuer };
    if (secret !== undefined) return { kind: "secret", secretName: secret };
    return undefined;
}
