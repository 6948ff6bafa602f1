/**
 * Manifests from public Multi-Attach reports, their fixes, charts and kompose output
 * (test/policy/realworld/, each file names its source thread), through the checker's JSON mode as
 * users run it (`npm run check -- --format json FILE`). The verdicts are written down by hand
 * from what the threads report and the upstream behaviour cited in test/policy/realworld/README.md.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { runCli } from "./helpers";

const DIR = path.resolve(__dirname, "realworld");

interface Expected {
  /** `LEVEL policy Kind/name`, sorted as the checker sorts findings. */
  findings: string[];
  code: number;
  /** Phrases the messages must carry (the effect on that backing). */
  says?: RegExp[];
}

const M = "mandatory";
const A = "advisory";

const EXPECTED: Record<string, Expected> = {
  "01-grafana-chart-rwo-rollingupdate.yaml": {
    findings: [`${A} rwo-rolling-update-surge Deployment/grafana`],
    code: 0,
    says: [/Multi-Attach error while the old pod holds the volume/, /Fix: set strategy\.type: Recreate/],
  },
  "02-grafana-chart-recreate-fix.yaml": { findings: [], code: 0 },
  "03-aks-managed-premium-rollout.yaml": {
    findings: [`${A} rwo-rolling-update-surge Deployment/app`],
    code: 0,
  },
  "04-azure-disk-deployment-3-replicas.yaml": {
    findings: [`${M} rwo-shared-without-colocation PersistentVolumeClaim/pvc-azuredisk`],
    code: 1,
    says: [/On StorageClass managed-csi \(provisioner disk\.csi\.azure\.com\), the disk attaches to one node at a time/],
  },
  "05-azurefile-pv-rwo-3-replicas.yaml": {
    findings: [`${A} rwo-shared-network-fs PersistentVolumeClaim/azurefile`],
    code: 0,
    says: [/PersistentVolume azurefile \(azureFile\), nothing is attached/],
  },
  "06-nfs-csi-rwo-deployment.yaml": {
    findings: [`${A} rwo-shared-network-fs PersistentVolumeClaim/pvc-nfs-dynamic`],
    code: 0,
  },
  "07-rook-cephfs-vs-rbd.yaml": {
    findings: [
      `${M} rwo-shared-without-colocation PersistentVolumeClaim/shared-block`,
      `${A} rwo-shared-network-fs PersistentVolumeClaim/shared-fs`,
    ],
    code: 1,
    says: [/provisioner rook-ceph\.rbd\.csi\.ceph\.com\), the disk attaches/, /provisioner rook-ceph\.cephfs\.csi\.ceph\.com\), nothing is attached/],
  },
  "08-local-path-statefulset-and-shared.yaml": {
    // The StatefulSet's template volume `data-volume` is replaced by its volumeClaimTemplate:
    // neither a shared claim nor a missing one.
    findings: [`${A} rwo-shared-node-local PersistentVolumeClaim/mongo-shared`],
    code: 0,
    says: [/those that do not fit stay Pending/],
  },
  "09-kompose-shared-named-volume.yaml": {
    findings: [`${M} rwo-shared-without-colocation PersistentVolumeClaim/uploads`],
    code: 1,
    says: [/backing cannot be known from the input \(the cluster's default StorageClass/, /on a network file system/],
  },
  "10-podaffinity-zone-vs-hostname.yaml": {
    // Zone affinity does not force one node; the pulp group (every member requires hostname
    // affinity to the group) does.
    findings: [`${M} rwo-shared-without-colocation PersistentVolumeClaim/workflow-data`],
    code: 1,
  },
  "11-backup-cronjob-on-rwo.yaml": {
    findings: [`${M} rwo-shared-without-colocation PersistentVolumeClaim/claim-devworkspace`],
    code: 1,
    says: [/CronJob dev\/backup \(1 pod, read-write\)/],
  },
  "12-backup-cronjob-pinned-fix.yaml": { findings: [], code: 0 },
  "13-ebs-io2-multi-attach.yaml": {
    findings: [`${M} access-mode-unsupported-by-class PersistentVolumeClaim/fs-rwx`],
    code: 1,
    says: [/EBS multi-attach needs an io2 class and volumeMode: Block/],
  },
  "14-longhorn-rwo-vs-rwx.yaml": {
    findings: [`${M} rwo-shared-without-colocation PersistentVolumeClaim/iris-pvc`],
    code: 1,
  },
  "15-nfs-pv-rwo-static.yaml": {
    // Not pre-bound, but the NFS PV is the only PV in the input the claim can bind (class "",
    // RWO, 200Mi >= 200Mi, no claimRef): judged as NFS, with the "unless the cluster holds
    // another matching PersistentVolume" caveat in the message.
    findings: [
      `${A} pv-without-claimref PersistentVolume/nfs02`,
      `${A} rwo-shared-network-fs PersistentVolumeClaim/mongodb-pvc`,
    ],
    code: 0,
    says: [
      /On PersistentVolume nfs02 \(nfs\), the only PersistentVolume in the input the claim can bind \(it is not pre-bound, so it binds this one unless the cluster holds another matching PersistentVolume\), nothing is attached/,
    ],
  },
  "16-openebs-hostpath-pinned-pods.yaml": {
    findings: [`${A} rwo-shared-node-local PersistentVolumeClaim/cache`],
    code: 0,
    says: [/provisioner openebs\.io\/local\)/],
  },
};

describe("real-world manifests (test/policy/realworld) through npm run check -- --format json", () => {
  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(file, async () => {
      const r = await runCli(["--format", "json", path.join(DIR, file)]);
      const findings = JSON.parse(r.stdout) as {
        policy: string;
        enforcementLevel: string;
        resource: { kind: string; name: string };
        message: string;
        file: string;
      }[];
      assert.deepEqual(
        findings.map((f) => `${f.enforcementLevel} ${f.policy} ${f.resource.kind}/${f.resource.name}`),
        expected.findings,
      );
      assert.equal(r.code, expected.code, r.stderr);
      for (const f of findings) assert.equal(f.file, path.join(DIR, file));
      const all = findings.map((f) => f.message).join("\n");
      for (const re of expected.says ?? []) assert.match(all, re);
    });
  }
});
