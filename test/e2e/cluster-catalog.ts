// What the charts' Keystone Jobs would register, read from the live (simulated) cluster: each
// ks-endpoints, ks-user and keystone bootstrap container's env, with its secretKeyRefs resolved
// from the namespace's Secrets. The e2e replays it against a real Keystone, as the Jobs would.

/** Runs kubectl in the stack's environment and returns stdout. */
export type Kubectl = (...args: string[]) => string;

export interface ContainerEnv {
    readonly job: string;
    readonly container: string;
    readonly env: Readonly<Record<string, string>>;
}

interface EnvVar {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

/** The env of every container of the Jobs whose names match, secrets resolved. */
export function jobEnvs(kubectl: Kubectl, ns: string, jobName: RegExp): ContainerEnv[] {
    const jobs = JSON.parse(kubectl("-n", ns, "get", "jobs", "-o", "json")).items as {
        metadata: { name: string };
        spec: { template: { spec: { containers: { name: string; env?: EnvVar[] }[] } } };
    }[];
    const secrets = new Map<string, Record<string, string>>();
    const secret = (name: string) => {
        if (!secrets.has(name)) {
            const data = JSON.parse(kubectl("-n", ns, "get", "secret", name, "-o", "json")).data ?? {};
            secrets.set(name, Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(String(v), "base64").toString()])));
        }
        return secrets.get(name)!;
    };
    return jobs
        .filter((j) => jobName.test(j.metadata.name))
        .flatMap((j) =>
            j.spec.template.spec.containers.map((c) => ({
                job: j.metadata.name,
                container: c.name,
                env: Object.fromEntries(
                    (c.env ?? []).map((e) => {
                        const ref = e.valueFrom?.secretKeyRef;
                        return [e.name, ref ? secret(ref.name)[ref.key] : (e.value ?? "")];
                    }),
                ),
            })),
        );
}

export interface ServiceToRegister {
    readonly name: string;
    readonly type: string;
    readonly region: string;
    readonly endpoints: Record<"public" | "internal" | "admin", string>;
}

/** The services and endpoints the ks-endpoints Jobs register, one per (name, type). */
export function servicesToRegister(envs: readonly ContainerEnv[]): ServiceToRegister[] {
    const byService = new Map<string, { name: string; type: string; region: string; endpoints: Record<string, string> }>();
    for (const { env } of envs.filter((e) => e.env.OS_SVC_ENDPOINT)) {
        const key = `${env.OS_SERVICE_NAME}/${env.OS_SERVICE_TYPE}`;
        const s = byService.get(key) ?? { name: env.OS_SERVICE_NAME, type: env.OS_SERVICE_TYPE, region: env.OS_REGION_NAME, endpoints: {} };
        s.endpoints[env.OS_SVC_ENDPOINT] = env.OS_SERVICE_ENDPOINT;
        byService.set(key, s);
    }
    return [...byService.values()].map((s) => ({ ...s, endpoints: s.endpoints as ServiceToRegister["endpoints"] }));
}

export interface UserToRegister {
    readonly name: string;
    readonly password: string;
    readonly project: string;
    readonly domain: string;
    readonly roles: string[];
}

/** The service users the ks-user Jobs create, with the passwords from their Secrets. */
export function usersToRegister(envs: readonly ContainerEnv[]): UserToRegister[] {
    return envs
        .filter((e) => e.env.SERVICE_OS_USERNAME)
        .map(({ env }) => ({
            name: env.SERVICE_OS_USERNAME,
            password: env.SERVICE_OS_PASSWORD,
            project: env.SERVICE_OS_PROJECT_NAME,
            domain: env.SERVICE_OS_USER_DOMAIN_NAME,
            roles: env.SERVICE_OS_ROLES.split(","),
        }));
}
