import { strict as assert } from "assert";
import { KubeObject, RULES } from "../../policy/core";
import {
  PACK_NAME,
  kubeObjectOf,
  parseKubernetesType,
  policies,
} from "../../policy/pack";
import { SimulatedResource, runStackValidation } from "../../policy/simulate";
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
const { unknownStringValue } = require("@pulumi/policy/proxy") as {
  unknownStringValue: unknown;
};

const DEV = "urn:pulumi:dev::kvl::";
const PVC = `${DEV}kubernetes:core/v1:PersistentVolumeClaim::`;
const PV = `${DEV}kubernetes:core/v1:PersistentVolume::`;
const DEPLOY = `${DEV}kubernetes:apps/v1:Deployment::`;

/**
 * What the pack must report per course scenario, `level policy urn`, written by hand from the
 * course README's verdicts (URNs as asStackResources + withUrns name the resources).
 */
const PACK_EXPECTED: Record<string, string[]> = {
  "distinct-updater-base: reject": [
    `advisory rwo-rolling-update-surge ${DEPLOY}distinct-updater-loop-Deployment`,
    `mandatory rwo-shared-without-colocation ${PVC}distinct-updater-pvc-PersistentVolumeClaim`,
  ],
  "distinct-updater-affinity: accept, warn about the loop's rolling update": [
    `advisory rwo-rolling-update-surge ${DEPLOY}distinct-updater-loop-Deployment`,
  ],
  "distinct-updater-longhorn: accept": [],
  "distinct-updater-gke-rwx: accept": [],
  "distinct-updater-nfs-rwx: accept": [],
  // Both PV files name `other-data`: the later (hostPath) one is kept, as in the core.
  "kia (writer + reader + claim + both PVs): reject": [
    `advisory pv-without-claimref ${PV}other-data-PersistentVolume-2`,
    `mandatory rwo-shared-without-colocation ${PVC}other-data-PersistentVolumeClaim`,
  ],
  "kia readers alone, all persistentVolumeClaim.readOnly: accept": [
    `advisory pv-without-claimref ${PV}other-data-PersistentVolume`,
  ],
  "kia writer alone (generateName: one pod per kubectl create): reject": [
    `mandatory rwo-shared-without-colocation ${PVC}other-data-PersistentVolumeClaim`,
  ],
  "story-emptydir: accept": [],
  "story-hostpath: warn": [
    `advisory hostpath-multiple-replicas ${DEPLOY}story-deployment-Deployment`,
  ],
  "chatroulette: accept, say the claim is not among the inputs": [
    `advisory claim-not-in-input ${DEPLOY}back-Deployment`,
  ],
};

function withUrns(resources: SimulatedResource[]): SimulatedResource[] {
  return resources.map((r) => ({
    ...r,
    urn: `urn:pulumi:dev::kvl::${r.type}::${r.name}`,
  }));
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
    // Pulumi gives each policy its own config: every rule reading the class table takes it.
    assert.deepEqual(
      policies.filter((p) => p.configSchema !== undefined).map((p) => p.name),
      [
        "rwo-shared-without-colocation",
        "rwo-shared-node-local",
        "rwo-shared-hostpath-pv",
        "rwo-shared-network-fs",
        "rwo-rolling-update-surge",
        "access-mode-unsupported-by-class",
        "rox-claim-mounted-writable",
      ],
    );
    const classes = policies.find(
      (p) => p.name === "access-mode-unsupported-by-class",
    );
    assert.deepEqual(Object.keys(classes?.configSchema?.properties ?? {}), [
      "provisioners",
      "classes",
    ]);
  });

  describe("type tokens", () => {
    const cases: [string, { apiVersion: string; kind: string } | undefined][] =
      [
        [
          "kubernetes:apps/v1:Deployment",
          { apiVersion: "apps/v1", kind: "Deployment" },
        ],
        [
          "kubernetes:core/v1:PersistentVolumeClaim",
          { apiVersion: "v1", kind: "PersistentVolumeClaim" },
        ],
        [
          "kubernetes:storage.k8s.io/v1:StorageClass",
          { apiVersion: "storage.k8s.io/v1", kind: "StorageClass" },
        ],
        [
          "kubernetes:batch/v1:CronJob",
          { apiVersion: "batch/v1", kind: "CronJob" },
        ],
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
        props: {
          metadata: { name: "data" },
          spec: { accessModes: ["ReadWriteOnce"] },
        },
      });
      assert.deepEqual(obj, {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "data" },
        spec: { accessModes: ["ReadWriteOnce"] },
      });
    });
  });

  describe("reports the course verdicts", () => {
    it("has an expectation for every scenario", () => {
      assert.deepEqual(
        Object.keys(PACK_EXPECTED).sort(),
        SCENARIOS.map((s) => s.name).sort(),
      );
    });
    for (const s of SCENARIOS) {
      it(s.name, async () => {
        const resources = withUrns(asStackResources(courseObjects(...s.files)));
        const violations = await runStackValidation(resources);
        assert.deepEqual(
          violationSummary(violations).sort(),
          PACK_EXPECTED[s.name],
        );
      });
    }
  });

  describe("reports built inputs", () => {
    const inputs: [string, KubeObject[], string[]][] = [
      [
        "podAffinity to a 1-replica anchor: only the anchor's rolling update",
        [
          claim("data", ["ReadWriteOnce"]),
          deployment("loop", { claims: ["data"] }),
          deployment("server", {
            replicas: 3,
            claims: ["data"],
            podSpec: podAffinity({ matchLabels: { app: "loop" } }),
          }),
        ],
        [`advisory rwo-rolling-update-surge ${DEPLOY}loop-Deployment`],
      ],
      [
        "podAffinity to a 3-replica anchor: rejected on the claim",
        [
          claim("data", ["ReadWriteOnce"]),
          deployment("loop", { replicas: 3, claims: ["data"] }),
          deployment("server", {
            replicas: 3,
            claims: ["data"],
            podSpec: podAffinity({ matchLabels: { app: "loop" } }),
          }),
        ],
        [
          `mandatory rwo-shared-without-colocation ${PVC}data-PersistentVolumeClaim`,
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
        [
          `advisory pv-without-claimref ${PV}pv-1-PersistentVolume`,
          `mandatory access-mode-unsupported-by-class ${PVC}shared-PersistentVolumeClaim`,
          `mandatory rwop-shared-by-pods ${PVC}solo-PersistentVolumeClaim`,
        ],
      ],
      [
        "a local-path class: node-pinned, advisory",
        [
          storageClass("standard", "rancher.io/local-path", true),
          claim("data", ["ReadWriteOnce"]),
          deployment("web", { replicas: 2, claims: ["data"] }),
        ],
        [`advisory rwo-shared-node-local ${PVC}data-PersistentVolumeClaim`],
      ],
    ];
    for (const [what, objects, expected] of inputs) {
      it(what, async () => {
        const violations = await runStackValidation(
          withUrns(asStackResources(objects)),
        );
        assert.deepEqual(violationSummary(violations).sort(), expected);
      });
    }

    it("reports the same message as the checker", async () => {
      const objects = [
        claim("data", ["ReadWriteOnce"]),
        deployment("web", { replicas: 2, claims: ["data"] }),
      ];
      const [v] = await runStackValidation(asStackResources(objects));
      assert.match(
        v.message,
        /^Claim default\/data \(ReadWriteOnce\) is used by 2 pods from Deployment default\/web/,
      );
      assert.doesNotMatch(v.message, /Workloads to change/);
      assert.match(v.message, /\. Fix: .+\.$/);
    });
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
      ]).map((r) =>
        r.type.startsWith("kubernetes:apps") ? { ...r, provider } : r,
      );
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
      const spec = web.props.spec as {
        template: { metadata: Record<string, unknown> };
      };
      spec.template.metadata.annotations = { checksum: unknownStringValue };
      const v = await runStackValidation(resources);
      assert.deepEqual(
        v.map((x) => x.policyName),
        ["rwo-shared-without-colocation"],
      );
    });
  });
});
