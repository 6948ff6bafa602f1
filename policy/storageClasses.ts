/**
 * What each storage class or provisioner can give: the table rule `access-mode-unsupported-by-class`
 * reads. It is policy configuration: users extend or override it (Pulumi policy config, or the
 * checker's `--classes FILE`), and StorageClass objects found in the input win over class names here.
 */

/**
 * `single-node`: a block device attached to one node at a time (ReadWriteOnce / ReadWriteOncePod only).
 * `multi-node`: a shared file system that several nodes can mount (ReadWriteMany, ReadOnlyMany).
 */
export type AccessCapability = "single-node" | "multi-node";

/** All accepted capability values, for validation and JSON schemas. */
export const ACCESS_CAPABILITIES: readonly AccessCapability[] = ["single-node", "multi-node"];

/** The table: provisioner name → capability, and class name → capability. */
export interface StorageClassTable {
    /** Provisioner (StorageClass `provisioner`) → capability. */
    readonly provisioners: Readonly<Record<string, AccessCapability>>;
    /** Class name → capability, for classes used by claims but not defined in the input. */
    readonly classes: Readonly<Record<string, AccessCapability>>;
}

/** A partial table as users write it in config; merged over {@link DEFAULT_STORAGE_CLASS_TABLE}. */
export interface StorageClassTableConfig {
    provisioners?: Record<string, AccessCapability>;
    classes?: Record<string, AccessCapability>;
}

/**
 * The built-in table. Class names cover GKE, EKS, AKS and kind defaults, plus the RWX class names
 * the course uses without defining them (`longhorn`, `nfs`, `nfs-csi`, `efs-sc`).
 */
export const DEFAULT_STORAGE_CLASS_TABLE: StorageClassTable = {
    provisioners: {
        "pd.csi.storage.gke.io": "single-node",
        "ebs.csi.aws.com": "single-node",
        "kubernetes.io/gce-pd": "single-node",
        "kubernetes.io/aws-ebs": "single-node",
        "rancher.io/local-path": "single-node",
        "disk.csi.azure.com": "single-node",
        "kubernetes.io/azure-disk": "single-node",
        "filestore.csi.storage.gke.io": "multi-node",
        "efs.csi.aws.com": "multi-node",
        "driver.longhorn.io": "multi-node",
        "nfs.csi.k8s.io": "multi-node",
        "file.csi.azure.com": "multi-node",
        "kubernetes.io/azure-file": "multi-node",
    },
    classes: {
        // GKE
        standard: "single-node", // also kind's default class (rancher.io/local-path)
        "standard-rwo": "single-node",
        "premium-rwo": "single-node",
        "standard-rwx": "multi-node",
        "premium-rwx": "multi-node",
        "enterprise-rwx": "multi-node",
        "enterprise-multishare-rwx": "multi-node",
        "zonal-rwx": "multi-node",
        // EKS
        gp2: "single-node",
        gp3: "single-node",
        "efs-sc": "multi-node",
        // AKS
        "managed-csi": "single-node",
        "managed-csi-premium": "single-node",
        "azurefile-csi": "multi-node",
        "azurefile-csi-premium": "multi-node",
        // Common names of RWX add-ons, as the course uses them
        longhorn: "multi-node",
        nfs: "multi-node",
        "nfs-csi": "multi-node",
    },
};

/**
 * Merges a user table over the defaults (user entries win) and validates every value.
 * @throws Error naming the entry when a value is not a known capability.
 */
export function mergeStorageClassTable(
    config: StorageClassTableConfig | undefined,
    base: StorageClassTable = DEFAULT_STORAGE_CLASS_TABLE,
): StorageClassTable {
    const check = (section: string, entries: Record<string, unknown> | undefined): void => {
        if (entries === undefined) return;
        if (typeof entries !== "object" || entries === null || Array.isArray(entries)) {
            throw new Error(`storage class table: "${section}" must be an object`);
        }
        for (const [key, value] of Object.entries(entries)) {
            if (!ACCESS_CAPABILITIES.includes(value as AccessCapability)) {
                throw new Error(
                    `storage class table: ${section}["${key}"] is ${JSON.stringify(value)}; ` +
                        `expected one of ${ACCESS_CAPABILITIES.join(", ")}`,
                );
            }
        }
    };
    check("provisioners", config?.provisioners);
    check("classes", config?.classes);
    return {
        provisioners: { ...base.provisioners, ...(config?.provisioners ?? {}) },
        classes: { ...base.classes, ...(config?.classes ?? {}) },
    };
}
