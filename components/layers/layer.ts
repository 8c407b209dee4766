import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../config";
import { bashCommand, script } from "../commands/shell";

export const NODE_LABELS_SCRIPT = "node-labels.sh";

/** The server-side apply field manager that holds a label for this stack (at most 128 characters). */
export function labelFieldManager(key: string): string {
    return `${PROJECT}-${pulumi.getStack()}-${key}`.slice(0, 128);
}

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
 *   custom resource still waits for the preflight check (components/layers/preflight.ts).
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

    /**
     * The `<key>=enabled` label on the given nodes: one Command for all of them (node-labels.sh),
     * whose input names each node, so a preview lists the nodes whose label changes. A node taken
     * out of the list loses the label on the next `up`, and destroy takes it off every node; only
     * the program's own hold on the label goes (a server-side apply field manager of this stack and
     * key), so a label someone else also set stays, and so do the node's other labels.
     *
     * It replaces one NodePatch per node and label (`<layer>-label-<key>-<node>`), whose per-node
     * cost in the engine made a rack of nodes take minutes. An existing stack moves over in one
     * `up`: this Command is created (the label now held twice) before the engine deletes the
     * NodePatches, whose delete gives up only their own field manager's hold, so no label leaves
     * a node on the way.
     */
    protected labelNodes(environment: Record<string, string>, key: string, nodes: readonly string[]): command.local.Command {
        const labelScript = script(NODE_LABELS_SCRIPT);
        return bashCommand(
            `${this.layerName}-label-${key}`,
            {
                create: labelScript,
                update: labelScript,
                // No node keeps the label: every node the last run labelled is given up.
                delete: `NODES=''\n${labelScript}`,
                environment: {
                    ...environment,
                    LABEL: key,
                    FIELD_MANAGER: labelFieldManager(key),
                    // One a line: a preview shows a changed list as the lines added and removed.
                    NODES: [...nodes].sort().join("\n"),
                },
                // The node list is the Command's stdout (the next run reads it): not the engine log.
                logging: "stderr",
            },
            this.child,
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
