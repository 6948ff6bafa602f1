import { strict as assert } from "assert";
import * as path from "path";
import { Finding, checkObjects } from "../../policy/core";
import { COURSE_DIR, courseObjects, runCli, summary } from "./helpers";
import { CHATROULETTE, KIA, SCENARIOS } from "./scenarios";

const RWO = "rwo-shared-without-colocation";

describe("course manifests (test/fixtures/course)", () => {
  describe("through checkObjects", () => {
    for (const s of SCENARIOS) {
      it(s.name, async () => {
        assert.deepEqual(
          summary(checkObjects(courseObjects(...s.files))),
          s.expected,
        );
      });
    }

    it("kia: the rejection names the writer and the reader", async () => {
      const f = checkObjects(courseObjects(...KIA)).find(
        (x) => x.policy === RWO,
      );
      assert.ok(f);
      assert.match(
        f.message,
        /Pod default\/data-writer-\* \(generateName[^)]*read-write\)/,
      );
      assert.match(
        f.message,
        /Pod default\/data-reader-\* \(generateName[^)]*read-only\)/,
      );
      // Neither PV is pre-bound and both match the claim (same class "", RWO+ROX, 10Gi >= 1Gi):
      // it may bind either alternative, and the message says what happens on each.
      assert.match(
        f.message,
        /Its backing depends on the PersistentVolume it binds \(PersistentVolume other-data \(gcePersistentDisk\) or PersistentVolume other-data \(hostPath, no node affinity\): the claim is not pre-bound/,
      );
      assert.match(
        f.message,
        /on PersistentVolume other-data \(gcePersistentDisk\), Pod default\/data-writer-\* mount\(s\) it read-write .*readers and writers on any other node will stay in ContainerCreating with a Multi-Attach error; /,
      );
      assert.match(
        f.message,
        /on PersistentVolume other-data \(hostPath, no node affinity\), nothing is attached or enforced/,
      );
      assert.deepEqual(f.workloads, [
        { kind: "Pod", namespace: "default", name: "data-reader-*" },
        { kind: "Pod", namespace: "default", name: "data-writer-*" },
      ]);
    });

    it("distinct-updater base: the loop and the server are the workloads to change", async () => {
      const f = checkObjects(courseObjects("distinct-updater-base.yaml")).find(
        (x) => x.policy === RWO,
      );
      assert.ok(f);
      assert.deepEqual(f.workloads, [
        {
          kind: "Deployment",
          namespace: "default",
          name: "distinct-updater-loop",
        },
        {
          kind: "Deployment",
          namespace: "default",
          name: "distinct-updater-server",
        },
      ]);
      assert.match(
        f.message,
        /the cluster's default StorageClass \(not in the input\)/,
      );
    });

    it("chatroulette: the message says where the claim actually is", async () => {
      const [f] = checkObjects(courseObjects(...CHATROULETTE));
      assert.match(
        f.message,
        /claim default\/chat-images, which is not among the inputs/,
      );
      assert.match(f.message, /exists in namespace formation/);
    });

    it("chatroulette checked in namespace formation: accept, no finding", async () => {
      const findings = checkObjects(courseObjects(...CHATROULETTE), {
        defaultNamespace: "formation",
      });
      assert.deepEqual(summary(findings), []);
    });
  });

  describe("through the CLI's JSON mode", () => {
    for (const s of SCENARIOS) {
      it(`${s.name} (exit ${s.exit})`, async () => {
        const r = await runCli([
          "--format",
          "json",
          ...s.files.map((f) => path.join(COURSE_DIR, f)),
        ]);
        assert.equal(r.code, s.exit, r.stderr);
        const findings = JSON.parse(r.stdout) as Finding[];
        assert.deepEqual(summary(findings), s.cliExpected ?? s.expected);
        for (const f of findings) {
          // The core's fields (the CLI adds where each finding came from).
          for (const k of [
            "policy",
            "enforcementLevel",
            "resource",
            "message",
            "workloads",
          ])
            assert.ok(k in f, `finding lacks ${k}`);
          assert.deepEqual(Object.keys(f.resource), [
            "kind",
            "namespace",
            "name",
          ]);
        }
      });
    }

    it("checks the whole directory at once (sorted, recursive)", async () => {
      const r = await runCli(["--format=json", COURSE_DIR]);
      assert.equal(r.code, 1);
      const findings = JSON.parse(r.stdout) as Finding[];
      // Files defining the same object differently are checked separately (the CLI warns),
      // so every scenario keeps its own verdict; identical definitions are checked once.
      assert.deepEqual(summary(findings), [
        "advisory pv-without-claimref PersistentVolume//other-data",
        "advisory pv-without-claimref PersistentVolume//other-data",
        "advisory claim-not-in-input Deployment/default/back",
        "advisory rwo-rolling-update-surge Deployment/default/distinct-updater-loop",
        "advisory rwo-rolling-update-surge Deployment/default/distinct-updater-loop",
        "advisory hostpath-multiple-replicas Deployment/default/story-deployment",
        `mandatory ${RWO} PersistentVolumeClaim/default/distinct-updater-pvc`,
        // other-data, per set of files: with the hostPath PV (data split) and with the GCE PD
        // (Multi-Attach). Every set holds one of the two PV files, so none judges the claim
        // without a volume.
        "advisory rwo-shared-hostpath-pv PersistentVolumeClaim/default/other-data",
        `mandatory ${RWO} PersistentVolumeClaim/default/other-data`,
      ]);
      const otherData = findings
        .filter((f) => f.resource.name === "other-data" && f.policy === RWO)
        .map((f) => f.message);
      assert.equal(otherData.length, 1);
      assert.match(
        otherData[0],
        /On PersistentVolume other-data \(gcePersistentDisk\), the only PersistentVolume in the input the claim can bind/,
      );
    });
  });
});
