/**
 * EKS with @pulumi/aws only: a VPC over several AZs (or given subnets), a managed node group, access
 * entries (authentication mode API), the EFS and EBS CSI add-ons bound to their roles by Pod Identity,
 * and one encrypted EFS file system on which every student gets an access point and a static volume.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import type { EksConfig } from "../config";
import { renderKubeconfig } from "./kubeconfig";
import type { Platform, RbacSubject, StudentHome, StudentHooks, StudentRef } from "./types";

/** Class of the static per-student volumes (no provisioning: PVs are made by this program). */
export const EFS_STATIC_CLASS = "efs-static";
/** Dynamic class: one access point per claim (provisioningMode efs-ap). */
export const EFS_DYNAMIC_CLASS = "efs-ap";
/** ReadWriteOnce class on EBS gp3 through the EBS CSI driver. */
export const EBS_CLASS = "gp3";

const MANAGED = "arn:aws:iam::aws:policy";

/** The `index`-th subnet of `newPrefix` bits inside `base` (e.g. 10.0.0.0/16, 20, 1 → 10.0.16.0/20). */
export function subnetCidr(base: string, newPrefix: number, index: number): string {
    const [addr, bitsText] = base.split("/");
    const bits = Number(bitsText);
    if (newPrefix < bits || newPrefix > 28 || index >= 2 ** (newPrefix - bits)) {
        throw new Error(`cannot carve subnet ${index} of /${newPrefix} out of ${base}`);
    }
    const start = addr.split(".").reduce((acc, o) => acc * 256 + Number(o), 0) + index * 2 ** (32 - newPrefix);
    const octets = [24, 16, 8, 0].map((shift) => Math.floor(start / 2 ** shift) % 256);
    return `${octets.join(".")}/${newPrefix}`;
}

function assumeRolePolicy(service: string, actions: string[] = ["sts:AssumeRole"]): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: actions }],
    });
}

export interface EksPlatformArgs {
    config: EksConfig;
    /** Size each student's home volume declares (EFS is elastic: a label, not a limit). */
    homeSize: string;
}

export class EksPlatform extends pulumi.ComponentResource implements Platform {
    readonly name = "eks" as const;
    readonly clusterName: pulumi.Output<string>;
    readonly kubeconfig: pulumi.Output<string>;
    readonly apiServer: { server: pulumi.Output<string>; caData: pulumi.Output<string> };
    readonly provider: k8s.Provider;
    readonly rwxStorageClass = EFS_DYNAMIC_CLASS;
    readonly rwoStorageClass = EBS_CLASS;
    readonly storageReady: pulumi.Resource[];
    readonly students: StudentHooks;
    readonly cluster: aws.eks.Cluster;
    readonly nodeGroup: aws.eks.NodeGroup;
    readonly fileSystem: aws.efs.FileSystem;
    readonly mountTargets: aws.efs.MountTarget[];

    constructor(name: string, args: EksPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kvl:platform:Eks", name, {}, opts);
        const cfg = args.config;
        const parent = { parent: this };
        const tags = { "managed-by": "pulumi", app: "kube-volume-lab", stack: pulumi.getStack() };

        // --- Network: a VPC with one public subnet per AZ (no NAT gateway to pay for), or given subnets.
        let vpcId: pulumi.Input<string>;
        let subnetIds: pulumi.Input<string>[];
        if ("existingVpcId" in cfg.vpc) {
            vpcId = cfg.vpc.existingVpcId;
            subnetIds = cfg.vpc.subnetIds;
        } else {
            const azs = aws.getAvailabilityZonesOutput({ state: "available" }, parent);
            const vpc = new aws.ec2.Vpc(
                `${name}-vpc`,
                { cidrBlock: cfg.vpc.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: `${name}-vpc` } },
                parent,
            );
            const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags }, parent);
            const routes = new aws.ec2.RouteTable(
                `${name}-public`,
                { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags },
                parent,
            );
            const prefix = Math.min(Number(cfg.vpc.cidr.split("/")[1]) + 4, 28);
            subnetIds = [];
            for (let i = 0; i < cfg.vpc.azCount; i++) {
                const subnet = new aws.ec2.Subnet(
                    `${name}-public-${i}`,
                    {
                        vpcId: vpc.id,
                        cidrBlock: subnetCidr(cfg.vpc.cidr, prefix, i),
                        availabilityZone: azs.names[i],
                        mapPublicIpOnLaunch: true,
                        tags: { ...tags, Name: `${name}-public-${i}`, "kubernetes.io/role/elb": "1" },
                    },
                    parent,
                );
                new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: subnet.id, routeTableId: routes.id }, parent);
                subnetIds.push(subnet.id);
            }
            vpcId = vpc.id;
        }

        // --- IAM: exactly the managed policies each role needs.
        const clusterRole = new aws.iam.Role(
            `${name}-cluster-role`,
            { assumeRolePolicy: assumeRolePolicy("eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]), tags },
            parent,
        );
        const clusterPolicy = new aws.iam.RolePolicyAttachment(
            `${name}-cluster-policy`,
            { role: clusterRole.name, policyArn: `${MANAGED}/AmazonEKSClusterPolicy` },
            parent,
        );
        const nodeRole = new aws.iam.Role(`${name}-node-role`, { assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"), tags }, parent);
        const nodePolicies = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly"].map(
            (policy) =>
                new aws.iam.RolePolicyAttachment(
                    `${name}-node-${policy}`,
                    { role: nodeRole.name, policyArn: `${MANAGED}/${policy}` },
                    parent,
                ),
        );

        // --- Cluster and nodes.
        this.cluster = new aws.eks.Cluster(
            `${name}-cluster`,
            {
                roleArn: clusterRole.arn,
                version: cfg.kubernetesVersion,
                vpcConfig: { subnetIds, endpointPublicAccess: true, endpointPrivateAccess: true },
                accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
                tags,
            },
            { parent: this, dependsOn: [clusterPolicy] },
        );
        const clusterName = this.cluster.name;
        cfg.adminPrincipalArns.forEach((arn, i) => {
            const entry = new aws.eks.AccessEntry(`${name}-admin-${i}`, { clusterName, principalArn: arn, type: "STANDARD" }, parent);
            new aws.eks.AccessPolicyAssociation(
                `${name}-admin-${i}`,
                {
                    clusterName,
                    principalArn: arn,
                    policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                    accessScope: { type: "cluster" },
                },
                { parent: this, dependsOn: [entry] },
            );
        });
        this.nodeGroup = new aws.eks.NodeGroup(
            `${name}-nodes`,
            {
                clusterName,
                nodeRoleArn: nodeRole.arn,
                subnetIds,
                instanceTypes: cfg.instanceTypes,
                capacityType: cfg.capacityType,
                scalingConfig: { desiredSize: cfg.nodeCount, minSize: cfg.nodeCount, maxSize: cfg.nodeCount + 1 },
                updateConfig: { maxUnavailable: 1 },
                labels: { "kube-volume-lab/pool": "lab" },
                tags,
            },
            { parent: this, dependsOn: nodePolicies },
        );

        // The VPC CNI with its network policy agent on: students' NetworkPolicies are enforced.
        new aws.eks.Addon(
            `${name}-vpc-cni`,
            {
                clusterName,
                addonName: "vpc-cni",
                configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }),
                resolveConflictsOnCreate: "OVERWRITE",
                resolveConflictsOnUpdate: "OVERWRITE",
                tags,
            },
            { parent: this, dependsOn: [this.nodeGroup] },
        );

        // --- CSI add-ons, each bound to its role by Pod Identity.
        const podIdentity = new aws.eks.Addon(
            `${name}-pod-identity-agent`,
            { clusterName, addonName: "eks-pod-identity-agent", addonVersion: cfg.addonVersions.podIdentityAgent, tags },
            { parent: this, dependsOn: [this.nodeGroup] },
        );
        const csiRole = (driver: string, policy: string): aws.iam.Role => {
            const role = new aws.iam.Role(
                `${name}-${driver}-csi-role`,
                { assumeRolePolicy: assumeRolePolicy("pods.eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]), tags },
                parent,
            );
            new aws.iam.RolePolicyAttachment(
                `${name}-${driver}-csi-policy`,
                { role: role.name, policyArn: `${MANAGED}/service-role/${policy}` },
                parent,
            );
            return role;
        };
        const efsRole = csiRole("efs", "AmazonEFSCSIDriverPolicy");
        const efsAddon = new aws.eks.Addon(
            `${name}-efs-csi`,
            {
                clusterName,
                addonName: "aws-efs-csi-driver",
                addonVersion: cfg.addonVersions.efsCsiDriver,
                resolveConflictsOnCreate: "OVERWRITE",
                resolveConflictsOnUpdate: "OVERWRITE",
                podIdentityAssociations: ["efs-csi-controller-sa", "efs-csi-node-sa"].map((serviceAccount) => ({
                    roleArn: efsRole.arn,
                    serviceAccount,
                })),
                tags,
            },
            { parent: this, dependsOn: [podIdentity] },
        );
        const ebsRole = csiRole("ebs", "AmazonEBSCSIDriverPolicy");
        const ebsAddon = new aws.eks.Addon(
            `${name}-ebs-csi`,
            {
                clusterName,
                addonName: "aws-ebs-csi-driver",
                resolveConflictsOnCreate: "OVERWRITE",
                resolveConflictsOnUpdate: "OVERWRITE",
                podIdentityAssociations: [{ roleArn: ebsRole.arn, serviceAccount: "ebs-csi-controller-sa" }],
                tags,
            },
            { parent: this, dependsOn: [podIdentity] },
        );

        // --- EFS: encrypted, reachable on 2049 from the cluster security group only, one target per AZ.
        this.fileSystem = new aws.efs.FileSystem(
            `${name}-efs`,
            {
                encrypted: true,
                performanceMode: cfg.efs.performanceMode,
                throughputMode: cfg.efs.throughputMode,
                provisionedThroughputInMibps: cfg.efs.provisionedThroughputMibps,
                lifecyclePolicies: [{ transitionToIa: "AFTER_30_DAYS" }],
                tags: { ...tags, Name: `${name}-efs` },
            },
            { parent: this, protect: cfg.efs.protect },
        );
        const efsSg = new aws.ec2.SecurityGroup(
            `${name}-efs-sg`,
            { vpcId, description: "NFS from the EKS cluster security group only", tags },
            parent,
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-efs-nfs`,
            {
                securityGroupId: efsSg.id,
                ipProtocol: "tcp",
                fromPort: 2049,
                toPort: 2049,
                referencedSecurityGroupId: this.cluster.vpcConfig.clusterSecurityGroupId,
                description: "NFS from EKS nodes",
            },
            parent,
        );
        this.mountTargets = subnetIds.map(
            (subnetId, i) =>
                new aws.efs.MountTarget(
                    `${name}-efs-mt-${i}`,
                    { fileSystemId: this.fileSystem.id, subnetId, securityGroups: [efsSg.id] },
                    parent,
                ),
        );

        // --- Kubeconfig and provider.
        this.clusterName = clusterName;
        const server = this.cluster.endpoint;
        const caData = this.cluster.certificateAuthority.data;
        this.apiServer = { server, caData };
        this.kubeconfig = pulumi.secret(
            pulumi.all([clusterName, server, caData]).apply(([cn, srv, ca]) =>
                renderKubeconfig({
                    name: cn,
                    server: srv,
                    caData: ca,
                    user: {
                        exec: {
                            command: "aws",
                            args: ["eks", "get-token", "--cluster-name", cn, "--region", cfg.region, "--output", "json"],
                            installHint: "Install the AWS CLI v2 and sign in (aws sso login or aws configure).",
                        },
                    },
                }),
            ),
        );
        this.provider = new k8s.Provider(
            `${name}-k8s`,
            { kubeconfig: this.kubeconfig, enableServerSideApply: true },
            { parent: this, dependsOn: [this.nodeGroup] },
        );

        const k8sOpts = { parent: this, provider: this.provider };
        const staticClass = new k8s.storage.v1.StorageClass(
            `${name}-efs-static`,
            { metadata: { name: EFS_STATIC_CLASS }, provisioner: "efs.csi.aws.com", reclaimPolicy: "Retain" },
            { ...k8sOpts, dependsOn: [efsAddon] },
        );
        const dynamicClass = new k8s.storage.v1.StorageClass(
            `${name}-efs-ap`,
            {
                metadata: { name: EFS_DYNAMIC_CLASS },
                provisioner: "efs.csi.aws.com",
                reclaimPolicy: "Delete",
                parameters: {
                    provisioningMode: "efs-ap",
                    fileSystemId: this.fileSystem.id,
                    directoryPerms: "700",
                    basePath: "/dynamic",
                    ensureUniqueDirectory: "true",
                },
            },
            { ...k8sOpts, dependsOn: [efsAddon, ...this.mountTargets] },
        );
        const ebsClass = new k8s.storage.v1.StorageClass(
            `${name}-gp3`,
            {
                metadata: { name: EBS_CLASS },
                provisioner: "ebs.csi.aws.com",
                reclaimPolicy: "Delete",
                volumeBindingMode: "WaitForFirstConsumer",
                allowVolumeExpansion: true,
                parameters: { type: "gp3", encrypted: "true" },
            },
            { ...k8sOpts, dependsOn: [ebsAddon] },
        );
        this.storageReady = [staticClass, dynamicClass, ebsClass, ...this.mountTargets];

        const fileSystemId = this.fileSystem.id;
        this.students = {
            provisionHome: (student: StudentRef, namespace, claimName, owner): StudentHome => {
                const path = `/students/${student.name}`;
                const ap = new aws.efs.AccessPoint(
                    `${student.name}-home-ap`,
                    {
                        fileSystemId,
                        posixUser: { uid: student.uid, gid: student.uid },
                        rootDirectory: {
                            path,
                            creationInfo: { ownerUid: student.uid, ownerGid: student.uid, permissions: "0750" },
                        },
                        tags: { ...tags, Name: `home-${student.name}`, "kube-volume-lab/student": student.name },
                    },
                    { parent: owner },
                );
                const pv = new k8s.core.v1.PersistentVolume(
                    `${student.name}-home-pv`,
                    {
                        metadata: { name: `kvl-home-${student.name}`, labels: { "kube-volume-lab/student": student.name } },
                        spec: {
                            capacity: { storage: args.homeSize },
                            accessModes: ["ReadWriteMany"],
                            persistentVolumeReclaimPolicy: "Retain",
                            storageClassName: EFS_STATIC_CLASS,
                            csi: { driver: "efs.csi.aws.com", volumeHandle: pulumi.interpolate`${fileSystemId}::${ap.id}` },
                            claimRef: { namespace, name: claimName },
                        },
                    },
                    { parent: owner, provider: this.provider, dependsOn: [staticClass, ...this.mountTargets] },
                );
                return {
                    storageClassName: EFS_STATIC_CLASS,
                    accessModes: ["ReadWriteMany"],
                    size: args.homeSize,
                    volumeName: pv.metadata.name,
                    backing: pulumi.interpolate`EFS ${fileSystemId}:${path} through access point ${ap.id}`,
                };
            },
            grantIdentity: (student: StudentRef, namespace: string, owner: pulumi.Resource): RbacSubject[] => {
                if (!student.identity) {
                    return [];
                }
                const entry = new aws.eks.AccessEntry(
                    `${student.name}-access`,
                    { clusterName, principalArn: student.identity, type: "STANDARD", tags },
                    { parent: owner },
                );
                new aws.eks.AccessPolicyAssociation(
                    `${student.name}-access`,
                    {
                        clusterName,
                        principalArn: student.identity,
                        policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
                        accessScope: { type: "namespace", namespaces: [namespace] },
                    },
                    { parent: owner, dependsOn: [entry] },
                );
                // The access policy grants edit in that namespace; no RBAC subject is needed.
                return [];
            },
        };

        this.registerOutputs({
            clusterName: this.clusterName,
            kubeconfig: this.kubeconfig,
            fileSystemId: this.fileSystem.id,
        });
    }

    sharedDisk(): { unsupported: string } {
        return {
            unsupported:
                "EBS volumes offer no ReadOnlyMany: an EBS volume attaches to one node at a time (io2 " +
                "Multi-Attach is block-only and needs a cluster-aware file system). The access-modes demo " +
                `runs its RWX variant on ${EFS_DYNAMIC_CLASS} instead.`,
        };
    }
}
