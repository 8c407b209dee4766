// Every unit file in one process (test/unit/suites.ts); a single file still runs alone with
// `node --import tsx --test <file>`.
import { registerSuites } from "./suites";

registerSuites();
