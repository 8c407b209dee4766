import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/**
 * A generated credential: random.RandomPassword keeps `result` secret in state. Letters and
 * digits only: the charts splice passwords into DB connection URLs and ini files unquoted.
 */
export function password(name: string, parent: pulumi.Resource, length = 32): pulumi.Output<string> {
    return new random.RandomPassword(name, { length, special: false, minLower: 2, minUpper: 2, minNumeric: 2 }, { parent }).result;
}
