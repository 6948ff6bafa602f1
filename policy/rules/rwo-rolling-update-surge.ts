/**
 * Rule 3: a Deployment using a single-node claim whose rolling update can start the new pod on
 * another node (RollingUpdate with maxSurge > 0, pods not pinned nor bound to an anchor).
 */
import { backingOf } from "../backing";
import {
  ClaimUse,
  HOSTNAME_KEY,
  PodSource,
  describeRef,
  effectiveAccess,
  keyOf,
} from "../model";
import { placementOf } from "../placement";
import { Finding, Rule } from "../types";

/**
 * The number of extra pods a rolling update may create: `maxSurge` as an integer, or a percentage
 * of replicas rounded up (Kubernetes rounds surge up). Unparseable values count as the default 25%.
 */
export function resolveMaxSurge(
  maxSurge: number | string,
  replicas: number,
): number {
  if (typeof maxSurge === "number") return Math.max(0, Math.floor(maxSurge));
  const m = /^\s*(\d+)\s*(%?)\s*$/.exec(maxSurge);
  if (m === null) return Math.ceil((replicas * 25) / 100);
  const n = Number(m[1]);
  return m[2] === "%" ? Math.ceil((replicas * n) / 100) : n;
}

export const rwoRollingUpdateSurge: Rule = {
  name: "rwo-rolling-update-surge",
  description:
    "A Deployment on a ReadWriteOnce (or ReadWriteOncePod) claim with RollingUpdate and maxSurge > 0 " +
    "can start its new pod on another node during a rollout, where it hangs in ContainerCreating.",
  defaultEnforcement: "advisory",
  usesClassTable: true,
  check(index, config) {
    const placement = placementOf(index);
    const perDeployment = new Map<
      PodSource,
      { use: ClaimUse; podLimited: boolean }[]
    >();
    for (const [key, uses] of index.claimUses) {
      const claim = index.claims.get(key);
      if (claim === undefined) continue;
      const access = effectiveAccess(claim, uses);
      if (access !== "single-node" && access !== "single-pod") continue;
      // Only an attachable disk (or a backing that may be one) makes the surge pod hang: a
      // node-local PV's node affinity brings it to the same node, a file system mounts anywhere.
      if (
        access === "single-node" &&
        !backingOf(claim, index, config.classes).kinds.includes(
          "attachable-block",
        )
      )
        continue;
      for (const use of uses) {
        const s = use.source;
        if (
          s.ref.kind !== "Deployment" ||
          s.strategy === undefined ||
          s.replicas === 0
        )
          continue;
        if (s.strategy.type !== "RollingUpdate") continue;
        if (resolveMaxSurge(s.strategy.maxSurge, s.replicas) <= 0) continue;
        // Single-node: only a lone, unanchored pod can move; pinned or affinity-bound surge pods
        // follow the others, and spread replicas are rule 1's business.
        if (
          access === "single-node" &&
          placement.groupOf(s)?.reason !== "single-pod"
        )
          continue;
        const list = perDeployment.get(s) ?? [];
        list.push({ use, podLimited: access === "single-pod" });
        perDeployment.set(s, list);
      }
    }
    const findings: Finding[] = [];
    for (const [s, items] of perDeployment) {
      const strategy = s.strategy ?? { type: "RollingUpdate", maxSurge: "25%" };
      const surge = resolveMaxSurge(strategy.maxSurge, s.replicas);
      const claims = items
        .map((i) => {
          const c = index.claims.get(i.use.claimKey);
          const modes = c?.accessModes.join("+") ?? "";
          return `${modes} claim ${keyOf(i.use.claimNamespace, i.use.claimName)}`;
        })
        .join(", ");
      const podLimited = items.some((i) => i.podLimited);
      const effect = podLimited
        ? "the new pod cannot use a ReadWriteOncePod claim while the old pod holds it and stays Pending"
        : "the new pod can be scheduled on another node, where it stays in ContainerCreating with a " +
          "Multi-Attach error while the old pod holds the volume";
      findings.push({
        policy: rwoRollingUpdateSurge.name,
        enforcementLevel: rwoRollingUpdateSurge.defaultEnforcement,
        resource: s.ref,
        message:
          `${describeRef(s.ref)} uses ${claims} and updates with RollingUpdate ` +
          `(maxSurge ${String(strategy.maxSurge)} → ${surge} extra pod${surge === 1 ? "" : "s"}): ` +
          `during a rollout ${effect}, and the rollout stalls. Fix: set strategy.type: Recreate, ` +
          "or rollingUpdate.maxSurge: 0 (with maxUnavailable: 1)" +
          (podLimited
            ? "."
            : // not nodeName: it leaves a WaitForFirstConsumer claim Pending (see FIX_ONE_NODE
              // in rwo-shared-without-colocation.ts for the sources).
              `, or pin the pods to one node (${HOSTNAME_KEY} nodeSelector; not nodeName, which ` +
              "leaves a WaitForFirstConsumer claim Pending)."),
        workloads: [s.ref],
      });
    }
    return findings;
  },
};
