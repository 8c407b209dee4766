// The storage section (Rook-Ceph, the monitor refresher) and the DNS section.
import { shq } from "../commands/shell";
import { DEFAULTS } from "./defaults";
import { DNS_LABEL, DNS_SUBDOMAIN, IMAGE_REF, Readers } from "./readers";
import { StackConfig } from "./types";

export function storageSection(r: Readers, kubeContext: string | undefined): StackConfig["storage"] {
    const storageClass = r.matching(
        "storageClass",
        DNS_SUBDOMAIN,
        "a valid StorageClass name",
        DEFAULTS.storageClass,
        DEFAULTS.storageClass,
    )!;
    if (storageClass === "default" || storageClass === "general") {
        r.fail(
            "storageClass",
            `${JSON.stringify(storageClass)} has a special meaning in the openstack-helm charts (chart default / omit the class)`,
            r.setFix("storageClass", DEFAULTS.storageClass),
        );
    }
    // The default toolbox is Rook's, through kubectl: on the configured context.
    const cephToolbox =
        r.str("cephToolbox") ??
        (kubeContext ? DEFAULTS.cephToolbox.replace(/^kubectl /, `kubectl --context ${shq(kubeContext)} `) : DEFAULTS.cephToolbox);
    if (/[\n\r;&|`]|\$\(/.test(cephToolbox)) {
        r.fail(
            "cephToolbox",
            "must be a plain command prefix (no newlines, ;, &, |, backticks or $(...))",
            r.setFix("cephToolbox", `'${DEFAULTS.cephToolbox}'`),
        );
    }
    const refresherSchedule = r.str("refresherSchedule") ?? DEFAULTS.refresherSchedule;
    const scheduleProblem = checkMinuteSchedule(refresherSchedule);
    if (scheduleProblem) r.fail("refresherSchedule", scheduleProblem, r.setFix("refresherSchedule", `'${DEFAULTS.refresherSchedule}'`));
    const refresherImage = r.str("refresherImage") ?? DEFAULTS.refresherImage;
    if (!IMAGE_REF.test(refresherImage) || !/(:[\w][\w.-]*|@sha256:[a-f0-9]{64})$/.test(refresherImage.replace(/^[^/]*:\d+\//, ""))) {
        r.fail(
            "refresherImage",
            `${JSON.stringify(refresherImage)} must be an image reference with a tag or digest`,
            r.setFix("refresherImage", DEFAULTS.refresherImage),
        );
    } else if (/:latest$/.test(refresherImage)) {
        r.fail("refresherImage", "must be pinned: the tag latest changes under you", r.setFix("refresherImage", DEFAULTS.refresherImage));
    }
    return {
        storageClass,
        manageStorageClass: r.bool("manageStorageClass", DEFAULTS.manageStorageClass),
        rookNamespace: r.matching("rookNamespace", DNS_LABEL, "a valid namespace name", DEFAULTS.rookNamespace, DEFAULTS.rookNamespace)!,
        cephToolbox,
        replication: r.int("cephReplication", DEFAULTS.cephReplication, 1, 7),
        poolPgs: r.int("cephPoolPgs", DEFAULTS.cephPoolPgs, 1, 32768, (n) =>
            (n & (n - 1)) === 0 ? undefined : `must be a power of two (Ceph warns otherwise), got ${n}`,
        ),
        purgeOnDestroy: r.bool("purgeOnDestroy", DEFAULTS.purgeOnDestroy),
        monPort: r.int("cephMonPort", DEFAULTS.cephMonPort, 1, 65535),
        refresherSchedule,
        refresherImage,
    };
}

export function dnsSection(r: Readers): StackConfig["dns"] {
    return {
        corednsNamespace: r.matching(
            "corednsNamespace",
            DNS_LABEL,
            "a valid namespace name",
            DEFAULTS.corednsNamespace,
            DEFAULTS.corednsNamespace,
        )!,
        corednsDeployment: r.matching(
            "corednsDeployment",
            DNS_SUBDOMAIN,
            "a valid Deployment name",
            DEFAULTS.corednsDeployment,
            DEFAULTS.corednsDeployment,
        )!,
    };
}

/** A 5-field cron schedule that fires at least every hour (the refresher must be minutes, not days). */
export function checkMinuteSchedule(schedule: string): string | undefined {
    const fields = schedule.trim().split(/\s+/);
    if (fields.length !== 5) return `${JSON.stringify(schedule)} is not a 5-field cron schedule`;
    const [minute, hour, dom, month, dow] = fields;
    const cronField = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
    if (!fields.every((f) => cronField.test(f))) return `${JSON.stringify(schedule)} is not a valid cron schedule`;
    if (hour !== "*" || dom !== "*" || month !== "*" || dow !== "*") {
        return `${JSON.stringify(schedule)} runs at most hourly; monitors can move at any time, so it must run every few minutes (hour, day, month and weekday fields must be *)`;
    }
    const step = /^\*\/(\d+)$/.exec(minute);
    if (minute !== "*" && !(step && Number(step[1]) >= 1 && Number(step[1]) <= 30) && !/^\d+(,\d+)+$/.test(minute)) {
        return `${JSON.stringify(schedule)} must fire every 1-30 minutes (e.g. */5 * * * *)`;
    }
    return undefined;
}
