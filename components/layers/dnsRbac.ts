import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { StackConfig } from "../config";
import { Layer } from "./layer";

/** The seed's CoreDNS rules: list/watch what CoreDNS resolves. */
export const COREDNS_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
    { apiGroups: [""], resources: ["endpoints", "services", "pods", "namespaces"], verbs: ["list", "watch"] },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
];

/** Pod-template annotation whose value is a digest of the rules: CoreDNS restarts when it changes. */
export const RBAC_DIGEST_ANNOTATION = "openstack-helm-pulumi/coredns-rbac-digest";

export function rulesDigest(rules: unknown): string {
    return createHash("sha256").update(JSON.stringify(rules)).digest("hex").slice(0, 16);
}

export interface DnsRbacArgs {
    /** The DNS section of the stack config (the CoreDNS namespace and Deployment). */
    readonly dns: StackConfig["dns"];
}

/** DNS RBAC layer: ClusterRole/Binding `coredns`, and a CoreDNS restart when (only when) they change. */
export class DnsRbac extends Layer {
    constructor(name: string, args: DnsRbacArgs, opts?: pulumi.ComponentResourceOptions) {
        super("DnsRbac", name, opts);
        const dns = args.dns;
        // Every child waits for what the layer comes after (the preflight check).
        const parent = this.after;

        const role = new k8s.rbac.v1.ClusterRole(
            `${name}-coredns`,
            {
                metadata: { name: "coredns" },
                rules: COREDNS_RULES,
            },
            { ...parent, deleteBeforeReplace: true },
        );
        const binding = new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-coredns`,
            {
                metadata: { name: "coredns" },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: "coredns", namespace: dns.corednsNamespace }],
            },
            { ...parent, deleteBeforeReplace: true },
        );

        // The digest is computed from the declared rules, so it (and the pod template) changes only
        // when the rules do; an unchanged `pulumi up` leaves CoreDNS alone.
        new k8s.apps.v1.DeploymentPatch(
            `${name}-coredns-restart`,
            {
                metadata: { name: dns.corednsDeployment, namespace: dns.corednsNamespace },
                spec: { template: { metadata: { annotations: { [RBAC_DIGEST_ANNOTATION]: rulesDigest(COREDNS_RULES) } } } },
            },
            {
                // Restart only after the new rules are in place.
                ...this.afterAnd(role, binding),
                // On destroy, leave the annotation: relinquishing it would restart CoreDNS once more.
                retainOnDelete: true,
            },
        );

        this.registerOutputs({});
    }
}
