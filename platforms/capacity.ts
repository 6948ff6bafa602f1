/**
 * How many EKS nodes the stack needs: the pods it deploys (demos and per-student apps, from the
 * configuration alone), the system pods EKS and its add-ons run, and what a node of each allowed
 * instance type can hold (pod slots with the VPC CNI, allocatable CPU and memory). Pure functions,
 * no Pulumi: `createPlatform` calls `eksNodeSizing` before any resource exists.
 *
 * The model is tested against the rendered stack (test/platforms/eks.test.ts): the pods and requests
 * counted here must equal the Deployments and Pods the program registers.
 */
import { RESOURCES } from "../components/common";
import { ConfigError, type EksConfig, type LabConfig } from "../config";

/** Requests of one pod. */
export interface PodRequests {
    cpuMilli: number;
    memoryMi: number;
}

/** A set of identical pods the stack runs. */
export interface PodGroup {
    /** What runs them (demo or student), for messages. */
    name: string;
    /** The configuration key that sizes it, for errors. */
    key: string;
    pods: number;
    /** Requests of each pod (sum over its containers). */
    perPod: PodRequests;
    /** True when every pod of the group must run on one node (required podAffinity on hostname). */
    colocated: boolean;
}

/** "10m" → 10, "2" → 2000 (millicores). */
export function cpuMilli(quantity: string): number {
    return quantity.endsWith("m") ? Number(quantity.slice(0, -1)) : Number(quantity) * 1000;
}

/** "16Mi" → 16, "1Gi" → 1024 (MiB). */
export function memoryMi(quantity: string): number {
    const units: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024 };
    const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)$/.exec(quantity);
    if (!m) {
        throw new Error(`cannot read memory quantity ${quantity}`);
    }
    return Number(m[1]) * units[m[2]];
}

function requestsOf(...containers: (keyof typeof RESOURCES)[]): PodRequests {
    return containers.reduce(
        (acc, c) => ({
            cpuMilli: acc.cpuMilli + cpuMilli(RESOURCES[c].requests.cpu),
            memoryMi: acc.memoryMi + memoryMi(RESOURCES[c].requests.memory),
        }),
        { cpuMilli: 0, memoryMi: 0 },
    );
}

/**
 * The pods the program deploys for this configuration (index.ts and the components): each demo
 * that is enabled, and the chatroulette app (front + back) in every student namespace when
 * `studentApps` is on. Students' own pods are not counted (see README "EKS capacity").
 */
export function stackPodGroups(cfg: LabConfig): PodGroup[] {
    const groups: PodGroup[] = [];
    const d = cfg.demos;
    if (d.distinctUpdater.enabled) {
        // components/distinctUpdater.ts: one loop pod (busybox) + `replicas` nginx servers; in mode
        // `affinity` every server has a required podAffinity (hostname) to the loop: one node for all.
        const colocated = d.distinctUpdater.mode === "affinity";
        groups.push({ name: "distinct-updater loop", key: "demos.distinctUpdater", pods: 1, perPod: requestsOf("busybox"), colocated });
        groups.push({
            name: "distinct-updater server",
            key: "demos.distinctUpdater.replicas",
            pods: d.distinctUpdater.replicas,
            perPod: requestsOf("nginx"),
            colocated,
        });
    }
    if (d.sideUpdater.enabled) {
        // components/sideUpdater.ts: one pod, nginx + busybox containers.
        groups.push({ name: "side-updater", key: "demos.sideUpdater", pods: 1, perPod: requestsOf("nginx", "busybox"), colocated: false });
    }
    if (d.chatroulette.enabled) {
        // components/chatroulette.ts: front (1 replica, index.ts passes no frontReplicas) + back.
        groups.push({ name: "chatroulette front", key: "demos.chatroulette", pods: 1, perPod: requestsOf("app"), colocated: false });
        groups.push({
            name: "chatroulette back",
            key: "demos.chatroulette.backReplicas",
            pods: d.chatroulette.backReplicas,
            perPod: requestsOf("app"),
            colocated: false,
        });
    }
    if (d.story.enabled) {
        groups.push({ name: "story", key: "demos.story.replicas", pods: d.story.replicas, perPod: requestsOf("app"), colocated: false });
    }
    if (d.accessModes.enabled) {
        // components/accessModesDemo.ts: bare pods; readersOnly starts only readers; `colocated`
        // gives every pod but the first a required podAffinity (hostname) to the first.
        const am = d.accessModes;
        groups.push({
            name: "access-modes",
            key: "demos.accessModes",
            pods: am.mode === "readersOnly" ? am.readers : am.writers + am.readers,
            perPod: requestsOf("busybox"),
            colocated: am.mode === "colocated",
        });
    }
    if (cfg.studentApps) {
        // components/studentEnvironment.ts: a Chatroulette (front + back, 1 replica each) per student.
        for (const s of cfg.students) {
            groups.push({ name: `student ${s.name} app`, key: "studentApps", pods: 2, perPod: requestsOf("app"), colocated: false });
        }
    }
    return groups;
}

/** Number of pods the program deploys (demos and student apps) for this configuration. */
export function workloadPods(cfg: LabConfig): number {
    return stackPodGroups(cfg).reduce((n, g) => n + g.pods, 0);
}

/** A system workload EKS or an add-on this stack installs runs. */
export interface SystemWorkload {
    name: string;
    /** Pods per node (DaemonSet) or in the cluster (Deployment). */
    pods: number;
    perPod: PodRequests;
    source: string;
}

/**
 * DaemonSets: one pod on every node. Each counts against the node's max-pods (the kubelet counts
 * host-network pods too).
 */
export const SYSTEM_DAEMONSETS: readonly SystemWorkload[] = [
    // amazon-vpc-cni-k8s charts/aws-vpc-cni/values.yaml: resources.requests.cpu 25m (aws-node);
    // the network policy agent container (nodeAgent.resources) requests nothing.
    { name: "aws-node (vpc-cni)", pods: 1, perPod: { cpuMilli: 25, memoryMi: 0 }, source: "amazon-vpc-cni-k8s charts/aws-vpc-cni/values.yaml" },
    // The kube-proxy add-on's manifest is not published; 100m CPU is the upstream kube-proxy manifest's
    // request and what EKS's DaemonSet shows. Counted as a conservative assumption.
    { name: "kube-proxy", pods: 1, perPod: { cpuMilli: 100, memoryMi: 0 }, source: "assumed 100m (upstream kube-proxy manifest)" },
    // aws/eks-pod-identity-agent charts/eks-pod-identity-agent/values.yaml: resources {}.
    { name: "eks-pod-identity-agent", pods: 1, perPod: { cpuMilli: 0, memoryMi: 0 }, source: "eks-pod-identity-agent chart values.yaml" },
    // aws-efs-csi-driver charts/aws-efs-csi-driver/values.yaml: node.resources {} (and sidecars {}).
    { name: "efs-csi-node", pods: 1, perPod: { cpuMilli: 0, memoryMi: 0 }, source: "aws-efs-csi-driver chart values.yaml" },
    // aws-ebs-csi-driver charts/aws-ebs-csi-driver: node.resources requests 10m/40Mi (values.yaml),
    // node-driver-registrar and liveness-probe 10m/32Mi each (templates/_node.tpl defaults).
    { name: "ebs-csi-node", pods: 1, perPod: { cpuMilli: 30, memoryMi: 104 }, source: "aws-ebs-csi-driver chart" },
];

/** Deployments of the cluster's system: pods somewhere in the cluster. */
export const SYSTEM_DEPLOYMENTS: readonly SystemWorkload[] = [
    // coredns/deployment kubernetes/coredns.yaml.sed: requests cpu 100m, memory 70Mi; EKS runs 2 replicas.
    { name: "coredns", pods: 2, perPod: { cpuMilli: 100, memoryMi: 70 }, source: "coredns/deployment coredns.yaml.sed" },
    // aws-efs-csi-driver values.yaml: controller.replicaCount 2, resources {}.
    { name: "efs-csi-controller", pods: 2, perPod: { cpuMilli: 0, memoryMi: 0 }, source: "aws-efs-csi-driver chart values.yaml" },
    // aws-ebs-csi-driver values.yaml: controller.replicaCount 2; ebs-plugin and its sidecars
    // (provisioner, attacher, snapshotter, resizer) default to controller.resources 10m/40Mi each
    // (templates/controller.yaml), liveness-probe 10m/32Mi.
    { name: "ebs-csi-controller", pods: 2, perPod: { cpuMilli: 60, memoryMi: 232 }, source: "aws-ebs-csi-driver chart" },
];

/** What EC2 says of an instance type: vCPUs, memory, and the ENI limits the VPC CNI allocates from. */
export interface InstanceType {
    vcpu: number;
    memoryMiB: number;
    /** Default network card's max ENIs and IPv4 addresses per ENI. */
    enis: number;
    ipv4PerEni: number;
}

/**
 * Instance types the capacity model knows. vCPU and memory: docs.aws.amazon.com/ec2/latest/instancetypes/gp.html
 * and co.html; ENIs and IPv4 per ENI: amazon-eks-ami nodeadm/internal/kubelet/instance-info.jsonl
 * (the table nodeadm computes max-pods from). Other types work with an explicit `eks.nodeCount`.
 */
export const INSTANCE_TYPES: Readonly<Record<string, InstanceType>> = {
    "t3.medium": { vcpu: 2, memoryMiB: 4096, enis: 3, ipv4PerEni: 6 },
    "t3.large": { vcpu: 2, memoryMiB: 8192, enis: 3, ipv4PerEni: 12 },
    "t3.xlarge": { vcpu: 4, memoryMiB: 16384, enis: 4, ipv4PerEni: 15 },
    "t3.2xlarge": { vcpu: 8, memoryMiB: 32768, enis: 4, ipv4PerEni: 15 },
    "t3a.medium": { vcpu: 2, memoryMiB: 4096, enis: 3, ipv4PerEni: 6 },
    "t3a.large": { vcpu: 2, memoryMiB: 8192, enis: 3, ipv4PerEni: 12 },
    "t3a.xlarge": { vcpu: 4, memoryMiB: 16384, enis: 4, ipv4PerEni: 15 },
    "m5.large": { vcpu: 2, memoryMiB: 8192, enis: 3, ipv4PerEni: 10 },
    "m5.xlarge": { vcpu: 4, memoryMiB: 16384, enis: 4, ipv4PerEni: 15 },
    "m6i.large": { vcpu: 2, memoryMiB: 8192, enis: 3, ipv4PerEni: 10 },
    "m6i.xlarge": { vcpu: 4, memoryMiB: 16384, enis: 4, ipv4PerEni: 15 },
    "m7i.large": { vcpu: 2, memoryMiB: 8192, enis: 3, ipv4PerEni: 10 },
    "m7i.xlarge": { vcpu: 4, memoryMiB: 16384, enis: 4, ipv4PerEni: 15 },
    "c5.large": { vcpu: 2, memoryMiB: 4096, enis: 3, ipv4PerEni: 10 },
    "c5.xlarge": { vcpu: 4, memoryMiB: 8192, enis: 4, ipv4PerEni: 15 },
};

/**
 * Max pods of a node with the VPC CNI (no prefix delegation): amazon-eks-ami
 * nodeadm/internal/kubelet/eni_max_pods.go calculateStandardMaxPods,
 * `defaultMaxENIs * (ipv4AddressesPerInterface - 1) + 2` (t3.medium: 3 × 5 + 2 = 17).
 */
export function maxPods(t: InstanceType): number {
    return t.enis * (t.ipv4PerEni - 1) + 2;
}

/**
 * CPU the kubelet reserves (kube-reserved): amazon-eks-ami nodeadm/internal/kubelet/config.go
 * getCPUMillicoresToReserve: 6% of the first core, 1% of the second, 0.5% of the next two, 0.25%
 * of the rest.
 */
export function reservedCpuMilli(vcpu: number): number {
    const total = vcpu * 1000;
    const ranges = [0, 1000, 2000, 4000, total];
    const per10k = [600, 100, 50, 25];
    let reserved = 0;
    per10k.forEach((pct, i) => {
        if (total > ranges[i]) {
            reserved += Math.floor(((Math.min(total, ranges[i + 1]) - ranges[i]) * pct) / 10000);
        }
    });
    return reserved;
}

/**
 * What one node offers pods: allocatable CPU and memory and pod slots, as the AL2023 EKS AMI
 * configures the kubelet (amazon-eks-ami nodeadm/internal/kubelet/config.go):
 * - kube-reserved memory `11 * maxPods + 255` MiB (getMemoryMebibytesToReserve),
 * - evictionHard memory.available 100Mi,
 * - the kernel and firmware keep part of the nominal memory from the kubelet's capacity: 7.5%, the
 *   default of Karpenter's VM_MEMORY_OVERHEAD_PERCENT (karpenter-provider-aws settings) for the same
 *   estimate.
 */
export function nodeAllocatable(t: InstanceType): { pods: number; cpuMilli: number; memoryMi: number } {
    const pods = maxPods(t);
    const capacityMi = Math.floor(t.memoryMiB * (1 - 0.075));
    return {
        pods,
        cpuMilli: t.vcpu * 1000 - reservedCpuMilli(t.vcpu),
        memoryMi: capacityMi - (11 * pods + 255) - 100,
    };
}

/** Room one node leaves for the stack's pods once its DaemonSet pods run. */
export function nodeRoom(t: InstanceType): { pods: number; cpuMilli: number; memoryMi: number } {
    const a = nodeAllocatable(t);
    const ds = SYSTEM_DAEMONSETS.reduce(
        (acc, w) => ({ pods: acc.pods + w.pods, cpuMilli: acc.cpuMilli + w.perPod.cpuMilli, memoryMi: acc.memoryMi + w.perPod.memoryMi }),
        { pods: 0, cpuMilli: 0, memoryMi: 0 },
    );
    return { pods: a.pods - ds.pods, cpuMilli: a.cpuMilli - ds.cpuMilli, memoryMi: a.memoryMi - ds.memoryMi };
}

/** The fewest nodes a group can start on (a node group never has fewer). */
export const MIN_NODES = 2;

export interface NodeSizing {
    /** Nodes the node group runs. */
    nodeCount: number;
    /** Nodes the stack's pods need (before the floor of MIN_NODES). */
    needed: number;
    /** Pods of the stack (workload + system Deployments) and room per node. */
    pods: number;
    room: { pods: number; cpuMilli: number; memoryMi: number };
    /** Instance type the room is computed for (the smallest of eks.instanceTypes). */
    instanceType: string;
}

type Item = { name: string; key: string; pods: number; cpuMilli: number; memoryMi: number };

/**
 * Nodes needed to place `items` (each item's pods on one node) on nodes with `room`: first-fit
 * decreasing, a feasible placement, so the count is enough for this set of pods.
 */
export function packNodes(items: Item[], room: { pods: number; cpuMilli: number; memoryMi: number }): number {
    const sorted = [...items].sort((a, b) => b.pods - a.pods || b.memoryMi - a.memoryMi || b.cpuMilli - a.cpuMilli);
    const nodes: { pods: number; cpuMilli: number; memoryMi: number }[] = [];
    for (const it of sorted) {
        const fits = (n: { pods: number; cpuMilli: number; memoryMi: number }): boolean =>
            n.pods + it.pods <= room.pods && n.cpuMilli + it.cpuMilli <= room.cpuMilli && n.memoryMi + it.memoryMi <= room.memoryMi;
        let node = nodes.find(fits);
        if (!node) {
            node = { pods: 0, cpuMilli: 0, memoryMi: 0 };
            nodes.push(node);
        }
        node.pods += it.pods;
        node.cpuMilli += it.cpuMilli;
        node.memoryMi += it.memoryMi;
    }
    return nodes.length;
}

/**
 * Sizes the node group for the stack: `eks.nodeCount` unset → the nodes the pods need (at least
 * MIN_NODES); set → checked to be enough. Throws a ConfigError naming the key and the count needed.
 */
export function eksNodeSizing(cfg: LabConfig): NodeSizing {
    const eks = cfg.eks as EksConfig;
    const unknown = eks.instanceTypes.filter((t) => INSTANCE_TYPES[t] === undefined);
    if (unknown.length > 0) {
        if (eks.nodeCount === undefined) {
            throw new ConfigError(
                "eks.instanceTypes",
                `${unknown.join(", ")} ${unknown.length > 1 ? "are" : "is"} not in the capacity table (${Object.keys(INSTANCE_TYPES).join(", ")}); ` +
                    "set eks.nodeCount to size the node group yourself",
            );
        }
        return { nodeCount: eks.nodeCount, needed: eks.nodeCount, pods: NaN, room: { pods: NaN, cpuMilli: NaN, memoryMi: NaN }, instanceType: unknown[0] };
    }
    // A managed node group may launch any of its types: size for the smallest room of each kind.
    const rooms = eks.instanceTypes.map((t) => ({ t, room: nodeRoom(INSTANCE_TYPES[t]) }));
    const room = {
        pods: Math.min(...rooms.map((r) => r.room.pods)),
        cpuMilli: Math.min(...rooms.map((r) => r.room.cpuMilli)),
        memoryMi: Math.min(...rooms.map((r) => r.room.memoryMi)),
    };
    const instanceType = rooms.reduce((a, b) => (b.room.pods < a.room.pods ? b : a)).t;

    const items: Item[] = [];
    const colocated = new Map<string, Item>();
    for (const g of stackPodGroups(cfg)) {
        if (g.colocated) {
            // Groups of one demo that must share a node become one item.
            const id = g.name.split(" ")[0];
            const it = colocated.get(id) ?? { name: id, key: g.key, pods: 0, cpuMilli: 0, memoryMi: 0 };
            it.pods += g.pods;
            it.cpuMilli += g.pods * g.perPod.cpuMilli;
            it.memoryMi += g.pods * g.perPod.memoryMi;
            it.key = g.key;
            colocated.set(id, it);
        } else {
            for (let i = 0; i < g.pods; i++) {
                items.push({ name: g.name, key: g.key, pods: 1, ...g.perPod });
            }
        }
    }
    for (const w of SYSTEM_DEPLOYMENTS) {
        for (let i = 0; i < w.pods; i++) {
            items.push({ name: w.name, key: "", pods: 1, ...w.perPod });
        }
    }
    for (const it of colocated.values()) {
        if (it.pods > room.pods || it.cpuMilli > room.cpuMilli || it.memoryMi > room.memoryMi) {
            throw new ConfigError(
                it.key,
                `the ${it.name} demo puts ${it.pods} pods (${it.cpuMilli}m CPU, ${it.memoryMi}Mi requested) on one node, ` +
                    `but a ${instanceType} node has room for ${room.pods} pods, ${room.cpuMilli}m and ${room.memoryMi}Mi ` +
                    "besides its DaemonSets; lower the replicas, use the spread/rwx mode, or a larger eks.instanceTypes",
            );
        }
        items.push(it);
    }
    const pods = items.reduce((n, it) => n + it.pods, 0);
    const needed = packNodes(items, room);
    if (eks.nodeCount !== undefined && eks.nodeCount < needed) {
        throw new ConfigError(
            "eks.nodeCount",
            `${eks.nodeCount} is too few: the stack runs ${pods} pods (demos, student apps, CoreDNS and CSI controllers) and ` +
                `a ${instanceType} node has room for ${room.pods} besides its DaemonSets (max ${maxPods(INSTANCE_TYPES[instanceType])} pods ` +
                `with the VPC CNI), ${room.cpuMilli}m CPU and ${room.memoryMi}Mi; ${needed} nodes are needed. ` +
                "Set eks.nodeCount to at least " + needed + ", or unset it to size the group automatically",
        );
    }
    return { nodeCount: eks.nodeCount ?? Math.max(needed, MIN_NODES), needed, pods, room, instanceType };
}
