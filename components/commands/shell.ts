import * as fs from "fs";
import * as path from "path";

/** Quotes a word for /bin/sh: the one quoting helper every generated command line uses. */
export function shq(word: string): string {
    return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A script of components/scripts, as the text a Command runs (its parameters come in its environment). */
export function script(name: string): string {
    return fs.readFileSync(scriptPath(name), "utf8");
}

/** components/scripts/: the script payloads sit beside this folder, not in it. */
export function scriptPath(name: string): string {
    return path.join(__dirname, "..", "scripts", name);
}

/**
 * The environment local commands (kubectl, the Ceph toolbox) run with, so they reach the cluster
 * the provider uses: KUBECONFIG, and KUBE_CONTEXT, which the scripts pass to kubectl as --context.
 */
export function clusterEnvironment(kubeconfig: string | undefined, kubeContext: string | undefined): Record<string, string> {
    return { ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}), ...(kubeContext ? { KUBE_CONTEXT: kubeContext } : {}) };
}
