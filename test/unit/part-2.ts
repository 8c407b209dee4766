// The second half of the unit files by time (test/unit/suites.ts); npm test runs it beside part-1.ts.
import { registerSuites } from "./suites";

registerSuites(1, 2);
