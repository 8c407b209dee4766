// Cluster state the config depends on, checked while the program runs (so at preview, before
// anything changes): the CRDs and objects a route setting names must exist, and the image pull Secret.
import { kubectlSync } from "../commands/kubectl";
import { PROJECT, StackConfig, keyWarning, problem } from "../config";

/** Whether `kubectl get <args>` finds the object; an error string when the cluster could not say. */
export type ClusterProbe = (args: readonly string[]) => "found" | "missing" | { readonly error: string };

/** A probe with kubectl, on the cluster the provider uses. */
export function kubectlProbe(environment: Record<string, string>): ClusterProbe {
    return (args) => {
        const r = kubectlSync(environment, ["get", ...args, "-o", "name"], { timeoutMs: 30_000 });
        if (!r.error && r.status === 0) return "found";
        // As execFileSync reported it: stderr when kubectl ran, else why it could not.
        const stderr = String(r.stderr ?? r.error?.message);
        if (/NotFound|doesn't have a resource type|not found/.test(stderr)) return "missing";
        return { error: stderr.trim().split("\n").at(-1) ?? "kubectl failed" };
    };
}

/** What the cluster lacks for the route settings (problems), and what could not be checked (warnings). */
export function clusterProblems(cfg: StackConfig, probe: ClusterProbe): { problems: string[]; warnings: string[] } {
    const problems: string[] = [];
    const warnings: string[] = [];
    const check = (args: readonly string[], key: string, missing: string, fix: string): boolean => {
        const found = probe(args);
        if (found === "found") return true;
        if (found === "missing") problems.push(problem(key, missing, fix));
        else warnings.push(keyWarning(key, `could not check that ${args.join(" ")} exists (${found.error})`));
        return false;
    };
    const x = cfg.exposure;
    if (x.mode === "ingress" && x.tls?.kind === "clusterIssuer") {
        const issuer = x.tls.clusterIssuer;
        if (
            check(
                ["customresourcedefinition", "clusterissuers.cert-manager.io"],
                "tlsClusterIssuer",
                "cert-manager is not installed in the cluster (no ClusterIssuer resource type), so nothing would issue the certificates",
                `install cert-manager, or use a certificate you have: pulumi config rm ${PROJECT}:tlsClusterIssuer && pulumi config set ${PROJECT}:tlsSecretName <Secret in the namespace>`,
            )
        ) {
            check(
                ["clusterissuers.cert-manager.io", issuer],
                "tlsClusterIssuer",
                `ClusterIssuer ${issuer} does not exist`,
                `kubectl get clusterissuers, then pulumi config set ${PROJECT}:tlsClusterIssuer <one of them>`,
            );
        }
    }
    if (x.mode === "gateway" && x.gateway) {
        const gw = x.gateway;
        if (
            check(
                ["customresourcedefinition", "httproutes.gateway.networking.k8s.io"],
                "exposure",
                "the cluster has no Gateway API (no HTTPRoute resource type)",
                `install a Gateway API implementation with the standard channel's CRDs, or pulumi config set ${PROJECT}:exposure ingress`,
            )
        ) {
            check(
                ["-n", gw.namespace, "gateways.gateway.networking.k8s.io", gw.name],
                "gateway",
                `Gateway ${gw.namespace}/${gw.name} does not exist`,
                `kubectl get gateways -A, then pulumi config set --path '${PROJECT}:gateway.name' <name> (and .namespace)`,
            );
        }
    }
    const secret = cfg.images.pullSecret;
    if (secret) {
        // Pods name it from their first start: it must be in the namespace before the install.
        check(
            ["-n", cfg.namespace, "secret", secret],
            "imagePullSecret",
            `Secret ${secret} does not exist in namespace ${cfg.namespace}, so the pods would pull without credentials`,
            `kubectl create namespace ${cfg.namespace}; kubectl -n ${cfg.namespace} create secret docker-registry ${secret} --docker-server=<registry host[:port]> --docker-username=<user> --docker-password=<password>; and on a first install pulumi config set ${PROJECT}:namespaceMode adopt (the program then uses that namespace)`,
        );
    }
    return { problems, warnings };
}
