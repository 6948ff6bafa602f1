import { strict as assert } from "assert";
import { Finding, KubeObject, RULES, checkObjects } from "../../policy/core";
import {
    PACK_NAME,
    SimulatedResource,
    kubeObjectOf,
    parseKubernetesType,
    policies,
    runStackValidation,
} from "../../policy/pack";
import {
    asStackResources,
    claim,
    courseObjects,
    deployment,
    persistentVolume,
    pod,
    podAffinity,
    storageClass,
    violationSummary,
} from "./helpers";
import { SCENARIOS } from "./scenarios";

// Internal to @pulumi/policy: the sentinel the engine uses for values unknown during preview.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownStringValue } = require("@pulumi/policy/proxy") as { unknownStringValue: unknown };

const CLUSTER_SCOPED = new Set(["PersistentVolume", "StorageClass", "Namespace"]);

/**
 * What the pack should report for core findings: `level policy urn`, where urn is that of the
 * (last) stack resource built from the finding's object.
 */
function expectedFromCore(
    resources: readonly SimulatedResource[],
    findings: readonly Finding[],
): string[] {
    return findings
        .map((f) => {
            const matches = resources.filter((r) => {
                const meta = (r.props.metadata ?? {}) as {
                    name?: string;
                    generateName?: string;
                    namespace?: string;
                };
                const name = meta.name ?? `${meta.generateName ?? ""}*`;
                const ns = CLUSTER_SCOPED.has(f.resource.kind) ? "" : (meta.namespace ?? "default");
                return (
                    r.props.kind === f.resource.kind &&
                    name === f.resource.name &&
                    ns === f.resource.namespace
                );
            });
            const urn = matches[matches.length - 1]?.urn ?? "(no resource)";
            return `${f.enforcementLevel} ${f.policy} ${urn}`;
        })
        .sort();
}

function withUrns(resources: SimulatedResource[]): SimulatedResource[] {
    return resources.map((r) => ({ ...r, urn: `urn:pulumi:dev::kvl::${r.type}::${r.name}` }));
}

describe("policy pack (Pulumi front end)", () => {
    it("has one stack policy per rule, same name and default level", async () => {
        assert.equal(PACK_NAME, "kube-volume-lab-volume-safety");
        assert.deepEqual(
            policies.map((p) => [p.name, p.enforcementLevel]),
            RULES.map((r) => [r.name, r.defaultEnforcement]),
        );
        for (const p of policies) {
            assert.equal(typeof p.validateStack, "function");
            assert.notEqual(p.name, "all");
        }
        const classes = policies.find((p) => p.name === "access-mode-unsupported-by-class");
        assert.deepEqual(Object.keys(classes?.configSchema?.properties ?? {}), [
            "provisioners",
            "classes",
        ]);
        assert.equal(policies.filter((p) => p.configSchema !== undefined).length, 1);
    });

    describe("type tokens", () => {
        const cases: [string, { apiVersion: string; kind: string } | undefined][] = [
            ["kubernetes:apps/v1:Deployment", { apiVersion: "apps/v1", kind: "Deployment" }],
            [
                "kubernetes:core/v1:PersistentVolumeClaim",
                { apiVersion: "v1", kind: "PersistentVolumeClaim" },
            ],
            [
                "kubernetes:storage.k8s.io/v1:StorageClass",
                { apiVersion: "storage.k8s.io/v1", kind: "StorageClass" },
            ],
            ["kubernetes:batch/v1:CronJob", { apiVersion: "batch/v1", kind: "CronJob" }],
            ["kubernetes:helm.sh/v3:Release", undefined],
            ["kubernetes:helm.sh/v4:Chart", undefined],
            ["kubernetes:yaml:ConfigGroup", undefined],
            ["kubernetes:yaml/v2:ConfigGroup", undefined],
            ["kubernetes:kustomize:Directory", undefined],
            ["kubernetes:apps/v1:DeploymentPatch", undefined],
            ["kubernetes:core/v1:ConfigMapList", undefined],
            ["pulumi:providers:kubernetes", undefined],
            ["aws:s3/bucket:Bucket", undefined],
        ];
        for (const [type, expected] of cases) {
            it(`${type} → ${expected === undefined ? "skipped" : `${expected.apiVersion} ${expected.kind}`}`, async () => {
                assert.deepEqual(parseKubernetesType(type), expected);
            });
        }

        it("derives apiVersion and kind from the type when props lack them", async () => {
            const obj = kubeObjectOf({
                type: "kubernetes:core/v1:PersistentVolumeClaim",
                urn: "urn:x",
                props: { metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"] } },
            });
            assert.deepEqual(obj, {
                apiVersion: "v1",
                kind: "PersistentVolumeClaim",
                metadata: { name: "data" },
                spec: { accessModes: ["ReadWriteOnce"] },
            });
        });
    });

    describe("gives the same verdicts as the core on the course manifests", () => {
        for (const s of SCENARIOS) {
            it(s.name, async () => {
                const objects = courseObjects(...s.files);
                const resources = withUrns(asStackResources(objects));
                const violations = await runStackValidation(resources);
                const findings = checkObjects(objects);
                assert.equal(findings.length, s.expected.length);
                assert.deepEqual(
                    violationSummary(violations).sort(),
                    expectedFromCore(resources, findings),
                );
                assert.deepEqual(
                    violations.map((v) => v.message).sort(),
                    findings.map((f) => f.message).sort(),
                );
            });
        }
    });

    describe("gives the same verdicts as the core on built inputs", () => {
        const inputs: [string, KubeObject[]][] = [
            [
                "podAffinity to a 1-replica anchor",
                [
                    claim("data", ["ReadWriteOnce"]),
                    deployment("loop", { claims: ["data"] }),
                    deployment("server", {
                        replicas: 3,
                        claims: ["data"],
                        podSpec: podAffinity({ matchLabels: { app: "loop" } }),
                    }),
                ],
            ],
            [
                "podAffinity to a 3-replica anchor",
                [
                    claim("data", ["ReadWriteOnce"]),
                    deployment("loop", { replicas: 3, claims: ["data"] }),
                    deployment("server", {
                        replicas: 3,
                        claims: ["data"],
                        podSpec: podAffinity({ matchLabels: { app: "loop" } }),
                    }),
                ],
            ],
            [
                "RWX on a block StorageClass, a PV without claimRef, a RWOP claim shared by two pods",
                [
                    storageClass("fast", "pd.csi.storage.gke.io"),
                    claim("shared", ["ReadWriteMany"], { storageClassName: "fast" }),
                    persistentVolume("pv-1"),
                    claim("solo", ["ReadWriteOncePod"]),
                    pod("a", { claims: ["solo"] }),
                    pod("b", { claims: ["solo"] }),
                ],
            ],
        ];
        for (const [what, objects] of inputs) {
            it(what, async () => {
                const resources = withUrns(asStackResources(objects));
                const violations = await runStackValidation(resources);
                const findings = checkObjects(objects);
                assert.ok(findings.length > 0);
                assert.deepEqual(
                    violationSummary(violations).sort(),
                    expectedFromCore(resources, findings),
                );
            });
        }
    });

    describe("Pulumi policy config", () => {
        const objects = [
            claim("data", ["ReadWriteOnce"]),
            deployment("web", { replicas: 2, claims: ["data"] }),
            persistentVolume("pv-1"),
            claim("shared", ["ReadWriteMany"], { storageClassName: "gp3" }),
        ];
        const resources = asStackResources(objects);
        const pvcType = "kubernetes:core/v1:PersistentVolumeClaim";
        const dataUrn = `urn:pulumi:test::kube-volume-lab::${pvcType}::data-PersistentVolumeClaim`;
        const sharedUrn = `urn:pulumi:test::kube-volume-lab::${pvcType}::shared-PersistentVolumeClaim`;
        const pvUrn =
            "urn:pulumi:test::kube-volume-lab::kubernetes:core/v1:PersistentVolume::pv-1-PersistentVolume";

        it("reports each violation with the URN of the resource to fix, at the policy's level", async () => {
            const v = await runStackValidation(resources);
            assert.deepEqual(violationSummary(v), [
                `mandatory rwo-shared-without-colocation ${dataUrn}`,
                `mandatory access-mode-unsupported-by-class ${sharedUrn}`,
                `advisory pv-without-claimref ${pvUrn}`,
            ]);
        });

        it("applies enforcement levels, disabled policies and the class table", async () => {
            const v = await runStackValidation(resources, {
                "rwo-shared-without-colocation": "advisory",
                "pv-without-claimref": { enforcementLevel: "mandatory" },
                "access-mode-unsupported-by-class": { classes: { gp3: "multi-node" } },
            });
            assert.deepEqual(violationSummary(v), [
                `advisory rwo-shared-without-colocation ${dataUrn}`,
                `mandatory pv-without-claimref ${pvUrn}`,
            ]);
            const none = await runStackValidation(resources, { all: "disabled" });
            assert.deepEqual(none, []);
        });
    });

    describe("stack specifics", () => {
        it("puts objects without namespace in their provider's namespace", async () => {
            const provider = {
                type: "pulumi:providers:kubernetes",
                name: "ns",
                urn: "urn:p",
                props: { namespace: "team" },
            };
            const resources: SimulatedResource[] = asStackResources([
                claim("data", ["ReadWriteOnce"], { namespace: "team" }),
                deployment("web", { replicas: 2, claims: ["data"] }),
            ]).map((r) => (r.type.startsWith("kubernetes:apps") ? { ...r, provider } : r));
            const v = await runStackValidation(resources);
            assert.deepEqual(
                v.map((x) => x.policyName),
                ["rwo-shared-without-colocation"],
            );
        });

        it("treats values unknown during preview as absent instead of failing", async () => {
            const resources = asStackResources([
                claim("data", ["ReadWriteOnce"]),
                deployment("web", { replicas: 2, claims: ["data"] }),
            ]);
            const web = resources.find((r) => r.props.kind === "Deployment");
            assert.ok(web);
            const spec = web.props.spec as { template: { metadata: Record<string, unknown> } };
            spec.template.metadata.annotations = { checksum: unknownStringValue };
            const v = await runStackValidation(resources);
            assert.deepEqual(
                v.map((x) => x.policyName),
                ["rwo-shared-without-colocation"],
            );
        });
    });
});
