// Values builders, one per chart, in a file per layer: pure functions from config to the nested
// values the real charts read, keeping only what is chart-specific. What every chart with an
// endpoint type gets (its users' credentials, the registry and cache secrets, the RabbitMQ pod
// count) is composed here once, from what each chart's values inventory has. Every path exists in
// the chart at the pinned commit (test/unit/values-paths.test.ts checks them against the charts).
import * as pulumi from "@pulumi/pulumi";
import { ChartName } from "../../catalog/charts";
import { chartHasPath } from "../../catalog/endpoints";
import { Values, deepMerge } from "../../release/valueTree";
import type { Credentials } from "../credentials";

/** A credential: always an Output (a secret), never a plain string that could leak. */
export type Secret = pulumi.Output<string>;

/**
 * Secrets every chart that has the key must get the same (each chart carries its own copy of
 * them). The users' passwords are not here: they come per user (components/layers/credentials.ts).
 */
export interface Shared {
    readonly memcacheKey: Secret;
    /** Image-registry credentials (used only if registry auth is switched on in chartValues). */
    readonly registry: Secret;
}

/**
 * A chart's user entries, `endpoints.<type>.auth.<key>` -> `{password}` (and the usernames the
 * program sets): Credentials.endpointAuth, one password per user across the stack.
 */
export type EndpointAuth = Values;

/** What libvirt, nova (and cinder) must agree on to attach RBD volumes. */
export interface CephClient {
    readonly user: string;
    readonly secretUuid: pulumi.Input<string>;
}

/** What the endpoint types every chart may have are filled from. */
export interface EndpointCommons {
    /** The chart's user entries (database, messaging, Keystone), from Credentials.endpointAuth. */
    readonly auth: EndpointAuth;
    readonly shared: Shared;
    /** The transport URL lists one host per RabbitMQ pod: the real replica count. */
    readonly rabbitmqReplicas: number;
}

/** The `endpoints` values a chart gets for each endpoint type its inventory has. */
export function endpointsByType(chart: ChartName, c: EndpointCommons): Values {
    const has = (p: string) => chartHasPath(chart, `endpoints.${p}`);
    const byType: Values = {};
    if (has("oslo_messaging.statefulset.replicas")) byType.oslo_messaging = { statefulset: { replicas: c.rabbitmqReplicas } };
    if (has("oslo_cache.auth.memcache_secret_key")) byType.oslo_cache = { auth: { memcache_secret_key: c.shared.memcacheKey } };
    if (has(`oci_image_registry.auth.${chart}.password`))
        byType.oci_image_registry = { auth: { [chart]: { password: c.shared.registry } } };
    return deepMerge(c.auth, byType);
}

/** A chart's values: what its endpoint types give it, with the builder's chart-specific values merged over. */
export function composeValues(chart: ChartName, c: EndpointCommons, own: Values): Values {
    return { ...own, endpoints: deepMerge(endpointsByType(chart, c), own.endpoints as Record<string, unknown> | undefined) };
}

/** A chart's builder values in, its whole values out (composeValues with a layer's commons bound). */
export type Composer = (chart: ChartName, own: Values) => Values;

/** composeValues for one layer's charts: the credentials, shared secrets and RabbitMQ size bound. */
export function valuesComposer(credentials: Credentials, shared: Shared, rabbitmqReplicas: number): Composer {
    return (chart, own) => composeValues(chart, { auth: credentials.endpointAuth(chart), shared, rabbitmqReplicas }, own);
}
