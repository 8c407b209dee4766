import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ChartName, StackConfig, nodesWithRole } from "./config";
import { osRelease } from "./helm";
import { Layer } from "./layer";
import { publicRoutes } from "./routes";
import { password } from "./secrets";
import { CephClient, Shared, cinderValues, heatValues, libvirtValues, novaValues, placementValues } from "./values";

export const COMPUTE_NODE_LABEL = "openstack-compute-node";

export interface ComputeArgs {
    /** The validated stack config. */
    readonly config: StackConfig;
    /** The OpenStack namespace (from the storage layer). */
    readonly namespace: pulumi.Input<string>;
    /** The shared credentials (infra layer) with the metadata proxy secret neutron also gets. */
    readonly shared: Shared & { readonly metadataSecret: pulumi.Output<string> };
    /** The control-plane node labels the API, scheduler and conductor pods select. */
    readonly controlPlaneLabels: readonly pulumi.Resource[];
}

/**
 * Compute layer: compute-node labels, Placement, Libvirt, Nova, and (optional) Cinder, whose
 * volumes libvirt attaches with the same Ceph user and libvirt secret UUID, and Heat.
 * No release here waits for another release: their hooks and pods wait for what they need
 * themselves (libvirt and nova-compute for neutron's OVS agent on their node, nova's hooks for
 * MariaDB, RabbitMQ and keystone-api, nova-compute for glance-api).
 */
export class Compute extends Layer {
    public readonly releases: Partial<Record<"placement" | "libvirt" | "nova" | "cinder" | "heat", k8s.helm.v3.Release>>;
    /** The password of each chart's own Keystone service user, by user name (the verification logs each in). */
    public readonly serviceUsers: Record<string, pulumi.Output<string>> = {};

    constructor(name: string, args: ComputeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("Compute", name, opts);
        const cfg = args.config;
        const s = args.shared;
        const labels = this.labelNodes(cfg, COMPUTE_NODE_LABEL, nodesWithRole(cfg, "compute"));
        const onControlPlane = this.afterAnd(...args.controlPlaneLabels);

        // One Ceph client for libvirt, nova and cinder: the user and the libvirt secret UUID.
        const secretUuid = new random.RandomUuid(`${name}-libvirt-ceph-secret-uuid`, {}, this.child).result;
        const ceph: CephClient = { user: cfg.compute.cephUser, secretUuid };

        const placement = osRelease(
            cfg,
            args.namespace,
            {
                chart: "placement",
                values: placementValues(s, {
                    db: password(`${name}-placement-db-password`, this),
                    keystone: (this.serviceUsers.placement = password(`${name}-placement-keystone-password`, this)),
                    novaApiDb: password(`${name}-placement-nova-api-db-password`, this),
                }),
            },
            onControlPlane,
        );

        // libvirt and nova-compute are DaemonSets on the compute label (a DaemonSet created
        // before it would count as ready with no pods); nova's other pods run on control nodes.
        const onComputeNodes = this.afterAnd(labels, ...args.controlPlaneLabels);
        const libvirt = osRelease(cfg, args.namespace, { chart: "libvirt", values: libvirtValues(s, ceph) }, this.afterAnd(labels));
        const nova = osRelease(
            cfg,
            args.namespace,
            {
                chart: "nova",
                values: novaValues(
                    cfg,
                    s,
                    {
                        db: password(`${name}-nova-db-password`, this),
                        messaging: password(`${name}-nova-rabbitmq-password`, this),
                        keystone: (this.serviceUsers.nova = password(`${name}-nova-keystone-password`, this)),
                        neutron: password(`${name}-nova-neutron-keystone-password`, this),
                        placement: password(`${name}-nova-placement-keystone-password`, this),
                        cinder: password(`${name}-nova-cinder-keystone-password`, this),
                        service: password(`${name}-nova-service-keystone-password`, this),
                        ironic: password(`${name}-nova-ironic-keystone-password`, this),
                        metadataSecret: s.metadataSecret,
                    },
                    ceph,
                ),
            },
            onComputeNodes,
        );
        this.releases = { placement, libvirt, nova };
        if (cfg.optional.cinder) this.releases.cinder = this.cinder(cfg, args, ceph);
        if (cfg.optional.heat) this.releases.heat = this.heat(cfg, args);
        for (const [chart, release] of Object.entries(this.releases) as [ChartName, k8s.helm.v3.Release][]) {
            publicRoutes(name, cfg, args.namespace, chart, release, this.child);
        }

        this.registerOutputs({ releases: this.releases, serviceUsers: this.serviceUsers });
    }

    private cinder(cfg: StackConfig, args: ComputeArgs, ceph: CephClient): k8s.helm.v3.Release {
        const name = this.layerName;
        return osRelease(
            cfg,
            args.namespace,
            {
                chart: "cinder",
                values: cinderValues(
                    cfg,
                    args.shared,
                    {
                        db: password(`${name}-cinder-db-password`, this),
                        messaging: password(`${name}-cinder-rabbitmq-password`, this),
                        keystone: (this.serviceUsers.cinder = password(`${name}-cinder-keystone-password`, this)),
                        nova: password(`${name}-cinder-nova-keystone-password`, this),
                        service: password(`${name}-cinder-service-keystone-password`, this),
                        glance: password(`${name}-cinder-glance-keystone-password`, this),
                        swift: password(`${name}-cinder-swift-keystone-password`, this),
                    },
                    ceph,
                ),
            },
            this.afterAnd(...args.controlPlaneLabels),
        );
    }

    private heat(cfg: StackConfig, args: ComputeArgs): k8s.helm.v3.Release {
        const name = this.layerName;
        return osRelease(
            cfg,
            args.namespace,
            {
                chart: "heat",
                values: heatValues(cfg, args.shared, {
                    db: password(`${name}-heat-db-password`, this),
                    messaging: password(`${name}-heat-rabbitmq-password`, this),
                    keystone: (this.serviceUsers.heat = password(`${name}-heat-keystone-password`, this)),
                    trustee: password(`${name}-heat-trustee-password`, this),
                    stackUser: password(`${name}-heat-stack-user-password`, this),
                }),
            },
            this.afterAnd(...args.controlPlaneLabels),
        );
    }
}
