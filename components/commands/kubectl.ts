// The one way this program runs kubectl (and helm): on the cluster the provider uses. The
// --context rule is written here once; sync for the preview probes and recover, async for the
// release error hook (which must not block the engine).
import { SpawnSyncReturns, execFile, spawnSync } from "child_process";

/**
 * The environment local commands (kubectl, the Ceph toolbox) run with, so they reach the cluster
 * the provider uses: KUBECONFIG, and KUBE_CONTEXT, which the scripts pass to kubectl as --context.
 */
export function clusterEnvironment(kubeconfig: string | undefined, kubeContext: string | undefined): Record<string, string> {
    return { ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}), ...(kubeContext ? { KUBE_CONTEXT: kubeContext } : {}) };
}

const contextArgs = (environment: Record<string, string>, flag: string) =>
    environment.KUBE_CONTEXT ? [flag, environment.KUBE_CONTEXT] : [];

/** kubectl's arguments on the environment's cluster: --context first when KUBE_CONTEXT is set. */
export function kubectlArgs(environment: Record<string, string>, args: readonly string[]): string[] {
    return [...contextArgs(environment, "--context"), ...args];
}

/** helm's arguments on the environment's cluster (helm spells the flag --kube-context). */
export function helmArgs(environment: Record<string, string>, args: readonly string[]): string[] {
    return [...contextArgs(environment, "--kube-context"), ...args];
}

/** kubectl, waited for: stdout and stderr as text; `error` when it could not run or timed out. */
export function kubectlSync(
    environment: Record<string, string>,
    args: readonly string[],
    opts: { timeoutMs?: number; maxBuffer?: number } = {},
): SpawnSyncReturns<string> {
    return spawnSync("kubectl", kubectlArgs(environment, args), {
        encoding: "utf8",
        env: { ...process.env, ...environment },
        stdio: ["ignore", "pipe", "pipe"],
        timeout: opts.timeoutMs,
        maxBuffer: opts.maxBuffer ?? 256 << 20,
    });
}

/** Runs kubectl with these arguments and resolves with its stdout. */
export type Kubectl = (args: string[]) => Promise<string>;

/** kubectl, not waited for: rejects with stderr's last line (or the error) when it fails. */
export function kubectlAsync(environment: Record<string, string>, timeoutMs = 30_000): Kubectl {
    return (args) =>
        new Promise((resolve, reject) => {
            execFile(
                "kubectl",
                kubectlArgs(environment, ["--request-timeout=20s", ...args]),
                { env: { ...process.env, ...environment }, timeout: timeoutMs, maxBuffer: 64 << 20 },
                (err, stdout, stderr) => {
                    if (err) reject(new Error(String(stderr).trim().split("\n").at(-1) || err.message));
                    else resolve(String(stdout));
                },
            );
        });
}
