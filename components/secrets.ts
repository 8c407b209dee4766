import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/**
 * A generated credential: random.RandomPassword keeps `result` secret in state. Letters and
 * digits only: the charts splice passwords into DB connection URLs and ini files unquoted.
 */
export function password(name: string, parent: pulumi.Resource, length = 32): pulumi.Output<string> {
    return new random.RandomPassword(name, { length, special: false, minLower: 2, minUpper: 2, minNumeric: 2 }, { parent })
        .result;
}

/** Credentials every chart must agree on (contract §3.1). */
export interface SharedCredentials {
    readonly dbRootPassword: pulumi.Output<string>;
    readonly rabbitmqAdminUser: string;
    readonly rabbitmqAdminPassword: pulumi.Output<string>;
    readonly memcacheSecretKey: pulumi.Output<string>;
}

/** A service's own credentials: its DB user, RabbitMQ user and Keystone user. */
export interface ServiceCredentials {
    readonly db: pulumi.Output<string>;
    readonly messaging?: pulumi.Output<string>;
    readonly keystone?: pulumi.Output<string>;
}

export function serviceCredentials(
    service: string,
    parent: pulumi.Resource,
    needs: { messaging: boolean; keystone: boolean },
): ServiceCredentials {
    return {
        db: password(`${service}-db-password`, parent),
        messaging: needs.messaging ? password(`${service}-rabbitmq-password`, parent) : undefined,
        keystone: needs.keystone ? password(`${service}-keystone-password`, parent) : undefined,
    };
}
