/**
 * Every component in every mode, with platform-like arguments: shared by the component contract
 * (contract.test.ts), the schema spec (every object must validate) and the policy cross-check.
 * To add a component or a mode: add a line here and its row in contract.test.ts (which fails until
 * every variant has one), and its verdict in policy.test.ts.
 */
import { AccessModesDemo } from "../../components/accessModesDemo";
import { Chatroulette } from "../../components/chatroulette";
import { DistinctUpdater } from "../../components/distinctUpdater";
import { SideUpdater } from "../../components/sideUpdater";
import { StoryApp } from "../../components/storyApp";

/** Images a caller of Chatroulette passes (there is no default: the course's are private). */
export const TEST_CHAT_IMAGES = {
    frontImage: "registry.example/chatroulette-front:1.2.0",
    backImage: "registry.example/chatroulette-back:1.2.0",
};

/** A GCE persistent disk as the GKE platform's sharedDisk returns it (zonal: node affinity). */
export const GCE_DISK = {
    kind: "attachable" as const,
    csi: {
        driver: "pd.csi.storage.gke.io",
        volumeHandle: "projects/p/zones/europe-west1-b/disks/other-data",
        fsType: "ext4",
    },
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
    description: "GCE persistent disk other-data (pd-balanced, europe-west1-b)",
};

/** A hostPath directory as the kind platform's sharedDisk returns it. */
export const HOSTPATH_DISK = {
    kind: "nodeLocal" as const,
    hostPath: { path: "/var/other-data", type: "DirectoryOrCreate" },
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
            ...TEST_CHAT_IMAGES,
            storage: { storageClassName: "efs-sc" },
        }),
    "Chatroulette existing claim": () =>
        new Chatroulette("chat", {
            namespace: "student-alice",
            createNamespace: false,
            ...TEST_CHAT_IMAGES,
            storage: { existingClaim: "home" },
        }),
    "StoryApp emptyDir": () => new StoryApp("story", { namespace: "story", volume: "emptyDir" }),
    "StoryApp emptyDir, own image": () =>
        new StoryApp("story", {
            namespace: "story",
            volume: "emptyDir",
            image: "registry.example/story:2024.1",
        }),
    "StoryApp hostPath": () => new StoryApp("story", { namespace: "story", volume: "hostPath" }),
    "StoryApp claim": () =>
        new StoryApp("story", { namespace: "story", volume: "claim", rwxStorageClass: "nfs" }),
    "AccessModesDemo preProvisioned (GCE PD) colocated": () =>
        new AccessModesDemo("am", {
            namespace: "access-modes",
            volume: GCE_DISK,
        }),
    "AccessModesDemo preProvisioned (GCE PD) spread": () =>
        new AccessModesDemo("am", {
            namespace: "access-modes",
            placement: "spread",
            volume: GCE_DISK,
        }),
    "AccessModesDemo preProvisioned (hostPath) spread": () =>
        new AccessModesDemo("am", {
            namespace: "access-modes",
            placement: "spread",
            volume: HOSTPATH_DISK,
        }),
    "AccessModesDemo preProvisioned readers only": () =>
        new AccessModesDemo("am", {
            namespace: "access-modes",
            writers: 0,
            volume: GCE_DISK,
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
