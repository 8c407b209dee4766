import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** The prefix of every layer's type token (`openstack-helm-pulumi:components:Storage`). */
const TYPE_PREFIX = "openstack-helm-pulumi:components:";

/**
 * The skeleton of every layer: a ComponentResource whose children get their options once.
 *
 * Children do not inherit a component's `dependsOn`, so each layer hands its children one of two
 * option sets:
 * - `after`: parented here and waiting for the layers this one comes after (its `dependsOn`):
 *   the releases, and what they read.
 * - `child`: parented here only. Deliberately without the layer edge: generated credentials
 *   (random values, nothing in the cluster), node labels (only the node objects), and Ceph pools
 *   and users (only Ceph), so they are ready before the layer before this one has finished. Every
 *   custom resource still waits for the preflight check (components/preflight.ts).
 */
export abstract class Layer extends pulumi.ComponentResource {
    /** The name this layer was created with: the prefix of its children's names. */
    protected readonly layerName: string;
    protected readonly child: pulumi.CustomResourceOptions;
    protected readonly after: pulumi.CustomResourceOptions & { readonly dependsOn: pulumi.Input<pulumi.Resource>[] };

    protected constructor(type: string, name: string, opts?: pulumi.ComponentResourceOptions) {
        super(`${TYPE_PREFIX}${type}`, name, {}, opts);
        this.layerName = name;
        this.child = { parent: this };
        this.after = { parent: this, dependsOn: layersBefore(opts) };
    }

    /** `after`, also waiting for `resources` of this layer. */
    protected afterAnd(...resources: pulumi.Resource[]): pulumi.CustomResourceOptions {
        return { ...this.after, dependsOn: [...this.after.dependsOn, ...resources] };
    }

    /** The `<key>=enabled` label on each node; destroy removes exactly these labels again. */
    protected labelNodes(key: string, nodes: readonly string[]): k8s.core.v1.NodePatch[] {
        return nodes.map(
            (node) =>
                new k8s.core.v1.NodePatch(
                    `${this.layerName}-label-${key}-${node}`,
                    { metadata: { name: node, labels: { [key]: "enabled" } } },
                    this.child,
                ),
        );
    }
}

/**
 * The layers a component was told to come after (its `dependsOn`). Children of a component do
 * not inherit its dependsOn, so each layer forwards these to the children that must wait.
 */
export function layersBefore(opts?: pulumi.ComponentResourceOptions): pulumi.Input<pulumi.Resource>[] {
    const d = opts?.dependsOn;
    if (d === undefined) return [];
    if (Array.isArray(d)) return d;
    if (pulumi.Resource.isInstance(d)) return [d];
    throw new Error("layer dependsOn must be a resource or a list of resources, not an Output");
}
