// Where every image of the stack comes from. `imageRegistry` rewrites every image of every chart
// the stack installs (each chart's `images.tags`, from the committed inventory of the pinned
// versions or the local checkout's values.yaml) and the refresher's image to a registry of the
// operator's; `images.<chart>.<key>` overrides one image after that; `imagePullSecret` names the
// existing docker-registry Secret the pods pull with. The releases get exactly the references the
// `images` output lists.
//
// The mapping keeps everything after the original registry host: `<host>/airshipit/keystone:T`
// becomes `<prefix>/airshipit/keystone:T`, a Docker Hub `<hub host>/rabbitmq:T` `<prefix>/rabbitmq:T`
// (no `library/` is added: the path stays as the chart spells it, and registries take one-part
// paths), and a reference that names no host (`bitnamilegacy/kubectl:T`, Docker Hub) keeps its
// whole path. Tags and digests are kept. Two sources that would land on one target (the same
// path and tag under two hosts) are refused.
import { CHARTS, ChartName } from "./charts";
import { ChartInventory, imageTagsFromCheckout, nearestKey, pinnedInventory } from "./inventory";
import { Values } from "../release/valueTree";

/** A container image reference, split as container runtimes read it. */
export interface ImageRef {
    /** The registry host[:port]; undefined when the reference names none (Docker Hub). */
    readonly host?: string;
    /** The repository path after the host, as written (`airshipit/keystone`, `rabbitmq`). */
    readonly path: string;
    readonly tag?: string;
    readonly digest?: string;
}

const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const HOST =
    "(?:localhost|\\[[0-9a-fA-F:]+\\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::[0-9]{1,5})?";
const REFERENCE = new RegExp(`^(?:(${HOST})/)?(${COMPONENT}(?:/${COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$`);
const PREFIX = new RegExp(`^(${HOST})((?:/${COMPONENT})*)$`);

/** A first path component is a registry host when it has a dot or a port, or is localhost (the runtimes' rule). */
const isHost = (first: string) => /[.:]/.test(first) || first === "localhost" || first.startsWith("[");

/** The parts of a reference, or undefined when it is not one. */
export function parseImageRef(ref: string): ImageRef | undefined {
    const m = REFERENCE.exec(ref);
    if (!m) return undefined;
    const [, host, path, tag, digest] = m;
    if (host === undefined || isHost(host)) return { host, path, tag, digest };
    // `a/b` with no dot, port or localhost in `a` is a Docker Hub path, whose components are lower case.
    return new RegExp(`^${COMPONENT}$`).test(host) ? { path: `${host}/${path}`, tag, digest } : undefined;
}

/** Why a reference cannot be an override (undefined when it can). */
export function referenceProblem(ref: unknown): string | undefined {
    if (typeof ref !== "string") return `must be an image reference (a string), got ${JSON.stringify(ref)}`;
    const parsed = parseImageRef(ref);
    if (!parsed) return `${JSON.stringify(ref)} is not an image reference ([host[:port]/]path[:tag][@sha256:digest], path in lower case)`;
    if (!parsed.tag && !parsed.digest)
        return `${JSON.stringify(ref)} has no tag or digest (the node would pull :latest, which changes under you)`;
    return undefined;
}

/** Why a registry prefix cannot be used (undefined when it can). */
export function prefixProblem(prefix: string): string | undefined {
    if (/^[a-z]+:\/\//i.test(prefix)) return `${JSON.stringify(prefix)} is a URL; image references carry no scheme`;
    const m = PREFIX.exec(prefix);
    if (!m) return `${JSON.stringify(prefix)} is not host[:port][/path] (path in lower case)`;
    if (!isHost(m[1]))
        return `${JSON.stringify(prefix)} names no registry host (the runtimes would read ${m[1]} as a Docker Hub namespace)`;
    return undefined;
}

/** The reference under a registry prefix: the path after the original host, tag and digest kept; one already under it stays. */
export function mirrored(ref: string, prefix: string): string {
    if (ref.startsWith(`${prefix}/`)) return ref;
    const parsed = parseImageRef(ref);
    if (!parsed) throw new Error(`not an image reference: ${ref}`);
    return `${prefix}/${parsed.path}${parsed.tag ? `:${parsed.tag}` : ""}${parsed.digest ? `@${parsed.digest}` : ""}`;
}

/** What the stack's pods run: the result of imageRegistry, images and imagePullSecret. */
export interface ImageSettings {
    /** The registry prefix every image is rewritten to, when set. */
    readonly registry?: string;
    /** The docker-registry Secret every pod pulls with, when set. */
    readonly pullSecret?: string;
    /** Per installed chart, the `images.tags` it is given: every key whose reference differs from the chart's default (none: the defaults). */
    readonly tags: Readonly<Partial<Record<ChartName, Readonly<Record<string, string>>>>>;
    /** The refresher CronJob's image. */
    readonly refresher: string;
    /** Every image the stack will pull (each installed chart's whole images.tags, and the refresher's), deduplicated and sorted. */
    readonly pulled: readonly string[];
    /** Each pulled image -> the reference to copy it from (the chart's default; itself when it was not rewritten). */
    readonly sources: Readonly<Record<string, string>>;
}

/** The subset of config.ts's readers this section uses. */
export interface ImageConfigReaders {
    readonly key: (k: string) => string;
    readonly fail: (k: string, problem: string, fix: string) => void;
    readonly setFix: (k: string, example: string) => string;
    readonly objFix: (k: string, example: string) => string;
    readonly str: (k: string) => string | undefined;
    readonly json: (k: string) => unknown;
}

/** Where each installed chart's image defaults come from: the chart source and versions. */
export interface ImageSources {
    readonly source: { readonly kind: "repository" } | { readonly kind: "local"; readonly path: string };
    readonly versions: Readonly<Record<ChartName, string>>;
    /** The charts the stack installs. */
    readonly installed: readonly ChartName[];
    /** The stack's chartValues: a `<chart>.images.tags.<key>` there counts as an override too. */
    readonly chartValues: Readonly<Partial<Record<ChartName, Record<string, unknown>>>>;
    readonly refresherImage: string;
}

export const EXAMPLE_REGISTRY = "registry.example.internal:5000/openstack";

/** A chart's images.tags defaults with the version they belong to, or why there are none. */
export type ChartImages = { readonly version: string; readonly images: Readonly<Record<string, string>> } | { readonly problem: string };

/** The defaults of the checkout's chart, or the committed inventory's (else the pinned version's, for an unlisted version). */
export function chartImages(src: ImageSources["source"], chart: ChartName, version: string, pinned: string): ChartImages {
    if (src.kind === "local") {
        try {
            return { version: `in ${src.path}`, images: imageTagsFromCheckout(src.path, chart) };
        } catch (e) {
            return { problem: `cannot read the images of chart ${chart} in ${src.path}: ${(e as Error).message}` };
        }
    }
    const inv = pinnedInventory(chart, version) ?? pinnedInventory(chart, pinned);
    return inv?.images ? { version: inv.version, images: inv.images } : { problem: `the program has no image list of chart ${chart}` };
}

/** The nearest of `names` to `wrong` (the same ranking as the chartValues check). */
function nearestOf(names: readonly string[], wrong: string): string | undefined {
    const inv: ChartInventory = {
        version: "",
        paths: Object.fromEntries(names.map((n) => [n, "string" as const])),
        openMaps: [],
        freeTrees: [],
        usernames: {},
    };
    return nearestKey(inv, wrong);
}

/** `images` as the stack config gives it, each chart and key checked against the chart's images.tags. */
function overridesFrom(
    r: ImageConfigReaders,
    src: ImageSources,
    defaults: Partial<Record<ChartName, ChartImages>>,
    warnings: string[],
): Partial<Record<ChartName, Record<string, string>>> {
    const out: Partial<Record<ChartName, Record<string, string>>> = {};
    const raw = r.json("images");
    const example = `.keystone.keystone_api' ${EXAMPLE_REGISTRY}/keystone:2026.1-ubuntu_noble`;
    if (raw === undefined) return out;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        r.fail("images", "must be a map of chart to {images.tags key: image reference}", r.objFix("images", example));
        return out;
    }
    for (const [chart, byKey] of Object.entries(raw as Record<string, unknown>)) {
        const rm = `pulumi config rm --path '${r.key(`images.${chart}`)}'`;
        if (!(CHARTS as readonly string[]).includes(chart)) {
            const near = nearestOf(CHARTS, chart);
            r.fail(
                `images.${chart}`,
                `is not a chart this program installs${near ? `; did you mean ${near}?` : ` (${CHARTS.join(", ")})`}`,
                rm,
            );
            continue;
        }
        const name = chart as ChartName;
        if (typeof byKey !== "object" || byKey === null || Array.isArray(byKey)) {
            r.fail(`images.${chart}`, "must be a map of the chart's images.tags keys to image references", r.objFix("images", example));
            continue;
        }
        if (!src.installed.includes(name)) {
            warnings.push(`${r.key(`images.${chart}`)}: chart ${chart} is not installed by this stack, so its overrides change nothing`);
            continue;
        }
        const found = defaults[name];
        for (const [key, ref] of Object.entries(byKey as Record<string, unknown>)) {
            const k = `images.${chart}.${key}`;
            if (found && "images" in found && !(key in found.images)) {
                const near = nearestOf(Object.keys(found.images), key);
                const fixTo = near
                    ? ` && ${r.objFix("images", `.${chart}.${near}' ${typeof ref === "string" ? ref : "<reference>"}`)}`
                    : "";
                r.fail(
                    k,
                    `is not an image of chart ${chart} ${found.version} (its images.tags has no ${key})${near ? `; did you mean ${near}?` : ""}`,
                    `pulumi config rm --path '${r.key(k)}'${fixTo}`,
                );
                continue;
            }
            const bad = referenceProblem(ref);
            if (bad) r.fail(k, bad, r.objFix("images", `.${chart}.${key}' ${EXAMPLE_REGISTRY}/${chart}:2026.1-ubuntu_noble`));
            else (out[name] ??= {})[key] = ref as string;
        }
    }
    return out;
}

/** Reads imageRegistry, images and imagePullSecret, and works out every image of the stack. */
export function imageSettings(
    r: ImageConfigReaders,
    src: ImageSources,
    pinned: Readonly<Record<ChartName, string>>,
    warnings: string[],
): ImageSettings {
    let registry = r.str("imageRegistry")?.replace(/\/+$/, "");
    const bad = registry === undefined ? undefined : prefixProblem(registry);
    if (bad) {
        r.fail("imageRegistry", bad, r.setFix("imageRegistry", EXAMPLE_REGISTRY));
        registry = undefined;
    }
    let pullSecret = r.str("imagePullSecret");
    if (pullSecret !== undefined && !/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(pullSecret)) {
        r.fail("imagePullSecret", `${JSON.stringify(pullSecret)} is not a Secret name`, r.setFix("imagePullSecret", "registry-pull"));
        pullSecret = undefined;
    }
    const defaults = chartDefaults(r, src, pinned, registry !== undefined || r.str("images") !== undefined, warnings);
    const overrides = overridesFrom(r, src, defaults, warnings);
    const plan = imagePlan(
        registry,
        Object.fromEntries(Object.entries(defaults).flatMap(([c, d]) => ("images" in d ? [[c, d.images]] : []))),
        mergedOverrides(src, overrides),
        src.refresherImage,
    );
    for (const c of plan.collisions) {
        r.fail("imageRegistry", c, `give one of them a path of its own: ${r.objFix("images", `.<chart>.<key>' ${registry}/<path>:<tag>`)}`);
    }
    return { registry, pullSecret, ...plan.settings };
}

/**
 * Each installed chart's image defaults. Only when image settings are on is a chart without a
 * list a problem (a local checkout that cannot be read) or a warning (a version the program has
 * no list of: the pinned version's list stands in); otherwise the output just lacks it.
 */
function chartDefaults(
    r: ImageConfigReaders,
    src: ImageSources,
    pinned: Readonly<Record<ChartName, string>>,
    active: boolean,
    warnings: string[],
): Partial<Record<ChartName, ChartImages>> {
    const defaults: Partial<Record<ChartName, ChartImages>> = {};
    for (const chart of src.installed) {
        const found = chartImages(src.source, chart, src.versions[chart], pinned[chart]);
        defaults[chart] = found;
        if (!active) continue;
        if ("problem" in found) {
            if (src.source.kind === "local")
                r.fail("chartLocalPath", found.problem, r.setFix("chartLocalPath", "<an openstack-helm checkout>"));
            else
                warnings.push(
                    `${r.key("images")}: ${found.problem}; its images are left as the chart has them and the images output lacks them`,
                );
        } else if (found.version !== src.versions[chart] && src.source.kind === "repository") {
            warnings.push(
                `${r.key("images")}: chart ${chart} ${src.versions[chart]} has no image list in the program; the pinned ${found.version}'s is used (an image the newer chart added keeps its own reference)`,
            );
        }
    }
    return defaults;
}

/** `images` over `chartValues.<chart>.images.tags` (an override set there before counts too). */
function mergedOverrides(
    src: ImageSources,
    overrides: Partial<Record<ChartName, Record<string, string>>>,
): Partial<Record<ChartName, Record<string, string>>> {
    const out: Partial<Record<ChartName, Record<string, string>>> = {};
    for (const chart of src.installed) {
        const tags = (src.chartValues[chart]?.images as { tags?: Record<string, unknown> } | undefined)?.tags ?? {};
        const fromValues = Object.fromEntries(Object.entries(tags).filter((e): e is [string, string] => typeof e[1] === "string"));
        const merged = { ...fromValues, ...overrides[chart] };
        if (Object.keys(merged).length > 0) out[chart] = merged;
    }
    return out;
}

/**
 * The images of a stack, pure: each chart's defaults rewritten under `registry` (when set), then
 * the overrides; the refresher's image rewritten too. Collisions name two sources that would
 * land on one target.
 */
export function imagePlan(
    registry: string | undefined,
    defaults: Readonly<Partial<Record<ChartName, Readonly<Record<string, string>>>>>,
    overrides: Readonly<Partial<Record<ChartName, Readonly<Record<string, string>>>>>,
    refresherImage: string,
): { settings: Omit<ImageSettings, "registry" | "pullSecret">; collisions: string[] } {
    const rewrite = (ref: string) => (registry && parseImageRef(ref) ? mirrored(ref, registry) : ref);
    // pulled image -> where it comes from (a reference that was not rewritten comes from itself).
    const sources = new Map<string, { from: string; what: string }>();
    const collisions: string[] = [];
    const pull = (image: string, from: string, what: string) => {
        const seen = sources.get(image);
        if (seen && seen.from !== from && seen.from !== image && from !== image) {
            collisions.push(`maps both ${seen.from} (${seen.what}) and ${from} (${what}) to ${image}`);
        }
        if (!seen || seen.from === image) sources.set(image, { from, what });
    };
    const tags: Partial<Record<ChartName, Record<string, string>>> = {};
    for (const [chart, images] of Object.entries(defaults) as [ChartName, Record<string, string>][]) {
        for (const [key, dflt] of Object.entries(images)) {
            const override = overrides[chart]?.[key];
            const image = override ?? rewrite(dflt);
            pull(image, override ?? dflt, `${chart}.${key}`);
            if (image !== dflt) (tags[chart] ??= {})[key] = image;
        }
    }
    const refresher = rewrite(refresherImage);
    pull(refresher, refresherImage, "refresherImage");
    const pulled = [...sources.keys()].sort();
    return {
        settings: { tags, refresher, pulled, sources: Object.fromEntries(pulled.map((p) => [p, sources.get(p)!.from])) },
        collisions,
    };
}

/**
 * What a release is given for its images: the `images.tags` that differ from the chart's
 * defaults, and with a pull Secret the charts' own registry auth switched on (helm-toolkit puts
 * `secrets.oci_image_registry.<chart>` into every ServiceAccount's imagePullSecrets when
 * `endpoints.oci_image_registry.auth.enabled`), with the chart's own registry Secret left out
 * (it would be made from placeholder credentials, over the operator's).
 */
export function imageValues(chart: ChartName, images: ImageSettings): Values {
    const values: Values = {};
    const tags = images.tags[chart];
    if (tags && Object.keys(tags).length > 0) values.images = { tags: { ...tags } };
    if (images.pullSecret) {
        values.endpoints = { oci_image_registry: { auth: { enabled: true } } };
        values.secrets = { oci_image_registry: { [chart]: images.pullSecret } };
        values.manifests = { secret_registry: false };
    }
    return values;
}
