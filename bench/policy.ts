/**
 * Benchmark (not a test) of the volume-safety rules: runs `checkObjects` and the policy pack's stack
 * validation over 1,000 / 5,000 / 10,000 generated objects (claims, Deployments with podAffinity,
 * Pods, StatefulSets) and prints the time and time per object; linear growth shows as a flat
 * per-object figure.
 *
 *   npx ts-node --transpile-only bench/policy.ts [--namespaces spread|one]
 */
import { KubeObject, checkObjects } from "../policy/core";
import { SimulatedResource, runStackValidation } from "../policy/simulate";
import { policies } from "../policy/pack";

/** Generates `n` objects, `perNamespace` per namespace (everything in one namespace when 0). */
export function generateObjects(n: number, perNamespace = 100): KubeObject[] {
    const out: KubeObject[] = [];
    for (let i = 0; out.length < n; i++) {
        const namespace = perNamespace === 0 ? "bench" : `ns-${Math.floor((i * 5) / perNamespace)}`;
        const claimName = `data-${i}`;
        const app = `app-${i}`;
        const volume = (claim: string, readOnly = false): Record<string, unknown> => ({
            name: "data",
            persistentVolumeClaim: { claimName: claim, readOnly },
        });
        const podSpec = (
            extra: Record<string, unknown>,
            claim: string,
        ): Record<string, unknown> => ({
            containers: [
                {
                    name: "c",
                    image: "busybox",
                    volumeMounts: [{ name: "data", mountPath: "/data" }],
                },
            ],
            volumes: [volume(claim)],
            ...extra,
        });
        out.push({
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: { name: claimName, namespace },
            spec: {
                accessModes: [i % 3 === 0 ? "ReadWriteMany" : "ReadWriteOnce"],
                storageClassName: i % 3 === 0 ? "standard-rwx" : "standard-rwo",
                resources: { requests: { storage: "1Gi" } },
            },
        });
        // Anchor: one replica, then a follower with required hostname podAffinity to it.
        out.push({
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: `${app}-anchor`, namespace },
            spec: {
                replicas: 1,
                strategy: { type: i % 2 === 0 ? "Recreate" : "RollingUpdate" },
                selector: { matchLabels: { app, role: "anchor" } },
                template: {
                    metadata: { labels: { app, role: "anchor" } },
                    spec: podSpec({}, claimName),
                },
            },
        });
        out.push({
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: `${app}-follower`, namespace },
            spec: {
                replicas: 1 + (i % 4),
                selector: { matchLabels: { app, role: "follower" } },
                template: {
                    metadata: { labels: { app, role: "follower" } },
                    spec: podSpec(
                        {
                            affinity: {
                                podAffinity: {
                                    requiredDuringSchedulingIgnoredDuringExecution: [
                                        {
                                            labelSelector: {
                                                matchLabels: { app },
                                                matchExpressions: [
                                                    {
                                                        key: "role",
                                                        operator: "NotIn",
                                                        values: ["follower"],
                                                    },
                                                ],
                                            },
                                            topologyKey:
                                                i % 5 === 0
                                                    ? "topology.kubernetes.io/zone"
                                                    : "kubernetes.io/hostname",
                                        },
                                    ],
                                },
                            },
                        },
                        claimName,
                    ),
                },
            },
        });
        out.push({
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: `${app}-tool`, namespace, labels: { app: `${app}-tool` } },
            spec: podSpec(
                i % 7 === 0 ? { nodeName: "node-1" } : {},
                i % 2 === 0 ? claimName : `missing-${i}`,
            ),
        });
        out.push({
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            metadata: { name: `${app}-db`, namespace },
            spec: {
                replicas: 3,
                serviceName: `${app}-db`,
                selector: { matchLabels: { app: `${app}-db` } },
                template: {
                    metadata: { labels: { app: `${app}-db` } },
                    spec: {
                        containers: [
                            {
                                name: "db",
                                image: "postgres",
                                volumeMounts: [
                                    { name: "pgdata", mountPath: "/var/lib/postgresql" },
                                ],
                            },
                        ],
                    },
                },
                volumeClaimTemplates: [
                    { metadata: { name: "pgdata" }, spec: { accessModes: ["ReadWriteOnce"] } },
                ],
            },
        });
    }
    return out.slice(0, n);
}

function toResources(objects: readonly KubeObject[]): SimulatedResource[] {
    return objects.map((o, i) => {
        const [group, version] = (o.apiVersion ?? "v1").includes("/")
            ? (o.apiVersion ?? "").split("/")
            : ["core", o.apiVersion ?? "v1"];
        return { type: `kubernetes:${group}/${version}:${o.kind ?? ""}`, name: `r${i}`, props: o };
    });
}

async function median(runs: number, f: () => unknown): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
        const t0 = process.hrtime.bigint();
        await f();
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
}

async function main(): Promise<void> {
    const one = process.argv.includes("one");
    const sizes = [1000, 5000, 10000];
    console.log(
        `namespaces: ${one ? "one for all objects" : "100 objects per namespace"}; median of 5 runs`,
    );
    console.log(
        `objects | findings | checkObjects ms | µs/object | pack (${policies.length} policies) ms | µs/object`,
    );
    const warm = generateObjects(10000, one ? 0 : 100);
    await median(3, () => checkObjects(warm)); // warm-up: let the JIT settle before measuring
    for (const n of sizes) {
        const objects = generateObjects(n, one ? 0 : 100);
        const findings = checkObjects(objects).length;
        const core = await median(5, () => checkObjects(objects));
        const resources = toResources(objects);
        const pack = await median(5, () => runStackValidation(resources));
        console.log(
            [
                n,
                findings,
                core.toFixed(1),
                ((core * 1000) / n).toFixed(1),
                pack.toFixed(1),
                ((pack * 1000) / n).toFixed(1),
            ].join(" | "),
        );
    }
}

if (require.main === module) {
    void main();
}
