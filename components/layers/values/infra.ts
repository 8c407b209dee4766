// The infra layer's charts: MariaDB, RabbitMQ, Memcached (their endpoints: values/shared.ts).
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../../config";
import { Values } from "../../release/valueTree";
import { Secret } from "./shared";

export function mariadbValues(cfg: Pick<StackConfig, "replicas">, storageClass: pulumi.Input<string>): Values {
    return {
        pod: { replicas: { server: cfg.replicas.mariadb } },
        volume: { class_name: storageClass },
    };
}

export function rabbitmqValues(
    cfg: Pick<StackConfig, "replicas">,
    storageClass: pulumi.Input<string>,
    own: { erlangCookie: Secret },
): Values {
    return {
        pod: { replicas: { server: cfg.replicas.rabbitmq } },
        volume: { class_name: storageClass },
        endpoints: { oslo_messaging: { auth: { erlang_cookie: own.erlangCookie } } },
    };
}

export function memcachedValues(cfg: Pick<StackConfig, "replicas">): Values {
    return { pod: { replicas: { server: cfg.replicas.memcached } } };
}
