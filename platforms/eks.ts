/**
 * EKS with @pulumi/aws only: a VPC over several AZs (or given subnets), a managed node group sized
 * from the stack's pods, access entries (authentication mode API), the EFS and EBS CSI add-ons bound
 * to their roles by Pod Identity, and one encrypted EFS file system, mountable only by the nodes'
 * role over TLS, on which every student gets an access point and a static volume.
 */
import * as crypto from "crypto";

import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import type { EksConfig } from "../config";
import { renderKubeconfig } from "./kubeconfig";
import { VolumeTeardown } from "./teardown";
import type { Platform, RbacSubject, SharedDisk, StudentHome, StudentHooks, StudentRef } from "./types";

/** Class of the static per-student volumes (no provisioning: PVs are made by this program). */
export const EFS_STATIC_CLASS = "efs-static";
/** Dynamic class: one access point per claim (provisioningMode efs-ap). */
export const EFS_DYNAMIC_CLASS = "efs-ap";
/** ReadWriteOnce class on EBS gp3 through the EBS CSI driver. */
export const EBS_CLASS = "gp3";
/** CSI driver names (the provisioner of each class). */
export const EFS_DRIVER = "efs.csi.aws.com";
export const EBS_DRIVER = "ebs.csi.aws.com";
/** The EFS CSI controller's service account: the only one the add-on's Pod Identity binds. */
export const EFS_CONTROLLER_SA = "efs-csi-controller-sa";
/**
 * Mount options of every EFS volume: `iam` makes efs-utils authenticate the mount with the node's
 * IAM identity (aws-efs-csi-driver docs/parameters.md: "iam: Use the CSI Node Pod's IAM identity to
 * authenticate with Amazon EFS"), which the file system policy requires. No `tls`: the driver adds it
 * itself for access-point mounts and whenever encryptInTransit is true, its default (pkg/driver/node.go
 * NodePublishVolume), and warns that `tls` in mountOptions is deprecated.
 */
export const EFS_MOUNT_OPTIONS = ["iam"];

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

/**
 * A stable logical-name part for an IAM principal ARN: readable (account, kind, name) and unique
 * (a hash of the exact ARN), so access entries are keyed by the principal, not by list position.
 */
export function principalKey(arn: string): string {
    const readable = arn
        .replace(/^arn:aws[a-z-]*:iam::/, "")
        .replace(/[^A-Za-z0-9-]+/g, "-")
        .replace(/^-+|-+$/g, "")
        .slice(0, 60);
    return `${readable}-${crypto.createHash("sha256").update(arn).digest("hex").slice(0, 6)}`;
}

/**
 * The IAM principal EKS records as the cluster creator for a caller ARN: an assumed-role session
 * (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`) is its role; users and roles are themselves.
 * Compared without IAM paths (a role ARN may carry one; the session ARN never does).
 */
export function creatorPrincipal(callerArn: string): { account: string; kind: "role" | "user" | "other"; name: string } {
    const assumed = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/]+)\//.exec(callerArn);
    if (assumed) {
        return { account: assumed[1], kind: "role", name: assumed[2] };
    }
    const iam = /^arn:aws[a-z-]*:iam::(\d{12}):(role|user)\/(?:.*\/)?([^/]+)$/.exec(callerArn);
    if (iam) {
        return { account: iam[1], kind: iam[2] as "role" | "user", name: iam[3] };
    }
    return { account: "", kind: "other", name: callerArn };
}

/** Whether `principalArn` (from config) is the same IAM principal as the caller. */
export function isSamePrincipal(principalArn: string, callerArn: string): boolean {
    const a = creatorPrincipal(principalArn);
    const b = creatorPrincipal(callerArn);
    return a.kind !== "other" && a.kind === b.kind && a.account === b.account && a.name === b.name;
}

function assumeRolePolicy(service: string, actions: string[] = ["sts:AssumeRole"]): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: actions }],
    });
}

/**
 * The file system policy: only the node role may mount (read and write, not root), only through a
 * mount target and only over TLS. Once a policy is set, EFS no longer applies its default policy,
 * which "grants full access to any anonymous client that can connect to the file system using a
 * mount target" (docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html, "Default EFS
 * file system policy"): a client mounting without `iam` is anonymous and matches no Allow here.
 * Condition keys from the same page ("EFS condition keys for clients"): aws:SecureTransport requires
 * TLS; elasticfilesystem:AccessedViaMountTarget refuses clients not using a mount target.
 * The EFS CSI controller needs no mount right: for efs-ap claims it only calls CreateAccessPoint and
 * DeleteAccessPoint (API actions its role's IAM policy grants; a file system policy without a Deny on
 * them does not restrict them). It mounts the file system only with deleteAccessPointRootDir, off by
 * default (aws-efs-csi-driver charts/aws-efs-csi-driver/values.yaml `deleteAccessPointRootDir: false`;
 * pkg/driver/controller.go DeleteVolume mounts with "tls", "iam" under the controller's own role):
 * enabling it would need that role here too. So a deleted efs-ap claim leaves its directory under
 * /dynamic on the file system, billed as stored data (README "Costs").
 */
export function fileSystemPolicy(fileSystemArn: string, nodeRoleArn: string): string {
    const client = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"];
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "NodesMountThroughMountTargetsOverTls",
                Effect: "Allow",
                Principal: { AWS: nodeRoleArn },
                Action: client,
                Resource: fileSystemArn,
                Condition: {
                    Bool: { "elasticfilesystem:AccessedViaMountTarget": "true", "aws:SecureTransport": "true" },
                },
            },
            {
                Sid: "DenyClientsWithoutTls",
                Effect: "Deny",
                Principal: { AWS: "*" },
                Action: [...client, "elasticfilesystem:ClientRootAccess"],
                Resource: fileSystemArn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    });
}

export interface EksPlatformArgs {
    config: EksConfig;
    /** Size each student's home volume declares (EFS is elastic: a label, not a limit). */
    homeSize: string;
    /** Nodes of the managed node group (platforms/capacity.ts eksNodeSizing). */
    nodeCount: number;
    /** `aws:profile`, when Pulumi uses a named profile: the kubeconfig's `aws eks get-token` uses it too. */
    awsProfile?: string;
    /** Students with an IAM identity: each gets an access entry (grantIdentity), checked against the caller. */
    studentIdentities?: { name: string; identity: string }[];
}

export class EksPlatform extends pulumi.ComponentResource implements Platform {
    readonly name = "eks" as const;
    readonly clusterName: pulumi.Output<string>;
    readonly kubeconfig: pulumi.Output<string>;
    readonly apiServer: { server: pulumi.Output<string>; caData: pulumi.Output<string> };
    readonly provider: k8s.Provider;
    readonly rwxStorageClass = EFS_DYNAMIC_CLASS;
    readonly rwoStorageClass = EBS_CLASS;
    /**
     * None: no class here bills more than what a student's quota already bounds. Students cannot
     * create StorageClasses (`edit` has no cluster-scoped rights), so they only see gp3 (and EKS's
     * gp2), billed per provisioned GiB within quota.storage, and the EFS classes, billed per byte
     * stored, which no class quota would bound (their own `home` is on EFS too). efs-static must stay
     * claimable: each student's `home` claim is of that class.
     */
    readonly studentDeniedStorageClasses: string[] = [];
    /**
     * The VPC's primary range: nodes, pods (the VPC CNI gives pods VPC addresses) and the EFS mount
     * targets. Services use 10.100.0.0/16 or 172.20.0.0/16 when, as here, no service range is set
     * (EKS API reference, KubernetesNetworkConfigRequest.serviceIpv4Cidr): private space, excepted anyway.
     */
    readonly clusterCidrs: pulumi.Input<string>[];
    readonly storageReady: pulumi.Resource[];
    readonly students: StudentHooks;
    readonly cluster: aws.eks.Cluster;
    readonly nodeGroup: aws.eks.NodeGroup;
    readonly fileSystem: aws.efs.FileSystem;
    readonly mountTargets: aws.efs.MountTarget[];
    /** Destroy-time wait for the CSI drivers' dynamic volumes (see teardown.ts). */
    readonly volumeTeardown: VolumeTeardown;

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
            // The range is the VPC's, not the config's (ec2 DescribeVpcs: cidrBlock is the primary range).
            this.clusterCidrs = [aws.ec2.getVpcOutput({ id: cfg.vpc.existingVpcId }, parent).cidrBlock];
        } else {
            this.clusterCidrs = [cfg.vpc.cidr];
            const azCount = cfg.vpc.azCount;
            // Availability Zones only: a Local or Wavelength Zone the account opted in to is listed too
            // unless filtered out; "For Availability Zones, this parameter always has the value of
            // opt-in-not-required" (EC2 API reference, DescribeAvailabilityZones / AvailabilityZone.OptInStatus).
            const azs = aws.getAvailabilityZonesOutput(
                { state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
                parent,
            );
            // Fewer AZs than subnets would put two subnets in one AZ, and EFS allows one mount target
            // per AZ (the second CreateMountTarget fails): refuse before any subnet is made.
            const azNames = azs.names.apply((names) => {
                if (names.length < azCount) {
                    throw new pulumi.ResourceError(
                        `Invalid configuration 'eks.vpc.azCount': ${azCount} is more than the ${names.length} Availability ` +
                            `Zones available in ${cfg.region} (${names.join(", ")}); set eks.vpc.azCount to at most ${names.length}`,
                        this,
                    );
                }
                return names;
            });
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
            for (let i = 0; i < azCount; i++) {
                const subnet = new aws.ec2.Subnet(
                    `${name}-public-${i}`,
                    {
                        vpcId: vpc.id,
                        cidrBlock: subnetCidr(cfg.vpc.cidr, prefix, i),
                        availabilityZone: azNames.apply((names) => names[i]),
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
        // The caller gets the cluster creator's access entry (bootstrapClusterCreatorAdminPermissions),
        // and "an IAM principal can't be included in more than one access entry" (EKS API reference,
        // CreateAccessEntry): the caller listed in eks.adminPrincipalArns would make the stack fail half
        // way. Refused here, and the cluster waits for the check.
        const caller = aws.getCallerIdentityOutput({}, parent);
        const creatorChecked = caller.arn.apply((callerArn) => {
            // Same for a student's identity: the creator's entry exists, so the student's would fail.
            for (const s of args.studentIdentities ?? []) {
                if (isSamePrincipal(s.identity, callerArn)) {
                    throw new pulumi.ResourceError(
                        `Invalid configuration 'students' (${s.name}): identity ${s.identity} is the identity running pulumi ` +
                            `(${callerArn}), which EKS already makes cluster admin as the cluster creator; give the student another identity`,
                        this,
                    );
                }
            }
            cfg.adminPrincipalArns.forEach((arn, i) => {
                if (isSamePrincipal(arn, callerArn)) {
                    throw new pulumi.ResourceError(
                        `Invalid configuration 'eks.adminPrincipalArns[${i}]': ${arn} is the identity running pulumi (${callerArn}), ` +
                            "which EKS already makes cluster admin as the cluster creator; remove it from eks.adminPrincipalArns",
                        this,
                    );
                }
            });
            return true;
        });
        this.cluster = new aws.eks.Cluster(
            `${name}-cluster`,
            {
                roleArn: clusterRole.arn,
                version: cfg.kubernetesVersion,
                // Clusters created through the API default to EXTENDED: past standard support they stay
                // on their version at $0.60 instead of $0.10 per cluster-hour; STANDARD upgrades them
                // instead (docs.aws.amazon.com/eks/latest/userguide/enable-extended-support.html;
                // API_UpgradePolicyRequest: "The default value is EXTENDED").
                upgradePolicy: { supportType: cfg.upgradePolicy },
                vpcConfig: { subnetIds, endpointPublicAccess: true, endpointPrivateAccess: true },
                // The identity running `pulumi up` gets an access entry with cluster admin (and may not
                // be listed as an admin: creatorChecked above).
                accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: creatorChecked },
                tags,
            },
            { parent: this, dependsOn: [clusterPolicy] },
        );
        const clusterName = this.cluster.name;

        // Admin access entries, keyed by principal: removing one admin leaves the others in place.
        // The position aliases migrate stacks made before; change the admin list in another `pulumi up`
        // than the one that migrates (an alias by position would otherwise adopt another admin's entry).
        // The Kubernetes provider and the volume teardown depend on these associations, so an admin who
        // is not the creator keeps cluster access until every Kubernetes object and volume is gone on
        // `pulumi destroy` (without that dependency Pulumi may delete the entries first).
        const adminAssociations: aws.eks.AccessPolicyAssociation[] = [];
        cfg.adminPrincipalArns.forEach((arn, i) => {
            const key = `${name}-admin-${principalKey(arn)}`;
            // Stacks made before entries were keyed by principal named them by position.
            const aliases = [{ name: `${name}-admin-${i}` }];
            const entry = new aws.eks.AccessEntry(
                key,
                { clusterName, principalArn: arn, type: "STANDARD", tags },
                { parent: this, aliases },
            );
            const association = new aws.eks.AccessPolicyAssociation(
                key,
                {
                    clusterName,
                    principalArn: entry.principalArn,
                    policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                    accessScope: { type: "cluster" },
                },
                { parent: this, dependsOn: [entry], aliases },
            );
            adminAssociations.push(association);
        });

        // Nodes: IMDSv2 only, hop limit 1, so only host-network processes (kubelet, aws-node,
        // efs-csi-node and its efs-utils) reach the metadata endpoint and the node role; a pod on the
        // pod network is one more hop away and gets no token (EC2 user guide, "Configure the instance
        // metadata options": "the default hop limit is 1... in a container environment, we recommend
        // setting the hop limit to 2" to let containers through). Set explicitly rather than relying
        // on the node group's own launch template or account defaults (ModifyInstanceMetadataDefaults).
        // No image and no disk here: the managed node group keeps choosing the AL2023 EKS AMI, whose
        // root volume is 20 GiB gp3 (amazon-eks-ami templates/al2023/variables-default.json).
        const launchTemplate = new aws.ec2.LaunchTemplate(
            `${name}-nodes`,
            {
                metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
                tagSpecifications: [{ resourceType: "instance", tags: { ...tags, Name: `${name}-node` } }],
                tags,
            },
            parent,
        );
        this.nodeGroup = new aws.eks.NodeGroup(
            `${name}-nodes`,
            {
                clusterName,
                nodeRoleArn: nodeRole.arn,
                subnetIds,
                instanceTypes: cfg.instanceTypes,
                capacityType: cfg.capacityType,
                launchTemplate: { id: launchTemplate.id, version: pulumi.interpolate`${launchTemplate.latestVersion}` },
                // Follows the control plane: managed node groups are not upgraded with it (EKS version FAQ).
                version: this.cluster.version,
                // Sized from the stack's pods (platforms/capacity.ts); no autoscaler, so maxSize only
                // leaves the managed node group room to surge a node during its rolling updates.
                scalingConfig: { desiredSize: args.nodeCount, minSize: args.nodeCount, maxSize: args.nodeCount + 1 },
                updateConfig: { maxUnavailable: 1 },
                labels: { "kube-volume-lab/pool": "lab" },
                tags,
            },
            { parent: this, dependsOn: nodePolicies },
        );

        // The VPC CNI with its network policy agent on: students' NetworkPolicies are enforced. The
        // Kubernetes provider and the volume teardown depend on it: no Kubernetes object is created
        // before the agent enforces NetworkPolicies, and on destroy the add-on (whose deletion removes
        // aws-node unless `preserve` is set: EKS DeleteAddon) goes only after every pod and volume.
        const vpcCni = new aws.eks.Addon(
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
        const csiRole = (driver: string, policy: string): { role: aws.iam.Role; attachment: aws.iam.RolePolicyAttachment } => {
            const role = new aws.iam.Role(
                `${name}-${driver}-csi-role`,
                { assumeRolePolicy: assumeRolePolicy("pods.eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]), tags },
                parent,
            );
            const attachment = new aws.iam.RolePolicyAttachment(
                `${name}-${driver}-csi-policy`,
                { role: role.name, policyArn: `${MANAGED}/service-role/${policy}` },
                parent,
            );
            return { role, attachment };
        };
        // AmazonEFSCSIDriverPolicy holds what the controller calls: CreateAccessPoint (on requests tagged
        // efs.csi.aws.com/cluster), DeleteAccessPoint and TagResource (on resources so tagged), Describe*
        // (aws-efs-csi-driver docs/iam-policy-example.json). The node DaemonSet needs no role of its own:
        // with no Pod Identity or IRSA credentials, efs-utils falls back to the instance profile through
        // the metadata endpoint (aws/efs-utils src/efs_utils_common/aws_credentials.py,
        // get_aws_security_credentials), which efs-csi-node reaches because it runs with hostNetwork
        // (aws-efs-csi-driver charts/aws-efs-csi-driver/templates/node-daemonset.yaml): the node role,
        // the one principal the file system policy lets mount.
        const efs = csiRole("efs", "AmazonEFSCSIDriverPolicy");
        const efsAddon = new aws.eks.Addon(
            `${name}-efs-csi`,
            {
                clusterName,
                addonName: "aws-efs-csi-driver",
                addonVersion: cfg.addonVersions.efsCsiDriver,
                resolveConflictsOnCreate: "OVERWRITE",
                resolveConflictsOnUpdate: "OVERWRITE",
                podIdentityAssociations: [{ roleArn: efs.role.arn, serviceAccount: EFS_CONTROLLER_SA }],
                tags,
            },
            // The attachment: the controller has its rights from its first start, and keeps them on
            // destroy until the add-on (and, before it, every claim and dynamic volume) is gone.
            { parent: this, dependsOn: [podIdentity, efs.attachment] },
        );
        const ebs = csiRole("ebs", "AmazonEBSCSIDriverPolicy");
        const ebsAddon = new aws.eks.Addon(
            `${name}-ebs-csi`,
            {
                clusterName,
                addonName: "aws-ebs-csi-driver",
                resolveConflictsOnCreate: "OVERWRITE",
                resolveConflictsOnUpdate: "OVERWRITE",
                podIdentityAssociations: [{ roleArn: ebs.role.arn, serviceAccount: "ebs-csi-controller-sa" }],
                tags,
            },
            { parent: this, dependsOn: [podIdentity, ebs.attachment] },
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
        const fsPolicy = new aws.efs.FileSystemPolicy(
            `${name}-efs-policy`,
            {
                fileSystemId: this.fileSystem.id,
                policy: pulumi.all([this.fileSystem.arn, nodeRole.arn]).apply(([fsArn, roleArn]) => fileSystemPolicy(fsArn, roleArn)),
            },
            parent,
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
                            // The AWS CLI reads AWS_PROFILE like --profile: the token is signed by the
                            // same identity Pulumi uses (AWS CLI user guide, "Environment variables").
                            env: args.awsProfile ? [{ name: "AWS_PROFILE", value: args.awsProfile }] : undefined,
                            installHint: "Install the AWS CLI v2 and sign in (aws sso login or aws configure).",
                        },
                    },
                }),
            ),
        );
        this.provider = new k8s.Provider(
            `${name}-k8s`,
            { kubeconfig: this.kubeconfig, enableServerSideApply: true },
            { parent: this, dependsOn: [this.nodeGroup, vpcCni, ...adminAssociations] },
        );

        const k8sOpts = { parent: this, provider: this.provider };
        const staticClass = new k8s.storage.v1.StorageClass(
            `${name}-efs-static`,
            { metadata: { name: EFS_STATIC_CLASS }, provisioner: EFS_DRIVER, reclaimPolicy: "Retain", mountOptions: EFS_MOUNT_OPTIONS },
            { ...k8sOpts, dependsOn: [efsAddon, fsPolicy] },
        );
        const dynamicClass = new k8s.storage.v1.StorageClass(
            `${name}-efs-ap`,
            {
                metadata: { name: EFS_DYNAMIC_CLASS },
                provisioner: EFS_DRIVER,
                reclaimPolicy: "Delete",
                // aws-efs-csi-driver docs/parameters.md: with dynamic provisioning, mount options are
                // passed through the StorageClass.
                mountOptions: EFS_MOUNT_OPTIONS,
                parameters: {
                    provisioningMode: "efs-ap",
                    fileSystemId: this.fileSystem.id,
                    directoryPerms: "700",
                    basePath: "/dynamic",
                    ensureUniqueDirectory: "true",
                },
            },
            { ...k8sOpts, dependsOn: [efsAddon, fsPolicy, ...this.mountTargets] },
        );
        const ebsClass = new k8s.storage.v1.StorageClass(
            `${name}-gp3`,
            {
                metadata: { name: EBS_CLASS },
                provisioner: EBS_DRIVER,
                reclaimPolicy: "Delete",
                volumeBindingMode: "WaitForFirstConsumer",
                allowVolumeExpansion: true,
                parameters: { type: "gp3", encrypted: "true" },
            },
            { ...k8sOpts, dependsOn: [ebsAddon] },
        );
        // On destroy, every Kubernetes object that depends on storageReady (claims, namespaces) goes
        // first; then this waits until the drivers have deleted the access points and EBS volumes of
        // dynamic claims (the external-provisioner deletes a released PV's volume asynchronously);
        // only then do the classes, the add-ons and their role attachments, and the nodes go.
        this.volumeTeardown = new VolumeTeardown(
            `${name}-volume-teardown`,
            { kubeconfig: this.kubeconfig, drivers: [EFS_DRIVER, EBS_DRIVER] },
            {
                parent: this,
                dependsOn: [
                    this.nodeGroup,
                    vpcCni,
                    ...adminAssociations,
                    efsAddon,
                    ebsAddon,
                    efs.attachment,
                    ebs.attachment,
                    staticClass,
                    dynamicClass,
                    ebsClass,
                    fsPolicy,
                    ...this.mountTargets,
                ],
            },
        );
        this.storageReady = [this.volumeTeardown, staticClass, dynamicClass, ebsClass, fsPolicy, ...this.mountTargets];

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
                            // Static volume: its own mount options (aws-efs-csi-driver docs/parameters.md).
                            mountOptions: EFS_MOUNT_OPTIONS,
                            csi: { driver: EFS_DRIVER, volumeHandle: pulumi.interpolate`${fileSystemId}::${ap.id}` },
                            claimRef: { namespace, name: claimName },
                        },
                    },
                    { parent: owner, provider: this.provider, dependsOn: [staticClass, fsPolicy, ...this.mountTargets] },
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
                // Keyed by student name (the StudentEnvironment's child): other students' entries are
                // untouched when the list changes. A student identity equal to the caller is refused
                // before the cluster is made (creatorChecked, args.studentIdentities).
                const entry = new aws.eks.AccessEntry(
                    `${student.name}-access`,
                    { clusterName, principalArn: student.identity, type: "STANDARD", tags },
                    { parent: owner },
                );
                new aws.eks.AccessPolicyAssociation(
                    `${student.name}-access`,
                    {
                        clusterName,
                        principalArn: entry.principalArn,
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

    sharedDisk(): SharedDisk {
        return {
            kind: "unsupported",
            reason:
                "EBS volumes offer no ReadOnlyMany: an EBS volume attaches to one node at a time (io2 " +
                "Multi-Attach is block-only and needs a cluster-aware file system). The access-modes demo " +
                `runs its RWX variant on ${EFS_DYNAMIC_CLASS} instead.`,
        };
    }
}
