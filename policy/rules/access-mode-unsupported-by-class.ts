/**
 * Rule 4: ReadWriteMany or ReadOnlyMany requested on a dynamically provisioned claim whose class
 * only gives single-node volumes (attachable disks, node-local directories).
 */
import { backingOf, claimVolumes, classNameOf } from "../backing";
import { keyOf, workloadsOf } from "../model";
import { BackingKind, servesManyNodes } from "../storageClasses";
import { Finding, Rule } from "../types";

const WHY: Partial<Record<BackingKind, string>> = {
  "attachable-block": "only makes disks that attach to one node",
  "node-local":
    "only makes directories of one node (rancher/local-path-provisioner refuses every mode " +
    "but ReadWriteOnce and ReadWriteOncePod unless the class is a shared file system)",
};

export const accessModeUnsupportedByClass: Rule = {
  name: "access-mode-unsupported-by-class",
  description:
    "A claim must not ask for ReadWriteMany or ReadOnlyMany from a storage class that only makes " +
    "single-node volumes (attachable disks, node-local directories); provisioning fails and the " +
    "claim stays Pending.",
  defaultEnforcement: "mandatory",
  usesClassTable: true,
  check(index, config) {
    const findings: Finding[] = [];
    for (const claim of index.claims.values()) {
      const multi = claim.accessModes.filter(
        (m) => m === "ReadWriteMany" || m === "ReadOnlyMany",
      );
      if (multi.length === 0) continue;
      const className = classNameOf(claim, index);
      if (className === undefined) continue; // static binding or no known class: not judged
      // A matching PersistentVolume in the input is bound before anything is provisioned
      // (kubernetes pkg/controller/volume/persistentvolume/pv_controller.go syncUnboundClaim:
      // findBestMatchForClaim first, provisionClaim only when no volume matches).
      if (claimVolumes(claim, index).pvs.length > 0) continue;
      const backing = backingOf(claim, index, config.classes);
      const kinds = backing.kinds;
      // Reject only when every plausible kind is single-node (GKE's and kind's `standard` both are).
      if (!kinds.every((k) => k === "attachable-block" || k === "node-local"))
        continue;
      const provisioner = index.storageClasses.get(className)?.provisioner;
      if (servesManyNodes(kinds, { provisioner, className })) continue;
      const ebsHint =
        provisioner === "ebs.csi.aws.com" ||
        className === "gp2" ||
        className === "gp3"
          ? " (EBS multi-attach needs an io2 class and volumeMode: Block with ReadWriteMany)"
          : "";
      findings.push({
        policy: accessModeUnsupportedByClass.name,
        enforcementLevel: accessModeUnsupportedByClass.defaultEnforcement,
        resource: claim.ref,
        message:
          `Claim ${keyOf(claim.ref.namespace, claim.ref.name)} asks for ${multi.join(" and ")} ` +
          `but ${backing.source} ${kinds.map((k) => WHY[k] ?? "").join(" or ")}${ebsHint}: provisioning fails ` +
          "(ProvisioningFailed), the claim stays Pending and so does every pod using it. " +
          "Fix: use a ReadWriteMany class (Filestore, EFS, NFS, Longhorn...), or ask for " +
          "ReadWriteOnce and keep the pods on one node.",
        workloads: workloadsOf(
          index.claimUses.get(keyOf(claim.ref.namespace, claim.ref.name)) ?? [],
        ),
      });
    }
    return findings;
  },
};
