import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig, nodesWithRole, openvswitchNodes } from "../config";
import { Credentials } from "./credentials";
import { ReleaseFactory } from "../release/release";
import type { InfraShared } from "./infra";
import { Layer } from "./layer";
import { publicRoutes } from "./routes";
import { neutronValues, openvswitchValues } from "./values/network";
import { valuesComposer } from "./values/shared";

export const OPENVSWITCH_LABEL = "openvswitch";

/** What the network layer reads of the stack config: its sections, not the whole config. */
export type NetworkConfig = Pick<StackConfig, "nodes" | "replicas" | "exposure" | "network">;

export interface NetworkArgs {
    /** The sections of the stack config this layer reads (nodes, replicas, exposure, network). */
    readonly config: NetworkConfig;
    /** Makes the releases (chart source, overrides, public endpoints, images, error hook). */
    readonly factory: ReleaseFactory;
    /** The environment kubectl runs with (KUBECONFIG, KUBE_CONTEXT): the node label Command. */
    readonly environment: Record<string, string>;
    /** The OpenStack namespace (from the storage layer). */
    readonly namespace: pulumi.Input<string>;
    /** The shared secrets (infra layer) with the metadata proxy secret nova also gets. */
    readonly shared: InfraShared;
    /** One password per user across the stack (neutron's own are generated here). */
    readonly credentials: Credentials;
    /** The control-plane node labels neutron-server's pods select. */
    readonly controlPlaneLabels: readonly pulumi.Resource[];
}

/**
 * Network layer: `openvswitch` labels on every compute node and every node that runs the
 * neutron agents (the control nodes), OpenvSwitch (waited for: nothing it runs waits on
 * anything else) and Neutron beside it, without a readiness wait (its agents wait for nova-api).
 */
export class Network extends Layer {
    public readonly releases: Record<"openvswitch" | "neutron", k8s.helm.v3.Release>;
    /** The password of each chart's own Keystone service user, by user name (the verification logs each in). */
    public readonly serviceUsers: Record<string, pulumi.Output<string>> = {};

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("Network", name, opts);
        const cfg = args.config;
        const creds = args.credentials;
        creds.generate("network", this, name);
        const [user, pw] = creds.serviceUser("neutron");
        this.serviceUsers[user] = pw;
        const labels = this.labelNodes(args.environment, OPENVSWITCH_LABEL, openvswitchNodes(cfg));
        const values = valuesComposer(creds, args.shared, cfg.replicas.rabbitmq);

        const openvswitch = args.factory.release(
            { chart: "openvswitch", values: values("openvswitch", openvswitchValues()) },
            this.afterAnd(labels),
        );
        const neutron = args.factory.release(
            {
                chart: "neutron",
                values: values("neutron", neutronValues(cfg, args.shared.metadataSecret, nodesWithRole(cfg, "control").length)),
            },
            // Not after OpenvSwitch: the OVS agent waits for a ready openvswitch pod on its own
            // node (and keeps waiting while there is none).
            this.afterAnd(labels, ...args.controlPlaneLabels),
        );
        this.releases = { openvswitch, neutron };
        publicRoutes(name, cfg.exposure, args.namespace, "neutron", neutron, this.child);

        this.registerOutputs({ releases: this.releases, serviceUsers: this.serviceUsers });
    }
}
