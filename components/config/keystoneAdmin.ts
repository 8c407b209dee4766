// Keystone's admin, one for the whole stack: the keystone chart bootstraps it from its
// endpoints.identity.auth.admin entry (ours, under the stack's chartValues.keystone), every other
// chart's admin entry follows it (their ks-service, ks-endpoints and ks-user Jobs log in as it),
// and the admin openrc and the verification log in as it.

/** The admin's fields, in the charts' own key names. */
export const ADMIN_FIELDS = ["username", "project_name", "user_domain_name", "project_domain_name", "region_name"] as const;
export type AdminField = (typeof ADMIN_FIELDS)[number];

/** Keystone's admin as the keystone chart bootstraps it, and an openrc or a check logs in as. */
export interface KeystoneAdmin {
    readonly username: string;
    readonly projectName: string;
    readonly userDomainName: string;
    readonly projectDomainName: string;
    readonly region: string;
}

/** Ours: also every chart's default at the pinned versions. */
export const KEYSTONE_ADMIN: KeystoneAdmin = Object.freeze({
    username: "admin",
    projectName: "admin",
    userDomainName: "default",
    projectDomainName: "default",
    region: "RegionOne",
});

const FIELD_OF: Readonly<Record<AdminField, keyof KeystoneAdmin>> = {
    username: "username",
    project_name: "projectName",
    user_domain_name: "userDomainName",
    project_domain_name: "projectDomainName",
    region_name: "region",
};

/** A chart's own chartValues admin entry: the fields it sets (non-empty strings). */
export function adminOverride(values: Readonly<Record<string, unknown>> | undefined): Partial<Record<AdminField, string>> {
    const endpoints = values?.endpoints as Record<string, { auth?: Record<string, Record<string, unknown>> }> | undefined;
    const entry = endpoints?.identity?.auth?.admin ?? {};
    const out: Partial<Record<AdminField, string>> = {};
    for (const f of ADMIN_FIELDS) {
        const v = entry[f];
        if (typeof v === "string" && v !== "") out[f] = v;
    }
    return out;
}

/** Keystone's admin: ours, under what chartValues.keystone sets in endpoints.identity.auth.admin. */
export function keystoneAdmin(charts: { readonly values: { readonly keystone?: Readonly<Record<string, unknown>> } }): KeystoneAdmin {
    const o = adminOverride(charts.values.keystone);
    const out = { ...KEYSTONE_ADMIN } as Record<keyof KeystoneAdmin, string>;
    for (const f of ADMIN_FIELDS) if (o[f] !== undefined) out[FIELD_OF[f]] = o[f]!;
    return out;
}

/** A field of the admin by its chart key. */
export const adminField = (admin: KeystoneAdmin, f: AdminField): string => admin[FIELD_OF[f]];

/** The fields where the stack's admin differs from ours: what every other chart's admin entry is given. */
export function renamedAdminFields(admin: KeystoneAdmin): Partial<Record<AdminField, string>> {
    return Object.fromEntries(
        ADMIN_FIELDS.filter((f) => adminField(admin, f) !== adminField(KEYSTONE_ADMIN, f)).map((f) => [f, adminField(admin, f)]),
    );
}
