import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ChartName, StackConfig, nodesWithRole } from "../config";
import { Credentials } from "./credentials";
import { ReleaseFactory } from "../release/release";
import type { InfraShared } from "./infra";
import { Layer } from "./layer";
import { publicRoutes } from "./routes";
import { cinderValues, heatValues, libvirtValues, novaValues, placementValues } from "./values/compute";
import { CephClient, Composer, valuesComposer } from "./values/shared";

export const COMPUTE_NODE_LABEL = "openstack-compute-node";

/** What the compute layer reads of the stack config: its sections, not the whole config. */
export type ComputeConfig = Pick<StackConfig, "nodes" | "replicas" | "optional" | "exposure" | "compute" | "storage">;

export interface ComputeArgs {
    /** The sections of the stack config this layer reads (nodes, replicas, optional charts, exposure, compute, storage). */
    readonly config: ComputeConfig;
    /** Makes the releases (chart source, overrides, public endpoints, images, error hook). */
    readonly factory: ReleaseFactory;
    /** The environment kubectl runs with (KUBECONFIG, KUBE_CONTEXT): the node label Command. */
    readonly environment: Record<string, string>;
    /** The OpenStack namespace (from the storage layer). */
    readonly namespace: pulumi.Input<string>;
    /** The shared secrets (infra layer) with the metadata proxy secret neutron also gets. */
    readonly shared: InfraShared;
    /** One password per user across the stack (this layer's charts' own are generated here). */
    readonly credentials: Credentials;
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
        const creds = args.credentials;
        creds.generate("compute", this, name);
        const values = valuesComposer(creds, args.shared, cfg.replicas.rabbitmq);
        const labels = this.labelNodes(args.environment, COMPUTE_NODE_LABEL, nodesWithRole(cfg, "compute"));
        const onControlPlane = this.afterAnd(...args.controlPlaneLabels);

        // One Ceph client for libvirt, nova and cinder: the user and the libvirt secret UUID.
        const secretUuid = new random.RandomUuid(`${name}-libvirt-ceph-secret-uuid`, {}, this.child).result;
        const ceph: CephClient = { user: cfg.compute.cephUser, secretUuid };

        const placement = args.factory.release(
            {
                chart: "placement",
                values: values("placement", placementValues()),
            },
            onControlPlane,
        );

        // libvirt and nova-compute are DaemonSets on the compute label (a DaemonSet created
        // before it would count as ready with no pods); nova's other pods run on control nodes.
        const onComputeNodes = this.afterAnd(labels, ...args.controlPlaneLabels);
        const libvirt = args.factory.release({ chart: "libvirt", values: values("libvirt", libvirtValues(ceph)) }, this.afterAnd(labels));
        const nova = args.factory.release(
            {
                chart: "nova",
                values: values("nova", novaValues(cfg, args.shared.metadataSecret, ceph)),
            },
            onComputeNodes,
        );
        this.releases = { placement, libvirt, nova };
        if (cfg.optional.cinder) this.releases.cinder = this.cinder(cfg, args, values, ceph);
        if (cfg.optional.heat) this.releases.heat = this.heat(args, values);
        for (const chart of ["placement", "nova", "cinder", "heat"] as const) {
            if (!this.releases[chart]) continue;
            const [user, pw] = creds.serviceUser(chart);
            this.serviceUsers[user] = pw;
        }
        for (const [chart, release] of Object.entries(this.releases) as [ChartName, k8s.helm.v3.Release][]) {
            publicRoutes(name, cfg.exposure, args.namespace, chart, release, this.child);
        }

        this.registerOutputs({ releases: this.releases, serviceUsers: this.serviceUsers });
    }

    private cinder(cfg: ComputeConfig, args: ComputeArgs, values: Composer, ceph: CephClient): k8s.helm.v3.Release {
        return args.factory.release(
            { chart: "cinder", values: values("cinder", cinderValues(cfg, ceph)) },
            this.afterAnd(...args.controlPlaneLabels),
        );
    }

    private heat(args: ComputeArgs, values: Composer): k8s.helm.v3.Release {
        return args.factory.release({ chart: "heat", values: values("heat", heatValues()) }, this.afterAnd(...args.controlPlaneLabels));
    }
}
