/**
 * A claim a pod names that is not in the input: never judged safe or unsafe, but the message says
 * what would happen on each plausible backing, since neither its access modes nor its class are
 * known.
 */
import { describeRef, keyOf, totalPods } from "../model";
import { commonGroup, placementOf } from "../placement";
import { Finding, Rule } from "../types";
import { podCount } from "./rwo-shared-without-colocation";

export const claimNotInInput: Rule = {
  name: "claim-not-in-input",
  description:
    "A pod uses a claim that is not among the inputs; the checker cannot judge its access modes, " +
    "class or sharing, and says what would happen on each plausible backing.",
  defaultEnforcement: "advisory",
  check(index) {
    const placement = placementOf(index);
    const findings: Finding[] = [];
    for (const [key, uses] of index.claimUses) {
      if (index.claims.has(key)) continue;
      const active = uses.filter((u) => u.source.replicas > 0);
      const pods = totalPods(active);
      const oneNode =
        pods <= 1 ||
        commonGroup(active.map((u) => placement.groupOf(u.source))) !==
          undefined;
      // What the unknown claim does with these pods, per plausible backing (the same effects
      // as the rwo-shared-* rules, see README "Backing kinds").
      const effect = oneNode
        ? pods <= 1
          ? "Used by one pod, it shares nothing whatever its backing: the pod starts once the claim exists and is bound, and stays Pending until then."
          : `Its ${podCount(pods)} are forced onto one node, so they can share it whatever its backing (ReadWriteOnce allows every pod of one node); they stay Pending until the claim exists and is bound.`
        : `Its ${podCount(pods)} may land on several nodes, so what happens depends on the claim: ` +
          "ReadWriteMany, or ReadWriteOnce on a network file system (NFS, EFS, Filestore), they run and share the data; " +
          "ReadWriteOnce on an attachable disk (GCE PD, EBS, Azure Disk, Longhorn), pods on a second node stay in ContainerCreating with a Multi-Attach error; " +
          "ReadWriteOnce on a node-local volume (local-path, local PV), all are put on the volume's node and those that do not fit stay Pending; " +
          "ReadWriteOncePod, all pods but one stay Pending.";
      for (const u of uses) {
        const elsewhere = (
          index.claimNamespacesByName.get(u.claimName) ?? []
        ).filter((ns) => ns !== u.claimNamespace);
        const hint =
          elsewhere.length === 0
            ? ""
            : ` A claim named ${u.claimName} exists in namespace ${elsewhere.join(", ")}, but ` +
              `claims are namespaced: a pod in ${u.claimNamespace} only sees claims of ` +
              `${u.claimNamespace}, so it would stay Pending waiting for ` +
              `${keyOf(u.claimNamespace, u.claimName)}.`;
        findings.push({
          policy: claimNotInInput.name,
          enforcementLevel: claimNotInInput.defaultEnforcement,
          resource: u.source.ref,
          message:
            `${describeRef(u.source.ref)} uses claim ${keyOf(u.claimNamespace, u.claimName)}, ` +
            "which is not among the inputs, so the checker could not judge its access modes, " +
            `class or sharing.${hint} ${effect} Fix: add the claim to the input (or check it exists in the ` +
            "cluster), and keep the claim and its pods in the same namespace.",
          workloads: [u.source.ref],
        });
      }
    }
    return findings;
  },
};
