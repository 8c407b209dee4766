// Composition root: load the config once, make the Kubernetes provider, create the layers in
// install order and export what an operator needs. No logic lives here.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CephCommandContext } from "./components/commands/ceph";
import { previewProblems } from "./components/probes/preview";
import { Compute } from "./components/layers/compute";
import { Credentials } from "./components/layers/credentials";
import { ConfigError, PROJECT, isConfigSecret, loadConfig } from "./components/config";
import { publicUrl } from "./components/catalog/endpoints";
import { DnsRbac } from "./components/layers/dnsRbac";
import { Identity } from "./components/layers/identity";
import { Image } from "./components/layers/image";
import { Infra } from "./components/layers/infra";
import { Network } from "./components/layers/network";
import { Preflight, nothingBefore } from "./components/layers/preflight";
import { Readiness } from "./components/layers/readiness";
import { releaseFactory, releaseSettings } from "./components/release/release";
import { clusterEnvironment } from "./components/commands/kubectl";
import { Storage } from "./components/layers/storage";
import { Verification } from "./components/layers/verification";

const stackConfig = new pulumi.Config();
const config = loadConfig({ get: (key) => stackConfig.get(key), isSecret: (key) => isConfigSecret(`${PROJECT}:${key}`) });
for (const warning of config.warnings) pulumi.log.warn(warning);

const kubernetes = new k8s.Provider("kubernetes", {
    kubeconfig: config.kubeconfig,
    context: config.kubeContext,
});
const providers = [kubernetes];

// Local commands (the Ceph toolbox, kubectl) must reach the same cluster as the provider.
const environment = clusterEnvironment(config.kubeconfig, config.kubeContext);
// What the cluster and the chart repository must offer for this config, refused at preview.
const preview = previewProblems(config, environment);
for (const warning of preview.warnings) pulumi.log.warn(warning);
if (preview.problems.length > 0) throw new ConfigError(preview.problems);
const ceph: CephCommandContext = { toolbox: config.storage.cephToolbox, environment };

// The install order: each edge is a dependsOn, and each exists for what must *exist* before a
// release can be installed (README, "Install order"). Readiness that a chart's own hooks and
// pods wait for (kubernetes-entrypoint) is not an edge, so every chart starts at once.
//   preflight -> storage, dnsRbac -> infra | identity | image | compute | network -> readiness
const preflight = new Preflight(
    "preflight",
    {
        namespace: config.namespace,
        environment,
        allowLeftoverData: config.allowLeftoverData,
    },
    { providers },
);
nothingBefore(preflight);
const storage = new Storage("storage", { config, ceph }, { providers, dependsOn: [preflight] });
const dnsRbac = new DnsRbac("dns-rbac", { dns: config.dns }, { providers, dependsOn: [preflight] });
// Every chart layer needs the namespace, StorageClass, ceph-etc and pvc-ceph-client-key (storage)
// and Service names that resolve (DNS RBAC); node labels and credentials are passed as data.
const platform = [storage, dnsRbac];
// One password per user a chart logs in as, across every chart: each layer generates the ones
// its charts' users own and hands every entry its user's (components/layers/credentials.ts).
const credentials = new Credentials(config);
// Every release is made by this one factory, from the settings releases share (the stack config
// goes no further than releaseSettings), with the kubectl environment built above.
const factory = releaseFactory(releaseSettings(config, storage.namespace, environment));
const infra = new Infra(
    "infra",
    {
        config,
        factory,
        environment,
        namespace: storage.namespace,
        storageClassName: storage.storageClassName,
        credentials,
    },
    { providers, dependsOn: platform },
);
// Not after infra: keystone's hooks and pods wait for MariaDB, Memcached and RabbitMQ themselves;
// destroy deletes it before MariaDB, which its pre-delete hook needs (a destroy-order marker, not an install edge).
const identity = new Identity(
    "identity",
    {
        config,
        factory,
        namespace: storage.namespace,
        shared: infra.shared,
        credentials,
        controlPlaneLabels: infra.controlPlaneLabels,
        preDeleteNeeds: [infra.releases.mariadb],
    },
    { providers, dependsOn: platform },
);
// Not after identity: glance's hooks and pods wait for keystone-api; destroy deletes it before
// Keystone, which its pre-delete hook (deleting the bootstrap images) needs.
const image = new Image(
    "image",
    {
        config,
        factory,
        namespace: storage.namespace,
        shared: infra.shared,
        credentials,
        ceph,
        controlPlaneLabels: infra.controlPlaneLabels,
        preDeleteNeeds: [identity.releases.keystone],
    },
    { providers, dependsOn: platform },
);
// Not after identity or network: libvirt and nova wait for neutron's OVS agent on their node,
// nova's hooks for keystone-api; nova-compute waits for glance-api.
const compute = new Compute(
    "compute",
    {
        config,
        factory,
        environment,
        namespace: storage.namespace,
        shared: infra.shared,
        credentials,
        controlPlaneLabels: infra.controlPlaneLabels,
    },
    { providers, dependsOn: platform },
);
// Not after identity or compute: neutron's hooks wait for keystone-api, its agents for nova-api.
const network = new Network(
    "network",
    {
        config,
        factory,
        environment,
        namespace: storage.namespace,
        shared: infra.shared,
        credentials,
        controlPlaneLabels: infra.controlPlaneLabels,
    },
    { providers, dependsOn: platform },
);
credentials.assertComplete();

const releaseByChart = Object.entries({
    ...infra.releases,
    ...identity.releases,
    ...image.releases,
    ...compute.releases,
    ...network.releases,
}).filter((e): e is [string, k8s.helm.v3.Release] => e[1] !== undefined);
const releases = releaseByChart.map(([, r]) => r);
const readiness = new Readiness(
    "readiness",
    {
        namespace: storage.namespace,
        releases,
        timeoutSeconds: config.readinessTimeoutSeconds,
        environment,
    },
    { providers, dependsOn: [...platform, infra, identity, image, compute, network] },
);

// The proof that the cloud answers, after the readiness check (verify: false skips it).
const verification = config.verification.enabled
    ? new Verification(
          "verification",
          {
              config,
              authUrl: identity.publicUrl,
              adminPassword: credentials.password("keystone", "identity", "admin"),
              serviceUsers: { ...image.serviceUsers, ...compute.serviceUsers, ...network.serviceUsers },
              releases,
              environment,
          },
          { providers, dependsOn: [readiness] },
      )
    : undefined;

export const namespace = storage.namespace;
export const keystonePublicUrl = identity.publicUrl;
/** Each routed API's public URL, as its chart registers it in the catalog. */
export const publicEndpoints = pulumi.output(
    Object.fromEntries(config.exposure.apis.map((api) => [api.service, publicUrl(api, config.exposure.scheme)])),
);
export const keystoneInternalUrl = identity.internalUrl;
export const adminOpenrc = identity.adminOpenrc;
export const cephFsid = storage.fsid;
export const cephMonHost = storage.monHost;
/** Each release's chart and version, as Helm recorded them. */
export const chartReleases = pulumi.output(
    Object.fromEntries(releaseByChart.map(([chart, r]) => [chart, { chart: r.status.chart, version: r.status.version }])),
);
export const readinessSummary = readiness.summary;
/** Every image the stack will pull (after imageRegistry and images), deduplicated and sorted: known at preview, to mirror first. */
export const images = pulumi.output(config.images.pulled);
/** Each pulled image -> the reference to copy it from (itself when not rewritten). */
export const imageSources = pulumi.output(config.images.sources);
/** Per check of the cloud (token, catalog, users, APIs, agents): ok, skipped, detail, milliseconds. */
export const verificationChecks = verification
    ? verification.checks
    : pulumi.output([{ check: "verification", ok: true, skipped: true, detail: "skipped: verify is false", ms: 0 }]);
