/**
 * GKE: a VPC-native, Dataplane V2 cluster with the Filestore and Persistent Disk CSI drivers, a
 * separate node pool of several nodes on a least-privilege service account, and one shared Filestore
 * instance holding every student's home directory (pre-bound NFS volumes, never one instance each).
 */
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import type { GkeConfig } from "../config";
import { renderKubeconfig } from "./kubeconfig";
import type { Platform, RbacSubject, SharedDiskVolume, StudentHome, StudentHooks, StudentRef } from "./types";

/** Namespace of cluster-level helpers (home directory initialisation). */
export const SYSTEM_NAMESPACE = "kvl-system";
/** Image that prepares home directories on the shared instance. */
export const HOME_INIT_IMAGE = "busybox:1.37.0";
const HOMES_SHARE = "homes";

export interface GkePlatformArgs {
    config: GkeConfig;
    /** Size each student's home volume declares (NFS has no per-directory quota: a label, not a limit). */
    homeSize: string;
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
    readonly storageReady: pulumi.Resource[];
    readonly students: StudentHooks;
    readonly cluster: gcp.container.Cluster;
    readonly nodePool: gcp.container.NodePool;
    readonly homesInstance: gcp.filestore.Instance;
    /** Zone of zonal resources (the disk of the access-modes demo, the homes instance). */
    readonly zone: string;
    private readonly config: GkeConfig;

    constructor(name: string, args: GkePlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kvl:platform:Gke", name, {}, opts);
        const cfg = args.config;
        this.config = cfg;
        this.zone = cfg.location === cfg.region ? `${cfg.region}-b` : cfg.location;
        this.rwxStorageClass = cfg.rwxStorageClass;
        this.rwoStorageClass = cfg.rwoStorageClass;
        const parent = { parent: this };

        const apis = ["compute.googleapis.com", "container.googleapis.com", "file.googleapis.com"].map(
            (service) =>
                new gcp.projects.Service(
                    `${name}-${service.split(".")[0]}-api`,
                    { project: cfg.project, service, disableOnDestroy: false },
                    parent,
                ),
        );
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
                // The default pool is replaced by our own; it still starts once, on our account.
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
            { parent: this, dependsOn: [...apis, nodeRole] },
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

        // One shared instance for every student's home, on the cluster's network.
        this.homesInstance = new gcp.filestore.Instance(
            `${name}-homes`,
            {
                project: cfg.project,
                location: this.zone,
                tier: cfg.studentFilestore.tier,
                fileShares: { name: HOMES_SHARE, capacityGb: cfg.studentFilestore.capacityGb },
                networks: [{ network, modes: ["MODE_IPV4"], connectMode: "DIRECT_PEERING" }],
                deletionProtectionEnabled: cfg.studentFilestore.protect,
                labels: { "managed-by": "pulumi", app: "kube-volume-lab" },
            },
            { parent: this, dependsOn: apis, protect: cfg.studentFilestore.protect },
        );
        const homesIp = this.homesInstance.networks.apply((n) => n[0]?.ipAddresses?.[0] ?? "");

        const k8sOpts = { parent: this, provider: this.provider };
        const systemNs = new k8s.core.v1.Namespace(
            `${name}-system`,
            // Home initialisation chowns directories as root: this namespace holds only that.
            { metadata: { name: SYSTEM_NAMESPACE, labels: { "pod-security.kubernetes.io/enforce": "privileged" } } },
            k8sOpts,
        );
        this.storageReady = [this.nodePool];

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
            grantIdentity: (student: StudentRef): RbacSubject[] =>
                student.identity ? [{ kind: "User", name: student.identity }] : [],
        };

        this.registerOutputs({
            clusterName: this.clusterName,
            kubeconfig: this.kubeconfig,
            rwxStorageClass: this.rwxStorageClass,
            rwoStorageClass: this.rwoStorageClass,
            homesInstance: this.homesInstance.name,
        });
    }

    sharedDisk(name: string, sizeGi: number): SharedDiskVolume {
        const cfg = this.config;
        const disk = new gcp.compute.Disk(
            `${name}-disk`,
            {
                project: cfg.project,
                zone: this.zone,
                type: "pd-balanced",
                size: sizeGi,
                labels: { "managed-by": "pulumi", app: "kube-volume-lab" },
            },
            { parent: this },
        );
        return {
            source: {
                csi: {
                    driver: "pd.csi.storage.gke.io",
                    volumeHandle: pulumi.interpolate`projects/${cfg.project}/zones/${this.zone}/disks/${disk.name}`,
                    fsType: "ext4",
                },
            },
            accessModes: ["ReadWriteOnce", "ReadOnlyMany"],
            capacity: `${sizeGi}Gi`,
            nodeAffinity: {
                required: {
                    nodeSelectorTerms: [
                        { matchExpressions: [{ key: "topology.gke.io/zone", operator: "In", values: [this.zone] }] },
                    ],
                },
            },
            description: `persistent disk in ${this.zone} (pd.csi.storage.gke.io)`,
        };
    }
}
