// The identity layer's charts: Keystone and Horizon (their endpoints: values/shared.ts).
import { Values } from "../../release/valueTree";
import { KEYSTONE_ADMIN } from "../../config";
import { Secret } from "./shared";

export function keystoneValues(): Values {
    return {
        endpoints: {
            identity: {
                auth: {
                    admin: {
                        project_name: KEYSTONE_ADMIN.projectName,
                        region_name: KEYSTONE_ADMIN.region,
                        user_domain_name: KEYSTONE_ADMIN.userDomainName,
                        project_domain_name: KEYSTONE_ADMIN.projectDomainName,
                    },
                },
            },
        },
        // The chart declares rabbit_init's wait under dependencies.dynamic while its Job reads
        // dependencies.static: without this, keystone-rabbit-init starts before RabbitMQ answers
        // and crash-loops until it does. With it, keystone needs no edge to RabbitMQ.
        dependencies: { static: { rabbit_init: { services: [{ endpoint: "internal", service: "oslo_messaging" }] } } },
    };
}

export function horizonValues(own: { secretKey: Secret }): Values {
    return { conf: { horizon: { local_settings: { config: { horizon_secret_key: own.secretKey } } } } };
}
