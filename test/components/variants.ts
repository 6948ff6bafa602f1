/**
 * Every component in every mode, with platform-like arguments: shared by the schema spec (every
 * object must validate) and the policy cross-check.
 */
import { AccessModesDemo } from "../../components/accessModesDemo";
import { Chatroulette } from "../../components/chatroulette";
import { DistinctUpdater } from "../../components/distinctUpdater";
import { SideUpdater } from "../../components/sideUpdater";
import { StoryApp } from "../../components/storyApp";

/** A GCE persistent disk as the GKE platform's sharedDisk returns it (zonal: node affinity). */
export const GCE_DISK = {
    source: {
        csi: {
            driver: "pd.csi.storage.gke.io",
            volumeHandle: "projects/p/zones/europe-west1-b/disks/other-data",
            fsType: "ext4",
        },
    },
    accessModes: ["ReadWriteOnce", "ReadOnlyMany"],
    capacity: "10Gi",
    nodeAffinity: {
        required: {
            nodeSelectorTerms: [
                {
                    matchExpressions: [
                        { key: "topology.gke.io/zone", operator: "In", values: ["europe-west1-b"] },
                    ],
                },
            ],
        },
    },
    description: "GCE persistent disk other-data (pd-standard, europe-west1-b)",
};

/** A hostPath directory as the kind platform's sharedDisk returns it. */
export const HOSTPATH_DISK = {
    source: { hostPath: { path: "/var/other-data", type: "DirectoryOrCreate" } },
    accessModes: ["ReadWriteOnce", "ReadOnlyMany"],
    capacity: "1Gi",
    description: "hostPath /var/other-data on whichever node mounts it",
};

export const VARIANTS: Record<string, () => unknown> = {
    "DistinctUpdater rwo": () =>
        new DistinctUpdater("du", {
            namespace: "distinct-updater",
            mode: "rwo",
            rwoStorageClass: "standard-rwo",
        }),
    "DistinctUpdater affinity": () =>
        new DistinctUpdater("du", {
            namespace: "distinct-updater",
            mode: "affinity",
            rwoStorageClass: "standard-rwo",
        }),
    "DistinctUpdater rwx": () =>
        new DistinctUpdater("du", {
            namespace: "distinct-updater",
            mode: "rwx",
            rwoStorageClass: "standard-rwo",
            rwxStorageClass: "standard-rwx",
        }),
    SideUpdater: () =>
        new SideUpdater("su", { namespace: "side-updater", storageClassName: "standard-rwo" }),
    "Chatroulette new claim": () =>
        new Chatroulette("chat", {
            namespace: "chatroulette",
            storage: { storageClassName: "efs-sc" },
        }),
    "Chatroulette existing claim": () =>
        new Chatroulette("chat", {
            namespace: "student-alice",
            createNamespace: false,
            storage: { existingClaim: "home" },
        }),
    "StoryApp emptyDir": () => new StoryApp("story", { namespace: "story", volume: "emptyDir" }),
    "StoryApp hostPath": () => new StoryApp("story", { namespace: "story", volume: "hostPath" }),
    "StoryApp claim": () =>
        new StoryApp("story", { namespace: "story", volume: "claim", rwxStorageClass: "nfs" }),
    "AccessModesDemo preProvisioned (GCE PD) colocated": () =>
        new AccessModesDemo("am", {
            namespace: "access-modes",
            volume: { kind: "preProvisioned", ...GCE_DISK },
        }),
    "AccessModesDemo preProvisioned (GCE PD) spread": () =>
        new AccessModesDemo("am", {
            namespace: "access-modes",
            placement: "spread",
            volume: { kind: "preProvisioned", ...GCE_DISK },
        }),
    "AccessModesDemo preProvisioned (hostPath) spread": () =>
        new AccessModesDemo("am", {
            namespace: "access-modes",
            placement: "spread",
            volume: { kind: "preProvisioned", ...HOSTPATH_DISK },
        }),
    "AccessModesDemo preProvisioned readers only": () =>
        new AccessModesDemo("am", {
            namespace: "access-modes",
            writers: 0,
            volume: { kind: "preProvisioned", ...GCE_DISK },
        }),
    "AccessModesDemo rwx": () =>
        new AccessModesDemo("am", {
            namespace: "access-modes",
            volume: {
                kind: "rwx",
                storageClassName: "efs-sc",
                reason: "EBS volumes cannot be attached ReadOnlyMany",
            },
        }),
};
