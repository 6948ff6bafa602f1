/**
 * Normalises plain Kubernetes objects ({apiVersion, kind, metadata, spec}) into an index the rules
 * read: claims by namespace/name, storage classes, persistent volumes, namespaces and "pod sources"
 * (every object that makes pods, with its pod template, labels, namespace and replica count).
 *
 * Building the index is linear in the number of objects; lookups are by key (claim, label), never by
 * comparing all pairs of pods.
 */

/** A Kubernetes object as parsed from YAML or taken from Pulumi resource properties. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec?: unknown;
  [key: string]: unknown;
}

/** Identity of an object in findings. Cluster-scoped objects have namespace "". */
export interface ResourceRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** The access modes Kubernetes knows. */
export type AccessMode =
  "ReadWriteOnce" | "ReadOnlyMany" | "ReadWriteMany" | "ReadWriteOncePod";

/** Label selector as in the Kubernetes API. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A PersistentVolumeClaim in the input. */
export interface ClaimInfo {
  readonly ref: ResourceRef;
  readonly accessModes: readonly string[];
  /** `undefined` when absent (default class applies), `""` for static binding. */
  readonly storageClassName: string | undefined;
  /** `spec.volumeName` when the claim is pre-bound to a PersistentVolume. */
  readonly volumeName: string | undefined;
  /** `spec.volumeMode` (`Filesystem` when absent). */
  readonly volumeMode: string;
  /** `spec.resources.requests.storage` as written (a quantity such as `1Gi`), if any. */
  readonly requestedStorage: string | undefined;
  /** `spec.selector`: the labels a PersistentVolume must carry to be bound. */
  readonly selector: LabelSelector | undefined;
}

/** A StorageClass in the input. */
export interface StorageClassInfo {
  readonly ref: ResourceRef;
  readonly provisioner: string | undefined;
  readonly isDefault: boolean;
  /** `parameters` (e.g. EBS `type: io2`). */
  readonly parameters: Readonly<Record<string, string>>;
}

/** A ConfigMap in the input (read for provisioner configuration, e.g. local-path-config). */
export interface ConfigMapInfo {
  readonly ref: ResourceRef;
  readonly data: Readonly<Record<string, string>>;
}

/** A PersistentVolume in the input. */
export interface PersistentVolumeInfo {
  readonly ref: ResourceRef;
  readonly accessModes: readonly string[];
  readonly claimRef: { namespace?: string; name?: string } | undefined;
  readonly storageClassName: string | undefined;
  /** `spec.capacity.storage` as written (a quantity such as `10Gi`), if any. */
  readonly capacity: string | undefined;
  /** `spec.volumeMode` (`Filesystem` when absent). */
  readonly volumeMode: string;
  /** `metadata.labels` (what a claim's `selector` matches). */
  readonly labels: Readonly<Record<string, string>>;
  /** The whole spec: volume source, node affinity. */
  readonly spec: Readonly<Record<string, unknown>>;
}

/** One volume of a pod template, with what the rules need to know about it. */
export interface VolumeUse {
  readonly name: string;
  /** `persistentVolumeClaim.claimName`, if the volume is a claim. */
  readonly claimName: string | undefined;
  /** `persistentVolumeClaim.readOnly: true`: the kubelet attaches and mounts read-only. */
  readonly claimReadOnly: boolean;
  /** `hostPath.path`, if the volume is a hostPath. */
  readonly hostPath: string | undefined;
  /** True when at least one container mounts the volume without `readOnly: true`. */
  readonly mountedWritable: boolean;
}

/** Deployment rollout settings (Deployments only). */
export interface DeploymentStrategy {
  /** `RollingUpdate` (the default) or `Recreate`. */
  readonly type: string;
  /** `rollingUpdate.maxSurge` as written (default "25%"). */
  readonly maxSurge: number | string;
}

/** Anything that makes pods: Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob. */
export interface PodSource {
  /** Position in the input; a stable identity. */
  readonly index: number;
  readonly ref: ResourceRef;
  /** A bare Pod with `generateName` and no name: each `kubectl create` makes another one. */
  readonly generated: boolean;
  /** Labels of the pods it makes. */
  readonly labels: Readonly<Record<string, string>>;
  /** The pod spec (template spec for workloads). */
  readonly podSpec: Readonly<Record<string, unknown>>;
  /**
   * How many pods can run at once: `replicas` (default 1), Job parallelism, 1 for a Pod,
   * `Infinity` for "one per node" (DaemonSet) or "as many as created" (generateName Pod).
   */
  readonly replicas: number;
  /** Rollout settings, for Deployments. */
  readonly strategy: DeploymentStrategy | undefined;
  readonly volumes: readonly VolumeUse[];
}

/** A pod source's use of one claim (all of its volumes naming that claim). */
export interface ClaimUse {
  readonly source: PodSource;
  /** `namespace/name` of the claim. */
  readonly claimKey: string;
  readonly claimNamespace: string;
  readonly claimName: string;
  /** True when every volume of the source naming the claim has `persistentVolumeClaim.readOnly`. */
  readonly readOnly: boolean;
  /**
   * True when some volume naming the claim lacks `persistentVolumeClaim.readOnly` and is mounted by
   * a container without `readOnly: true`: the pod will try to write.
   */
  readonly writable: boolean;
}

/** The normalised input. */
export interface ClusterIndex {
  readonly defaultNamespace: string;
  /** Claims by `namespace/name`. */
  readonly claims: ReadonlyMap<string, ClaimInfo>;
  /** Claim name → namespaces that hold a claim of that name (for "did you mean" hints). */
  readonly claimNamespacesByName: ReadonlyMap<string, readonly string[]>;
  readonly storageClasses: ReadonlyMap<string, StorageClassInfo>;
  /** StorageClasses annotated as the cluster default. */
  readonly defaultStorageClasses: readonly StorageClassInfo[];
  readonly persistentVolumes: readonly PersistentVolumeInfo[];
  /**
   * Every distinct definition of every PersistentVolume, in input order, including those a later
   * definition of the same name replaces in {@link persistentVolumes}: two files defining one PV
   * differently (the course's kia-* GCE PD and hostPath `other-data`) are alternatives, and a
   * claim may bind either (`backing.ts`).
   */
  readonly persistentVolumeVariants: readonly PersistentVolumeInfo[];
  readonly configMaps: readonly ConfigMapInfo[];
  readonly podSources: readonly PodSource[];
  /** Claim `namespace/name` → uses, in input order. Includes claims missing from the input. */
  readonly claimUses: ReadonlyMap<string, readonly ClaimUse[]>;
  /** Namespace name → labels (from Namespace objects, plus `kubernetes.io/metadata.name`). */
  readonly namespaceLabels: ReadonlyMap<
    string,
    Readonly<Record<string, string>>
  >;
  /** Namespace → `key=value` → pod sources whose pod labels include it. */
  readonly sourcesByLabel: ReadonlyMap<
    string,
    ReadonlyMap<string, readonly PodSource[]>
  >;
  /** Namespace → label key → pod sources whose pod labels have that key. */
  readonly sourcesByLabelKey: ReadonlyMap<
    string,
    ReadonlyMap<string, readonly PodSource[]>
  >;
  /** Namespace → pod sources. */
  readonly sourcesByNamespace: ReadonlyMap<string, readonly PodSource[]>;
}

/** Options for {@link buildIndex}. */
export interface IndexOptions {
  /** Namespace of namespaced objects without `metadata.namespace`. Default "default". */
  defaultNamespace?: string;
}

/** The node label that identifies one node. */
export const HOSTNAME_KEY = "kubernetes.io/hostname";

const CLUSTER_SCOPED_KINDS = new Set([
  "PersistentVolume",
  "StorageClass",
  "Namespace",
  "Node",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "PriorityClass",
  "CSIDriver",
  "VolumeSnapshotClass",
  "IngressClass",
  "RuntimeClass",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "APIService",
]);

/**
 * The beta class annotation, read before `spec.storageClassName` on claims and PersistentVolumes
 * (kubernetes staging/src/k8s.io/component-helpers/storage/volume/helpers.go:
 * GetPersistentVolumeClaimClass, GetPersistentVolumeClass: "Use beta annotation first").
 */
const BETA_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class";

const DEFAULT_CLASS_ANNOTATIONS = [
  "storageclass.kubernetes.io/is-default-class",
  "storageclass.beta.kubernetes.io/is-default-class",
];

type Json = Record<string, unknown>;

/** Returns `v` as a plain object, or undefined. */
export function asRecord(v: unknown): Json | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? (v as Json)
    : undefined;
}

/** Returns `v` as an array (empty when not an array). */
export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Returns `v` when it is a non-empty string. */
export function asString(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function asStringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const r = asRecord(v);
  if (r === undefined) return out;
  for (const [k, val] of Object.entries(r)) {
    if (typeof val === "string") out[k] = val;
    else if (typeof val === "number" || typeof val === "boolean")
      out[k] = String(val);
  }
  return out;
}

function asCount(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0
    ? Math.floor(v)
    : fallback;
}

/**
 * Says what makes an object unusable (no kind, no metadata.name or generateName), or undefined.
 */
export function objectProblem(obj: unknown): string | undefined {
  const r = asRecord(obj);
  if (r === undefined) return "is not a mapping";
  if (asString(r.kind) === undefined) return "has no kind";
  const meta = asRecord(r.metadata);
  if (meta === undefined) return `(${String(r.kind)}) has no metadata`;
  if (
    asString(meta.name) === undefined &&
    asString(meta.generateName) === undefined
  ) {
    return `(${String(r.kind)}) has neither metadata.name nor metadata.generateName`;
  }
  return undefined;
}

/** True for kinds that live outside namespaces. */
export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED_KINDS.has(kind);
}

/**
 * The identity of an object: kind, namespace ("" when cluster-scoped, else metadata.namespace or
 * the default) and name (`metadata.name`, or `generateName` followed by `*`).
 */
export function refOf(obj: KubeObject, defaultNamespace: string): ResourceRef {
  const kind = asString(obj.kind) ?? "";
  const meta = asRecord(obj.metadata) ?? {};
  const name = asString(meta.name) ?? `${asString(meta.generateName) ?? ""}*`;
  const namespace = isClusterScoped(kind)
    ? ""
    : (asString(meta.namespace) ?? defaultNamespace);
  return { kind, namespace, name };
}

/** `namespace/name`, the key of namespaced maps. */
export function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Human form of a reference: `Kind namespace/name` (or `Kind name` when cluster-scoped). */
export function describeRef(ref: ResourceRef): string {
  return ref.namespace === ""
    ? `${ref.kind} ${ref.name}`
    : `${ref.kind} ${ref.namespace}/${ref.name}`;
}

/** Evaluates a label selector (matchLabels and In/NotIn/Exists/DoesNotExist) against labels. */
export function selectorMatches(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
        if (!has || !values.includes(labels[e.key])) return false;
        break;
      case "NotIn":
        if (has && values.includes(labels[e.key])) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        // An unknown operator makes the selector invalid; the API server would reject it.
        return false;
    }
  }
  return true;
}

/** Parses a label selector object leniently; undefined when absent or not an object. */
export function parseSelector(v: unknown): LabelSelector | undefined {
  const r = asRecord(v);
  if (r === undefined) return undefined;
  const matchExpressions = asArray(r.matchExpressions).flatMap((e) => {
    const er = asRecord(e);
    const key = asString(er?.key);
    const operator = asString(er?.operator);
    if (er === undefined || key === undefined || operator === undefined)
      return [];
    const values = asArray(er.values).filter(
      (x): x is string => typeof x === "string",
    );
    return [{ key, operator, values }];
  });
  return { matchLabels: asStringMap(r.matchLabels), matchExpressions };
}

/** A quantity as written: a string, or a number (YAML `storage: 1073741824`). */
function quantityText(v: unknown): string | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return asString(v);
}

function persistentVolumeOf(
  ref: ResourceRef,
  meta: Json,
  spec: Json | undefined,
): PersistentVolumeInfo {
  const claimRef = asRecord(spec?.claimRef);
  const annotations = asStringMap(meta.annotations);
  return {
    ref,
    accessModes: asArray(spec?.accessModes).filter(
      (m): m is string => typeof m === "string",
    ),
    claimRef:
      claimRef === undefined
        ? undefined
        : {
            namespace: asString(claimRef.namespace),
            name: asString(claimRef.name),
          },
    storageClassName:
      BETA_CLASS_ANNOTATION in annotations
        ? asString(annotations[BETA_CLASS_ANNOTATION])
        : asString(spec?.storageClassName),
    capacity: quantityText(asRecord(spec?.capacity)?.storage),
    volumeMode: asString(spec?.volumeMode) ?? "Filesystem",
    labels: asStringMap(meta.labels),
    spec: spec ?? {},
  };
}

interface Workload {
  labels: Record<string, string>;
  podSpec: Json;
  /** StatefulSet volumeClaimTemplates names: pod volumes of these names are replaced. */
  claimTemplates?: Set<string>;
  replicas: number;
  strategy?: DeploymentStrategy;
  generated?: boolean;
}

function templateOf(spec: Json | undefined): {
  labels: Record<string, string>;
  podSpec: Json;
} {
  const template = asRecord(spec?.template);
  return {
    labels: asStringMap(asRecord(template?.metadata)?.labels),
    podSpec: asRecord(template?.spec) ?? {},
  };
}

/** Pods a Job runs at once: parallelism (default 1), capped by completions when set. */
function jobPods(jobSpec: Json | undefined): number {
  const parallelism = asCount(jobSpec?.parallelism, 1);
  const completions = jobSpec?.completions;
  return typeof completions === "number"
    ? Math.min(parallelism, asCount(completions, 1))
    : parallelism;
}

function workloadOf(obj: KubeObject): Workload | undefined {
  const spec = asRecord(obj.spec);
  switch (obj.kind) {
    case "Pod": {
      const meta = asRecord(obj.metadata) ?? {};
      const generated = asString(meta.name) === undefined;
      return {
        labels: asStringMap(meta.labels),
        podSpec: spec ?? {},
        replicas: generated ? Number.POSITIVE_INFINITY : 1,
        generated,
      };
    }
    case "Deployment": {
      const strategy = asRecord(spec?.strategy);
      const rolling = asRecord(strategy?.rollingUpdate);
      const maxSurge = rolling?.maxSurge;
      return {
        ...templateOf(spec),
        replicas: asCount(spec?.replicas, 1),
        strategy: {
          type: asString(strategy?.type) ?? "RollingUpdate",
          maxSurge:
            typeof maxSurge === "number" || typeof maxSurge === "string"
              ? maxSurge
              : "25%",
        },
      };
    }
    case "StatefulSet": {
      // kubernetes pkg/controller/statefulset/stateful_set_utils.go updateStorage: each pod
      // gets a claim per volumeClaimTemplate, replacing a template volume of the same name.
      const claimTemplates = new Set(
        asArray(spec?.volumeClaimTemplates).flatMap((t) => {
          const n = asString(asRecord(asRecord(t)?.metadata)?.name);
          return n === undefined ? [] : [n];
        }),
      );
      return {
        ...templateOf(spec),
        replicas: asCount(spec?.replicas, 1),
        claimTemplates,
      };
    }
    case "ReplicaSet":
    case "ReplicationController":
      return { ...templateOf(spec), replicas: asCount(spec?.replicas, 1) };
    case "DaemonSet":
      return { ...templateOf(spec), replicas: Number.POSITIVE_INFINITY };
    case "Job":
      return { ...templateOf(spec), replicas: jobPods(spec) };
    case "CronJob": {
      const jobSpec = asRecord(asRecord(spec?.jobTemplate)?.spec);
      return { ...templateOf(jobSpec), replicas: jobPods(jobSpec) };
    }
    default:
      return undefined;
  }
}

function volumesOf(
  podSpec: Json,
  replaced: ReadonlySet<string> = new Set(),
): VolumeUse[] {
  const writableMounts = new Set<string>();
  for (const field of ["containers", "initContainers", "ephemeralContainers"]) {
    for (const c of asArray(podSpec[field])) {
      for (const m of asArray(asRecord(c)?.volumeMounts)) {
        const mr = asRecord(m);
        const name = asString(mr?.name);
        if (name !== undefined && mr?.readOnly !== true)
          writableMounts.add(name);
      }
    }
  }
  return asArray(podSpec.volumes).flatMap((v) => {
    const vr = asRecord(v);
    const name = asString(vr?.name);
    if (vr === undefined || name === undefined || replaced.has(name)) return [];
    const pvc = asRecord(vr.persistentVolumeClaim);
    return [
      {
        name,
        claimName: asString(pvc?.claimName),
        claimReadOnly: pvc?.readOnly === true,
        hostPath: asString(asRecord(vr.hostPath)?.path),
        mountedWritable: writableMounts.has(name),
      },
    ];
  });
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function nested<V>(
  map: Map<string, Map<string, V[]>>,
  outer: string,
): Map<string, V[]> {
  let inner = map.get(outer);
  if (inner === undefined) {
    inner = new Map();
    map.set(outer, inner);
  }
  return inner;
}

/**
 * Builds the index. Objects that are not mappings or lack a kind are ignored (front ends validate
 * their input first). When two named objects share kind, namespace and name, the later one wins
 * (as with `kubectl apply`); generateName objects are all distinct.
 */
export function buildIndex(
  objects: readonly unknown[],
  options: IndexOptions = {},
): ClusterIndex {
  const defaultNamespace = options.defaultNamespace ?? "default";
  const claims = new Map<string, ClaimInfo>();
  const claimNamespacesByName = new Map<string, string[]>();
  const storageClasses = new Map<string, StorageClassInfo>();
  const persistentVolumes: PersistentVolumeInfo[] = [];
  const persistentVolumeVariants: PersistentVolumeInfo[] = [];
  const variantKeys = new Set<string>();
  const configMaps: ConfigMapInfo[] = [];
  const podSources: PodSource[] = [];
  const claimUses = new Map<string, ClaimUse[]>();
  const namespaceLabels = new Map<string, Record<string, string>>();
  const sourcesByLabel = new Map<string, Map<string, PodSource[]>>();
  const sourcesByLabelKey = new Map<string, Map<string, PodSource[]>>();
  const sourcesByNamespace = new Map<string, PodSource[]>();

  const noteNamespace = (ns: string): void => {
    if (ns !== "" && !namespaceLabels.has(ns)) {
      namespaceLabels.set(ns, { "kubernetes.io/metadata.name": ns });
    }
  };

  // The same named object given twice: the later one wins, as with `kubectl apply`.
  const identity = (obj: KubeObject): string | undefined => {
    if (asString(asRecord(obj.metadata)?.name) === undefined) return undefined; // generateName
    const r = refOf(obj, defaultNamespace);
    return `${r.kind}/${r.namespace}/${r.name}`;
  };
  const lastIndexOf = new Map<string, number>();
  objects.forEach((raw, index) => {
    const obj = asRecord(raw) as KubeObject | undefined;
    const id =
      obj === undefined || asString(obj.kind) === undefined
        ? undefined
        : identity(obj);
    if (id !== undefined) lastIndexOf.set(id, index);
  });

  objects.forEach((raw, index) => {
    const obj = asRecord(raw) as KubeObject | undefined;
    if (obj === undefined || asString(obj.kind) === undefined) return;
    const id = identity(obj);
    const superseded = id !== undefined && lastIndexOf.get(id) !== index;
    const ref = refOf(obj, defaultNamespace);
    const spec = asRecord(obj.spec);
    const meta = asRecord(obj.metadata) ?? {};
    if (ref.kind === "PersistentVolume") {
      // Every distinct definition is a binding candidate; only the last one is "the" PV.
      const info = persistentVolumeOf(ref, meta, spec);
      const variantKey = JSON.stringify([ref.name, obj.metadata, obj.spec]);
      if (!variantKeys.has(variantKey)) {
        variantKeys.add(variantKey);
        persistentVolumeVariants.push(info);
      }
      if (!superseded) persistentVolumes.push(info);
      return;
    }
    if (superseded) return;
    noteNamespace(ref.namespace);
    switch (ref.kind) {
      case "PersistentVolumeClaim": {
        const annotations = asStringMap(meta.annotations);
        const className =
          annotations[BETA_CLASS_ANNOTATION] ??
          (typeof spec?.storageClassName === "string"
            ? spec.storageClassName
            : undefined);
        const key = keyOf(ref.namespace, ref.name);
        pushTo(claimNamespacesByName, ref.name, ref.namespace);
        claims.set(key, {
          ref,
          accessModes: asArray(spec?.accessModes).filter(
            (m): m is string => typeof m === "string",
          ),
          storageClassName: className,
          volumeName: asString(spec?.volumeName),
          volumeMode: asString(spec?.volumeMode) ?? "Filesystem",
          requestedStorage: quantityText(
            asRecord(asRecord(spec?.resources)?.requests)?.storage,
          ),
          selector: parseSelector(spec?.selector),
        });
        return;
      }
      case "StorageClass": {
        const annotations = asStringMap(meta.annotations);
        const info: StorageClassInfo = {
          ref,
          provisioner: asString(obj.provisioner),
          isDefault: DEFAULT_CLASS_ANNOTATIONS.some(
            (a) => annotations[a] === "true",
          ),
          parameters: asStringMap(obj.parameters),
        };
        storageClasses.set(ref.name, info);
        return;
      }
      case "ConfigMap":
        configMaps.push({ ref, data: asStringMap(obj.data) });
        return;
      case "Namespace":
        namespaceLabels.set(ref.name, {
          ...asStringMap(meta.labels),
          "kubernetes.io/metadata.name": ref.name,
        });
        return;
      default:
        break;
    }
    const workload = workloadOf(obj);
    if (workload === undefined) return;
    const source: PodSource = {
      index,
      ref,
      generated: workload.generated ?? false,
      labels: workload.labels,
      podSpec: workload.podSpec,
      replicas: workload.replicas,
      strategy: workload.strategy,
      volumes: volumesOf(workload.podSpec, workload.claimTemplates),
    };
    podSources.push(source);
    pushTo(sourcesByNamespace, ref.namespace, source);
    const byLabel = nested(sourcesByLabel, ref.namespace);
    const byKey = nested(sourcesByLabelKey, ref.namespace);
    for (const [k, v] of Object.entries(source.labels)) {
      pushTo(byLabel, `${k}=${v}`, source);
      pushTo(byKey, k, source);
    }
    const perClaim = new Map<string, VolumeUse[]>();
    for (const v of source.volumes) {
      if (v.claimName !== undefined) pushTo(perClaim, v.claimName, v);
    }
    for (const [claimName, vols] of perClaim) {
      const claimKey = keyOf(ref.namespace, claimName);
      pushTo(claimUses, claimKey, {
        source,
        claimKey,
        claimNamespace: ref.namespace,
        claimName,
        readOnly: vols.every((v) => v.claimReadOnly),
        writable: vols.some((v) => !v.claimReadOnly && v.mountedWritable),
      });
    }
  });

  const defaultStorageClasses = [...storageClasses.values()].filter(
    (c) => c.isDefault,
  );
  return {
    defaultNamespace,
    claims,
    claimNamespacesByName,
    storageClasses,
    defaultStorageClasses,
    persistentVolumes,
    persistentVolumeVariants,
    configMaps,
    podSources,
    claimUses,
    namespaceLabels,
    sourcesByLabel,
    sourcesByLabelKey,
    sourcesByNamespace,
  };
}

/** How a claim can be attached, from its access modes and how it is used. */
export type EffectiveAccess =
  "multi-node" | "read-only-many" | "single-node" | "single-pod" | "unknown";

/**
 * The claim's effective access: ReadWriteMany → multi-node; ReadWriteOncePod → single-pod;
 * ReadWriteOnce (alone, or with ReadOnlyMany and at least one read-write use) → single-node;
 * ReadOnlyMany with only read-only uses → read-only-many; no modes → unknown.
 */
export function effectiveAccess(
  claim: ClaimInfo,
  uses: readonly ClaimUse[],
): EffectiveAccess {
  const modes = claim.accessModes;
  if (modes.includes("ReadWriteMany")) return "multi-node";
  if (modes.includes("ReadWriteOncePod")) return "single-pod";
  if (modes.includes("ReadWriteOnce")) {
    if (modes.includes("ReadOnlyMany") && uses.every((u) => u.readOnly))
      return "read-only-many";
    return "single-node";
  }
  if (modes.includes("ReadOnlyMany")) return "read-only-many";
  return "unknown";
}

/**
 * The claims of one effective access used by more than one pod, counting only the workloads that
 * run (replicas > 0): what the sharing rules start from.
 */
export function claimsSharedByPods(
  index: ClusterIndex,
  access: EffectiveAccess,
): { claim: ClaimInfo; active: ClaimUse[]; pods: number }[] {
  const out: { claim: ClaimInfo; active: ClaimUse[]; pods: number }[] = [];
  for (const [key, uses] of index.claimUses) {
    const claim = index.claims.get(key);
    if (claim === undefined || effectiveAccess(claim, uses) !== access) continue;
    const active = uses.filter((u) => u.source.replicas > 0);
    const pods = totalPods(active);
    if (pods > 1) out.push({ claim, active, pods });
  }
  return out;
}

/** "1 pod", "5 pods", "one pod per node", "one pod per `kubectl create`". */
export function describeCount(source: PodSource): string {
  if (source.replicas === Number.POSITIVE_INFINITY) {
    return source.generated
      ? "generateName: one pod per `kubectl create`"
      : "one pod per node";
  }
  return source.replicas === 1 ? "1 pod" : `${source.replicas} pods`;
}

/** `Deployment/default/web`: a workload as findings list it. */
export function workloadId(ref: ResourceRef): string {
  return ref.namespace === ""
    ? `${ref.kind}/${ref.name}`
    : `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/** The distinct workloads of uses, in input order. */
export function workloadsOf(
  uses: readonly { source: PodSource }[],
): ResourceRef[] {
  const seen = new Map<string, ResourceRef>();
  for (const u of uses) seen.set(workloadId(u.source.ref), u.source.ref);
  return [...seen.values()];
}

/** `Deployment default/web (3 pods)`. */
export function describeSource(source: PodSource): string {
  return `${describeRef(source.ref)} (${describeCount(source)})`;
}

/** Total pods of a set of uses, each source counted once (`Infinity` when unbounded). */
export function totalPods(uses: readonly ClaimUse[]): number {
  const seen = new Set<PodSource>();
  let total = 0;
  for (const u of uses) {
    if (!seen.has(u.source)) {
      seen.add(u.source);
      total += u.source.replicas;
    }
  }
  return total;
}
