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

/** A pre-provisioned volume that can be attached read-write to one node or read-only to many. */
export interface SharedDiskVolume {
    /** PersistentVolume source (csi, hostPath, ...), placed as-is into the PV spec. */
    source: Record<string, pulumi.Input<unknown>>;
    /** Access modes the volume offers (ReadWriteOnce + ReadOnlyMany). */
    accessModes: string[];
    capacity: string;
    /** Node affinity the PV must carry (zonal disks), if any. */
    nodeAffinity?: k8s.types.input.core.v1.VolumeNodeAffinity;
    /** What backs it, for outputs. */
    description: string;
}

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
    /** Resources Kubernetes objects must wait for (CSI add-ons, installed charts). */
    readonly storageReady: pulumi.Resource[];
    /** Per-student storage and identity. */
    readonly students: StudentHooks;
    /**
     * Creates a pre-provisioned disk offering ReadWriteOnce + ReadOnlyMany for the access-modes demo,
     * or returns a reason why this platform has none.
     */
    sharedDisk(name: string, sizeGi: number): SharedDiskVolume | { unsupported: string };
}
