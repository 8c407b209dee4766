// The cluster section: kubeconfig, context, domain, and the nodes with their roles.
import { DEFAULTS } from "./defaults";
import { DNS_LABEL, DNS_SUBDOMAIN, KUBE_CONTEXT, Readers } from "./readers";
import { NODE_ROLES, NodeRole, NodeSpec } from "./types";

export function clusterSection(r: Readers) {
    const kubeContext = r.matching(
        "kubeContext",
        KUBE_CONTEXT,
        "a kubeconfig context name (no spaces or shell syntax)",
        undefined,
        "my-cluster",
    );
    const namespace = r.matching("namespace", DNS_LABEL, "a valid namespace name (DNS label)", DEFAULTS.namespace, DEFAULTS.namespace)!;
    const domainRaw = r.str("domain");
    let domain = "";
    if (domainRaw === undefined)
        r.fail("domain", "is required (Keystone's public host is keystone.<domain>)", r.setFix("domain", "example.com"));
    else if (!DNS_SUBDOMAIN.test(domainRaw) || !domainRaw.includes(".")) {
        r.fail("domain", `${JSON.stringify(domainRaw)} is not a DNS domain with at least two labels`, r.setFix("domain", "example.com"));
    } else domain = domainRaw;
    return {
        kubeconfig: r.str("kubeconfig"),
        kubeContext,
        namespace,
        namespaceMode: r.oneOf("namespaceMode", ["create", "adopt"] as const, DEFAULTS.namespaceMode),
        allowLeftoverData: r.bool("allowLeftoverData", DEFAULTS.allowLeftoverData),
        domain,
    };
}

export function nodesSection(r: Readers): NodeSpec[] {
    const nodesRaw = r.json("nodes");
    if (nodesRaw === undefined) {
        if (r.str("nodes") === undefined) {
            r.fail("nodes", "is required: the list of nodes and their roles", r.objFix("nodes", "[0].name' k1 (and .roles[0] control)"));
        }
        return [];
    }
    if (!Array.isArray(nodesRaw) || nodesRaw.length === 0) {
        r.fail("nodes", "must be a non-empty list of {name, roles}", r.objFix("nodes", "[0].name' k1"));
        return [];
    }
    const nodes: NodeSpec[] = [];
    const seen = new Set<string>();
    nodesRaw.forEach((n: unknown, i: number) => {
        const node = nodeEntry(r, n, `nodes[${i}]`);
        if (!node) return;
        if (seen.has(node.name)) r.fail(`nodes[${i}].name`, `node ${node.name} is listed twice`, `remove the duplicate entry`);
        seen.add(node.name);
        nodes.push(node);
    });
    if (nodes.length === nodesRaw.length) {
        if (!nodes.some((n) => n.roles.includes("control"))) {
            r.fail(
                "nodes",
                "no node has the control role (MariaDB, RabbitMQ and the APIs need one)",
                r.objFix("nodes", "[0].roles[0]' control"),
            );
        }
        if (!nodes.some((n) => n.roles.includes("compute"))) {
            r.fail("nodes", "no node has the compute role (libvirt and nova-compute need one)", r.objFix("nodes", "[0].roles[1]' compute"));
        }
    }
    return nodes;
}

function nodeEntry(r: Readers, n: unknown, at: string): NodeSpec | undefined {
    if (typeof n !== "object" || n === null || Array.isArray(n)) {
        r.fail(at, "must be an object {name, roles}", r.objFix(at, ".name' k1"));
        return undefined;
    }
    const o = n as Record<string, unknown>;
    for (const extra of Object.keys(o).filter((x) => x !== "name" && x !== "roles")) {
        r.fail(`${at}.${extra}`, "is not a known node field (name, roles)", `remove it: pulumi config rm --path '${r.key(at)}.${extra}'`);
    }
    const { name, roles } = o;
    if (typeof name !== "string" || !DNS_SUBDOMAIN.test(name)) {
        r.fail(`${at}.name`, `${JSON.stringify(name)} is not a valid node name`, r.objFix(at, ".name' k1"));
        return undefined;
    }
    if (!Array.isArray(roles) || roles.length === 0) {
        r.fail(`${at}.roles`, "must be a non-empty list of control and/or compute", r.objFix(at, ".roles[0]' control"));
        return undefined;
    }
    const bad = roles.filter((x) => !(NODE_ROLES as readonly unknown[]).includes(x));
    if (bad.length > 0) {
        r.fail(
            `${at}.roles`,
            `unknown role(s) ${bad.map((b) => JSON.stringify(b)).join(", ")} (known: control, compute)`,
            r.objFix(at, ".roles[0]' control"),
        );
        return undefined;
    }
    return { name, roles: [...new Set(roles as NodeRole[])].sort() };
}
