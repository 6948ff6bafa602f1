/** Rule 7: a ReadOnlyMany-only claim mounted writable. */
import { backingOf } from "../backing";
import { describeRef, keyOf } from "../model";
import { BackingKind } from "../storageClasses";
import { Finding, Rule } from "../types";

const WRITABLE_MODES = ["ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod"];

/*
 * Kubernetes website content/en/docs/concepts/storage/persistent-volumes.md ("Access Modes"):
 * "Volume access modes do not enforce write protection once the storage has been mounted": a
 * hostPath or NFS volume declared ReadOnlyMany is mounted writable. A CSI volume is asked of its
 * driver with the PV's mode (kubernetes pkg/volume/csi/csi_client.go, asCSIAccessModeV1:
 * ReadOnlyMany → MULTI_NODE_READER_ONLY); a block driver that accepts that mode attaches the disk
 * read-only, and kubernetes-csi/external-provisioner pkg/controller/controller.go marks the PV of a
 * ReadOnlyMany-only claim `csi.readOnly` (with --controller-publish-readonly). Block drivers that
 * refuse MULTI_NODE_READER_ONLY fail the provisioning instead (access-mode-unsupported-by-class).
 */
const EFFECT: Record<BackingKind, string> = {
  "attachable-block":
    "the disk is asked of its driver as MULTI_NODE_READER_ONLY and attached read-only, so any " +
    'write fails with "Read-only file system"',
  "multi-attach-block":
    'the volume is attached read-only, so any write fails with "Read-only file system"',
  "node-local":
    "Kubernetes does not enforce ReadOnlyMany on a node-local directory: the mount is writable " +
    "and the pod changes data its readers expect to stay as it is",
  "host-path":
    "Kubernetes does not enforce ReadOnlyMany on a hostPath PersistentVolume: the mount is " +
    "writable and the pod changes its node's copy of the data",
  "network-fs":
    "Kubernetes does not enforce ReadOnlyMany on a network file system: the mount is writable " +
    "and every pod can change the shared data",
};

export const roxClaimMountedWritable: Rule = {
  name: "rox-claim-mounted-writable",
  description:
    'A ReadOnlyMany claim mounted writable: on a block volume writes fail with "Read-only file ' +
    'system"; on hostPath, local or NFS volumes nothing enforces read-only and writes succeed.',
  defaultEnforcement: "advisory",
  usesClassTable: true,
  check(index, config) {
    const findings: Finding[] = [];
    for (const [key, uses] of index.claimUses) {
      const claim = index.claims.get(key);
      if (claim === undefined || !claim.accessModes.includes("ReadOnlyMany"))
        continue;
      if (claim.accessModes.some((m) => WRITABLE_MODES.includes(m))) continue;
      const backing = backingOf(claim, index, config.classes);
      const effect =
        backing.kinds.length === 1
          ? `On ${backing.source}, ${EFFECT[backing.kinds[0]]}.`
          : `Its backing cannot be known from the input (${backing.source}): ` +
            backing.kinds
              .map((k) => `on ${backing.candidates?.[k] ?? k}, ${EFFECT[k]}`)
              .join("; ") +
            ".";
      for (const u of uses) {
        if (!u.writable) continue;
        findings.push({
          policy: roxClaimMountedWritable.name,
          enforcementLevel: roxClaimMountedWritable.defaultEnforcement,
          resource: u.source.ref,
          message:
            `${describeRef(u.source.ref)} mounts claim ${keyOf(claim.ref.namespace, claim.ref.name)}, ` +
            `which is ReadOnlyMany only, as writable. ${effect} Fix: set ` +
            "persistentVolumeClaim.readOnly: true on the volume and readOnly: true on its " +
            "volumeMounts, or ask for a writable access mode.",
          workloads: [u.source.ref],
        });
      }
    }
    return findings;
  },
};
