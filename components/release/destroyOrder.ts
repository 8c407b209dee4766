import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { bashCommand } from "../commands/shell";

/**
 * Destroy order without install order. `pulumi destroy` deletes in rounds (the engine's
 * ScheduleDeletes): a resource goes in an earlier round than every resource of lesser dependency
 * depth, and a round finishes before the next begins. A release whose pre-delete hooks need other
 * releases (keystone's credential cleanup needs MariaDB) must therefore be deeper than them, but
 * depending on them would make its install wait for what its own pods already wait for. So it
 * depends on this marker instead: a Command that does nothing, created at once, that depends on
 * what the needed releases depend on (and is parented and fed like them), which puts it at their
 * depth and the release one deeper. test/support/install-order.ts replays the engine's rounds.
 * `needsDependOn` is what the needed releases depend on (the release factory knows).
 */
export function deleteOrderMarker(
    name: string,
    needsDependOn: readonly pulumi.Input<pulumi.Resource>[],
    opts: pulumi.CustomResourceOptions,
): command.local.Command {
    return bashCommand(
        name,
        {
            // Does nothing: only its place in the dependency graph matters.
            create: "true",
        },
        { ...opts, dependsOn: [...needsDependOn] },
    );
}
