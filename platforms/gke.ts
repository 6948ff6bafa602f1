/**
 * GKE: a VPC-native, Dataplane V2 cluster with the Filestore and Persistent Disk CSI drivers, a
 * separate node pool of several nodes on a least-privilege service account, and one shared Filestore
 * instance holding every student's home directory (pre-bound NFS volumes, never one instance each).
 */
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { ConfigError, type GkeConfig } from "../config";
import { renderKubeconfig } from "./kubeconfig";
import { VolumeTeardown } from "./teardown";
import type { Platform, RbacSubject, SharedDisk, StudentHome, StudentHooks, StudentRef } from "./types";

/** Namespace of cluster-level helpers (home directory initialisation). */
export const SYSTEM_NAMESPACE = "kvl-system";
/** Image that prepares home directories on the shared instance. */
export const HOME_INIT_IMAGE = "busybox:1.37.0";
const HOMES_SHARE = "homes";

/** The Filestore CSI driver GKE installs (addonsConfig.gcpFilestoreCsiDriverConfig). */
export const FILESTORE_DRIVER = "filestore.csi.storage.gke.io";
/** The Persistent Disk CSI driver GKE installs (addonsConfig.gcePersistentDiskCsiDriverConfig). */
export const PD_DRIVER = "pd.csi.storage.gke.io";
/** Our own Filestore class: basic HDD on the cluster's VPC, addresses from gke.network.filestoreCidr. */
export const FILESTORE_CLASS = "kvl-filestore";
/**
 * The Filestore classes GKE creates when the Filestore CSI driver is enabled (GKE docs, "Access
 * Filestore instances with the Filestore CSI driver",
 * https://cloud.google.com/kubernetes-engine/docs/how-to/persistent-volumes/filestore-csi-driver:
 * standard-rwx = Basic HDD, premium-rwx = Basic SSD, enterprise-rwx, enterprise-multishare-rwx,
 * zonal-rwx). Each claim on them is a whole instance (Basic SSD starts at 2.5 TiB, enterprise and
 * zonal at 1 TiB: gcp-filestore-csi-driver pkg/csi_driver/controller.go premiumTierMinSize,
 * enterpriseTierMinSize, zonalSmallTierMinSize); none is on our VPC (network defaults to "default").
 */
export const GKE_FILESTORE_CLASSES = [
    "standard-rwx",
    "premium-rwx",
    "enterprise-rwx",
    "enterprise-multishare-rwx",
    "zonal-rwx",
] as const;
/** Project IAM role that lets a student run `gcloud container clusters get-credentials`. */
export const STUDENT_CLUSTER_ROLE = "roles/container.clusterViewer";

export interface GkePlatformArgs {
    config: GkeConfig;
    /** Size each student's home volume declares (NFS has no per-directory quota: a label, not a limit). */
    homeSize: string;
    /**
     * The access-modes demo's disk, when the demo is on: created in the constructor (a component
     * registers no child after its registerOutputs), returned by `sharedDisk`.
     */
    sharedDisk?: { name: string; sizeGi: number };
}

/** [first, last] address of an IPv4 CIDR block as numbers (the base masked to the prefix). */
function ipv4Block(cidr: string): { first: number; prefix: number } {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
        throw new ConfigError("gke.network.filestoreCidr", `${JSON.stringify(cidr)} is not an IPv4 CIDR block such as 10.28.0.0/20`);
    }
    const prefix = Number(m[5]);
    const base = m.slice(1, 5).reduce((n, o) => n * 256 + Number(o), 0);
    const size = 2 ** (32 - prefix);
    return { first: base - (base % size), prefix };
}

function ipv4(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** RFC 1918 blocks: Filestore needs an internal range, and GKE does not masquerade pods to them. */
const RFC1918: readonly [number, number][] = [
    [ipv4Block("10.0.0.0/8").first, 8],
    [ipv4Block("172.16.0.0/12").first, 12],
    [ipv4Block("192.168.0.0/16").first, 16],
];

/**
 * Splits gke.network.filestoreCidr between our Filestore class and the homes instance so they can
 * never take the same addresses:
 * - the lower half goes to the class's `reserved-ipv4-cidr`: the driver takes a range to allocate
 *   from, not one per instance, and carves each Basic instance a /29 (gcp-filestore-csi-driver
 *   pkg/csi_driver/controller.go reserveIPRange; pkg/util/ip_reservation.go GetUnreservedIPRange:
 *   the range must be /29 or larger and aligned, blocks are tried from its start; pkg/util/ip_def.go
 *   IpRangeSize = 29). The driver skips blocks of instances it lists on the same network, but
 *   only through ListInstances, and only when the network names match: a disjoint half does not
 *   depend on that.
 * - the homes instance gets an explicit `reservedIpRange` at the start of the upper half: a /29 for
 *   the Basic tiers, a /26 for ZONAL (driver pkg/util/ip_def.go IpRangeSizeEnterprise = 26 for
 *   enterprise/zonal/regional; Filestore REST NetworkConfig.reservedIpRange: "A /29 CIDR block for
 *   Basic or a /26 CIDR block for High Scale/Enterprise ... can't overlap ... assigned IP address
 *   ranges for other Filestore instances in the selected VPC network",
 *   https://cloud.google.com/filestore/docs/reference/rest/v1/projects.locations.instances#networkconfig).
 *   Without it the API picks a free range of its own, possibly inside the class's range.
 * These are DIRECT_PEERING ranges: with PRIVATE_SERVICE_ACCESS the driver refuses a CIDR and wants
 * a named allocated range (controller.go CreateVolume, ParamReservedIPRange).
 */
export function filestoreRanges(
    filestoreCidr: string,
    homesTier: GkeConfig["studentFilestore"]["tier"],
): { classCidr: string; homesRange: string } {
    const { first, prefix } = ipv4Block(filestoreCidr);
    const homesPrefix = homesTier === "ZONAL" ? 26 : 29;
    // Each half must hold at least one block: /29 for the class (Basic HDD), homesPrefix for homes.
    const maxPrefix = Math.min(29, homesPrefix) - 1;
    if (prefix > maxPrefix) {
        throw new ConfigError(
            "gke.network.filestoreCidr",
            `${filestoreCidr} is too small: it is split in two halves, one for the ${FILESTORE_CLASS} class's ` +
                `instances (/29 each) and one for the homes instance (a /${homesPrefix} for ${homesTier}); ` +
                `use a /${maxPrefix} or larger (default 10.28.0.0/20)`,
        );
    }
    if (!RFC1918.some(([start, bits]) => prefix >= bits && Math.floor(first / 2 ** (32 - bits)) === Math.floor(start / 2 ** (32 - bits)))) {
        throw new ConfigError(
            "gke.network.filestoreCidr",
            `${filestoreCidr} is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16: Filestore reserves ` +
                "internal ranges, and pods keep their own source address only toward such ranges (GKE " +
                "ip-masq-agent defaults), which the homes export restriction relies on",
        );
    }
    const half = 2 ** (32 - prefix - 1);
    return { classCidr: `${ipv4(first)}/${prefix + 1}`, homesRange: `${ipv4(first + half)}/${homesPrefix}` };
}

/** A GCP service account id: 6-30 lowercase letters, digits and hyphens, starting with a letter. */
export function serviceAccountId(prefix: string, stack: string): string {
    const id = `${prefix}-${stack}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 30).replace(/-+$/, "");
    return id.length >= 6 ? id : `${id}-nodes`.slice(0, 30);
}

export class GkePlatform extends pulumi.ComponentResource implements Platform {
    readonly name = "gke" as const;
    readonly clusterName: pulumi.Output<string>;
    readonly kubeconfig: pulumi.Output<string>;
    readonly apiServer: { server: pulumi.Output<string>; caData: pulumi.Output<string> };
    readonly provider: k8s.Provider;
    readonly rwxStorageClass: string;
    readonly rwoStorageClass: string;
    readonly studentDeniedStorageClasses: string[];
    /** Node, pod, service and Filestore ranges, and the homes instance's own address. */
    readonly clusterCidrs: pulumi.Input<string>[];
    readonly storageReady: pulumi.Resource[];
    readonly students: StudentHooks;
    readonly cluster: gcp.container.Cluster;
    /** Our Filestore StorageClass (on the cluster's VPC). */
    readonly filestoreClass: k8s.storage.v1.StorageClass;
    /** Destroy-time wait for the drivers' dynamic volumes (see teardown.ts). */
    readonly volumeTeardown: VolumeTeardown;
    readonly nodePool: gcp.container.NodePool;
    readonly homesInstance: gcp.filestore.Instance;
    /** Zone of zonal resources (the disk of the access-modes demo, the homes instance). */
    readonly zone: string;
    /** The access-modes demo's disk, when args.sharedDisk asked for it. */
    readonly demoDisk?: { name: string; sizeGi: number; disk: gcp.compute.Disk; volume: SharedDisk };

    constructor(name: string, args: GkePlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kvl:platform:Gke", name, {}, opts);
        const cfg = args.config;
        // Checked before any resource exists: a bad range is a ConfigError naming the key.
        const filestore = filestoreRanges(cfg.network.filestoreCidr, cfg.studentFilestore.tier);
        this.zone = cfg.location === cfg.region ? `${cfg.region}-b` : cfg.location;
        this.rwxStorageClass = cfg.rwxStorageClass ?? FILESTORE_CLASS;
        this.rwoStorageClass = cfg.rwoStorageClass;
        // Every Filestore class a claim could name: GKE's own and ours (and a configured RWX class,
        // which the demos use but students must not: one instance per claim).
        this.studentDeniedStorageClasses = [
            ...new Set<string>([...GKE_FILESTORE_CLASSES, FILESTORE_CLASS, this.rwxStorageClass]),
        ];
        const parent = { parent: this };

        const apis = ["compute.googleapis.com", "container.googleapis.com", "file.googleapis.com"].map(
            (service) =>
                new gcp.projects.Service(
                    `${name}-${service.split(".")[0]}-api`,
                    { project: cfg.project, service, disableOnDestroy: false },
                    parent,
                ),
        );
        const computeApi = apis[0];
        const afterApis = { parent: this, dependsOn: apis };

        let network: pulumi.Input<string>;
        let subnetwork: pulumi.Input<string>;
        let ipAllocationPolicy: gcp.types.input.container.ClusterIpAllocationPolicy;
        if (cfg.network.existingNetwork && cfg.network.existingSubnetwork) {
            network = cfg.network.existingNetwork;
            subnetwork = cfg.network.existingSubnetwork;
            // GKE creates the secondary ranges on the existing subnetwork.
            ipAllocationPolicy = { stackType: "IPV4" };
        } else {
            const vpc = new gcp.compute.Network(
                `${name}-vpc`,
                { project: cfg.project, autoCreateSubnetworks: false, routingMode: "REGIONAL" },
                afterApis,
            );
            const subnet = new gcp.compute.Subnetwork(
                `${name}-subnet`,
                {
                    project: cfg.project,
                    region: cfg.region,
                    network: vpc.id,
                    ipCidrRange: cfg.network.subnetCidr,
                    privateIpGoogleAccess: true,
                    secondaryIpRanges: [
                        { rangeName: "pods", ipCidrRange: cfg.network.podsCidr },
                        { rangeName: "services", ipCidrRange: cfg.network.servicesCidr },
                    ],
                },
                { parent: this },
            );
            network = vpc.name;
            subnetwork = subnet.name;
            ipAllocationPolicy = { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" };
        }

        // Nodes run as a dedicated account with only what a node needs (logs, metrics, image pulls
        // through the node's default role), not the project's default compute account (Editor).
        const nodeSa = new gcp.serviceaccount.Account(
            `${name}-nodes`,
            {
                project: cfg.project,
                accountId: serviceAccountId("kvl-nodes", pulumi.getStack()),
                displayName: `kube-volume-lab nodes (${pulumi.getStack()})`,
            },
            afterApis,
        );
        const nodeRole = new gcp.projects.IAMMember(
            `${name}-nodes-role`,
            {
                project: cfg.project,
                role: "roles/container.defaultNodeServiceAccount",
                member: pulumi.interpolate`serviceAccount:${nodeSa.email}`,
            },
            parent,
        );

        this.cluster = new gcp.container.Cluster(
            `${name}-cluster`,
            {
                project: cfg.project,
                location: cfg.location,
                network,
                subnetwork,
                networkingMode: "VPC_NATIVE",
                ipAllocationPolicy,
                // The default pool is replaced by our own; it still starts once, on our account
                // (not the project's default compute account). The provider docs (container.Cluster
                // nodeConfig: "should not be used at the same time as a gcp.container.NodePool ...
                // this configuration manages the default node pool") warn that the cluster then
                // reports diffs on it (the removed pool's config): ignoreChanges below keeps those
                // from ever replacing the cluster.
                removeDefaultNodePool: true,
                initialNodeCount: 1,
                nodeConfig: { serviceAccount: nodeSa.email, oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"] },
                datapathProvider: "ADVANCED_DATAPATH",
                addonsConfig: {
                    gcpFilestoreCsiDriverConfig: { enabled: true },
                    gcePersistentDiskCsiDriverConfig: { enabled: true },
                },
                workloadIdentityConfig: { workloadPool: `${cfg.project}.svc.id.goog` },
                releaseChannel: { channel: cfg.releaseChannel },
                minMasterVersion: cfg.kubernetesVersion,
                deletionProtection: cfg.deletionProtection,
                resourceLabels: { "managed-by": "pulumi", app: "kube-volume-lab" },
            },
            { parent: this, dependsOn: [...apis, nodeRole], ignoreChanges: ["nodeConfig", "initialNodeCount"] },
        );

        this.nodePool = new gcp.container.NodePool(
            `${name}-pool`,
            {
                project: cfg.project,
                location: cfg.location,
                cluster: this.cluster.name,
                nodeCount: cfg.nodeCount,
                management: { autoRepair: true, autoUpgrade: true },
                nodeConfig: {
                    machineType: cfg.machineType,
                    diskSizeGb: cfg.diskSizeGb,
                    diskType: "pd-balanced",
                    serviceAccount: nodeSa.email,
                    oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
                    workloadMetadataConfig: { mode: "GKE_METADATA" },
                    shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
                    labels: { "kube-volume-lab/pool": "lab" },
                },
            },
            parent,
        );

        this.clusterName = this.cluster.name;
        const server = pulumi.interpolate`https://${this.cluster.endpoint}`;
        const caData = this.cluster.masterAuth.clusterCaCertificate.apply((ca) => ca ?? "");
        this.apiServer = { server, caData };
        this.kubeconfig = pulumi.secret(
            pulumi.all([this.cluster.name, server, caData]).apply(([clusterName, srv, ca]) =>
                renderKubeconfig({
                    name: `gke_${cfg.project}_${cfg.location}_${clusterName}`,
                    server: srv,
                    caData: ca,
                    user: {
                        exec: {
                            command: "gke-gcloud-auth-plugin",
                            // Without this flag the plugin takes gcloud's own login (`gcloud auth
                            // login`), not the application-default credentials the README asks for
                            // and Pulumi uses (kubernetes/cloud-provider-gcp
                            // cmd/gke-gcloud-auth-plugin/cred.go: use_application_default_credentials
                            // selects defaultCredentialsTokenProvider, else gcloudTokenProvider).
                            args: ["--use_application_default_credentials"],
                            installHint:
                                "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
                        },
                    },
                }),
            ),
        );
        this.provider = new k8s.Provider(
            `${name}-k8s`,
            { kubeconfig: this.kubeconfig, enableServerSideApply: true },
            { parent: this, dependsOn: [this.nodePool] },
        );

        // Who may mount the homes share (filestore.Instance fileShares.nfsExportOptions; without
        // it the API default is READ_WRITE + NO_ROOT_SQUASH for every address that reaches the
        // instance: Filestore REST NfsExportOptions). Only the node subnet: the home volumes are
        // mounted by kubelet in the node's network namespace (source = node IP); pod IPs (a
        // user-space NFS client in a student pod) are not admitted, but only because GKE keeps pod
        // source IPs toward RFC 1918 destinations (ip-masq-agent's default non-masquerade
        // destinations, https://cloud.google.com/kubernetes-engine/docs/concepts/ip-masquerade-agent;
        // filestoreRanges requires filestoreCidr inside RFC 1918). A custom ip-masq-agent ConfigMap
        // that masquerades the Filestore range would let pods arrive as their node: the student
        // egress NetworkPolicy is the control that holds either way (README "Security model").
        // NO_ROOT_SQUASH stays: the home-init Job creates /students/<name> and chowns it to the
        // student's uid as root over this very share, and Filestore export options apply per IP
        // range, not per directory, so root cannot be squashed for everyone but that Job. What
        // keeps students off root-over-NFS is admission (no inline nfs volumes, non-root pods) and
        // their NetworkPolicy, not the export.
        const homesExportOptions =
            cfg.network.existingNetwork === undefined
                ? [{ ipRanges: [cfg.network.subnetCidr], accessMode: "READ_WRITE", squashMode: "NO_ROOT_SQUASH" }]
                : undefined;
        if (homesExportOptions === undefined) {
            pulumi.log.warn(
                "gke.network.existingSubnetwork: the node range of an existing subnetwork is not known here, so " +
                    "the homes Filestore export is not restricted to it (any address in the VPC may mount it)",
                this,
            );
        }

        // One shared instance for every student's home, on the cluster's network.
        this.homesInstance = new gcp.filestore.Instance(
            `${name}-homes`,
            {
                project: cfg.project,
                location: this.zone,
                tier: cfg.studentFilestore.tier,
                fileShares: {
                    name: HOMES_SHARE,
                    capacityGb: cfg.studentFilestore.capacityGb,
                    nfsExportOptions: homesExportOptions,
                },
                // An explicit range from the upper half of filestoreCidr (filestoreRanges above).
                networks: [
                    { network, modes: ["MODE_IPV4"], connectMode: "DIRECT_PEERING", reservedIpRange: filestore.homesRange },
                ],
                deletionProtectionEnabled: cfg.studentFilestore.protect,
                labels: { "managed-by": "pulumi", app: "kube-volume-lab" },
            },
            { parent: this, dependsOn: apis, protect: cfg.studentFilestore.protect },
        );
        const homesIp = this.homesInstance.networks.apply((n) => n[0]?.ipAddresses?.[0] ?? "");
        // The homes instance takes its address from filestore.homesRange, inside filestoreCidr; its own
        // /32 is listed too, so the except list stays right if that range ever moves. An existing
        // network's node, pod and service ranges are GKE's or the subnetwork's, not the config's: only
        // what this program chose is listed then.
        this.clusterCidrs = [
            ...(cfg.network.existingNetwork === undefined
                ? [cfg.network.subnetCidr, cfg.network.podsCidr, cfg.network.servicesCidr]
                : []),
            cfg.network.filestoreCidr,
            pulumi.interpolate`${homesIp}/32`,
        ];

        const k8sOpts = { parent: this, provider: this.provider };
        const systemNs = new k8s.core.v1.Namespace(
            `${name}-system`,
            // Home initialisation chowns directories as root: this namespace holds only that.
            { metadata: { name: SYSTEM_NAMESPACE, labels: { "pod-security.kubernetes.io/enforce": "privileged" } } },
            k8sOpts,
        );
        // Our Filestore class: GKE's built-in classes create instances on network "default"
        // (gcp-filestore-csi-driver pkg/csi_driver/controller.go generateNewFileInstance: network
        // defaults to defaultNetwork = "default", parameter "network"), which our nodes cannot reach.
        // reserved-ipv4-cidr: the driver picks each instance's /29 from this range
        // (controller.go CreateVolume → reserveIPRange, ParamReservedIPV4CIDR): the lower half of
        // filestoreCidr, disjoint from the homes instance's range and (config validates) from the
        // node, pod and service ranges. Without it the API picks any free range of the VPC.
        // tier "standard" = Basic HDD (controller.go defaultTier; 100 GiB minimum on GKE:
        // defaultTierMinSize = 100 * util.Gb).
        // No "nfs-export-options-on-create": the driver refuses it ("nfsExportOptions are disabled")
        // unless started with --feature-nfs-export-options, which is off by default (cmd/main.go;
        // kubernetes-sigs/gcp-filestore-csi-driver PR #774 "Disable NFSExportOptions by default"),
        // and GKE does not document it as on: setting it would leave every claim Pending. Students
        // cannot claim this class (studentDeniedStorageClasses) and their egress policy keeps them
        // off the Filestore range.
        // WaitForFirstConsumer: the driver places the instance in the zone of the pod's node
        // (controller.go pickZone from the topology requirement).
        this.filestoreClass = new k8s.storage.v1.StorageClass(
            `${name}-filestore-class`,
            {
                metadata: { name: FILESTORE_CLASS, labels: { "app.kubernetes.io/managed-by": "pulumi" } },
                provisioner: FILESTORE_DRIVER,
                parameters: {
                    tier: "standard",
                    network,
                    "reserved-ipv4-cidr": filestore.classCidr,
                    "connect-mode": "DIRECT_PEERING",
                },
                reclaimPolicy: "Delete",
                volumeBindingMode: "WaitForFirstConsumer",
                allowVolumeExpansion: true,
            },
            k8sOpts,
        );
        // On destroy, every Kubernetes object that depends on storageReady (claims, namespaces) is
        // deleted first; then this waits until the drivers have deleted the dynamic Filestore
        // instances and PD disks those claims had; only then do the class, the provider, the node
        // pool and the cluster go.
        this.volumeTeardown = new VolumeTeardown(
            `${name}-volume-teardown`,
            { kubeconfig: this.kubeconfig, drivers: [FILESTORE_DRIVER, PD_DRIVER] },
            { parent: this, dependsOn: [this.nodePool, this.cluster, this.filestoreClass] },
        );
        this.storageReady = [this.volumeTeardown];

        const provider = this.provider;
        this.students = {
            provisionHome: (student: StudentRef, namespace, claimName, owner): StudentHome => {
                const dir = `/${HOMES_SHARE}/students/${student.name}`;
                // Creates the student's directory (uid/gid, 0750) before the volume is used; idempotent.
                const init = new k8s.batch.v1.Job(
                    `${student.name}-home-init`,
                    {
                        metadata: {
                            name: `home-init-${student.name}`,
                            namespace: systemNs.metadata.name,
                            labels: { "kube-volume-lab/student": student.name },
                        },
                        spec: {
                            backoffLimit: 4,
                            template: {
                                spec: {
                                    restartPolicy: "OnFailure",
                                    containers: [
                                        {
                                            name: "init",
                                            image: HOME_INIT_IMAGE,
                                            command: ["sh", "-c"],
                                            args: [
                                                `set -e; d=/share/students/${student.name}; mkdir -p "$d"; ` +
                                                    `chown ${student.uid}:${student.uid} "$d"; chmod 0750 "$d"`,
                                            ],
                                            resources: {
                                                requests: { cpu: "10m", memory: "16Mi" },
                                                limits: { cpu: "100m", memory: "64Mi" },
                                            },
                                            volumeMounts: [{ name: "share", mountPath: "/share" }],
                                        },
                                    ],
                                    volumes: [{ name: "share", nfs: { server: homesIp, path: `/${HOMES_SHARE}` } }],
                                },
                            },
                        },
                    },
                    { parent: owner, provider },
                );
                const pv = new k8s.core.v1.PersistentVolume(
                    `${student.name}-home-pv`,
                    {
                        metadata: {
                            name: `kvl-home-${student.name}`,
                            labels: { "kube-volume-lab/student": student.name },
                        },
                        spec: {
                            capacity: { storage: args.homeSize },
                            accessModes: ["ReadWriteMany"],
                            persistentVolumeReclaimPolicy: "Retain",
                            storageClassName: "",
                            mountOptions: ["hard", "nfsvers=3"],
                            nfs: { server: homesIp, path: dir },
                            claimRef: { namespace, name: claimName },
                        },
                    },
                    { parent: owner, provider, dependsOn: [init] },
                );
                return {
                    storageClassName: "",
                    accessModes: ["ReadWriteMany"],
                    size: args.homeSize,
                    volumeName: pv.metadata.name,
                    backing: pulumi.interpolate`nfs ${homesIp}:${dir} (shared Filestore ${this.homesInstance.name})`,
                };
            },
            // GKE authenticates Google accounts as their e-mail address: bind it in the namespace.
            // `gcloud container clusters get-credentials` also needs container.clusters.get, which
            // RBAC cannot give: roles/container.clusterViewer is the least predefined role with it
            // (container.clusters.get/list only, no Kubernetes API permissions:
            // https://cloud.google.com/iam/docs/roles-permissions/container), so what the student
            // may do inside the cluster is still only what the namespace RoleBinding grants.
            grantIdentity: (student: StudentRef, _namespace: string, owner: pulumi.Resource): RbacSubject[] => {
                if (!student.identity) return [];
                new gcp.projects.IAMMember(
                    `${student.name}-cluster-viewer`,
                    { project: cfg.project, role: STUDENT_CLUSTER_ROLE, member: `user:${student.identity}` },
                    { parent: owner },
                );
                return [{ kind: "User", name: student.identity }];
            },
        };

        if (args.sharedDisk) {
            this.demoDisk = this.createDemoDisk(cfg, computeApi, args.sharedDisk.name, args.sharedDisk.sizeGi);
        }

        this.registerOutputs({
            clusterName: this.clusterName,
            kubeconfig: this.kubeconfig,
            rwxStorageClass: this.rwxStorageClass,
            rwoStorageClass: this.rwoStorageClass,
            homesInstance: this.homesInstance.name,
        });
    }

    /**
     * The access-modes demo's disk, created by the constructor when `args.sharedDisk` asked for it
     * (createPlatform passes it when demos.accessModes is on). Creates nothing: a component must not
     * register children after its registerOutputs.
     */
    sharedDisk(name: string, sizeGi: number): SharedDisk {
        const d = this.demoDisk;
        if (!d || d.name !== name || d.sizeGi !== sizeGi) {
            throw new Error(
                `GkePlatform.sharedDisk(${JSON.stringify(name)}, ${sizeGi}): the platform was constructed with ` +
                    `sharedDisk ${d ? JSON.stringify({ name: d.name, sizeGi: d.sizeGi }) : "unset"}; pass the same ` +
                    "name and size to GkePlatformArgs.sharedDisk (createPlatform does when demos.accessModes.enabled)",
            );
        }
        return d.volume;
    }

    /**
     * A zonal persistent disk for the access-modes demo, attachable read-write to one node or
     * read-only to many (pd.csi.storage.gke.io: ControllerPublishVolume attaches READ_ONLY when the
     * request's readonly is set, pkg/gce-pd-csi-driver/controller.go executeControllerPublishVolume;
     * the driver advertises PUBLISH_READONLY (gce-pd-driver.go), so the external-attacher passes the
     * PV's csi.readOnly there: kubernetes-csi/external-attacher pkg/controller/csi_handler.go,
     * util.go GetVolumeHandle).
     */
    private createDemoDisk(
        cfg: GkeConfig,
        computeApi: gcp.projects.Service,
        name: string,
        sizeGi: number,
    ): { name: string; sizeGi: number; disk: gcp.compute.Disk; volume: SharedDisk } {
        const disk = new gcp.compute.Disk(
            `${name}-disk`,
            {
                project: cfg.project,
                zone: this.zone,
                type: "pd-balanced",
                size: sizeGi,
                labels: { "managed-by": "pulumi", app: "kube-volume-lab" },
            },
            // The Compute API must be on before a disk can be created (first up on a fresh project).
            { parent: this, dependsOn: [computeApi] },
        );
        const volume: SharedDisk = {
            kind: "attachable",
            csi: {
                driver: PD_DRIVER,
                volumeHandle: pulumi.interpolate`projects/${cfg.project}/zones/${this.zone}/disks/${disk.name}`,
                fsType: "ext4",
            },
            capacity: `${sizeGi}Gi`,
            nodeAffinity: {
                required: {
                    nodeSelectorTerms: [
                        { matchExpressions: [{ key: "topology.gke.io/zone", operator: "In", values: [this.zone] }] },
                    ],
                },
            },
            description: `persistent disk in ${this.zone} (${PD_DRIVER})`,
        };
        return { name, sizeGi, disk, volume };
    }
}
