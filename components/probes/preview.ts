// The preview checks against the world, in one call: what the route settings need from the
// cluster (cert-manager, the Gateway, the pull Secret) and the chart versions the repository must
// offer. Both run while the program runs, so a preview refuses what an update would fail on.
import { StackConfig } from "../config";
import { clusterProblems, kubectlProbe } from "./cluster";
import { chartRepositoryProblems, fetchChartIndex } from "./repository";

/** Every problem (to refuse the stack with) and warning (could not check) of the preview checks. */
export function previewProblems(config: StackConfig, environment: Record<string, string>): { problems: string[]; warnings: string[] } {
    const cluster = clusterProblems(config, kubectlProbe(environment));
    const repository = chartRepositoryProblems(config, fetchChartIndex);
    return { problems: [...cluster.problems, ...repository.problems], warnings: [...cluster.warnings, ...repository.warnings] };
}
