import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig, keystoneAdmin, nodesWithRole, openvswitchNodes, renamedAdminFields } from "../config";
import { CATALOG_ENTRIES, publicUrl } from "../catalog/endpoints";
import { Layer } from "./layer";
import { bashCommand, script } from "../commands/shell";

export const VERIFY_SCRIPT = "verify.cjs";

/** The project and domain of the charts' service users (`endpoints.identity.auth.<service>`). */
const SERVICE_USER_SCOPE = { project: "service", domain: "service" } as const;

/** What the verification layer reads of the stack config: its sections, not the whole config. */
export type VerificationConfig = Pick<StackConfig, "namespace" | "nodes" | "exposure" | "verification" | "charts">;

export interface VerificationArgs {
    /** The sections of the stack config this layer reads (the routed APIs, the nodes, the resolve map). */
    readonly config: VerificationConfig;
    /** Keystone's public URL, the one the operator's openrc uses. */
    readonly authUrl: pulumi.Input<string>;
    /** The Keystone admin password the stack generated. */
    readonly adminPassword: pulumi.Output<string>;
    /** Each chart's own service user and its password. */
    readonly serviceUsers: Record<string, pulumi.Output<string>>;
    /** Every release: the checks run again whenever one of them changes, and not on a no-op up. */
    readonly releases: k8s.helm.v3.Release[];
    /** The environment kubectl runs with (KUBECONFIG, KUBE_CONTEXT). */
    readonly environment: Record<string, string>;
}

/** One check's result, as `verification` reports it. */
export interface CheckResult {
    readonly check: string;
    readonly ok: boolean;
    readonly skipped?: boolean;
    readonly detail: string;
    readonly ms: number;
}

/**
 * The install's proof, after the readiness check: the cloud answers with the credentials the
 * stack generated, through its public Keystone URL (components/scripts/verify.cjs): a token, the
 * catalog (every installed service with public, internal and admin endpoints, the public ones on
 * the routed hosts), every service user's login, each public API's version document, the neutron
 * agents and nova-compute services the nodes imply. What runs only on kwok's simulated nodes (an
 * API whose Service's pods all run there, an agent or nova-compute on one) skips, saying so.
 * A failed check fails `up`.
 */
export class Verification extends Layer {
    /** Per check: ok, whether it was skipped, detail and milliseconds. */
    public readonly checks: pulumi.Output<CheckResult[]>;

    constructor(name: string, args: VerificationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("Verification", name, opts);
        const cfg = args.config;
        const control = nodesWithRole(cfg, "control");
        const admin = keystoneAdmin(cfg.charts);
        const plan = pulumi.output(args.authUrl).apply((authUrl) =>
            JSON.stringify({
                authUrl,
                region: admin.region,
                admin: {
                    username: admin.username,
                    project: admin.projectName,
                    userDomain: admin.userDomainName,
                    projectDomain: admin.projectDomainName,
                },
                // The Service behind each route: an API served only by pods on kwok nodes skips.
                namespace: cfg.namespace,
                services: cfg.exposure.apis
                    .filter((a) => CATALOG_ENTRIES[a.service])
                    .map((a) => ({
                        service: a.service,
                        ...CATALOG_ENTRIES[a.service],
                        publicUrl: publicUrl(a, cfg.exposure.scheme),
                        backend: a.backend.name,
                    })),
                users: Object.keys(args.serviceUsers)
                    .sort()
                    .map((u) => ({ name: u, ...SERVICE_USER_SCOPE })),
                agents: [
                    ...openvswitchNodes(cfg).map((host) => ({ type: "Open vSwitch agent", host })),
                    ...control.flatMap((host) => ["DHCP agent", "L3 agent", "Metadata agent"].map((type) => ({ type, host }))),
                ],
                computeHosts: nodesWithRole(cfg, "compute"),
                resolve: cfg.verification.resolve,
            }),
        );
        const users = Object.entries(args.serviceUsers);
        const secrets = pulumi
            .all([args.adminPassword, ...users.map(([, p]) => p)])
            .apply(([admin, ...pw]) =>
                JSON.stringify({ adminPassword: admin, users: Object.fromEntries(users.map(([u], i) => [u, pw[i]])) }),
            );
        const run = `exec node -e "$VERIFY_JS"`;
        const verify = bashCommand(
            `${name}-cloud-answers`,
            {
                create: run,
                // A changed plan (a new route, a rotated password) checks again too.
                update: run,
                environment: {
                    ...args.environment,
                    VERIFY_JS: script(VERIFY_SCRIPT),
                    // In the clear, unless it carries admin names from chartValues set with --secret.
                    VERIFY_PLAN: cfg.charts.valuesSecret && Object.keys(renamedAdminFields(admin)).length > 0 ? pulumi.secret(plan) : plan,
                    VERIFY_SECRETS: pulumi.secret(secrets),
                },
                triggers: args.releases.map((r) => r.status.revision),
            },
            this.after,
        );
        this.checks = verify.stdout.apply((out) => (JSON.parse(out) as { checks: CheckResult[] }).checks);
        this.registerOutputs({ checks: this.checks });
    }
}
