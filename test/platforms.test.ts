/**
 * Each committed stack file, run under mocks: the cluster, its storage drivers and classes, the
 * provider and the outputs.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

import { subnetCidr } from "../platforms/eks";
import { serviceAccountId } from "../platforms/gke";
import { KIND_VERSIONS } from "../platforms/kind";
import { readContextEndpoint, renderKubeconfig } from "../platforms/kubeconfig";
import type { ProgramRun } from "../render/engine";
import { kobj, one, ofType, runStack } from "./helpers";

describe("platform: gke", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runStack("gke");
    });

    it("enables the container and Filestore APIs", () => {
        const services = ofType(run, "gcp:projects/service:Service").map((s) => s.inputs.service);
        assert.ok(services.includes("container.googleapis.com"));
        assert.ok(services.includes("file.googleapis.com"));
        for (const s of ofType(run, "gcp:projects/service:Service")) {
            assert.strictEqual(s.inputs.disableOnDestroy, false, "destroying the stack must not disable project APIs");
        }
    });

    it("builds a VPC-native Dataplane V2 cluster with Filestore and PD CSI and Workload Identity", () => {
        const c = one(run, "gcp:container/cluster:Cluster").inputs;
        assert.strictEqual(c.addonsConfig.gcpFilestoreCsiDriverConfig.enabled, true);
        assert.strictEqual(c.addonsConfig.gcePersistentDiskCsiDriverConfig.enabled, true);
        assert.strictEqual(c.datapathProvider, "ADVANCED_DATAPATH");
        assert.strictEqual(c.networkingMode, "VPC_NATIVE");
        assert.deepStrictEqual(c.ipAllocationPolicy, { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" });
        assert.strictEqual(c.workloadIdentityConfig.workloadPool, "my-gcp-project.svc.id.goog");
        assert.strictEqual(c.removeDefaultNodePool, true);
        assert.strictEqual(c.location, "europe-west1-b");
        assert.strictEqual(c.deletionProtection, false);
        assert.strictEqual(c.releaseChannel.channel, "REGULAR");
    });

    it("runs a separate pool of 2 nodes on a dedicated least-privilege service account", () => {
        const pool = one(run, "gcp:container/nodePool:NodePool").inputs;
        const sa = one(run, "gcp:serviceaccount/account:Account").inputs;
        const email = `${sa.accountId}@my-gcp-project.iam.gserviceaccount.com`;
        assert.strictEqual(pool.nodeCount, 2);
        assert.strictEqual(pool.nodeConfig.machineType, "e2-standard-2");
        assert.strictEqual(pool.nodeConfig.serviceAccount, email);
        assert.strictEqual(pool.nodeConfig.workloadMetadataConfig.mode, "GKE_METADATA");
        // The temporary default pool must not fall back to the default compute account either.
        assert.strictEqual(one(run, "gcp:container/cluster:Cluster").inputs.nodeConfig.serviceAccount, email);
        const roles = ofType(run, "gcp:projects/iAMMember:IAMMember").map((m) => [m.inputs.role, m.inputs.member]);
        assert.deepStrictEqual(roles, [["roles/container.defaultNodeServiceAccount", `serviceAccount:${email}`]]);
    });

    it("creates its own subnetwork with pod and service ranges", () => {
        const subnet = one(run, "gcp:compute/subnetwork:Subnetwork").inputs;
        assert.deepStrictEqual(
            subnet.secondaryIpRanges.map((r: any) => r.rangeName),
            ["pods", "services"],
        );
        assert.strictEqual(one(run, "gcp:compute/network:Network").inputs.autoCreateSubnetworks, false);
    });

    it("uses an existing network when configured, creating none", async () => {
        const r = await runStack("gke", { gke: { network: { existingNetwork: "shared", existingSubnetwork: "shared-eu" } } });
        assert.strictEqual(ofType(r, "gcp:compute/network:Network").length, 0);
        const c = one(r, "gcp:container/cluster:Cluster").inputs;
        assert.deepStrictEqual([c.network, c.subnetwork], ["shared", "shared-eu"]);
    });

    it("gives a kubeconfig through gke-gcloud-auth-plugin to an explicit provider", () => {
        const provider = one(run, "pulumi:providers:kubernetes").inputs;
        const kc = YAML.parse(provider.kubeconfig);
        assert.strictEqual(kc.users[0].user.exec.command, "gke-gcloud-auth-plugin");
        assert.match(kc.clusters[0].cluster.server, /^https:\/\/203\.0\.113\.\d+$/);
        assert.strictEqual(provider.context, undefined, "the GKE provider must not use an ambient context");
    });

    it("keeps one shared, protected Filestore instance for all homes", () => {
        const fsi = one(run, "gcp:filestore/instance:Instance").inputs;
        assert.strictEqual(fsi.tier, "BASIC_HDD");
        assert.strictEqual(fsi.fileShares.capacityGb, 1024);
        assert.strictEqual(fsi.deletionProtectionEnabled, true);
        assert.strictEqual(fsi.location, "europe-west1-b");
    });

    it("exports the platform, cluster, kubeconfig and classes", () => {
        assert.strictEqual(run.outputs.platformName, "gke");
        assert.strictEqual(run.outputs.rwxStorageClass, "standard-rwx");
        assert.strictEqual(run.outputs.rwoStorageClass, "standard-rwo");
        assert.match(run.outputs.clusterName, /^lab-cluster-/);
        assert.ok(run.outputs.kubeconfig.includes("gke-gcloud-auth-plugin"));
    });

    it("honours a configured RWX class", async () => {
        const r = await runStack("gke", { gke: { rwxStorageClass: "enterprise-rwx" } });
        assert.strictEqual(r.outputs.rwxStorageClass, "enterprise-rwx");
    });
});

describe("platform: eks", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runStack("eks");
    });

    it("creates a VPC with one public subnet per AZ", () => {
        const subnets = ofType(run, "aws:ec2/subnet:Subnet").map((s) => s.inputs);
        assert.deepStrictEqual(
            subnets.map((s) => [s.cidrBlock, s.availabilityZone]),
            [
                ["10.0.0.0/20", "mock-region-1a"],
                ["10.0.16.0/20", "mock-region-1b"],
            ],
        );
    });

    it("gives each role exactly the managed policies it needs", () => {
        const byRole = new Map<string, string[]>();
        for (const a of ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")) {
            const role = a.inputs.role as string;
            byRole.set(role, [...(byRole.get(role) ?? []), (a.inputs.policyArn as string).split("/").pop()!]);
        }
        const policies = [...byRole.values()].map((p) => p.sort().join(",")).sort();
        assert.deepStrictEqual(policies, [
            "AmazonEBSCSIDriverPolicy",
            "AmazonEC2ContainerRegistryPullOnly,AmazonEKSWorkerNodePolicy,AmazonEKS_CNI_Policy",
            "AmazonEFSCSIDriverPolicy",
            "AmazonEKSClusterPolicy",
        ]);
    });

    it("uses access entries (authentication mode API) and a managed group of 2 nodes", () => {
        const c = one(run, "aws:eks/cluster:Cluster").inputs;
        assert.strictEqual(c.accessConfig.authenticationMode, "API");
        assert.strictEqual(c.version, "1.33");
        const ng = one(run, "aws:eks/nodeGroup:NodeGroup").inputs;
        assert.deepStrictEqual(ng.scalingConfig, { desiredSize: 2, minSize: 2, maxSize: 3 });
        assert.deepStrictEqual(ng.instanceTypes, ["t3.medium"]);
    });

    it("installs the EFS CSI add-on bound by Pod Identity to the role with AmazonEFSCSIDriverPolicy", () => {
        const addons = ofType(run, "aws:eks/addon:Addon").map((a) => a.inputs);
        assert.deepStrictEqual(addons.map((a) => a.addonName).sort(), [
            "aws-ebs-csi-driver",
            "aws-efs-csi-driver",
            "eks-pod-identity-agent",
            "vpc-cni",
        ]);
        const cni = addons.find((a) => a.addonName === "vpc-cni")!;
        assert.deepStrictEqual(JSON.parse(cni.configurationValues), { enableNetworkPolicy: "true" }, "students' NetworkPolicies must be enforced");
        const efs = addons.find((a) => a.addonName === "aws-efs-csi-driver")!;
        const efsRoleName = ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").find((a) =>
            a.inputs.policyArn.endsWith("/AmazonEFSCSIDriverPolicy"),
        )!.inputs.role;
        const efsRole = ofType(run, "aws:iam/role:Role").find((r) => efsRoleName.startsWith(r.name))!;
        assert.deepStrictEqual(JSON.parse(efsRole.inputs.assumeRolePolicy).Statement[0].Principal, { Service: "pods.eks.amazonaws.com" });
        assert.deepStrictEqual(
            efs.podIdentityAssociations.map((p: any) => p.serviceAccount),
            ["efs-csi-controller-sa", "efs-csi-node-sa"],
        );
        for (const p of efs.podIdentityAssociations) {
            assert.strictEqual(p.roleArn, `arn:aws:iam::123456789012:role/${efsRoleName}`);
        }
    });

    it("encrypts EFS and mounts it once per AZ behind a 2049 rule from the cluster security group only", () => {
        const fsIn = one(run, "aws:efs/fileSystem:FileSystem").inputs;
        assert.strictEqual(fsIn.encrypted, true);
        assert.strictEqual(fsIn.throughputMode, "elastic");
        const targets = ofType(run, "aws:efs/mountTarget:MountTarget").map((t) => t.inputs);
        assert.strictEqual(targets.length, 2);
        assert.strictEqual(new Set(targets.map((t) => t.subnetId)).size, 2);
        const rules = ofType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((r) => r.inputs);
        assert.strictEqual(rules.length, 1);
        assert.deepStrictEqual([rules[0].ipProtocol, rules[0].fromPort, rules[0].toPort], ["tcp", 2049, 2049]);
        assert.match(rules[0].referencedSecurityGroupId, /^sg-cluster/);
        assert.strictEqual(rules[0].cidrIpv4, undefined);
    });

    it("defines the static and the access-point EFS classes and a gp3 class", () => {
        const fsId = run.resources.find((r) => r.type === "aws:efs/fileSystem:FileSystem")!;
        assert.ok(fsId);
        const staticClass = kobj(run, "StorageClass", "efs-static");
        assert.deepStrictEqual([staticClass.provisioner, staticClass.reclaimPolicy], ["efs.csi.aws.com", "Retain"]);
        const ap = kobj(run, "StorageClass", "efs-ap");
        assert.strictEqual(ap.provisioner, "efs.csi.aws.com");
        assert.strictEqual(ap.parameters.provisioningMode, "efs-ap");
        assert.match(ap.parameters.fileSystemId, /^fs-[0-9a-f]{8}$/);
        assert.strictEqual(kobj(run, "StorageClass", "gp3").provisioner, "ebs.csi.aws.com");
        assert.strictEqual(run.outputs.rwxStorageClass, "efs-ap");
        assert.strictEqual(run.outputs.rwoStorageClass, "gp3");
    });

    it("gives a kubeconfig through aws eks get-token", () => {
        const kc = YAML.parse(run.outputs.kubeconfig);
        const exec = kc.users[0].user.exec;
        assert.strictEqual(exec.command, "aws");
        assert.deepStrictEqual(exec.args.slice(0, 2), ["eks", "get-token"]);
        assert.ok(exec.args.includes("eu-west-3"));
    });

    it("uses existing subnets without creating a VPC", async () => {
        const r = await runStack("eks", { eks: { vpc: { existingVpcId: "vpc-0abc", subnetIds: ["subnet-0a", "subnet-0b", "subnet-0c"] } } });
        assert.strictEqual(ofType(r, "aws:ec2/vpc:Vpc").length, 0);
        assert.deepStrictEqual(
            ofType(r, "aws:efs/mountTarget:MountTarget").map((t) => t.inputs.subnetId),
            ["subnet-0a", "subnet-0b", "subnet-0c"],
        );
        assert.deepStrictEqual(one(r, "aws:eks/cluster:Cluster").inputs.vpcConfig.subnetIds, ["subnet-0a", "subnet-0b", "subnet-0c"]);
    });

    it("carves subnets out of the VPC CIDR", () => {
        assert.strictEqual(subnetCidr("10.0.0.0/16", 20, 0), "10.0.0.0/20");
        assert.strictEqual(subnetCidr("10.0.0.0/16", 20, 3), "10.0.48.0/20");
        assert.strictEqual(subnetCidr("172.16.0.0/12", 16, 2), "172.18.0.0/16");
        assert.throws(() => subnetCidr("10.0.0.0/16", 20, 16), /cannot carve/);
    });
});

describe("platform: kind", () => {
    let run: ProgramRun;
    let kubeconfigPath: string;
    before(async () => {
        kubeconfigPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kvl-")), "config");
        fs.writeFileSync(
            kubeconfigPath,
            renderKubeconfig({ name: "kind-kind", server: "https://127.0.0.1:6443", caData: "Y2E=", user: { token: "t" } }),
        );
        run = await runStack("kind", { kind: { context: "kind-kind", kubeconfig: kubeconfigPath, rwxBackend: "nfs" } });
    });

    it("pins the provider to the configured context", () => {
        const p = one(run, "pulumi:providers:kubernetes").inputs;
        assert.strictEqual(p.context, "kind-kind");
        assert.strictEqual(p.kubeconfig, kubeconfigPath);
    });

    it("with nfs: an in-cluster NFS server, csi-driver-nfs pinned, nfs and nfs-retain classes", () => {
        const release = one(run, "kubernetes:helm.sh/v3:Release").inputs;
        assert.deepStrictEqual([release.chart, release.version], ["csi-driver-nfs", KIND_VERSIONS.csiDriverNfsChart]);
        const server = kobj(run, "Deployment", "nfs-server", "kvl-nfs");
        assert.strictEqual(server.spec.strategy.type, "Recreate");
        assert.strictEqual(server.spec.template.spec.containers[0].image, KIND_VERSIONS.nfsServerImage);
        const nfs = kobj(run, "StorageClass", "nfs");
        assert.deepStrictEqual([nfs.provisioner, nfs.reclaimPolicy, nfs.parameters.server], [
            "nfs.csi.k8s.io",
            "Delete",
            "nfs-server.kvl-nfs.svc.cluster.local",
        ]);
        assert.strictEqual(kobj(run, "StorageClass", "nfs-retain").reclaimPolicy, "Retain");
        assert.strictEqual(run.outputs.rwxStorageClass, "nfs");
        assert.strictEqual(run.outputs.rwoStorageClass, "standard");
    });

    it("with longhorn: a pinned Longhorn release and a Retain class", async () => {
        const r = await runStack("kind", { kind: { kubeconfig: kubeconfigPath, rwxBackend: "longhorn" } });
        const release = one(r, "kubernetes:helm.sh/v3:Release").inputs;
        assert.deepStrictEqual([release.chart, release.version, release.namespace], ["longhorn", KIND_VERSIONS.longhornChart, "longhorn-system"]);
        assert.strictEqual(kobj(r, "StorageClass", "longhorn-retain").reclaimPolicy, "Retain");
        assert.strictEqual(r.outputs.rwxStorageClass, "longhorn");
    });

    it("with none: no RWX class and no RWX demo", async () => {
        const r = await runStack("kind", { kind: { kubeconfig: kubeconfigPath, rwxBackend: "none" } });
        assert.strictEqual(r.outputs.rwxStorageClass, null);
        assert.strictEqual(ofType(r, "kubernetes:helm.sh/v3:Release").length, 0);
        const claims = r.resources.filter((x) => x.type === "kubernetes:core/v1:PersistentVolumeClaim").map((x) => x.inputs);
        for (const c of claims) {
            assert.ok(!c.spec.accessModes.includes("ReadWriteMany"), `${c.metadata.name} asks for ReadWriteMany`);
        }
    });

    it("with an existing class: uses it and installs nothing", async () => {
        const r = await runStack("kind", { kind: { kubeconfig: kubeconfigPath, rwxBackend: "my-nfs" } });
        assert.strictEqual(r.outputs.rwxStorageClass, "my-nfs");
        assert.strictEqual(ofType(r, "kubernetes:helm.sh/v3:Release").length, 0);
    });

    it("warns, rather than failing, when the context is not in the kubeconfig", async () => {
        const r = await runStack("kind", { kind: { kubeconfig: kubeconfigPath, context: "kind-other" } });
        assert.ok(r.warnings.some((w) => w.includes("context kind-other is not in")));
    });
});

describe("platform helpers", () => {
    it("makes valid GCP service account ids", () => {
        assert.strictEqual(serviceAccountId("kvl-nodes", "gke"), "kvl-nodes-gke");
        const long = serviceAccountId("kvl-nodes", "a-very-long-stack-name-for-the-class-of-2026");
        assert.ok(long.length <= 30 && /^[a-z][a-z0-9-]+[a-z0-9]$/.test(long), long);
    });

    it("reads a context's server and CA from a kubeconfig", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kvl-")), "config");
        fs.writeFileSync(file, renderKubeconfig({ name: "kind-x", server: "https://127.0.0.1:1234", caData: "Q0E=", user: { token: "x" } }));
        assert.deepStrictEqual(readContextEndpoint(file, "kind-x"), { server: "https://127.0.0.1:1234", caData: "Q0E=" });
        assert.match((readContextEndpoint(file, "nope") as { missing: string }).missing, /context nope is not in/);
        assert.match((readContextEndpoint(`${file}.absent`, "kind-x") as { missing: string }).missing, /cannot read kubeconfig/);
    });
});
