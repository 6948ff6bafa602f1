/**
 * Access modes (Kubernetes in Action 2nd ed., chapter 8): writer and reader pods on the claim
 * `other-data`. With a pre-provisioned ReadWriteOnce + ReadOnlyMany disk, the first writer attaches
 * it read-write to its node, and every writer or reader on another node stays in ContainerCreating;
 * readers alone, all read-only, would run everywhere. The RWX variant (platforms without a
 * ReadOnlyMany disk) runs every pod on every node.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import {
    BUSYBOX_IMAGE,
    NOBODY_UID,
    RESOURCES,
    SKIP_AWAIT,
    appLabels,
    countProblem,
    createNamespace,
    namespaceProblem,
    podSecurity,
    rejectInvalid,
    requiredProblem,
    restrictedContainer,
    rootWriterContainer,
} from "./common";

const TYPE = "kvl:apps:AccessModesDemo";

/** Name of the claim, as in the course. */
export const OTHER_DATA_CLAIM = "other-data";
/** Where the pods mount the volume. */
export const OTHER_DATA_DIR = "/other-data";
/** Name of the volume in the pod specs. */
const VOLUME = "other-data";

/** The course's writer script (`sleep infinity` as in the fixture; the book's text says 9999). */
export const WRITER_SCRIPT =
    `echo "A writer pod wrote this." > ${OTHER_DATA_DIR}/\${HOSTNAME} &&\n` +
    `echo "I can write to ${OTHER_DATA_DIR}/\${HOSTNAME}." ;\n` +
    "sleep infinity\n";
/** The course's reader script. */
export const READER_SCRIPT =
    'echo "The files in the persistent volume and their contents:" ;\n' +
    `grep ^ ${OTHER_DATA_DIR}/* ;\n` +
    "sleep infinity\n";

/**
 * A pre-provisioned volume attachable read-write to one node or read-only to many (a zonal
 * persistent disk, a hostPath directory). Same fields as the platform's shared disk, plus the tag.
 */
export interface PreProvisionedVolume {
    kind: "preProvisioned";
    /** PersistentVolume source (csi, gcePersistentDisk, hostPath, ...), placed as-is into the PV spec. */
    source: Record<string, pulumi.Input<unknown>>;
    /** Access modes the volume offers; must include ReadWriteOnce and ReadOnlyMany. */
    accessModes: string[];
    /** Capacity of the volume, e.g. "10Gi"; the claim requests the same. */
    capacity: string;
    /** Node affinity the PV must carry (zonal disks), if any. Default: none. */
    nodeAffinity?: k8s.types.input.core.v1.VolumeNodeAffinity;
    /** What backs it, for outputs. */
    description: string;
}

/** A ReadWriteMany claim, for platforms that cannot offer a ReadOnlyMany disk (EBS on EKS). */
export interface RwxVolume {
    kind: "rwx";
    /** A class that offers ReadWriteMany. */
    storageClassName: string;
    /** Why the platform falls back to this variant; shown in `volumeDescription`. */
    reason: string;
}

/**
 * What the instructor sees with a pre-provisioned volume. Only attachable disks (CSI, GCE PD, EBS...)
 * enforce ReadWriteOnce per node; a hostPath volume has no attach step, so nothing fails but each
 * node has its own directory; a `local` volume's node affinity puts every pod on its node.
 */
export function preProvisionedExplanation(
    pvName: string,
    source: Record<string, unknown>,
    writers: number,
): string {
    if ("hostPath" in source) {
        return (
            `${pvName} is a hostPath volume: nothing is attached, so Kubernetes does not enforce its access ` +
            "modes and every pod runs, but each node has its own directory: a reader lists only the files " +
            "of writers on its own node (kubectl get pods -o wide, kubectl logs). On a cloud disk the pods " +
            "on a second node would stay in ContainerCreating (Multi-Attach)."
        );
    }
    if ("local" in source) {
        return (
            `${pvName} is a local volume: its node affinity puts every pod on that one node, where all of ` +
            "them run; ReadWriteOnce limits nodes, not pods."
        );
    }
    return writers > 0
        ? `The first writer pod attaches ${pvName} read-write to its node. Every writer or reader pod ` +
              "scheduled on another node stays in ContainerCreating with a FailedAttachVolume / " +
              "Multi-Attach error (kubectl describe pod), because a disk attached read-write to one " +
              "node cannot be attached to a second one, not even read-only. Pods on the first node all " +
              "run: ReadWriteOnce limits nodes, not pods."
        : `Only readers, all mounting ${pvName} read-only: the disk attaches read-only to every node ` +
              "and every reader runs, listing whatever files the disk holds (ReadOnlyMany). The disk must " +
              "already hold a file system (run the writers once): kubelet cannot format a disk read-only.";
}

export interface AccessModesDemoArgs {
    /** Namespace the component creates and puts every namespaced object in. Required. */
    namespace: string;
    /** What backs `other-data`. Required. */
    volume: PreProvisionedVolume | RwxVolume;
    /** Name of the PersistentVolume (pre-provisioned only; cluster-wide, must be unique). Default "other-data". */
    pvName?: string;
    /** Number of writer pods `data-writer-<i>`. Default 2. */
    writers?: number;
    /** Number of reader pods `data-reader-<i>`. Default 2. */
    readers?: number;
    /**
     * Where the pods go. `colocated` (default): every pod has a required podAffinity
     * (topologyKey kubernetes.io/hostname) to the first pod, so all run on its node and all run:
     * ReadWriteOnce limits nodes, not pods. `spread`: the course's layout, pods spread over nodes;
     * with writers on an attachable disk, pods on a second node stay in ContainerCreating. The policy
     * pack rejects `spread` with writers, on purpose.
     */
    placement?: "colocated" | "spread";
}

/** Label of the pod every other pod follows in `colocated` placement. */
export const ANCHOR_LABEL = "kube-volume-lab/access-modes-anchor";

export class AccessModesDemo extends pulumi.ComponentResource {
    /** The namespace the pods and the claim are in. */
    public readonly namespace: pulumi.Output<string>;
    /** Class of the claim: "" for the pre-bound claim, the RWX class otherwise. */
    public readonly storageClassName: pulumi.Output<string>;
    /** Name of the claim. */
    public readonly claimName: pulumi.Output<string>;
    /** Access modes of the claim. */
    public readonly accessModes: pulumi.Output<string[]>;
    /** What the instructor should see with this variant. */
    public readonly explanation: pulumi.Output<string>;
    /** What backs the volume. */
    public readonly volumeDescription: pulumi.Output<string>;
    /** Names of the pods, writers then readers. */
    public readonly podNames: pulumi.Output<string[]>;

    constructor(name: string, args: AccessModesDemoArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE, name, {}, opts);
        const pvName = args.pvName ?? OTHER_DATA_CLAIM;
        const writers = args.writers ?? 2;
        const readers = args.readers ?? 2;
        const placement = args.placement ?? "colocated";
        // Checked loosely: JavaScript callers and config-built args may not match the union.
        const volume = args.volume as
            | {
                  kind?: string;
                  accessModes?: string[];
                  capacity?: string;
                  storageClassName?: string;
              }
            | undefined;
        const kind = volume?.kind;
        rejectInvalid(
            this,
            namespaceProblem("AccessModesDemo", args.namespace),
            kind !== "preProvisioned" && kind !== "rwx"
                ? `AccessModesDemo: volume.kind is ${JSON.stringify(kind)}; expected "preProvisioned" or "rwx"`
                : undefined,
            kind === "preProvisioned" &&
                !(
                    volume?.accessModes?.includes("ReadWriteOnce") &&
                    volume.accessModes.includes("ReadOnlyMany")
                )
                ? `AccessModesDemo: the pre-provisioned volume offers ${JSON.stringify(volume?.accessModes)}; ` +
                      'the demo needs ReadWriteOnce and ReadOnlyMany (use volume kind "rwx" otherwise)'
                : undefined,
            kind === "preProvisioned"
                ? requiredProblem(
                      "AccessModesDemo",
                      "volume.capacity",
                      volume?.capacity,
                      "(the disk's size)",
                  )
                : undefined,
            kind === "preProvisioned"
                ? requiredProblem("AccessModesDemo", "pvName", pvName, "")
                : undefined,
            kind === "rwx"
                ? requiredProblem(
                      "AccessModesDemo",
                      "volume.storageClassName",
                      volume?.storageClassName,
                      'for volume kind "rwx" (a ReadWriteMany class)',
                  )
                : undefined,
            countProblem("AccessModesDemo", "writers", writers),
            countProblem("AccessModesDemo", "readers", readers),
            writers + readers === 0
                ? "AccessModesDemo: writers and readers are both 0; nothing to show"
                : undefined,
            placement !== "colocated" && placement !== "spread"
                ? `AccessModesDemo: placement is ${JSON.stringify(placement)}; expected "colocated" or "spread"`
                : undefined,
        );

        const ns = createNamespace(name, args.namespace, this);
        const namespace = ns.metadata.name;
        const labels = appLabels(OTHER_DATA_CLAIM, name);

        let storageClassName: string;
        let accessModes: string[];
        let description: string;
        let explanation: string;
        if (args.volume.kind === "preProvisioned") {
            const v = args.volume;
            storageClassName = "";
            accessModes = ["ReadWriteOnce", "ReadOnlyMany"];
            description = v.description;
            // Pre-bound both ways: the PV names its claim (claimRef), the claim names its volume
            // (volumeName), and both have storageClassName "" so no provisioner creates another disk.
            // Retain: deleting the claim must not delete a disk the platform made.
            new k8s.core.v1.PersistentVolume(
                `${name}-pv`,
                {
                    metadata: { name: pvName, labels },
                    spec: {
                        ...v.source,
                        capacity: { storage: v.capacity },
                        accessModes: [...v.accessModes],
                        persistentVolumeReclaimPolicy: "Retain",
                        storageClassName: "",
                        claimRef: { namespace, name: OTHER_DATA_CLAIM },
                        nodeAffinity: v.nodeAffinity,
                    },
                },
                { parent: this },
            );
            new k8s.core.v1.PersistentVolumeClaim(
                `${name}-pvc`,
                {
                    metadata: { name: OTHER_DATA_CLAIM, namespace, labels },
                    spec: {
                        accessModes,
                        storageClassName: "",
                        volumeName: pvName,
                        resources: { requests: { storage: v.capacity } },
                    },
                },
                { parent: this },
            );
            explanation =
                placement === "colocated"
                    ? `Every pod follows ${writers > 0 ? "data-writer-0" : "data-reader-0"} to its node ` +
                      "(required podAffinity, topologyKey kubernetes.io/hostname), so writers and readers all " +
                      "run on one node: ReadWriteOnce limits nodes, not pods. Set demos.accessModes.mode to " +
                      "spread to see pods on a second node stay in ContainerCreating (Multi-Attach)."
                    : preProvisionedExplanation(pvName, v.source, writers);
        } else {
            const v = args.volume;
            storageClassName = v.storageClassName;
            accessModes = ["ReadWriteMany"];
            description = `ReadWriteMany claim on class ${v.storageClassName}: ${v.reason}`;
            new k8s.core.v1.PersistentVolumeClaim(
                `${name}-pvc`,
                {
                    metadata: { name: OTHER_DATA_CLAIM, namespace, labels },
                    spec: {
                        accessModes,
                        storageClassName,
                        resources: { requests: { storage: "1Gi" } },
                    },
                },
                { parent: this },
            );
            explanation =
                "Every writer and reader pod runs, whichever node it lands on: the ReadWriteMany volume mounts " +
                "on all nodes at once, and the readers list the files of the writers that started before them " +
                `(no ReadOnlyMany disk here: ${v.reason}).`;
        }

        // When pods may hang in ContainerCreating (writers on an attachable disk), Pulumi must not
        // wait for them.
        const annotations =
            placement === "spread" &&
            args.volume.kind === "preProvisioned" &&
            writers > 0 &&
            !("hostPath" in args.volume.source) &&
            !("local" in args.volume.source)
                ? { ...SKIP_AWAIT }
                : undefined;
        const podNames: string[] = [];
        // Bare Pods, as in the course, not a Deployment: the lesson is about individual pods landing
        // on different nodes and each one's own fate (Running here, ContainerCreating there), which
        // `kubectl get pods -o wide` shows pod by pod. Names are fixed (the course used generateName
        // with `kubectl create`), so Pulumi can manage them.
        const pod = (role: "writer" | "reader", i: number): void => {
            const podName = `data-${role}-${i}`;
            const anchor = podNames.length === 0;
            podNames.push(podName);
            const readOnly = role === "reader";
            const podLabels = {
                ...appLabels(`data-${role}`, name),
                "kube-volume-lab/demo": "access-modes",
                ...(anchor ? { [ANCHOR_LABEL]: "true" } : {}),
            };
            const placementSpec =
                placement === "spread"
                    ? {
                          // Soft spread over nodes: more likely to show pods on a second node with
                          // few pods; never blocks scheduling.
                          topologySpreadConstraints: [
                              {
                                  maxSkew: 1,
                                  topologyKey: "kubernetes.io/hostname",
                                  whenUnsatisfiable: "ScheduleAnyway",
                                  labelSelector: {
                                      matchLabels: { "kube-volume-lab/demo": "access-modes" },
                                  },
                              },
                          ],
                      }
                    : anchor
                      ? {}
                      : {
                            affinity: {
                                podAffinity: {
                                    requiredDuringSchedulingIgnoredDuringExecution: [
                                        {
                                            labelSelector: { matchLabels: { [ANCHOR_LABEL]: "true" } },
                                            topologyKey: "kubernetes.io/hostname",
                                        },
                                    ],
                                },
                            },
                        };
            new k8s.core.v1.Pod(
                `${name}-${role}-${i}`,
                {
                    metadata: { name: podName, namespace, labels: podLabels, annotations },
                    spec: {
                        ...placementSpec,
                        // Writers run as root without capabilities (a fresh disk's root directory
                        // is root-owned, see rootWriterContainer); readers run as nobody and only
                        // read files the writers created world-readable.
                        securityContext: readOnly
                            ? podSecurity({ user: NOBODY_UID })
                            : podSecurity(),
                        volumes: [
                            {
                                name: VOLUME,
                                persistentVolumeClaim: { claimName: OTHER_DATA_CLAIM, readOnly },
                            },
                        ],
                        containers: [
                            {
                                name: role,
                                image: BUSYBOX_IMAGE,
                                imagePullPolicy: "IfNotPresent",
                                command: ["sh", "-c", readOnly ? READER_SCRIPT : WRITER_SCRIPT],
                                volumeMounts: [
                                    { name: VOLUME, mountPath: OTHER_DATA_DIR, readOnly },
                                ],
                                resources: RESOURCES.busybox,
                                securityContext: readOnly
                                    ? restrictedContainer()
                                    : rootWriterContainer(),
                            },
                        ],
                    },
                },
                { parent: this },
            );
        };
        for (let i = 0; i < writers; i++) pod("writer", i);
        for (let i = 0; i < readers; i++) pod("reader", i);

        this.namespace = namespace;
        this.storageClassName = pulumi.output(storageClassName);
        this.claimName = pulumi.output(OTHER_DATA_CLAIM);
        this.accessModes = pulumi.output(accessModes);
        this.explanation = pulumi.output(explanation);
        this.volumeDescription = pulumi.output(description);
        this.podNames = pulumi.output(podNames);
        this.registerOutputs({
            namespace: this.namespace,
            storageClassName: this.storageClassName,
            claimName: this.claimName,
            accessModes: this.accessModes,
            explanation: this.explanation,
            volumeDescription: this.volumeDescription,
            podNames: this.podNames,
        });
    }
}
