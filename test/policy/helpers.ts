/**
 * Small builders for multi-resource policy inputs: Kubernetes objects for the core and the CLI, and
 * the same objects shaped as Pulumi stack resources for the policy pack.
 */
import * as fs from "fs";
import * as path from "path";
import { Finding, KubeObject } from "../../policy/core";
import { main, parseManifests } from "../../policy/cli";
import { SimulatedResource, Violation } from "../../policy/simulate";

/** The course manifests shared by the project. */
export const COURSE_DIR = path.resolve(__dirname, "../fixtures/course");

/** Objects of the named course fixture files (e.g. "kia-pod.data-writer.yaml"). */
export function courseObjects(...files: string[]): KubeObject[] {
  return files.flatMap((f) =>
    parseManifests(fs.readFileSync(path.join(COURSE_DIR, f), "utf8"), f).map(
      (l) => l.object as KubeObject,
    ),
  );
}

/** `level policy Kind/namespace/name`: what a finding is about, for exact assertions. */
export function summary(findings: readonly Finding[]): string[] {
  return findings.map(
    (f) =>
      `${f.enforcementLevel} ${f.policy} ${f.resource.kind}/${f.resource.namespace}/${f.resource.name}`,
  );
}

/** A claim reference in a pod template. */
export interface ClaimMount {
  claim: string;
  /** `persistentVolumeClaim.readOnly`. */
  readOnly?: boolean;
  /** `volumeMounts[].readOnly`. */
  mountReadOnly?: boolean;
}

/** Options of the workload builders. */
export interface WorkloadOptions {
  namespace?: string;
  replicas?: number;
  labels?: Record<string, string>;
  claims?: (string | ClaimMount)[];
  hostPaths?: string[];
  /** Extra pod spec fields: nodeName, nodeSelector, affinity... */
  podSpec?: Record<string, unknown>;
  /** Deployment strategy. */
  strategy?: Record<string, unknown>;
  /** Job / CronJob. */
  parallelism?: number;
  completions?: number;
  /** StatefulSet volumeClaimTemplates names (mounted by the pods). */
  volumeClaimTemplates?: string[];
  /** Pod only: use generateName instead of name. */
  generateName?: boolean;
}

function podSpecOf(name: string, o: WorkloadOptions): Record<string, unknown> {
  const mounts: Record<string, unknown>[] = [];
  const volumes: Record<string, unknown>[] = [];
  (o.claims ?? []).forEach((c, i) => {
    const m: ClaimMount = typeof c === "string" ? { claim: c } : c;
    const vol = `claim-${i}`;
    volumes.push({
      name: vol,
      persistentVolumeClaim: {
        claimName: m.claim,
        ...(m.readOnly === undefined ? {} : { readOnly: m.readOnly }),
      },
    });
    mounts.push({
      name: vol,
      mountPath: `/data/${i}`,
      ...(m.mountReadOnly ? { readOnly: true } : {}),
    });
  });
  (o.hostPaths ?? []).forEach((p, i) => {
    volumes.push({ name: `host-${i}`, hostPath: { path: p } });
    mounts.push({ name: `host-${i}`, mountPath: `/host/${i}` });
  });
  for (const t of o.volumeClaimTemplates ?? [])
    mounts.push({ name: t, mountPath: `/vct/${t}` });
  return {
    containers: [{ name, image: "busybox", volumeMounts: mounts }],
    ...(volumes.length > 0 ? { volumes } : {}),
    ...(o.podSpec ?? {}),
  };
}

function meta(
  name: string,
  o: WorkloadOptions,
  labels?: Record<string, string>,
): Record<string, unknown> {
  return {
    name,
    ...(o.namespace === undefined ? {} : { namespace: o.namespace }),
    ...(labels === undefined ? {} : { labels }),
  };
}

function template(name: string, o: WorkloadOptions): Record<string, unknown> {
  const labels = o.labels ?? { app: name };
  return { metadata: { labels }, spec: podSpecOf(name, o) };
}

/** A bare Pod (labels default to app=name). */
export function pod(name: string, o: WorkloadOptions = {}): KubeObject {
  const labels = o.labels ?? { app: name };
  const metadata = o.generateName
    ? {
        generateName: `${name}-`,
        labels,
        ...(o.namespace ? { namespace: o.namespace } : {}),
      }
    : meta(name, o, labels);
  return { apiVersion: "v1", kind: "Pod", metadata, spec: podSpecOf(name, o) };
}

/** A Deployment (replicas as given, strategy as given). */
export function deployment(name: string, o: WorkloadOptions = {}): KubeObject {
  const labels = o.labels ?? { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta(name, o),
    spec: {
      ...(o.replicas === undefined ? {} : { replicas: o.replicas }),
      selector: { matchLabels: labels },
      ...(o.strategy === undefined ? {} : { strategy: o.strategy }),
      template: template(name, o),
    },
  };
}

/** A ReplicaSet. */
export function replicaSet(name: string, o: WorkloadOptions = {}): KubeObject {
  const d = deployment(name, o);
  return { ...d, kind: "ReplicaSet" };
}

/** A StatefulSet, with optional volumeClaimTemplates (per-pod claims). */
export function statefulSet(name: string, o: WorkloadOptions = {}): KubeObject {
  const labels = o.labels ?? { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: meta(name, o),
    spec: {
      serviceName: name,
      ...(o.replicas === undefined ? {} : { replicas: o.replicas }),
      selector: { matchLabels: labels },
      template: template(name, o),
      volumeClaimTemplates: (o.volumeClaimTemplates ?? []).map((t) => ({
        metadata: { name: t },
        spec: {
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: "1Gi" } },
        },
      })),
    },
  };
}

/** A DaemonSet (one pod per node). */
export function daemonSet(name: string, o: WorkloadOptions = {}): KubeObject {
  const labels = o.labels ?? { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: meta(name, o),
    spec: { selector: { matchLabels: labels }, template: template(name, o) },
  };
}

function jobSpec(name: string, o: WorkloadOptions): Record<string, unknown> {
  return {
    ...(o.parallelism === undefined ? {} : { parallelism: o.parallelism }),
    ...(o.completions === undefined ? {} : { completions: o.completions }),
    template: template(name, {
      ...o,
      podSpec: { restartPolicy: "Never", ...(o.podSpec ?? {}) },
    }),
  };
}

/** A Job (parallelism / completions as given). */
export function job(name: string, o: WorkloadOptions = {}): KubeObject {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: meta(name, o),
    spec: jobSpec(name, o),
  };
}

/** A CronJob whose jobTemplate has the given parallelism / completions. */
export function cronJob(name: string, o: WorkloadOptions = {}): KubeObject {
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: meta(name, o),
    spec: { schedule: "*/5 * * * *", jobTemplate: { spec: jobSpec(name, o) } },
  };
}

/** A PersistentVolumeClaim. `storageClassName: null` leaves the field out. */
export function claim(
  name: string,
  accessModes: string[],
  o: {
    namespace?: string;
    storageClassName?: string | null;
    volumeName?: string;
  } = {},
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: meta(name, o),
    spec: {
      accessModes,
      resources: { requests: { storage: "1Gi" } },
      ...(o.storageClassName === null || o.storageClassName === undefined
        ? {}
        : { storageClassName: o.storageClassName }),
      ...(o.volumeName === undefined ? {} : { volumeName: o.volumeName }),
    },
  };
}

/** A StorageClass. */
export function storageClass(
  name: string,
  provisioner: string,
  isDefault = false,
): KubeObject {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name,
      ...(isDefault
        ? {
            annotations: {
              "storageclass.kubernetes.io/is-default-class": "true",
            },
          }
        : {}),
    },
    provisioner,
  };
}

/** A PersistentVolume, optionally pre-bound. */
export function persistentVolume(
  name: string,
  o: {
    claimRef?: { namespace: string; name: string };
    accessModes?: string[];
  } = {},
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: o.accessModes ?? ["ReadWriteOnce"],
      nfs: { server: "nfs.example", path: `/exports/${name}` },
      ...(o.claimRef === undefined ? {} : { claimRef: o.claimRef }),
    },
  };
}

/** A Namespace with labels. */
export function namespace(
  name: string,
  labels: Record<string, string> = {},
): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } };
}

/** Required podAffinity on kubernetes.io/hostname (or another key) to pods matching `selector`. */
export function podAffinity(
  selector: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  topologyKey = "kubernetes.io/hostname",
): Record<string, unknown> {
  return {
    affinity: {
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: selector, topologyKey, ...extra },
        ],
      },
    },
  };
}

/** The Pulumi type token of an object: `kubernetes:apps/v1:Deployment`, `kubernetes:core/v1:Pod`. */
export function pulumiTypeOf(obj: KubeObject): string {
  const apiVersion = obj.apiVersion ?? "v1";
  const groupVersion = apiVersion.includes("/")
    ? apiVersion
    : `core/${apiVersion}`;
  return `kubernetes:${groupVersion}:${obj.kind ?? ""}`;
}

/**
 * The objects as Pulumi stack resources (props = the object, as the Kubernetes provider outputs
 * them), plus a provider resource and a Helm release the pack must skip. Logical names are unique
 * per object (duplicates get a suffix).
 */
export function asStackResources(
  objects: readonly KubeObject[],
): SimulatedResource[] {
  const seen = new Map<string, number>();
  const resources: SimulatedResource[] = [
    {
      type: "pulumi:providers:kubernetes",
      name: "k8s",
      props: { namespace: "" },
    },
    {
      type: "kubernetes:helm.sh/v3:Release",
      name: "longhorn",
      props: {
        chart: "longhorn",
        values: { persistence: { defaultClass: true } },
      },
    },
  ];
  for (const obj of objects) {
    const base = `${obj.metadata?.name ?? obj.metadata?.generateName ?? "x"}-${obj.kind ?? ""}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const name = n === 1 ? base : `${base}-${n}`;
    resources.push({
      type: pulumiTypeOf(obj),
      name,
      props: JSON.parse(JSON.stringify(obj)),
    });
  }
  return resources;
}

/** `level policy urn`, for comparing pack violations with core findings. */
export function violationSummary(violations: readonly Violation[]): string[] {
  return violations.map(
    (v) => `${v.enforcementLevel} ${v.policyName} ${v.urn ?? "(stack)"}`,
  );
}

/** Runs the CLI's main in-process, capturing its output. */
export async function runCli(
  argv: string[],
  stdin = "",
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    readStdin: async () => stdin,
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}
