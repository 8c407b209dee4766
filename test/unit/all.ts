// Every unit file (test/unit/*.test.ts) in one process, each as a suite named after its file: the
// SDKs load once (about a second and a half a process) and the program runs once per config
// (test/support/program-fixture.ts runProgram), where a process per file paid both again for each file.
// `npm test` runs this; a single file still runs alone with `node --import tsx --test <file>`.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe } from "node:test";

for (const file of fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith(".test.ts"))
    .sort()) {
    describe(file, () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require(path.join(__dirname, file));
    });
}
