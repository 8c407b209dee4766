import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

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

/** The `<key>=enabled` label on each node; destroy removes exactly these labels again. */
export function labelNodes(layer: string, key: string, nodes: readonly string[], parent: pulumi.Resource): k8s.core.v1.NodePatch[] {
    return nodes.map(
        (node) =>
            new k8s.core.v1.NodePatch(`${layer}-label-${key}-${node}`, { metadata: { name: node, labels: { [key]: "enabled" } } }, { parent }),
    );
}
