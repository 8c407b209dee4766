import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ChartName } from "../catalog/charts";
import { StackConfig } from "../config";
import { RoutedApi } from "../catalog/endpoints";

/** Gateway API's HTTPRoute, standard channel. */
export const HTTP_ROUTE = { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute" } as const;

/** The Secret cert-manager writes an API's certificate into (ingress mode with tlsClusterIssuer). */
export const certificateSecretName = (api: RoutedApi) => `${api.service}-public-tls`;

/**
 * The route of every public API `chart` serves, to the chart's own Service: an Ingress
 * (`<layer>-<service>-ingress`) or an HTTPRoute on the configured Gateway (`<layer>-<service>-route`).
 * Switching modes replaces the routes and leaves the releases alone. A route waits for its release
 * only so it appears with the Service it names; nothing waits for a route but the readiness check.
 */
export function publicRoutes(
    layerName: string,
    exposure: StackConfig["exposure"],
    namespace: pulumi.Input<string>,
    chart: ChartName,
    release: k8s.helm.v3.Release,
    opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource[] {
    const routeOpts = { ...opts, dependsOn: [release], deleteBeforeReplace: true };
    return exposure.apis
        .filter((api) => api.chart === chart)
        .map((api) =>
            exposure.mode === "gateway"
                ? httpRoute(`${layerName}-${api.service}-route`, exposure, namespace, api, routeOpts)
                : ingress(`${layerName}-${api.service}-ingress`, exposure, namespace, api, routeOpts),
        );
}

function ingress(
    name: string,
    exposure: StackConfig["exposure"],
    namespace: pulumi.Input<string>,
    api: RoutedApi,
    opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.Ingress {
    const tls = exposure.tls;
    const annotations: Record<string, string> = {
        // The backend becomes ready only after the chart's hooks; the install ends with one
        // readiness check of the namespace instead of a wait here.
        "pulumi.com/skipAwait": "true",
    };
    if (tls?.kind === "clusterIssuer") annotations["cert-manager.io/cluster-issuer"] = tls.clusterIssuer;
    const secretName = tls?.kind === "clusterIssuer" ? certificateSecretName(api) : tls?.kind === "secret" ? tls.secretName : undefined;
    return new k8s.networking.v1.Ingress(
        name,
        {
            metadata: { name: `${api.service}-ingress`, namespace, annotations },
            spec: {
                ingressClassName: exposure.ingressClass,
                tls: secretName ? [{ hosts: [api.host], secretName }] : undefined,
                rules: [
                    {
                        host: api.host,
                        http: {
                            paths: [
                                {
                                    path: "/",
                                    pathType: "Prefix",
                                    backend: { service: { name: api.backend.name, port: { number: api.backend.port } } },
                                },
                            ],
                        },
                    },
                ],
            },
        },
        opts,
    );
}

function httpRoute(
    name: string,
    exposure: StackConfig["exposure"],
    namespace: pulumi.Input<string>,
    api: RoutedApi,
    opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
    const gw = exposure.gateway!;
    return new k8s.apiextensions.CustomResource(
        name,
        {
            ...HTTP_ROUTE,
            metadata: { name: api.service, namespace, annotations: { "pulumi.com/skipAwait": "true" } },
            spec: {
                parentRefs: [
                    {
                        group: "gateway.networking.k8s.io",
                        kind: "Gateway",
                        namespace: gw.namespace,
                        name: gw.name,
                        sectionName: gw.sectionName,
                    },
                ],
                hostnames: [api.host],
                rules: [
                    {
                        matches: [{ path: { type: "PathPrefix", value: "/" } }],
                        backendRefs: [{ name: api.backend.name, port: api.backend.port }],
                    },
                ],
            },
        },
        opts,
    );
}
