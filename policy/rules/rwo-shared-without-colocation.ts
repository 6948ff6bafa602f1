/**
 * The single-node claim rules: a single-node claim (ReadWriteOnce, or ReadWriteOnce+ReadOnlyMany
 * with a read-write use) used by more than one pod that nothing forces onto one node. What that
 * does depends on what backs the claim (`backing.ts`), so there is one rule per effect:
 *
 * - `rwo-shared-without-colocation` (mandatory): an attachable disk, or a backing that cannot be
 *   known and may be one: pods on a second node get a Multi-Attach error and never start;
 * - `rwo-shared-node-local` (advisory): a node-local PV: every pod is put on its node;
 * - `rwo-shared-hostpath-pv` (advisory): a hostPath PV: each node keeps its own data;
 * - `rwo-shared-network-fs` (advisory): a network file system: RWO is not enforced at all.
 */
import { Backing, backingOf } from "../backing";
import {
  ClaimInfo,
  ClaimUse,
  ClusterIndex,
  HOSTNAME_KEY,
  claimsSharedByPods,
  describeCount,
  describeRef,
  keyOf,
  workloadsOf,
} from "../model";
import { NodeGroup, commonGroup, placementOf } from "../placement";
import { BackingKind } from "../storageClasses";
import { Finding, Rule, RuleConfig } from "../types";

/** Describes how many pods a total is. */
export function podCount(n: number): string {
  return n === Number.POSITIVE_INFINITY
    ? "an unbounded number of pods"
    : `${n} pods`;
}

/** A single-node claim shared by pods that may land on several nodes. */
export interface SpreadClaim {
  readonly claim: ClaimInfo;
  readonly active: readonly ClaimUse[];
  readonly pods: number;
  readonly groups: readonly (NodeGroup | undefined)[];
  readonly backing: Backing;
}

/** Every single-node claim of the index used by more than one pod not known to share a node. */
export function spreadClaims(
  index: ClusterIndex,
  config: RuleConfig,
): SpreadClaim[] {
  const placement = placementOf(index);
  const out: SpreadClaim[] = [];
  for (const { claim, active, pods } of claimsSharedByPods(index, "single-node")) {
    const groups = active.map((u) => placement.groupOf(u.source));
    if (commonGroup(groups) !== undefined) continue;
    out.push({
      claim,
      active,
      pods,
      groups,
      backing: backingOf(claim, index, config.classes),
    });
  }
  return out;
}

/** Which rule reports a backing: attachable (or possibly attachable) first. */
export function ruleKindOf(b: Backing): BackingKind {
  for (const k of [
    "attachable-block",
    "host-path",
    "node-local",
    "network-fs",
  ] as const) {
    if (b.kinds.includes(k)) return k;
  }
  return "network-fs"; // multi-attach-block: attached to every node that asks
}

// Not nodeName: a pod with spec.nodeName bypasses the scheduler, whose VolumeBinding plugin is what
// sets volume.kubernetes.io/selected-node on a WaitForFirstConsumer claim, so the claim stays Pending
// (kubernetes/kubernetes#89953: "PVC stays forever in Pending state when the Pod that uses the PVC
// is created with .spec.nodeName"; OpenEBS local PV docs: "do not use nodeName in the Pod spec").
// Many default classes are WaitForFirstConsumer (GKE standard-rwo, kind standard).
const FIX_ONE_NODE =
  `put every pod on one node (required podAffinity with topologyKey ${HOSTNAME_KEY} to a ` +
  `single-pod anchor, or the same ${HOSTNAME_KEY} nodeSelector; not nodeName, which leaves a ` +
  "WaitForFirstConsumer claim Pending)";

/** One sentence: what pods on several nodes do on each plausible backing. */
const EFFECT: Record<BackingKind, (s: SpreadClaim) => string> = {
  "attachable-block": (s) => {
    const writers = s.active.filter((u) => !u.readOnly);
    return s.claim.accessModes.includes("ReadOnlyMany")
      ? `${writers.map((u) => describeRef(u.source.ref)).join(", ")} mount(s) it read-write ` +
          "(no persistentVolumeClaim.readOnly: true), which attaches the disk read-write to one " +
          "node; readers and writers on any other node will stay in ContainerCreating with a " +
          "Multi-Attach error"
      : "the disk attaches to one node at a time, so pods scheduled on a second node will stay " +
          "in ContainerCreating with a Multi-Attach error and never start";
  },
  "node-local": (s) =>
    "the volume lives on one node and its PersistentVolume's node affinity makes the scheduler " +
    `put every pod of the claim on that node${s.backing.node === undefined ? "" : ` (${s.backing.node})`}: ` +
    "nothing hangs on attach, but the pods share one node's CPU and memory, those that do not " +
    "fit stay Pending, and losing the node stops them all",
  "host-path": () =>
    "nothing is attached or enforced for a hostPath PersistentVolume, so pods on different " +
    "nodes all run, each reading and writing its own node's directory: the data is silently " +
    "split between nodes",
  "network-fs": () =>
    "nothing is attached: every node mounts the file system, so the pods run and share the data " +
    "on any node, and ReadWriteOnce is only a declaration Kubernetes does not enforce",
  "multi-attach-block": () =>
    "the block volume is attached to every node that asks for it, and the application must " +
    "coordinate writes itself",
};

const UNKNOWN_NAMES: Record<BackingKind, string> = {
  "attachable-block":
    "an attachable disk (GCE PD, EBS, Azure Disk, Longhorn...)",
  "node-local": "a node-local volume (local-path, kind's standard, local PV)",
  "host-path": "a hostPath PersistentVolume",
  "network-fs": "a network file system (NFS, EFS, Filestore)",
  "multi-attach-block": "a multi-attach block volume",
};

const FIX: Record<BackingKind, string> = {
  "attachable-block": `Fix: use a ReadWriteMany storage class, or ${FIX_ONE_NODE}, or run a single pod.`,
  "node-local":
    "Fix: if the pods must run on several nodes use a ReadWriteMany storage class; otherwise " +
    "run a single pod, or make the co-location explicit (required podAffinity to one anchor) " +
    "and size that node for every pod.",
  "host-path":
    "Fix: use a network file system (ReadWriteMany) or give the PersistentVolume node affinity " +
    `to one node, or ${FIX_ONE_NODE}.`,
  "network-fs":
    "Fix: ask for ReadWriteMany on the claim (and its PersistentVolume) so the manifest says " +
    "what it relies on.",
  "multi-attach-block": "Fix: make sure the application fences its writes.",
};

/** The finding for a spread claim reported by the rule of `kind`. */
export function spreadFinding(
  rule: Rule,
  s: SpreadClaim,
  kind: BackingKind,
): Finding {
  const describeUse = (u: ClaimUse, i: number): string => {
    const g = s.groups[i];
    const where =
      g !== undefined && g.reason !== "single-pod" ? `; ${g.detail}` : "";
    const access = u.readOnly ? "read-only" : "read-write";
    return `${describeRef(u.source.ref)} (${describeCount(u.source)}, ${access}${where})`;
  };
  const modes = s.claim.accessModes.join("+");
  const known = s.backing.kinds.length === 1;
  const candidates = s.backing.candidates;
  const effect = known
    ? `On ${s.backing.source}, ${EFFECT[kind](s)}.`
    : (candidates === undefined
        ? `Its backing cannot be known from the input (${s.backing.source}): `
        : `Its backing depends on the PersistentVolume it binds (${s.backing.source}): `) +
      s.backing.kinds
        .map(
          (k) => `on ${candidates?.[k] ?? UNKNOWN_NAMES[k]}, ${EFFECT[k](s)}`,
        )
        .join("; ") +
      ".";
  const workloads = workloadsOf(s.active);
  return {
    policy: rule.name,
    enforcementLevel: rule.defaultEnforcement,
    resource: s.claim.ref,
    message:
      `Claim ${keyOf(s.claim.ref.namespace, s.claim.ref.name)} (${modes}) is used by ` +
      `${podCount(s.pods)} from ${s.active.map(describeUse).join(", ")} and nothing forces ` +
      `them onto one node. ${effect} ${FIX[kind]}`,
    workloads,
  };
}

function spreadRule(
  name: string,
  kind: BackingKind,
  defaultEnforcement: Rule["defaultEnforcement"],
  description: string,
): Rule {
  const rule: Rule = {
    name,
    description,
    defaultEnforcement,
    usesClassTable: true,
    check(index, config) {
      return spreadClaims(index, config)
        .filter((s) => ruleKindOf(s.backing) === kind)
        .map((s) => spreadFinding(rule, s, kind));
    },
  };
  return rule;
}

export const rwoSharedWithoutColocation = spreadRule(
  "rwo-shared-without-colocation",
  "attachable-block",
  "mandatory",
  "A ReadWriteOnce claim on an attachable disk (or on a backing the input does not reveal) used by " +
    "several pods must have all of them forced onto one node; otherwise pods on a second node " +
    "never start (Multi-Attach).",
);

export const rwoSharedNodeLocal = spreadRule(
  "rwo-shared-node-local",
  "node-local",
  "advisory",
  "A ReadWriteOnce claim on a node-local volume (local-path, local PV) used by several pods: the " +
    "scheduler puts them all on the volume's node; those that do not fit stay Pending.",
);

export const rwoSharedHostPathPv = spreadRule(
  "rwo-shared-hostpath-pv",
  "host-path",
  "advisory",
  "A ReadWriteOnce claim bound to a hostPath PersistentVolume used by pods that may land on " +
    "several nodes: each node keeps its own data.",
);

export const rwoSharedNetworkFs = spreadRule(
  "rwo-shared-network-fs",
  "network-fs",
  "advisory",
  "A ReadWriteOnce claim on a network file system used by pods on several nodes works, but the " +
    "access mode says otherwise; declare ReadWriteMany.",
);
