/**
 * Where the pods of a source can land: the "node group" analysis behind the co-location rules.
 *
 * A source's pods are known to share one node when:
 * - they are pinned: `nodeName`, a `kubernetes.io/hostname` nodeSelector, or required node affinity
 *   whose every term names one and the same hostname (or `metadata.name` field);
 * - or a required podAffinity term with topologyKey `kubernetes.io/hostname` selects an anchor that
 *   is itself on one node (one pod, pinned, or co-located the same way), or selects only the source's
 *   own pods (self-affinity: the first pod lands anywhere, the others follow it), or selects a
 *   closed group (its own pods and others, every member requiring affinity to exactly that group);
 * - or there is only one pod.
 * Preferred affinity and other topology keys (zone, region) never count.
 */
import {
  ClusterIndex,
  HOSTNAME_KEY,
  LabelSelector,
  PodSource,
  asArray,
  asRecord,
  asString,
  keyOf,
  parseSelector,
  selectorMatches,
} from "./model";

/** Why a source's pods share one node. */
export type GroupReason =
  "pinned" | "affinity" | "self-affinity" | "single-pod";

/** The node group of a source: pods with equal `group` are on one node. */
export interface NodeGroup {
  /** Opaque identity: `nodeName:x`, `hostname:x`, or `source:<index>`. */
  readonly group: string;
  readonly reason: GroupReason;
  /** Human description, e.g. `nodeName node-1` or `podAffinity to Deployment default/loop`. */
  readonly detail: string;
}

/** Resolves node groups over one index, memoising results. */
export interface PlacementResolver {
  /** The node group of `source`, or undefined when its pods may spread over several nodes. */
  groupOf(source: PodSource): NodeGroup | undefined;
  /** The pod sources (with pods) that a required hostname podAffinity term of `source` selects. */
  anchorsOf(source: PodSource, term: PodAffinityTerm): readonly PodSource[];
}

/** A required podAffinity term, parsed. */
export interface PodAffinityTerm {
  readonly selector: LabelSelector | undefined;
  readonly namespaces: readonly string[];
  readonly namespaceSelector: LabelSelector | undefined;
  readonly topologyKey: string | undefined;
}

const resolvers = new WeakMap<ClusterIndex, PlacementResolver>();

/** The (memoised) resolver for an index. */
export function placementOf(index: ClusterIndex): PlacementResolver {
  let r = resolvers.get(index);
  if (r === undefined) {
    r = createResolver(index);
    resolvers.set(index, r);
  }
  return r;
}

/** The single node a pod spec is pinned to, if any. */
export function pinOf(
  podSpec: Readonly<Record<string, unknown>>,
): NodeGroup | undefined {
  const nodeName = asString(podSpec.nodeName);
  if (nodeName !== undefined) {
    return {
      group: `nodeName:${nodeName}`,
      reason: "pinned",
      detail: `nodeName ${nodeName}`,
    };
  }
  const hostname = asString(asRecord(podSpec.nodeSelector)?.[HOSTNAME_KEY]);
  if (hostname !== undefined) {
    return {
      group: `hostname:${hostname}`,
      reason: "pinned",
      detail: `nodeSelector ${HOSTNAME_KEY}=${hostname}`,
    };
  }
  const required = asRecord(
    asRecord(asRecord(podSpec.affinity)?.nodeAffinity)
      ?.requiredDuringSchedulingIgnoredDuringExecution,
  );
  const terms = asArray(required?.nodeSelectorTerms);
  if (terms.length === 0) return undefined;
  // Terms are ORed: every term must pin to the same single node.
  let pinned: { group: string; detail: string } | undefined;
  for (const t of terms) {
    const term = asRecord(t);
    const pin =
      singleValue(
        term?.matchExpressions,
        HOSTNAME_KEY,
        "hostname",
        `${HOSTNAME_KEY} In`,
      ) ??
      singleValue(
        term?.matchFields,
        "metadata.name",
        "nodeName",
        "metadata.name In",
      );
    if (
      pin === undefined ||
      (pinned !== undefined && pinned.group !== pin.group)
    )
      return undefined;
    pinned = pin;
  }
  return pinned === undefined
    ? undefined
    : {
        group: pinned.group,
        reason: "pinned",
        detail: `required node affinity ${pinned.detail}`,
      };
}

/** Within one node selector term: a `key In [v]` requirement with exactly one value. */
function singleValue(
  expressions: unknown,
  key: string,
  prefix: string,
  label: string,
): { group: string; detail: string } | undefined {
  for (const e of asArray(expressions)) {
    const er = asRecord(e);
    if (er?.key !== key || er.operator !== "In") continue;
    const values = asArray(er.values).filter(
      (v): v is string => typeof v === "string",
    );
    if (values.length === 1)
      return {
        group: `${prefix}:${values[0]}`,
        detail: `${label} [${values[0]}]`,
      };
  }
  return undefined;
}

/** Required podAffinity terms of a pod spec (preferred terms are ignored). */
export function requiredPodAffinityTerms(
  podSpec: Readonly<Record<string, unknown>>,
): PodAffinityTerm[] {
  const podAffinity = asRecord(asRecord(podSpec.affinity)?.podAffinity);
  return asArray(
    podAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
  ).flatMap((t) => {
    const tr = asRecord(t);
    if (tr === undefined) return [];
    return [
      {
        selector: parseSelector(tr.labelSelector),
        namespaces: asArray(tr.namespaces).filter(
          (n): n is string => typeof n === "string",
        ),
        namespaceSelector: parseSelector(tr.namespaceSelector),
        topologyKey: asString(tr.topologyKey),
      },
    ];
  });
}

/** The group all of `groups` share, or undefined when one is unknown or they differ. */
export function commonGroup(
  groups: readonly (NodeGroup | undefined)[],
): NodeGroup | undefined {
  const first = groups[0];
  return first !== undefined && groups.every((g) => g?.group === first.group)
    ? first
    : undefined;
}

function isEmptySelector(s: LabelSelector): boolean {
  return (
    Object.keys(s.matchLabels ?? {}).length === 0 &&
    (s.matchExpressions ?? []).length === 0
  );
}

function createResolver(index: ClusterIndex): PlacementResolver {
  const memo = new Map<PodSource, NodeGroup | undefined>();
  const inProgress = new Set<PodSource>();
  const anchorMemo = new Map<string, readonly PodSource[]>();

  /** Namespaces a term looks in: its own, `namespaces`, and those matching `namespaceSelector`. */
  const termNamespaces = (
    source: PodSource,
    term: PodAffinityTerm,
  ): string[] => {
    const nsSel = term.namespaceSelector;
    if (nsSel === undefined && term.namespaces.length === 0)
      return [source.ref.namespace];
    const out = new Set(term.namespaces);
    if (nsSel !== undefined) {
      for (const [ns, labels] of index.namespaceLabels) {
        if (isEmptySelector(nsSel) || selectorMatches(nsSel, labels))
          out.add(ns);
      }
    }
    return [...out].sort();
  };

  /** Candidate sources in a namespace, narrowed by the selector's most selective indexed term. */
  const candidates = (ns: string, sel: LabelSelector): readonly PodSource[] => {
    const byLabel = index.sourcesByLabel.get(ns);
    const byKey = index.sourcesByLabelKey.get(ns);
    let best: readonly PodSource[] | undefined;
    const consider = (list: readonly PodSource[]): void => {
      if (best === undefined || list.length < best.length) best = list;
    };
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
      consider(byLabel?.get(`${k}=${v}`) ?? []);
    }
    for (const e of sel.matchExpressions ?? []) {
      if (e.operator === "In") {
        const seen = new Set<PodSource>();
        for (const v of e.values ?? [])
          for (const s of byLabel?.get(`${e.key}=${v}`) ?? []) seen.add(s);
        consider([...seen]);
      } else if (e.operator === "Exists") {
        consider(byKey?.get(e.key) ?? []);
      }
    }
    return best ?? index.sourcesByNamespace.get(ns) ?? [];
  };

  const anchorsOf = (
    source: PodSource,
    term: PodAffinityTerm,
  ): readonly PodSource[] => {
    const sel = term.selector;
    if (sel === undefined) return []; // a null selector matches no pods
    const namespaces = termNamespaces(source, term);
    const memoKey = JSON.stringify([namespaces, sel]);
    const cached = anchorMemo.get(memoKey);
    if (cached !== undefined) return cached;
    const found: PodSource[] = [];
    for (const ns of namespaces) {
      for (const s of candidates(ns, sel)) {
        if (s.replicas > 0 && selectorMatches(sel, s.labels)) found.push(s);
      }
    }
    found.sort((a, b) => a.index - b.index);
    anchorMemo.set(memoKey, found);
    return found;
  };

  /** True when every member has a required hostname term selecting exactly the group. */
  const closedGroup = (group: readonly PodSource[]): boolean => {
    const members = new Set(group);
    return group.every((m) =>
      requiredPodAffinityTerms(m.podSpec).some((t) => {
        if (t.topologyKey !== HOSTNAME_KEY) return false;
        const a = anchorsOf(m, t);
        return a.length === members.size && a.every((x) => members.has(x));
      }),
    );
  };

  const resolve = (source: PodSource): NodeGroup | undefined => {
    const pin = pinOf(source.podSpec);
    if (pin !== undefined) return pin;
    for (const term of requiredPodAffinityTerms(source.podSpec)) {
      if (term.topologyKey !== HOSTNAME_KEY) continue;
      const anchors = anchorsOf(source, term);
      if (anchors.length === 0) continue;
      if (anchors.length === 1 && anchors[0] === source) {
        return {
          group: `source:${source.index}`,
          reason: "self-affinity",
          detail: "required podAffinity to its own pods",
        };
      }
      if (anchors.includes(source)) {
        // Its own pods and others: the first pod may land away from the others (the
        // scheduler lets a pod that matches its own term schedule anywhere when no other pod
        // matches: kubernetes pkg/scheduler/framework/plugins/interpodaffinity/filtering.go
        // satisfyPodAffinity) unless the group is closed: every member requires hostname
        // podAffinity to exactly this group. Then the first member lands anywhere and each
        // later one must join a node holding a member, so all share the first one's node.
        if (closedGroup(anchors)) {
          return {
            group: `group:${anchors.map((a) => a.index).join(",")}`,
            reason: "affinity",
            detail: `required podAffinity (${HOSTNAME_KEY}) within the group ${anchors
              .map((a) => `${a.ref.kind} ${keyOf(a.ref.namespace, a.ref.name)}`)
              .join(", ")}`,
          };
        }
        continue;
      }
      const first = commonGroup(anchors.map((a) => groupOf(a)));
      if (first !== undefined) {
        const names = anchors.map(
          (a) => `${a.ref.kind} ${keyOf(a.ref.namespace, a.ref.name)}`,
        );
        return {
          group: first.group,
          reason: "affinity",
          detail: `required podAffinity (${HOSTNAME_KEY}) to ${names.join(", ")}`,
        };
      }
    }
    if (source.replicas === 1) {
      return {
        group: `source:${source.index}`,
        reason: "single-pod",
        detail: "a single pod",
      };
    }
    return undefined;
  };

  const groupOf = (source: PodSource): NodeGroup | undefined => {
    if (memo.has(source)) return memo.get(source);
    if (inProgress.has(source)) return undefined; // affinity cycle: not proven
    inProgress.add(source);
    const g = resolve(source);
    inProgress.delete(source);
    memo.set(source, g);
    return g;
  };

  return { groupOf, anchorsOf };
}
