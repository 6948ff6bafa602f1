/**
 * An existing local cluster (kind, or a VM cluster such as k3s/kubeadm on Vagrant), chosen by kube
 * context. Optionally installs a ReadWriteMany backend: an in-cluster NFS server with csi-driver-nfs
 * (works on kind), or Longhorn (VM clusters: needs open-iscsi and nfs-common on the nodes).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import type { KindConfig } from "../config";
import { defaultKubeconfigPath, readContextEndpoint } from "./kubeconfig";
import type { Platform, RbacSubject, SharedDiskVolume, StudentHome, StudentHooks, StudentRef } from "./types";

/** Pinned versions of what the kind platform installs. */
export const KIND_VERSIONS = {
    csiDriverNfsChart: "4.13.1",
    longhornChart: "1.11.0",
    nfsServerImage: "itsthenetwork/nfs-server-alpine:12",
} as const;

/** kind's built-in class: rancher.io/local-path, which pins each volume to the node that first used it. */
export const KIND_RWO_CLASS = "standard";
const NFS_NAMESPACE = "kvl-nfs";

export interface KindPlatformArgs {
    config: KindConfig;
    /** Size of each student's home claim. */
    homeSize: string;
}

export class KindPlatform extends pulumi.ComponentResource implements Platform {
    readonly name = "kind" as const;
    readonly clusterName: pulumi.Output<string>;
    readonly kubeconfig: pulumi.Output<string>;
    readonly apiServer?: { server: pulumi.Output<string>; caData: pulumi.Output<string> };
    readonly provider: k8s.Provider;
    readonly rwxStorageClass?: string;
    readonly rwoStorageClass = KIND_RWO_CLASS;
    readonly storageReady: pulumi.Resource[] = [];
    readonly students: StudentHooks;
    /** Class of students' home claims (reclaimPolicy Retain where this platform creates it). */
    readonly studentStorageClass: string;

    constructor(name: string, args: KindPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kvl:platform:Kind", name, {}, opts);
        const cfg = args.config;
        const kubeconfigPath = cfg.kubeconfig ?? defaultKubeconfigPath();

        this.provider = new k8s.Provider(
            `${name}-k8s`,
            { context: cfg.context, kubeconfig: cfg.kubeconfig, enableServerSideApply: true },
            { parent: this },
        );
        this.clusterName = pulumi.output(cfg.context);
        this.kubeconfig = pulumi.secret(`# use your own kubeconfig: kubectl config use-context ${cfg.context}\n`);

        const endpoint = readContextEndpoint(kubeconfigPath, cfg.context);
        if ("missing" in endpoint) {
            pulumi.log.warn(
                `kind: ${endpoint.missing}; per-student kubeconfigs are not exported. ` +
                    `Create the cluster (kind create cluster --config kind/cluster.yaml) or set kind.kubeconfig.`,
                this,
            );
        } else {
            this.apiServer = { server: pulumi.output(endpoint.server), caData: pulumi.secret(endpoint.caData) };
        }

        const childOpts = { parent: this, provider: this.provider };
        switch (cfg.rwxBackend) {
            case "none":
                this.rwxStorageClass = undefined;
                this.studentStorageClass = KIND_RWO_CLASS;
                break;
            case "nfs": {
                const ready = this.installNfs(name, childOpts);
                this.storageReady.push(...ready);
                this.rwxStorageClass = "nfs";
                this.studentStorageClass = "nfs-retain";
                break;
            }
            case "longhorn": {
                const release = new k8s.helm.v3.Release(
                    `${name}-longhorn`,
                    {
                        name: "longhorn",
                        chart: "longhorn",
                        version: KIND_VERSIONS.longhornChart,
                        repositoryOpts: { repo: "https://charts.longhorn.io" },
                        namespace: "longhorn-system",
                        createNamespace: true,
                        values: {
                            persistence: { defaultClass: false, defaultClassReplicaCount: 2 },
                        },
                        timeout: 900,
                    },
                    childOpts,
                );
                const retain = new k8s.storage.v1.StorageClass(
                    `${name}-longhorn-retain`,
                    {
                        metadata: { name: "longhorn-retain" },
                        provisioner: "driver.longhorn.io",
                        reclaimPolicy: "Retain",
                        allowVolumeExpansion: true,
                        volumeBindingMode: "Immediate",
                        parameters: { numberOfReplicas: "2", staleReplicaTimeout: "30" },
                    },
                    { ...childOpts, dependsOn: [release] },
                );
                this.storageReady.push(release, retain);
                this.rwxStorageClass = "longhorn";
                this.studentStorageClass = "longhorn-retain";
                break;
            }
            default:
                // The name of a class the cluster already has; its reclaim policy applies to homes.
                this.rwxStorageClass = cfg.rwxBackend;
                this.studentStorageClass = cfg.rwxBackend;
        }

        const studentClass = this.studentStorageClass;
        const rwx = this.rwxStorageClass !== undefined;
        this.students = {
            provisionHome: (_student: StudentRef): StudentHome => ({
                storageClassName: studentClass,
                accessModes: [rwx ? "ReadWriteMany" : "ReadWriteOnce"],
                size: args.homeSize,
                backing: `dynamic claim on ${studentClass}`,
            }),
            // A local cluster's users are whatever its kubeconfig or authenticator says: bind by name.
            grantIdentity: (student: StudentRef): RbacSubject[] =>
                student.identity ? [{ kind: "User", name: student.identity }] : [],
        };

        this.registerOutputs({
            clusterName: this.clusterName,
            rwxStorageClass: this.rwxStorageClass,
            rwoStorageClass: this.rwoStorageClass,
        });
    }

    /** An NFS server inside the cluster (data on a local-path volume) and csi-driver-nfs in front of it. */
    private installNfs(name: string, opts: pulumi.CustomResourceOptions): pulumi.Resource[] {
        const ns = new k8s.core.v1.Namespace(
            `${name}-nfs`,
            // The NFS server runs privileged: this namespace is deliberately not restricted.
            { metadata: { name: NFS_NAMESPACE, labels: { "pod-security.kubernetes.io/enforce": "privileged" } } },
            opts,
        );
        const labels = { "app.kubernetes.io/name": "nfs-server", "app.kubernetes.io/part-of": "kube-volume-lab" };
        const data = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-nfs-data`,
            {
                metadata: { name: "nfs-server-data", namespace: NFS_NAMESPACE },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: KIND_RWO_CLASS,
                    resources: { requests: { storage: "20Gi" } },
                },
            },
            { ...opts, dependsOn: [ns] },
        );
        const server = new k8s.apps.v1.Deployment(
            `${name}-nfs-server`,
            {
                metadata: { name: "nfs-server", namespace: NFS_NAMESPACE, labels },
                spec: {
                    replicas: 1,
                    // One pod on one RWO volume: never two at once, even during an update.
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: labels },
                    template: {
                        metadata: { labels },
                        spec: {
                            containers: [
                                {
                                    name: "nfs-server",
                                    image: KIND_VERSIONS.nfsServerImage,
                                    env: [{ name: "SHARED_DIRECTORY", value: "/exports" }],
                                    ports: [{ name: "nfs", containerPort: 2049 }],
                                    securityContext: { privileged: true },
                                    resources: {
                                        requests: { cpu: "50m", memory: "64Mi" },
                                        limits: { cpu: "500m", memory: "256Mi" },
                                    },
                                    volumeMounts: [{ name: "data", mountPath: "/exports" }],
                                },
                            ],
                            volumes: [{ name: "data", persistentVolumeClaim: { claimName: "nfs-server-data" } }],
                        },
                    },
                },
            },
            { ...opts, dependsOn: [data] },
        );
        const service = new k8s.core.v1.Service(
            `${name}-nfs-service`,
            {
                metadata: { name: "nfs-server", namespace: NFS_NAMESPACE, labels },
                spec: { selector: labels, ports: [{ name: "nfs", port: 2049, targetPort: "nfs" }] },
            },
            { ...opts, dependsOn: [ns] },
        );
        const driver = new k8s.helm.v3.Release(
            `${name}-csi-driver-nfs`,
            {
                name: "csi-driver-nfs",
                chart: "csi-driver-nfs",
                version: KIND_VERSIONS.csiDriverNfsChart,
                repositoryOpts: { repo: "https://raw.githubusercontent.com/kubernetes-csi/csi-driver-nfs/master/charts" },
                namespace: "kube-system",
            },
            opts,
        );
        const nfsParams = { server: `nfs-server.${NFS_NAMESPACE}.svc.cluster.local`, share: "/" };
        const classes = (["Delete", "Retain"] as const).map(
            (policy) =>
                new k8s.storage.v1.StorageClass(
                    `${name}-nfs-${policy.toLowerCase()}`,
                    {
                        metadata: { name: policy === "Delete" ? "nfs" : "nfs-retain" },
                        provisioner: "nfs.csi.k8s.io",
                        parameters: nfsParams,
                        reclaimPolicy: policy,
                        volumeBindingMode: "Immediate",
                        mountOptions: ["nfsvers=4.1"],
                    },
                    { ...opts, dependsOn: [driver, service] },
                ),
        );
        return [server, service, driver, ...classes];
    }

    sharedDisk(name: string, sizeGi: number): SharedDiskVolume {
        // The course's hostPath variant: every node has its own /var/<name>, nothing is attached.
        return {
            source: { hostPath: { path: `/var/${name}`, type: "DirectoryOrCreate" } },
            accessModes: ["ReadWriteOnce", "ReadOnlyMany"],
            capacity: `${sizeGi}Gi`,
            description: `hostPath /var/${name} on each node (kind has no attachable disks)`,
        };
    }
}
