/**
 * Access modes (Kubernetes in Action 2nd ed., chapter 8): writer and reader pods on the claim
 * `other-data`. With an attachable disk (a zonal persistent disk), writers get a ReadWriteOnce PV:
 * the first writer attaches it read-write to its node, and every writer or reader on another node
 * stays in ContainerCreating (Multi-Attach); readers alone get a separate ReadOnlyMany PV with
 * `csi.readOnly: true`, attached read-only to every node. A CSI PV never offers both modes: the
 * attacher refuses it (kubernetes-csi/csi-lib-utils accessmodes/access_modes.go: "CSI does not
 * support ReadOnlyMany and ReadWriteOnce on the same PersistentVolume"). With a node-local
 * (hostPath) volume nothing is attached: every pod runs and each node keeps its own files. The RWX
 * variant (platforms without such a disk) runs every pod on every node.
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
/** Seconds between two listings of a reader. */
export const READER_INTERVAL_SECONDS = 10;

/** The course's writer script (`sleep infinity` as in the fixture; the book's text says 9999). */
export const WRITER_SCRIPT =
    `echo "A writer pod wrote this." > ${OTHER_DATA_DIR}/\${HOSTNAME} &&\n` +
    `echo "I can write to ${OTHER_DATA_DIR}/\${HOSTNAME}." ;\n` +
    "sleep infinity\n";
/**
 * The course's reader listing, repeated: a reader started before a writer on its node wrote (or
 * while the writers' pods are still starting) would otherwise log an empty listing forever.
 */
export const READER_SCRIPT =
    "while true ; do\n" +
    '  echo "The files in the persistent volume and their contents:" ;\n' +
    `  grep ^ ${OTHER_DATA_DIR}/* ;\n` +
    `  sleep ${READER_INTERVAL_SECONDS} ;\n` +
    "done\n";

/**
 * A disk the CSI driver attaches to nodes (a zonal persistent disk): read-write to one node, or
 * read-only to many. Same shape as the platform's `sharedDisk` of kind "attachable".
 */
export interface AttachableVolume {
    kind: "attachable";
    /** CSI source of the PVs; the demo sets `readOnly` per PV. */
    csi: { driver: string; volumeHandle: pulumi.Input<string>; fsType?: string };
    /** Capacity of the disk, e.g. "10Gi"; the claim requests the same. */
    capacity: string;
    /** Node affinity the PVs must carry (zonal disks), if any. Default: none. */
    nodeAffinity?: k8s.types.input.core.v1.VolumeNodeAffinity;
    /** What backs it, for outputs. */
    description: string;
}

/** A directory on each node (hostPath): nothing is attached. Same shape as kind's `sharedDisk`. */
export interface NodeLocalVolume {
    kind: "nodeLocal";
    hostPath: { path: string; type?: string };
    capacity: string;
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
 * What the instructor sees with a pre-provisioned volume, per kind and layout. Attachable disks
 * enforce ReadWriteOnce per node (the attach/detach controller refuses a second read-write attach:
 * "Multi-Attach error for volume ... Volume is already used by pod(s)", kubernetes
 * pkg/controller/volume/attachdetach/reconciler); a hostPath volume has no attach step at all.
 */
export function preProvisionedExplanation(
    volume: AttachableVolume | NodeLocalVolume,
    pvName: string,
    writers: number,
    placement: "colocated" | "spread",
): string {
    if (volume.kind === "nodeLocal") {
        const hostPath = `${pvName} is a hostPath volume (${volume.hostPath.path}): nothing is attached, so Kubernetes does not enforce its access modes`;
        if (placement === "colocated") {
            return (
                `${hostPath}. Every pod follows ${writers > 0 ? "data-writer-0" : "data-reader-0"} to its node ` +
                "(required podAffinity, topologyKey kubernetes.io/hostname), so all of them run there and the " +
                "readers list every writer's files. Set demos.accessModes.mode to spread to see what placement " +
                "changes: on kind every pod still runs, but each node keeps its own directory."
            );
        }
        return (
            `${hostPath} and every pod runs, wherever it lands. But each node keeps ` +
            "its own directory: a reader lists only the files written by writers on its own node " +
            "(kubectl get pods -o wide, then kubectl logs)" +
            (writers === 0 ? ", and with no writers only what earlier writers left on that node." : ".") +
            " On a cloud disk the pods on a second node would stay in ContainerCreating (Multi-Attach)."
        );
    }
    if (writers === 0) {
        return (
            `Only readers, on the ReadOnlyMany volume ${pvName} (csi.readOnly: true): the disk is attached ` +
            "read-only to every node and every reader runs, listing what the disk holds. The disk must " +
            "already hold a file system and files (run a mode with writers first): kubelet cannot format " +
            "a disk read-only, so readers on a never-written disk stay in ContainerCreating."
        );
    }
    if (placement === "colocated") {
        return (
            `Every pod follows ${writers > 0 ? "data-writer-0" : "data-reader-0"} to its node ` +
            "(required podAffinity, topologyKey kubernetes.io/hostname), so writers and readers all " +
            "run on one node: ReadWriteOnce limits nodes, not pods. Set demos.accessModes.mode to " +
            "spread to see pods on a second node stay in ContainerCreating (Multi-Attach)."
        );
    }
    return (
        `The first writer pod attaches ${pvName} (ReadWriteOnce) read-write to its node. Every writer or ` +
        "reader pod scheduled on another node stays in ContainerCreating with a FailedAttachVolume / " +
        "Multi-Attach event (kubectl describe pod), because a disk attached read-write to one node " +
        "cannot be attached to a second one, not even read-only. Pods on the first node all run " +
        "(ReadWriteOnce limits nodes, not pods), and readers there list the writers' files."
    );
}

export interface AccessModesDemoArgs {
    /** Namespace the component creates and puts every namespaced object in. Required. */
    namespace: string;
    /** What backs `other-data`. Required. */
    volume: AttachableVolume | NodeLocalVolume | RwxVolume;
    /**
     * Name of the PersistentVolume (pre-provisioned kinds; cluster-wide, must be unique). The
     * readers-only PV is `<pvName>-ro`. Default "other-data".
     */
    pvName?: string;
    /** Number of writer pods `data-writer-<i>`. 0 means readers only. Default 2. */
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
                  capacity?: string;
                  storageClassName?: string;
                  csi?: { driver?: string; volumeHandle?: unknown };
                  hostPath?: { path?: string };
              }
            | undefined;
        const kind = volume?.kind;
        const preProvisioned = kind === "attachable" || kind === "nodeLocal";
        rejectInvalid(
            this,
            namespaceProblem("AccessModesDemo", args.namespace),
            kind !== "attachable" && kind !== "nodeLocal" && kind !== "rwx"
                ? `AccessModesDemo: volume.kind is ${JSON.stringify(kind)}; expected "attachable", "nodeLocal" or "rwx"`
                : undefined,
            kind === "attachable" && !(volume?.csi?.driver && volume.csi.volumeHandle)
                ? "AccessModesDemo: volume.csi.driver and volume.csi.volumeHandle are required for an attachable volume"
                : undefined,
            kind === "nodeLocal" && !volume?.hostPath?.path
                ? "AccessModesDemo: volume.hostPath.path is required for a nodeLocal volume"
                : undefined,
            preProvisioned
                ? requiredProblem("AccessModesDemo", "volume.capacity", volume?.capacity, "(the disk's size)")
                : undefined,
            preProvisioned ? requiredProblem("AccessModesDemo", "pvName", pvName, "") : undefined,
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
        const readersOnly = writers === 0;

        let storageClassName: string;
        let accessModes: string[];
        let description: string;
        let explanation: string;
        if (args.volume.kind === "attachable" || args.volume.kind === "nodeLocal") {
            const v = args.volume;
            storageClassName = "";
            // One mode per PV: ReadWriteOnce for the writer modes (readers mount it read-only on the
            // writers' node), ReadOnlyMany for readers only. Never both on one CSI PV (csi-lib-utils
            // accessmodes: the attacher refuses it and every pod hangs).
            accessModes = readersOnly ? ["ReadOnlyMany"] : ["ReadWriteOnce"];
            const boundPv = readersOnly ? `${pvName}-ro` : pvName;
            description = v.description;
            const source =
                v.kind === "attachable"
                    ? {
                          csi: {
                              ...v.csi,
                              // readOnly is what the attacher passes to ControllerPublishVolume: the
                              // PD driver then attaches the disk READ_ONLY, which GCE allows on many
                              // VMs at once (k8s.io/api core/v1 CSIPersistentVolumeSource.readOnly;
                              // gcp-compute-persistent-disk-csi-driver pkg/gce-pd-csi-driver/controller.go).
                              readOnly: readersOnly,
                          },
                      }
                    : { hostPath: v.hostPath };
            // Pre-bound both ways: the PV names its claim (claimRef), the claim names its volume
            // (volumeName), and both have storageClassName "" so no provisioner creates another disk.
            // Retain: deleting the claim must not delete a disk the platform made.
            new k8s.core.v1.PersistentVolume(
                readersOnly ? `${name}-pv-ro` : `${name}-pv`,
                {
                    metadata: { name: boundPv, labels },
                    spec: {
                        ...source,
                        capacity: { storage: v.capacity },
                        accessModes,
                        persistentVolumeReclaimPolicy: "Retain",
                        storageClassName: "",
                        claimRef: { namespace, name: OTHER_DATA_CLAIM },
                        nodeAffinity: v.kind === "attachable" ? v.nodeAffinity : undefined,
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
                        volumeName: boundPv,
                        resources: { requests: { storage: v.capacity } },
                    },
                },
                // A mode switch changes the claim's (immutable) spec: replace it in place.
                { parent: this, deleteBeforeReplace: true },
            );
            explanation = preProvisionedExplanation(v, boundPv, writers, placement);
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
                `on all nodes at once, and the readers list the writers' files every ${READER_INTERVAL_SECONDS} s. ` +
                `There is no ReadOnlyMany disk here: ${v.reason}`;
        }

        // Pulumi must not wait for pods that may never start: on an attachable disk, pods spread
        // over nodes with writers (Multi-Attach), and readers only (a never-written disk cannot be
        // mounted read-only; after a mode switch, the old writers keep the disk attached read-write
        // until Pulumi deletes them at the end of the update).
        const annotations =
            args.volume.kind === "attachable" && (readersOnly || placement === "spread")
                ? { ...SKIP_AWAIT }
                : undefined;
        const podNames: string[] = [];
        const writerPods: k8s.core.v1.Pod[] = [];
        // Bare Pods, as in the course, not a Deployment: the lesson is about individual pods landing
        // on different nodes and each one's own fate (Running here, ContainerCreating there), which
        // `kubectl get pods -o wide` shows pod by pod. Names are fixed (the course used generateName
        // with `kubectl create`), so Pulumi can manage them.
        const pod = (role: "writer" | "reader", i: number): k8s.core.v1.Pod => {
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
            return new k8s.core.v1.Pod(
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
                // Readers start after the writers (awaited writers have written their file by then).
                { parent: this, dependsOn: readOnly ? writerPods : [] },
            );
        };
        for (let i = 0; i < writers; i++) writerPods.push(pod("writer", i));
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
