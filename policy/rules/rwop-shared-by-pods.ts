/** Rule 2: a ReadWriteOncePod claim used by more than one pod, whatever the placement. */
import {
  claimsSharedByPods,
  describeSource,
  keyOf,
  workloadsOf,
} from "../model";
import { Finding, Rule } from "../types";
import { podCount } from "./rwo-shared-without-colocation";

export const rwopSharedByPods: Rule = {
  name: "rwop-shared-by-pods",
  description:
    "A ReadWriteOncePod claim can be used by one pod in the whole cluster; a second pod never starts.",
  defaultEnforcement: "mandatory",
  check(index) {
    const findings: Finding[] = [];
    for (const { claim, active, pods } of claimsSharedByPods(index, "single-pod")) {
      findings.push({
        policy: rwopSharedByPods.name,
        enforcementLevel: rwopSharedByPods.defaultEnforcement,
        resource: claim.ref,
        message:
          `Claim ${keyOf(claim.ref.namespace, claim.ref.name)} is ReadWriteOncePod but is used by ` +
          `${podCount(pods)} from ${active.map((u) => describeSource(u.source)).join(", ")}: only ` +
          "one pod in the cluster can use it, so every other pod stays Pending (the scheduler " +
          "reports the claim is in use by another pod), even on the same node. Fix: run a single " +
          "pod (replicas 1, Deployment strategy Recreate), or use ReadWriteOnce with the pods on " +
          "one node, or a ReadWriteMany class.",
        workloads: workloadsOf(active),
      });
    }
    return findings;
  },
};
