import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { StackConfig } from "./config";
import { layersBefore } from "./layer";

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
    readonly config: StackConfig;
}

/** DNS RBAC layer: ClusterRole/Binding `coredns`, and a CoreDNS restart when (only when) they change. */
export class DnsRbac extends pulumi.ComponentResource {
    public readonly clusterRoleName: pulumi.Output<string>;
    public readonly rulesDigest: string;

    constructor(name: string, args: DnsRbacArgs, opts?: pulumi.ComponentResourceOptions) {
        super("openstack-helm-pulumi:components:DnsRbac", name, {}, opts);
        const dns = args.config.dns;
        // Every child waits for what the layer comes after (the preflight check).
        const parent = { parent: this, dependsOn: layersBefore(opts) };

        const role = new k8s.rbac.v1.ClusterRole(`${name}-coredns`, {
            metadata: { name: "coredns" },
            rules: COREDNS_RULES,
        }, { ...parent, deleteBeforeReplace: true });
        const binding = new k8s.rbac.v1.ClusterRoleBinding(`${name}-coredns`, {
            metadata: { name: "coredns" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
            subjects: [{ kind: "ServiceAccount", name: "coredns", namespace: dns.corednsNamespace }],
        }, { ...parent, deleteBeforeReplace: true });

        // The digest is computed from the declared rules, so it (and the pod template) changes only
        // when the rules do; an unchanged `pulumi up` leaves CoreDNS alone.
        this.rulesDigest = rulesDigest(COREDNS_RULES);
        new k8s.apps.v1.DeploymentPatch(`${name}-coredns-restart`, {
            metadata: { name: dns.corednsDeployment, namespace: dns.corednsNamespace },
            spec: { template: { metadata: { annotations: { [RBAC_DIGEST_ANNOTATION]: this.rulesDigest } } } },
        }, {
            ...parent,
            // Restart only after the new rules are in place.
            dependsOn: [...parent.dependsOn, role, binding],
            // On destroy, leave the annotation: relinquishing it would restart CoreDNS once more.
            retainOnDelete: true,
        });

        this.clusterRoleName = role.metadata.name;
        this.registerOutputs({ clusterRoleName: this.clusterRoleName, rulesDigest: this.rulesDigest });
    }
}
