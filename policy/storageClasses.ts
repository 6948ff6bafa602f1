/**
 * What each storage class or provisioner gives: the table the backing model (`backing.ts`) reads
 * when the input does not say. It is policy configuration: users extend or override it (Pulumi
 * policy config, or the checker's `--classes FILE`), and StorageClass objects and bound
 * PersistentVolumes found in the input win over it.
 */

/**
 * What backs a volume on a node, which decides what Kubernetes does when pods on several nodes use
 * it (see README.md, "Backing kinds", for the upstream source of each):
 * - `attachable-block`: a disk attached to one node at a time by the attach/detach controller (GCE
 *   PD, EBS, Azure Disk, Cinder, RBD, iSCSI, FC, Longhorn and Portworx non-shared volumes): a
 *   second node gets a Multi-Attach error;
 * - `node-local`: a directory or disk of one node, with PV node affinity (local-path, `local` PVs,
 *   OpenEBS hostpath, TopoLVM): the scheduler puts every pod of the claim on that node;
 * - `host-path`: a hostPath PV without node affinity: each node has its own directory;
 * - `network-fs`: a network file system (NFS, EFS, Filestore, CephFS, SMB): every node mounts it;
 * - `multi-attach-block`: a block volume attached to several nodes (EBS io2 Block ReadWriteMany).
 */
export type BackingKind =
  | "attachable-block"
  | "node-local"
  | "host-path"
  | "network-fs"
  | "multi-attach-block";

/** Every backing kind, for validation and JSON schemas. */
export const BACKING_KINDS: readonly BackingKind[] = [
  "attachable-block",
  "node-local",
  "host-path",
  "network-fs",
  "multi-attach-block",
];

/**
 * The values a table entry may take: a backing kind, a list of plausible kinds (a class name two
 * platforms use differently), or the older capability words `single-node` (= attachable-block)
 * and `multi-node` (= network-fs), still accepted in user config.
 */
export type AccessCapability = "single-node" | "multi-node";
export type TableEntry =
  BackingKind | AccessCapability | readonly BackingKind[];

/** All accepted single values, for validation and JSON schemas. */
export const ACCESS_CAPABILITIES: readonly string[] = [
  ...BACKING_KINDS,
  "single-node",
  "multi-node",
];

/** The table: provisioner name → backing, and class name → backing. */
export interface StorageClassTable {
  /** Provisioner (StorageClass `provisioner`, or a CSI PV's `driver`) → backing. */
  readonly provisioners: Readonly<Record<string, TableEntry>>;
  /** Class name → backing, for classes used by claims but not defined in the input. */
  readonly classes: Readonly<Record<string, TableEntry>>;
}

/** A partial table as users write it in config; merged over {@link DEFAULT_STORAGE_CLASS_TABLE}. */
export interface StorageClassTableConfig {
  provisioners?: Record<string, TableEntry>;
  classes?: Record<string, TableEntry>;
}

/**
 * Block provisioners that also serve ReadWriteMany, through a file share in front of the block
 * volume: Longhorn exports RWX volumes over NFS from a share-manager pod (longhorn/longhorn-share-manager:
 * "manages nfs exports for rwx volumes"; longhorn.io docs advanced-resources/rwx-workloads). Their ReadWriteOnce volumes are still attached to one node.
 */
export const RWX_CAPABLE_BLOCK_PROVISIONERS: ReadonlySet<string> = new Set([
  "driver.longhorn.io",
]);
/** Class names of the table that stand for such a provisioner. */
export const RWX_CAPABLE_BLOCK_CLASSES: ReadonlySet<string> = new Set([
  "longhorn",
]);

/** The kinds a table entry means, or undefined for no entry. */
export function tableBackings(
  entry: TableEntry | undefined,
): readonly BackingKind[] | undefined {
  if (entry === undefined) return undefined;
  if (Array.isArray(entry)) return entry as readonly BackingKind[];
  if (entry === "single-node") return ["attachable-block"];
  if (entry === "multi-node") return ["network-fs"];
  return [entry as BackingKind];
}

/**
 * Ceph-CSI drivers are named after the namespace they are deployed in: Rook registers
 * `<operator-namespace>.rbd.csi.ceph.com` and `<operator-namespace>.cephfs.csi.ceph.com` (rook
 * deploy/examples/csi/rbd/storageclass.yaml and csi/cephfs/storageclass.yaml: `provisioner:
 * rook-ceph.rbd.csi.ceph.com`, "Change \"rook-ceph\" provisioner prefix to match the operator
 * namespace if needed"). A provisioner with one of these suffixes takes the entry of the bare name.
 */
const NAMESPACED_DRIVER_SUFFIXES = [
  "rbd.csi.ceph.com",
  "cephfs.csi.ceph.com",
  "nfs.csi.ceph.com",
];

/** The table entry of a provisioner (or a CSI PV's driver): exact name first, then Ceph-CSI's prefixed names. */
export function provisionerEntry(
  table: StorageClassTable,
  provisioner: string,
): TableEntry | undefined {
  const exact = table.provisioners[provisioner];
  if (exact !== undefined) return exact;
  const suffix = NAMESPACED_DRIVER_SUFFIXES.find((s) =>
    provisioner.endsWith(`.${s}`),
  );
  return suffix === undefined ? undefined : table.provisioners[suffix];
}

/**
 * The built-in table. Class names cover GKE, EKS, AKS and kind defaults, plus the RWX class names
 * the course uses without defining them (`longhorn`, `nfs`, `nfs-csi`, `efs-sc`).
 */
export const DEFAULT_STORAGE_CLASS_TABLE: StorageClassTable = {
  provisioners: {
    "pd.csi.storage.gke.io": "attachable-block",
    "ebs.csi.aws.com": "attachable-block",
    "kubernetes.io/gce-pd": "attachable-block",
    "kubernetes.io/aws-ebs": "attachable-block",
    "disk.csi.azure.com": "attachable-block",
    "kubernetes.io/azure-disk": "attachable-block",
    "cinder.csi.openstack.org": "attachable-block",
    "rbd.csi.ceph.com": "attachable-block",
    "driver.longhorn.io": "attachable-block",
    "pxd.portworx.com": "attachable-block",
    // rancher/local-path-provisioner provisioner.go: Provision sets PV node affinity to the
    // selected node unless the class is a shared file system (read from its ConfigMap).
    "rancher.io/local-path": "node-local",
    "openebs.io/local": "node-local",
    "topolvm.io": "node-local",
    "filestore.csi.storage.gke.io": "network-fs",
    "efs.csi.aws.com": "network-fs",
    "nfs.csi.k8s.io": "network-fs",
    "cephfs.csi.ceph.com": "network-fs",
    // ceph-csi's NFS driver (NFS-Ganesha exports of CephFS).
    "nfs.csi.ceph.com": "network-fs",
    "file.csi.azure.com": "network-fs",
    "kubernetes.io/azure-file": "network-fs",
    "smb.csi.k8s.io": "network-fs",
  },
  classes: {
    // GKE's `standard` is a PD class; kind's `standard` is rancher.io/local-path.
    standard: ["attachable-block", "node-local"],
    "standard-rwo": "attachable-block",
    "premium-rwo": "attachable-block",
    "standard-rwx": "network-fs",
    "premium-rwx": "network-fs",
    "enterprise-rwx": "network-fs",
    "enterprise-multishare-rwx": "network-fs",
    "zonal-rwx": "network-fs",
    // EKS
    gp2: "attachable-block",
    gp3: "attachable-block",
    "efs-sc": "network-fs",
    // AKS
    "managed-csi": "attachable-block",
    "managed-csi-premium": "attachable-block",
    "azurefile-csi": "network-fs",
    "azurefile-csi-premium": "network-fs",
    // AKS' in-tree era names, still in clusters and charts (learn.microsoft.com azure/aks
    // concepts-storage / azure-disks-dynamic-pv: "managed-premium storage class provisions a
    // premium Azure disk"; azurefile / azurefile-premium are Azure Files).
    managed: "attachable-block",
    "managed-premium": "attachable-block",
    azurefile: "network-fs",
    "azurefile-premium": "network-fs",
    // k3s, kind and others
    "local-path": "node-local",
    // Common names of RWX add-ons, as the course uses them. Longhorn's RWX volumes are NFS.
    longhorn: "attachable-block",
    nfs: "network-fs",
    "nfs-csi": "network-fs",
  },
};

/** Whether a class whose volumes have these kinds can provision ReadWriteMany / ReadOnlyMany. */
export function servesManyNodes(
  kinds: readonly BackingKind[],
  via: { provisioner?: string; className?: string } = {},
): boolean {
  if (
    via.provisioner !== undefined &&
    RWX_CAPABLE_BLOCK_PROVISIONERS.has(via.provisioner)
  )
    return true;
  if (
    via.provisioner === undefined &&
    via.className !== undefined &&
    RWX_CAPABLE_BLOCK_CLASSES.has(via.className)
  )
    return true;
  return kinds.every((k) => k === "network-fs" || k === "multi-attach-block");
}

/**
 * Merges a user table over the defaults (user entries win) and validates every value.
 * @throws Error naming the entry when a value is not a known backing kind.
 */
export function mergeStorageClassTable(
  config: StorageClassTableConfig | undefined,
  base: StorageClassTable = DEFAULT_STORAGE_CLASS_TABLE,
): StorageClassTable {
  const check = (
    section: string,
    entries: Record<string, unknown> | undefined,
  ): void => {
    if (entries === undefined) return;
    if (
      typeof entries !== "object" ||
      entries === null ||
      Array.isArray(entries)
    ) {
      throw new Error(`storage class table: "${section}" must be an object`);
    }
    for (const [key, value] of Object.entries(entries)) {
      const values = Array.isArray(value) ? value : [value];
      const ok =
        values.length > 0 &&
        values.every((v) =>
          Array.isArray(value)
            ? BACKING_KINDS.includes(v as BackingKind)
            : ACCESS_CAPABILITIES.includes(v as string),
        );
      if (!ok) {
        throw new Error(
          `storage class table: ${section}["${key}"] is ${JSON.stringify(value)}; ` +
            `expected one of ${ACCESS_CAPABILITIES.join(", ")} (or a list of backing kinds)`,
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
