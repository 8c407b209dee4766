// The first half of the unit files by time (test/unit/suites.ts); npm test runs it beside part-2.ts.
import { registerSuites } from "./suites";

registerSuites(0, 2);
