// Writes components/catalog/data/chart-values.json: the values inventory (components/catalog/inventory.ts)
// of every chart the program installs, made from an openstack-helm git repository at one commit
// and keyed by the version upstream publishes that commit's charts under:
// `<Chart.yaml version's major.minor>.<commits to the chart since that tag>+<9-char sha>`.
//
//   npx tsx test/harness/chart-inventory.ts <openstack-helm git dir> <commit>
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { INVENTORY_FILE, InventoryFile, inventoryFromCheckout } from "../../components/catalog/inventory";
import { CHARTS, DEFAULT_CHART_VERSIONS } from "../../components/config";

const [repo, commitArg] = process.argv.slice(2);
if (!repo || !commitArg) {
    console.error("usage: chart-inventory.ts <openstack-helm git dir> <commit>");
    process.exit(2);
}
const git = (...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" }).trim();
const commit = git("rev-parse", `${commitArg}^{commit}`);
const tree = fs.mkdtempSync(path.join(os.tmpdir(), "osh-inventory-"));
try {
    execFileSync("bash", ["-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "archive", repo, commit, tree]);
    const charts: Record<string, Record<string, ReturnType<typeof inventoryFromCheckout>>> = {};
    for (const chart of CHARTS) {
        const chartVersion = String(
            (yaml.load(fs.readFileSync(path.join(tree, chart, "Chart.yaml"), "utf8")) as { version: string }).version,
        );
        const since = git("rev-list", "--count", `${chartVersion}..${commit}`, "--", chart);
        const [major, minor] = chartVersion.split(".");
        const published = `${major}.${minor}.${since}+${commit.slice(0, 9)}`;
        if (published !== DEFAULT_CHART_VERSIONS[chart]) {
            console.error(
                `note: ${chart} at ${commit.slice(0, 9)} is published as ${published}; the program pins ${DEFAULT_CHART_VERSIONS[chart]}`,
            );
        }
        charts[chart] = { [published]: inventoryFromCheckout(tree, chart, published) };
    }
    const out: InventoryFile = {
        source: "openstack/openstack-helm",
        commit,
        generatedBy: "test/harness/chart-inventory.ts",
        charts,
    };
    fs.mkdirSync(path.dirname(INVENTORY_FILE), { recursive: true });
    fs.writeFileSync(INVENTORY_FILE, JSON.stringify(out, null, 1) + "\n");
    const counts = Object.entries(charts).map(([c, v]) => `${c}=${Object.values(v)[0] && Object.keys(Object.values(v)[0].paths).length}`);
    console.log(`wrote ${INVENTORY_FILE} from ${commit}: ${counts.join(" ")}`);
} finally {
    fs.rmSync(tree, { recursive: true, force: true });
}
