import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
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

/** Every local Command runs its script with bash (the scripts use arrays and `set -o pipefail`). */
export const BASH = ["/bin/bash", "-c"];

/** A local Command whose create/update/delete scripts bash runs: the one place that says so. */
export function bashCommand(
    name: string,
    args: Omit<command.local.CommandArgs, "interpreter">,
    opts?: pulumi.CustomResourceOptions,
): command.local.Command {
    return new command.local.Command(name, { ...args, interpreter: BASH }, opts);
}
