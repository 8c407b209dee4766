// The monitor refresher: a CronJob that keeps ceph-etc's monitor addresses current when Rook
// moves a monitor, with a script ConfigMap and RBAC limited to reading Rook's mons and patching
// ceph-etc. Carved out of the storage layer, whose children its resources stay (same names,
// types and parent), so it is a set of functions, not a component of its own.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { scriptPath } from "../commands/shell";
import { StackConfig } from "../config";

export const REFRESHER_SCRIPT_NAME = "update-ceph-config.sh";
export const REFRESHER_SCRIPT_PATH = scriptPath(REFRESHER_SCRIPT_NAME);
const REFRESHER_LABELS = { application: "ceph-config-refresher", "app.kubernetes.io/managed-by": "openstack-helm-pulumi" };

/** Where the refresher's resources go: the storage layer's name prefix, namespace and child options. */
export interface RefresherPlace {
    readonly layerName: string;
    readonly namespace: pulumi.Output<string>;
    readonly child: pulumi.CustomResourceOptions;
}

/** Script ConfigMap, CronJob and RBAC limited to reading Rook's mons and patching ceph-etc. */
export function monitorRefresher(
    at: RefresherPlace,
    cfg: Pick<StackConfig, "storage" | "images">,
    cephEtc: { readonly object: k8s.core.v1.ConfigMap; readonly name: string },
): void {
    const st = cfg.storage;
    const name = at.layerName;
    // Its objects wait for the namespace and ceph-etc through their names (data flow).
    const parent = { ...at.child, deleteBeforeReplace: true };
    const labels = REFRESHER_LABELS;

    const script = new k8s.core.v1.ConfigMap(
        `${name}-refresher-script`,
        {
            metadata: { name: "update-ceph-config-script", namespace: at.namespace, labels },
            data: { [REFRESHER_SCRIPT_NAME]: fs.readFileSync(REFRESHER_SCRIPT_PATH, "utf8") },
        },
        parent,
    );
    const sa = new k8s.core.v1.ServiceAccount(
        `${name}-refresher-sa`,
        {
            metadata: { name: "ceph-config-refresher", namespace: at.namespace, labels },
            automountServiceAccountToken: true,
            // As the charts' ServiceAccounts get it (components/catalog/images.ts).
            ...(cfg.images.pullSecret ? { imagePullSecrets: [{ name: cfg.images.pullSecret }] } : {}),
        },
        parent,
    );
    refresherRole(at, "read-mons", st.rookNamespace, sa, [
        { apiGroups: [""], resources: ["services"], verbs: ["list"] },
        { apiGroups: [""], resources: ["configmaps"], resourceNames: ["rook-ceph-mon-endpoints"], verbs: ["get"] },
    ]);
    refresherRole(at, "patch-ceph-etc", at.namespace, sa, [
        { apiGroups: [""], resources: ["configmaps"], resourceNames: [cephEtc.name], verbs: ["get", "patch"] },
    ]);
    refresherCronJob(at, st, cfg.images, script, sa, cephEtc.object);
}

/** Role `ceph-config-refresher-<what>` with these rules, bound to the refresher's ServiceAccount. */
function refresherRole(
    at: RefresherPlace,
    what: string,
    namespace: pulumi.Input<string>,
    sa: k8s.core.v1.ServiceAccount,
    rules: k8s.types.input.rbac.v1.PolicyRule[],
): void {
    const name = `${at.layerName}-refresher-${what}`;
    const metadata = { name: `ceph-config-refresher-${what}`, namespace, labels: REFRESHER_LABELS };
    const parent = { ...at.child, deleteBeforeReplace: true };
    const role = new k8s.rbac.v1.Role(name, { metadata, rules }, parent);
    new k8s.rbac.v1.RoleBinding(
        name,
        {
            metadata,
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
            subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: at.namespace }],
        },
        parent,
    );
}

function refresherCronJob(
    at: RefresherPlace,
    st: StackConfig["storage"],
    images: StackConfig["images"],
    script: k8s.core.v1.ConfigMap,
    sa: k8s.core.v1.ServiceAccount,
    cephEtc: k8s.core.v1.ConfigMap,
): void {
    const name = at.layerName;
    const labels = REFRESHER_LABELS;
    const parent = { ...at.child, deleteBeforeReplace: true };
    new k8s.batch.v1.CronJob(
        `${name}-refresher`,
        {
            metadata: { name: "update-ceph-config", namespace: at.namespace, labels },
            spec: {
                schedule: st.refresherSchedule,
                concurrencyPolicy: "Forbid",
                successfulJobsHistoryLimit: 1,
                failedJobsHistoryLimit: 3,
                jobTemplate: {
                    spec: {
                        backoffLimit: 2,
                        activeDeadlineSeconds: 120,
                        template: {
                            metadata: { labels },
                            spec: {
                                serviceAccountName: sa.metadata.name,
                                restartPolicy: "Never",
                                containers: [
                                    {
                                        name: "update-ceph-config",
                                        image: images.refresher,
                                        imagePullPolicy: "IfNotPresent",
                                        // An explicit interpreter: the script need not be executable.
                                        command: ["/bin/bash", `/scripts/${REFRESHER_SCRIPT_NAME}`],
                                        env: [
                                            { name: "ROOK_NAMESPACE", value: st.rookNamespace },
                                            { name: "TARGET_NAMESPACE", value: at.namespace },
                                            { name: "CONFIGMAP", value: cephEtc.metadata.name },
                                            { name: "MON_PORT", value: String(st.monPort) },
                                        ],
                                        volumeMounts: [{ name: "scripts", mountPath: "/scripts", readOnly: true }],
                                        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
                                    },
                                ],
                                volumes: [{ name: "scripts", configMap: { name: script.metadata.name, defaultMode: 0o555 } }],
                            },
                        },
                    },
                },
            },
        },
        { ...parent, deleteBeforeReplace: true },
    );
}
