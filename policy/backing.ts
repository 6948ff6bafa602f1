/**
 * What backs a claim on a node, and so what Kubernetes really does when pods on several nodes use
 * it. The access mode alone says little: ReadWriteOnce is enforced only where a volume is attached
 * to a node by the attach/detach controller.
 *
 * The backing is read, in this order, from: the PersistentVolume the claim is pre-bound to (its
 * volume source and node affinity), else the PersistentVolumes in the input the PV controller could
 * bind it to, the claim's StorageClass in the input (provisioner, parameters, local-path-provisioner's
 * ConfigMap), the storage-class table (built in, overridable by policy config). Where none of these
 * answer, the backing is unknown and the rules say what would happen on each plausible backing
 * instead of guessing one.
 */
import {
  ClaimInfo,
  ClusterIndex,
  HOSTNAME_KEY,
  PersistentVolumeInfo,
  asArray,
  asRecord,
  asString,
  selectorMatches,
} from "./model";
import {
  BackingKind,
  StorageClassTable,
  provisionerEntry,
  tableBackings,
} from "./storageClasses";

export type { BackingKind } from "./storageClasses";

/** The backing of a claim: one known kind, or the plausible kinds when it cannot be known. */
export interface Backing {
  /** The kinds it may be; exactly one when known. */
  readonly kinds: readonly BackingKind[];
  /** Where the answer comes from, e.g. `StorageClass gp3 (provisioner ebs.csi.aws.com)`. */
  readonly source: string;
  /** The node a node-local PersistentVolume is pinned to, when the input says. */
  readonly node?: string;
  /**
   * For several kinds coming from PersistentVolumes of the input (alternative candidates): per kind,
   * the PersistentVolumes of that kind, e.g. `PersistentVolume other-data (hostPath, no node
   * affinity)`, so a message can say what happens on each.
   */
  readonly candidates?: Partial<Record<BackingKind, string>>;
}

/** True when the backing is known to be exactly `kind`. */
export function isOnly(b: Backing, kind: BackingKind): boolean {
  return b.kinds.length === 1 && b.kinds[0] === kind;
}

/** Every kind an unknown dynamically provisioned claim may have. */
export const UNKNOWN_DYNAMIC: readonly BackingKind[] = [
  "attachable-block",
  "node-local",
  "network-fs",
];
/** Every kind a claim bound to an unknown PersistentVolume may have. */
export const UNKNOWN_STATIC: readonly BackingKind[] = [
  "attachable-block",
  "node-local",
  "host-path",
  "network-fs",
];

/**
 * In-tree PersistentVolume sources whose plugin attaches the volume to a node (the attach/detach
 * controller handles only plugins implementing the attacher interface: kubernetes
 * pkg/controller/volume/attachdetach/util/util.go ProcessPodVolumes, "it does not implement
 * attacher interface").
 */
const ATTACHABLE_SOURCES = [
  "gcePersistentDisk",
  "awsElasticBlockStore",
  "azureDisk",
  "cinder",
  "rbd",
  "iscsi",
  "fc",
  "vsphereVolume",
  "portworxVolume",
  "photonPersistentDisk",
  "scaleIO",
  "storageos",
];
/** In-tree network file systems: no attacher, every node mounts the share itself. */
const NETWORK_FS_SOURCES = [
  "nfs",
  "cephfs",
  "glusterfs",
  "azureFile",
  "quobyte",
];

/** The single hostname a PersistentVolume's required node affinity allows, if any. */
export function pvNode(
  pvSpec: Readonly<Record<string, unknown>>,
): string | undefined {
  const required = asRecord(asRecord(pvSpec.nodeAffinity)?.required);
  const terms = asArray(required?.nodeSelectorTerms);
  let node: string | undefined;
  for (const t of terms) {
    let termNode: string | undefined;
    for (const e of asArray(asRecord(t)?.matchExpressions)) {
      const er = asRecord(e);
      const values = asArray(er?.values).filter(
        (v): v is string => typeof v === "string",
      );
      if (
        er?.key === HOSTNAME_KEY &&
        er.operator === "In" &&
        values.length === 1
      )
        termNode = values[0];
    }
    if (termNode === undefined || (node !== undefined && node !== termNode))
      return undefined;
    node = termNode;
  }
  return node;
}

/** The backing of a PersistentVolume from its spec; undefined when its source is not known. */
export function backingOfPv(
  pv: PersistentVolumeInfo,
  table: StorageClassTable,
): Backing | undefined {
  const spec = pv.spec;
  const where = `PersistentVolume ${pv.ref.name}`;
  const node = pvNode(spec);
  // A PV with required node affinity to one node: the scheduler only places its pods on that
  // node (kubernetes website content/en/docs/concepts/storage/persistent-volumes.md, "Node
  // Affinity": "Pods that use a PV will only be scheduled to nodes that are selected by the
  // node affinity"). That holds for local, hostPath and local-path-provisioner volumes alike.
  if (node !== undefined) {
    return {
      kinds: ["node-local"],
      source: `${where} (node affinity to ${node})`,
      node,
    };
  }
  if (asRecord(spec.local) !== undefined) {
    return { kinds: ["node-local"], source: `${where} (local volume)` };
  }
  if (asRecord(spec.hostPath) !== undefined) {
    return {
      kinds: ["host-path"],
      source: `${where} (hostPath, no node affinity)`,
    };
  }
  for (const s of ATTACHABLE_SOURCES) {
    if (asRecord(spec[s]) !== undefined)
      return { kinds: ["attachable-block"], source: `${where} (${s})` };
  }
  for (const s of NETWORK_FS_SOURCES) {
    if (asRecord(spec[s]) !== undefined)
      return { kinds: ["network-fs"], source: `${where} (${s})` };
  }
  const driver = asString(asRecord(spec.csi)?.driver);
  if (driver !== undefined) {
    const kinds = tableBackings(provisionerEntry(table, driver));
    if (kinds !== undefined)
      return { kinds, source: `${where} (CSI driver ${driver})` };
  }
  return undefined;
}

/**
 * Bytes in a Kubernetes quantity (`10Gi`, `500M`, `1.5Gi`, `1e9`, `1073741824`), or undefined when it
 * is not one. Suffixes as in k8s.io/apimachinery pkg/api/resource/quantity.go (binarySI Ki..Ei =
 * 2^10..2^60, decimalSI n u m "" k M G T P E, decimal exponent e/E).
 */
export function parseQuantity(q: string): number | undefined {
  const m =
    /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/.exec(
      q.trim(),
    );
  if (m === null) return undefined;
  const n = Number(m[1]);
  if (m[2] !== undefined) return n * 10 ** Number(m[2].slice(1));
  const factor: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
  };
  return m[3] === undefined ? n : n * factor[m[3]];
}

/**
 * The class the PV controller matches PersistentVolumes against: the claim's own (`""` included),
 * or, without one, the single default class of the input (the DefaultStorageClass admission plugin
 * writes it into the claim). Undefined when that default is not in the input.
 */
function requestedClass(
  claim: ClaimInfo,
  index: ClusterIndex,
): string | undefined {
  if (claim.storageClassName !== undefined) return claim.storageClassName;
  const defaults = index.defaultStorageClasses;
  return defaults.length === 1 ? defaults[0].ref.name : undefined;
}

/**
 * True when the PV controller could bind this (not pre-bound) claim to `pv`. The rules of
 * kubernetes staging/src/k8s.io/component-helpers/storage/volume/pv_helpers.go FindMatchingVolume,
 * called by pkg/controller/volume/persistentvolume/index.go findByClaim: a PV whose claimRef names
 * another claim is skipped; its capacity must be at least the claim's request; the volumeModes must
 * be equal (absent = Filesystem, CheckVolumeModeMismatches); the claim's `selector` must match the
 * PV's labels; the PV's class must equal the claim's (GetPersistentVolumeClass /
 * GetPersistentVolumeClaimClass: absent = ""). findByClaim only searches PVs whose access modes
 * contain every mode the claim asks for (allPossibleMatchingAccessModes, AccessModesContainedInAll).
 */
function canBind(
  pv: PersistentVolumeInfo,
  claim: ClaimInfo,
  className: string,
  request: number,
): boolean {
  if (pv.claimRef !== undefined) return false;
  // An absent capacity is zero (the Quantity's zero value); one that cannot be read never matches.
  const capacity = pv.capacity === undefined ? 0 : parseQuantity(pv.capacity);
  if (capacity === undefined || capacity < request) return false;
  if (pv.volumeMode !== claim.volumeMode) return false;
  if (
    claim.selector !== undefined &&
    !selectorMatches(claim.selector, pv.labels)
  )
    return false;
  if ((pv.storageClassName ?? "") !== className) return false;
  return claim.accessModes.every((m) => pv.accessModes.includes(m));
}

/** The PersistentVolumes of the input a claim is bound or may bind to. */
export interface ClaimVolumes {
  readonly pvs: readonly PersistentVolumeInfo[];
  /** True when pre-bound (`spec.volumeName`, or a PV's `claimRef` naming the claim). */
  readonly preBound: boolean;
}

/** The PV definitions of an index by name, by `claimRef` and (free ones) by class. */
interface PvLookup {
  readonly byName: ReadonlyMap<string, PersistentVolumeInfo[]>;
  readonly byClaimRef: ReadonlyMap<string, PersistentVolumeInfo[]>;
  readonly freeByClass: ReadonlyMap<string, PersistentVolumeInfo[]>;
}
const lookups = new WeakMap<ClusterIndex, PvLookup>();

/** Built once per index, so binding stays a lookup by key (README "Performance"). */
function pvLookup(index: ClusterIndex): PvLookup {
  let l = lookups.get(index);
  if (l !== undefined) return l;
  const byName = new Map<string, PersistentVolumeInfo[]>();
  const byClaimRef = new Map<string, PersistentVolumeInfo[]>();
  const freeByClass = new Map<string, PersistentVolumeInfo[]>();
  const push = (
    m: Map<string, PersistentVolumeInfo[]>,
    k: string,
    pv: PersistentVolumeInfo,
  ): void => {
    const list = m.get(k);
    if (list === undefined) m.set(k, [pv]);
    else list.push(pv);
  };
  for (const pv of index.persistentVolumeVariants) {
    push(byName, pv.ref.name, pv);
    if (pv.claimRef === undefined)
      push(freeByClass, pv.storageClassName ?? "", pv);
    else if (pv.claimRef.name !== undefined)
      push(
        byClaimRef,
        `${pv.claimRef.namespace ?? "default"}/${pv.claimRef.name}`,
        pv,
      );
  }
  l = { byName, byClaimRef, freeByClass };
  lookups.set(index, l);
  return l;
}

/**
 * The PersistentVolumes in the input a claim is bound to or may bind: the one it is pre-bound to
 * (`spec.volumeName`, else a PV whose `claimRef` names it), else every PV the PV controller could
 * bind it to ({@link canBind}). Every distinct definition of a PV counts (two files may define one
 * PV differently). Empty when none.
 */
export function claimVolumes(
  claim: ClaimInfo,
  index: ClusterIndex,
): ClaimVolumes {
  const l = pvLookup(index);
  if (claim.volumeName !== undefined) {
    const named = l.byName.get(claim.volumeName) ?? [];
    if (named.length > 0) return { pvs: named, preBound: true };
  }
  const referring =
    l.byClaimRef.get(`${claim.ref.namespace}/${claim.ref.name}`) ?? [];
  if (referring.length > 0) return { pvs: referring, preBound: true };
  if (claim.volumeName !== undefined) return { pvs: [], preBound: true };
  const className = requestedClass(claim, index);
  // An absent request is zero; one that cannot be read matches nothing we can vouch for.
  const request =
    claim.requestedStorage === undefined
      ? 0
      : parseQuantity(claim.requestedStorage);
  if (className === undefined || request === undefined)
    return { pvs: [], preBound: false };
  return {
    pvs: (l.freeByClass.get(className) ?? []).filter((p) =>
      canBind(p, claim, className, request),
    ),
    preBound: false,
  };
}

/** `other-data (gcePersistentDisk)`, from a PV's backing source text. */
function pvLabel(pv: PersistentVolumeInfo, b: Backing | undefined): string {
  return b === undefined
    ? `PersistentVolume ${pv.ref.name} (volume source not recognised)`
    : b.source;
}

/**
 * The backing of a claim from the PersistentVolumes it is bound to or may bind: one kind when every
 * candidate agrees, else the union of their kinds, each named with its PersistentVolumes.
 */
function backingOfPvs(v: ClaimVolumes, table: StorageClassTable): Backing {
  const each = v.pvs.map((pv) => ({ pv, b: backingOfPv(pv, table) }));
  const kinds: BackingKind[] = [];
  const byKind = new Map<BackingKind, string[]>();
  for (const { pv, b } of each) {
    for (const k of b?.kinds ?? UNKNOWN_STATIC) {
      if (!kinds.includes(k)) kinds.push(k);
      if (b !== undefined)
        byKind.set(k, [...(byKind.get(k) ?? []), pvLabel(pv, b)]);
    }
  }
  const labels = [...new Set(each.map(({ pv, b }) => pvLabel(pv, b)))];
  const nodes = new Set(each.map(({ b }) => b?.node));
  const node =
    kinds.length === 1 && nodes.size === 1 ? [...nodes][0] : undefined;
  const list =
    labels.length <= 1
      ? labels.join("")
      : `${labels.slice(0, -1).join(", ")} or ${labels[labels.length - 1]}`;
  let source: string;
  if (v.preBound) {
    source = list;
  } else if (labels.length === 1) {
    source =
      `${list}, the only PersistentVolume in the input the claim can bind (it is not pre-bound, ` +
      "so it binds this one unless the cluster holds another matching PersistentVolume)";
  } else {
    const names = new Set(v.pvs.map((p) => p.ref.name));
    source =
      `${list}: the claim is not pre-bound and can bind any of these, or another matching ` +
      "PersistentVolume the cluster holds" +
      (names.size < v.pvs.length
        ? "; the input defines one PersistentVolume more than once, differently, and the " +
          "cluster can hold only one of them"
        : "");
  }
  const candidates =
    kinds.length > 1
      ? Object.fromEntries(
          [...byKind].map(([k, l]) => [k, [...new Set(l)].join(", ")]),
        )
      : undefined;
  return {
    kinds,
    source,
    ...(node === undefined ? {} : { node }),
    ...(candidates === undefined ? {} : { candidates }),
  };
}

/** The class a dynamically provisioned claim uses, or undefined (static binding, no default). */
export function classNameOf(
  claim: ClaimInfo,
  index: ClusterIndex,
): string | undefined {
  if (claim.storageClassName === "" || claim.volumeName !== undefined)
    return undefined;
  const defaults = index.defaultStorageClasses;
  return (
    claim.storageClassName ??
    (defaults.length === 1 ? defaults[0].ref.name : undefined)
  );
}

/**
 * local-path-provisioner's `local-path-config` ConfigMap in the input says whether a class is a
 * shared file system: `sharedFileSystemPath` at the top (every class) or under
 * `storageClassConfigs[class]` (rancher/local-path-provisioner provisioner.go: pickConfig,
 * isSharedFilesystem; with a shared path it sets no node affinity and allows every access mode).
 */
function localPathShared(
  index: ClusterIndex,
  className: string,
): boolean | undefined {
  const cm = index.configMaps.find((c) => c.ref.name === "local-path-config");
  const raw = cm?.data["config.json"];
  if (raw === undefined) return undefined;
  let config: Record<string, unknown> | undefined;
  try {
    config = asRecord(JSON.parse(raw));
  } catch {
    return undefined;
  }
  if (config === undefined) return undefined;
  const perClass = asRecord(config.storageClassConfigs);
  const entry =
    perClass !== undefined && Object.keys(perClass).length > 0
      ? asRecord(perClass[className])
      : config;
  if (entry === undefined) return undefined;
  return asString(entry.sharedFileSystemPath) !== undefined;
}

/**
 * EBS io2 volumes in Block mode asked ReadWriteMany are attached to several nodes at once
 * (kubernetes-sigs/aws-ebs-csi-driver docs/multi-attach.md: "only supports multi-attach for IO2
 * volumes in Block mode", enabled by ReadWriteMany).
 */
function ebsMultiAttach(
  claim: ClaimInfo,
  parameters: Readonly<Record<string, string>>,
): boolean {
  return (
    parameters.type?.toLowerCase() === "io2" &&
    claim.volumeMode === "Block" &&
    claim.accessModes.includes("ReadWriteMany")
  );
}

/** The backing of a claim in the input. */
export function backingOf(
  claim: ClaimInfo,
  index: ClusterIndex,
  table: StorageClassTable,
): Backing {
  const volumes = claimVolumes(claim, index);
  if (volumes.pvs.length > 0) return backingOfPvs(volumes, table);
  if (claim.storageClassName === "" || claim.volumeName !== undefined) {
    return {
      kinds: UNKNOWN_STATIC,
      source:
        claim.volumeName !== undefined
          ? `PersistentVolume ${claim.volumeName} (named in volumeName, not in the input)`
          : "a statically bound PersistentVolume: none in the input matches the claim",
    };
  }
  const className = classNameOf(claim, index);
  if (className === undefined) {
    return {
      kinds: UNKNOWN_DYNAMIC,
      source: "the cluster's default StorageClass (not in the input)",
    };
  }
  const viaDefault = claim.storageClassName === undefined ? "default " : "";
  const sc = index.storageClasses.get(className);
  if (sc !== undefined) {
    const p = sc.provisioner ?? "";
    const source = `${viaDefault}StorageClass ${className} (provisioner ${p || "none"})`;
    if (p === "ebs.csi.aws.com" && ebsMultiAttach(claim, sc.parameters)) {
      return {
        kinds: ["multi-attach-block"],
        source: `${source}, io2 in Block mode`,
      };
    }
    if (
      p === "rancher.io/local-path" &&
      localPathShared(index, className) === true
    ) {
      return {
        kinds: ["network-fs"],
        source: `${source}, sharedFileSystemPath`,
      };
    }
    const kinds = tableBackings(provisionerEntry(table, p));
    return kinds === undefined
      ? {
          kinds: UNKNOWN_DYNAMIC,
          source: `${source}, a provisioner not in the table`,
        }
      : { kinds, source };
  }
  const kinds = tableBackings(table.classes[className]);
  return kinds === undefined
    ? {
        kinds: UNKNOWN_DYNAMIC,
        source: `${viaDefault}class ${className} (not in the input nor the table)`,
      }
    : {
        kinds,
        source: `${viaDefault}class ${className} (storage class table)`,
      };
}
