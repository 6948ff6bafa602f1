/**
 * The one shape every platform returns. Components never see which platform they run on: they get
 * a provider (through their parent), class names and these typed hooks.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import type { PlatformName, Student } from "../config";

/** What the per-student hooks need to know of a student. */
export type StudentRef = Pick<Student, "name" | "uid" | "identity">;

/** Where a student's `home` claim binds. */
export interface StudentHome {
    /** Storage class of the claim ("" for a claim pre-bound to a static volume). */
    storageClassName: string;
    /** Access modes of the claim. */
    accessModes: string[];
    /** Requested size. */
    size: string;
    /** Name of the PersistentVolume the claim is pre-bound to, when the platform made one. */
    volumeName?: pulumi.Input<string>;
    /** Human-readable description of the backing store, for outputs. */
    backing: pulumi.Input<string>;
}

/** A Kubernetes RBAC subject. */
export interface RbacSubject {
    kind: "User" | "Group";
    name: string;
}

/** Per-student hooks: storage (access point, directory, PV) and platform identity. */
export interface StudentHooks {
    /**
     * Called once per student by the StudentEnvironment component.
     * @param student the student, keyed by name.
     * @param namespace the student's namespace (already created).
     * @param claimName name the claim will have in that namespace.
     * @param parent the StudentEnvironment; every resource created here is its child.
     */
    provisionHome(
        student: StudentRef,
        namespace: pulumi.Input<string>,
        claimName: string,
        parent: pulumi.Resource,
    ): StudentHome;

    /**
     * Grants the student's own identity (config `identity`) access to their namespace: returns the
     * RBAC subjects to bind to `edit` there, and/or creates platform objects (EKS access entries).
     */
    grantIdentity(student: StudentRef, namespace: string, parent: pulumi.Resource): RbacSubject[];
}

/**
 * A pre-provisioned disk for the access-modes demo, as the platform offers it. The demo builds its
 * own PersistentVolumes from it (one ReadWriteOnce PV for writers, a separate ReadOnlyMany PV with
 * `csi.readOnly: true` for readers only: a CSI PV must never offer both, kubernetes-csi/csi-lib-utils
 * accessmodes/access_modes.go "CSI does not support ReadOnlyMany and ReadWriteOnce on the same
 * PersistentVolume").
 */
export type SharedDisk =
    | {
          /** A cloud disk the CSI driver attaches to nodes: read-write to one node, or read-only to many. */
          kind: "attachable";
          /** CSI source of the PVs (readOnly is set by the demo per PV). */
          csi: { driver: string; volumeHandle: pulumi.Input<string>; fsType?: string };
          capacity: string;
          /** Node affinity the PVs must carry (zonal disks), if any. */
          nodeAffinity?: k8s.types.input.core.v1.VolumeNodeAffinity;
          /** What backs it, for outputs. */
          description: string;
      }
    | {
          /** A directory on each node (hostPath): nothing is attached, each node has its own files. */
          kind: "nodeLocal";
          hostPath: { path: string; type?: string };
          capacity: string;
          description: string;
      }
    | {
          /** No such disk on this platform; the demo falls back to a ReadWriteMany claim. */
          kind: "unsupported";
          reason: string;
      };

/**
 * The access-modes demo's disk: name and size. createPlatform passes it to a platform that creates
 * the disk in its constructor (GKE), and index.ts asks `sharedDisk` for the same one.
 */
export const ACCESS_MODES_DISK = { name: "other-data", sizeGi: 10 } as const;

/** What a cluster offers the program, whichever platform made it. */
export interface Platform {
    /** For outputs only; nothing downstream branches on it. */
    readonly name: PlatformName;
    readonly clusterName: pulumi.Output<string>;
    /** Kubeconfig of the cluster (secret): admin access through the platform's exec plugin. */
    readonly kubeconfig: pulumi.Output<string>;
    /** API server URL and CA, for the per-student kubeconfigs; undefined when not known (kind without kubeconfig). */
    readonly apiServer?: { server: pulumi.Output<string>; caData: pulumi.Output<string> };
    /** Explicit provider for every Kubernetes object; never the ambient context. */
    readonly provider: k8s.Provider;
    /** Class for ReadWriteMany claims; undefined when the cluster has none. */
    readonly rwxStorageClass?: string;
    /** Class for ReadWriteOnce claims. */
    readonly rwoStorageClass: string;
    /**
     * Storage classes a student may not claim (quota 0 in every student namespace): expensive or shared
     * backends such as Filestore tiers. `quota.deniedStorageClasses` overrides it.
     */
    readonly studentDeniedStorageClasses: string[];
    /**
     * IPv4 ranges of this cluster (nodes, pods, services, storage servers) that student pods may never
     * reach: each student namespace's egress rule excepts them, on top of the private, shared and
     * link-local ranges it always excepts (components/studentPolicies.ts ALWAYS_DENIED_EGRESS_CIDRS).
     */
    readonly clusterCidrs: pulumi.Input<string>[];
    /** Resources Kubernetes objects must wait for (CSI add-ons, installed charts). */
    readonly storageReady: pulumi.Resource[];
    /** Per-student storage and identity. */
    readonly students: StudentHooks;
    /**
     * The access-modes demo's pre-provisioned disk (attachable or node-local), or why this platform
     * has none (`kind: "unsupported"`). Registers no resource: a platform that needs one creates it in
     * its constructor (GKE: GkePlatformArgs.sharedDisk, from createPlatform with ACCESS_MODES_DISK).
     */
    sharedDisk(name: string, sizeGi: number): SharedDisk;
}
