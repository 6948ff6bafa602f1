/** Rule 6: a statically provisioned PersistentVolume without claimRef. */
import { describeRef, keyOf } from "../model";
import { Finding, Rule } from "../types";

export const pvWithoutClaimRef: Rule = {
  name: "pv-without-claimref",
  description:
    "A statically provisioned PersistentVolume without spec.claimRef can be bound by any matching " +
    "claim in any namespace; pre-bind per-user volumes.",
  defaultEnforcement: "advisory",
  check(index) {
    const wantedBy = new Map<string, string[]>();
    for (const c of index.claims.values()) {
      if (c.volumeName !== undefined) {
        wantedBy.set(c.volumeName, [
          ...(wantedBy.get(c.volumeName) ?? []),
          keyOf(c.ref.namespace, c.ref.name),
        ]);
      }
    }
    const findings: Finding[] = [];
    for (const pv of index.persistentVolumes) {
      if (pv.claimRef?.name !== undefined) continue;
      const wanted = wantedBy.get(pv.ref.name);
      const hint =
        wanted === undefined
          ? ""
          : ` Claim ${wanted.join(", ")} names it in volumeName, but until the volume is pre-bound ` +
            "another claim can take it first.";
      const modes =
        pv.accessModes.length > 0
          ? pv.accessModes.join("+")
          : "its access modes";
      findings.push({
        policy: pvWithoutClaimRef.name,
        enforcementLevel: pvWithoutClaimRef.defaultEnforcement,
        resource: pv.ref,
        message:
          `${describeRef(pv.ref)} has no spec.claimRef: any claim in any namespace asking for ` +
          `${modes} and no more than its capacity (storageClassName ` +
          `"${pv.storageClassName ?? ""}") can bind it, so one user's claim can take the volume ` +
          `meant for another.${hint} Fix: pre-bind it with spec.claimRef {namespace, name} of ` +
          "the claim it is for.",
      });
    }
    return findings;
  },
};
