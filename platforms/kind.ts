/**
 * An existing local cluster (kind, or a VM cluster such as k3s/kubeadm on Vagrant), chosen by kube
 * context. Optionally installs a ReadWriteMany backend: an in-cluster NFS server with csi-driver-nfs
 * (works on kind), or Longhorn (VM clusters: needs open-iscsi with iscsid running, and an NFSv4
 * client, on the nodes; not kind, whose nodes start no iscsid).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import type { KindConfig } from "../config";
import { defaultKubeconfigPath, readContextEndpoint } from "./kubeconfig";
import type { Platform, RbacSubject, SharedDisk, StudentHome, StudentHooks, StudentRef } from "./types";

/** True when a kubeconfig server URL points at this machine only (kind's default 127.0.0.1). */
export function isLoopbackServer(server: string): boolean {
    const host = /^https?:\/\/(\[[^\]]+\]|[^:/]+)/.exec(server)?.[1] ?? "";
    return host === "localhost" || host === "[::1]" || /^127\./.test(host);
}

/** Pinned versions of what the kind platform installs. */
export const KIND_VERSIONS = {
    /** Latest 4.13 patch in kubernetes-csi/csi-driver-nfs charts/index.yaml (tags v4.13.0–v4.13.4). */
    csiDriverNfsChart: "4.13.4",
    /** Latest 1.11 patch (longhorn/longhorn tag v1.11.3, chart/Chart.yaml version 1.11.3). */
    longhornChart: "1.11.3",
    /**
     * The NFS server Kubernetes' own storage e2e tests run (kubernetes test/utils/image/manifest.go:
     * VolumeNFSServer = registry.k8s.io/e2e-test-images/volume/nfs:1.4). Public, and built for every
     * architecture listed in test/images/volume/nfs/BASEIMAGE (amd64, arm64, ppc64le), so it runs on
     * kind on Apple Silicon, unlike itsthenetwork/nfs-server-alpine:12 (amd64 only).
     */
    nfsServerImage: "registry.k8s.io/e2e-test-images/volume/nfs:1.4",
} as const;

/**
 * kind's default pod subnets (kubernetes-sigs/kind pkg/internal/apis/config/default.go:
 * PodSubnet "10.244.0.0/16", IPv6 "fd00:10:244::/56"; site docs/user/configuration.md "Pod Subnet").
 * Every pod, students' included, has an address in them; the nodes do not. If you change
 * `networking.podSubnet` in kind/cluster.yaml, change these too.
 */
export const KIND_POD_SUBNETS = { ipv4: "10.244.0.0/16", ipv6: "fd00:10:244::/56" } as const;
/**
 * kind's default IPv4 service subnet (kubernetes-sigs/kind pkg/apis/config/v1alpha4/default.go:
 * ServiceSubnet "10.96.0.0/16"), where every ClusterIP, the NFS server's included, lives.
 */
export const KIND_SERVICE_SUBNET_IPV4 = "10.96.0.0/16";

/** Directory the NFS server exports (its data claim), the root of every csi-driver-nfs volume. */
export const NFS_EXPORT_DIR = "/exports";

/** kind's built-in class: rancher.io/local-path, which pins each volume to the node that first used it. */
export const KIND_RWO_CLASS = "standard";
/** Class of students' homes without a ReadWriteMany backend: kind's `standard`, with reclaim policy Retain. */
export const KIND_RETAIN_CLASS = "standard-retain";
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
    readonly studentDeniedStorageClasses: string[] = [];
    /** Pods and ClusterIPs (the docker network of the nodes is private space, excepted anyway). */
    readonly clusterCidrs: pulumi.Input<string>[] = [KIND_POD_SUBNETS.ipv4, KIND_SERVICE_SUBNET_IPV4];
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
            if (isLoopbackServer(endpoint.server)) {
                // kind listens on 127.0.0.1 by default (kubernetes-sigs/kind pkg/internal/apis/config/
                // default.go: APIServerAddress "127.0.0.1"), so the students' kubeconfigs carry it too.
                pulumi.log.warn(
                    `kind: the API server is ${endpoint.server}, so every student kubeconfig points at this ` +
                        "machine and works only here. For a classroom network, recreate the cluster with " +
                        "networking.apiServerAddress set to this machine's LAN address (see kind/cluster.yaml).",
                    this,
                );
            }
        }

        const childOpts = { parent: this, provider: this.provider };
        switch (cfg.rwxBackend) {
            case "none": {
                // kind's own class is `standard`: provisioner rancher.io/local-path, WaitForFirstConsumer,
                // reclaim policy Delete (kubernetes-sigs/kind pkg/build/nodeimage/const_storage.go), so a
                // home on it would be deleted with its claim. Homes get a Retain twin of it instead:
                // local-path-provisioner serves every class naming its provisioner (rancher/local-path-
                // provisioner provisioner.go: Provision is called by the external provisioner library
                // for each claim of a class with that provisioner) and keeps the directory on Retain.
                const retain = new k8s.storage.v1.StorageClass(
                    `${name}-standard-retain`,
                    {
                        metadata: { name: KIND_RETAIN_CLASS },
                        provisioner: "rancher.io/local-path",
                        reclaimPolicy: "Retain",
                        volumeBindingMode: "WaitForFirstConsumer",
                    },
                    childOpts,
                );
                this.storageReady.push(retain);
                this.rwxStorageClass = undefined;
                this.studentStorageClass = KIND_RETAIN_CLASS;
                break;
            }
            case "nfs": {
                const ready = this.installNfs(name, childOpts);
                this.storageReady.push(...ready);
                this.rwxStorageClass = "nfs";
                this.studentStorageClass = "nfs-retain";
                break;
            }
            case "longhorn": {
                if (cfg.context.startsWith("kind-")) {
                    // kind names its contexts "kind-<cluster>" (kubernetes-sigs/kind pkg/cluster/internal/
                    // kubeconfig/internal/kubeconfig/helpers.go KINDClusterKey). Longhorn attaches every
                    // volume through iscsiadm and a running iscsid on each node (longhorn.io/docs/1.11.1/
                    // deploy/install "Installation Requirements"); kind's node image installs open-iscsi
                    // but removes every systemd wants link, iscsid.socket's included (kind images/base/
                    // Dockerfile: `rm -f /etc/systemd/system/*.wants/*`), so no iscsid runs there.
                    pulumi.log.warn(
                        `kind: rwxBackend "longhorn" on context ${cfg.context}: Longhorn needs iscsid running on ` +
                            "every node (and the iscsi_tcp module in the host kernel); kind's nodes start no " +
                            "iscsid, so Longhorn volumes will not attach. Use rwxBackend nfs on kind.",
                        this,
                    );
                }
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
                            // The chart's pre-delete hook (chart/templates/uninstall-job.yaml, Job
                            // longhorn-uninstall: `longhorn-manager uninstall`) refuses to run unless the
                            // setting deleting-confirmation-flag is true (chart/values.yaml
                            // defaultSettings.deletingConfirmationFlag, default ~): without it
                            // `pulumi destroy` (helm uninstall) fails.
                            defaultSettings: { deletingConfirmationFlag: true },
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
            case "existing": {
                // A class the cluster already has (config.ts requires kind.rwxStorageClass with
                // "existing"); its reclaim policy applies to homes.
                const existing = cfg.rwxStorageClass as string;
                this.rwxStorageClass = existing;
                this.studentStorageClass = existing;
                // The program cannot see the class's reclaim policy before it exists in the state.
                pulumi.log.warn(
                    `kind: students' homes are claims on the existing class ${existing}; if its reclaimPolicy is ` +
                        "Delete (the default), removing a student from the list deletes their files. Use a class " +
                        "with reclaimPolicy: Retain for kind.rwxStorageClass to keep them.",
                    this,
                );
                break;
            }
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
                                    // The image's entrypoint (kubernetes test/images/volume/nfs/run_nfs.sh)
                                    // exports each argument as `<dir> *(rw,fsid=0,insecure,no_root_squash)`;
                                    // its default CMD is ["/exports", "/"], which would also export the
                                    // container's whole root. Only the data directory is exported.
                                    // no_root_squash stays: csi-driver-nfs's controller mounts the share as
                                    // root to mkdir and later RemoveAll each volume's subdirectory
                                    // (pkg/nfs/controllerserver.go CreateVolume/DeleteVolume), and kubelet
                                    // chowns volumes to the pod's fsGroup as root (fsGroupPolicy File;
                                    // kubernetes pkg/volume/csi/csi_mounter.go fails the mount on
                                    // "applyFSGroup failed"). Clients are restricted to the nodes instead,
                                    // by the NetworkPolicy below.
                                    args: [NFS_EXPORT_DIR],
                                    ports: [{ name: "nfs", containerPort: 2049 }],
                                    securityContext: { privileged: true },
                                    // Ready only when nfsd accepts connections: a failed nfsd shows as
                                    // not Ready instead of claims timing out ten minutes later.
                                    readinessProbe: { tcpSocket: { port: 2049 }, periodSeconds: 5, failureThreshold: 3 },
                                    livenessProbe: { tcpSocket: { port: 2049 }, initialDelaySeconds: 30, periodSeconds: 20 },
                                    resources: {
                                        requests: { cpu: "50m", memory: "64Mi" },
                                        limits: { cpu: "500m", memory: "256Mi" },
                                    },
                                    volumeMounts: [{ name: "data", mountPath: NFS_EXPORT_DIR }],
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
        // Only the nodes may reach the server. csi-driver-nfs mounts from hostNetwork pods (controller and
        // node: charts/v4.13.4 templates csi-nfs-controller.yaml and csi-nfs-node.yaml, hostNetwork: true,
        // dnsPolicy ClusterFirstWithHostNet so they resolve the Service name), so the kernel NFS client
        // connects from the node's network namespace; a pod, a student's included, connects from its own
        // address in the pod subnet. kind's docker network is not known here, so the rule admits every
        // source except the pod subnets.
        // Why the node hosting the server is admitted too: kindnet enforces NetworkPolicy with
        // kube-network-policies (kubernetes-sigs/kind images/kindnetd/cmd/kindnetd/main.go, kind >= v0.24),
        // which judges each new connection in a postrouting chain at priority srcnat-5
        // (kube-network-policies pkg/dataplane/controller.go), i.e. *before* kube-proxy's masquerade
        // (srcnat) could rewrite the source to the node's veth address (10.244.x.1, in the pod subnet);
        // the source it sees is the one the node picked for the Service's ClusterIP: its own eth0
        // address, outside the pod subnet, and ipBlock is matched against that packet source
        // (pkg/networkpolicy/networkpolicy.go evaluateIngress → evaluateIPBlocks). Its bypass for
        // node traffic is narrower than the API docs' "traffic from the node is always allowed": only
        // sockets owned by uid 0 (`meta skuid 0 accept`: kubelet's probes); the kernel NFS client's
        // socket belongs to no process, so it is admitted by this rule, not by that bypass.
        const nodesOnly = new k8s.networking.v1.NetworkPolicy(
            `${name}-nfs-nodes-only`,
            {
                metadata: { name: "nfs-server-nodes-only", namespace: NFS_NAMESPACE, labels },
                spec: {
                    podSelector: { matchLabels: labels },
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: [
                                { ipBlock: { cidr: "0.0.0.0/0", except: [KIND_POD_SUBNETS.ipv4] } },
                                { ipBlock: { cidr: "::/0", except: [KIND_POD_SUBNETS.ipv6] } },
                            ],
                            ports: [{ protocol: "TCP", port: 2049 }],
                        },
                    ],
                },
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
                // charts/v4.13.4/csi-driver-nfs/values.yaml.
                values: {
                    // The snapshotter sidecar is on by default and logs errors forever on a cluster
                    // without the VolumeSnapshot CRDs (kind has none; externalSnapshotter.enabled is false).
                    controller: { enableSnapshotter: false },
                    // Inline (ephemeral) CSI volumes: off by default (the CSIDriver then lists only the
                    // Persistent lifecycle mode, templates/csi-nfs-driverinfo.yaml); kept off explicitly,
                    // so no pod can mount an arbitrary server/share through this driver.
                    // fsGroupPolicy File (the default): kubelet gives volumes to the pod's fsGroup.
                    feature: { enableInlineVolume: false, enableFSGroupPolicy: true },
                },
            },
            opts,
        );
        // share "/" is the NFSv4 root, which fsid=0 maps to NFS_EXPORT_DIR: each volume is a subdirectory of it.
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
        return [server, service, nodesOnly, driver, ...classes];
    }

    sharedDisk(name: string, sizeGi: number): SharedDisk {
        // The course's hostPath variant: every node has its own /var/<name>, nothing is attached
        // (hostPath volumes have no attach step, so access modes are not enforced per node).
        return {
            kind: "nodeLocal",
            hostPath: { path: `/var/${name}`, type: "DirectoryOrCreate" },
            capacity: `${sizeGi}Gi`,
            description: `hostPath /var/${name} on each node (kind has no attachable disks)`,
        };
    }
}
