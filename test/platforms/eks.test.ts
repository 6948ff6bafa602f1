/**
 * The eks stack under the mock engine: version and billing, network, identity, add-ons and their
 * destroy order, the EFS lock-down, and node capacity against the pods the stack really renders.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

import { parseConfig, type RawConfig } from "../../config";
import {
    INSTANCE_TYPES,
    eksNodeSizing,
    maxPods,
    nodeAllocatable,
    reservedCpuMilli,
    stackPodGroups,
    workloadPods,
} from "../../platforms/capacity";
import { creatorPrincipal, isSamePrincipal, principalKey, subnetCidr } from "../../platforms/eks";
import type { ProgramRun, RecordedResource } from "../../render/engine";
import { kobj, one, ofType, runStack, studentNames } from "../helpers";

const IMAGES = {
    frontImage: `registry.example/front@sha256:${"a".repeat(64)}`,
    backImage: `registry.example/back@sha256:${"b".repeat(64)}`,
};
/** 30 students, each with the chatroulette app (2 pods), and the chatroulette demo on. */
const CLASS_OF_30 = {
    students: studentNames(30),
    studentApps: true,
    demos: { chatroulette: { enabled: true, ...IMAGES } },
};

function eksConfig(extra: Record<string, unknown> = {}): ReturnType<typeof parseConfig> {
    return parseConfig({
        platform: "eks",
        awsRegion: "eu-west-3",
        students: ["ada", "grace", { name: "linus", uid: 20001 }],
        ...extra,
    } as RawConfig);
}

/** Every URN `urn` waits for, directly or not: dependencies, and the parent (deleted after its children). */
function waitsFor(run: ProgramRun, urn: string): Set<string> {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const seen = new Set<string>();
    const stack = [urn];
    while (stack.length > 0) {
        const r = byUrn.get(stack.pop()!);
        for (const next of [...(r?.dependencies ?? []), ...(r?.parent ? [r.parent] : [])]) {
            if (!seen.has(next)) {
                seen.add(next);
                stack.push(next);
            }
        }
    }
    return seen;
}

/** Pods a workload manifest starts, and the requests of one of them (sum of its containers). */
function renderedPods(o: Record<string, any>): { pods: number; cpuMilli: number; memoryMi: number } | undefined {
    const spec = o.kind === "Pod" ? o.spec : ["Deployment", "StatefulSet", "ReplicaSet"].includes(o.kind) ? o.spec.template.spec : undefined;
    if (!spec) {
        return undefined;
    }
    const pods = o.kind === "Pod" ? 1 : (o.spec.replicas ?? 1);
    const sum = (containers: any[] = []): { cpu: number; mem: number } =>
        containers.reduce(
            (acc, c) => {
                const cpu = String(c.resources?.requests?.cpu ?? "0");
                const mem = String(c.resources?.requests?.memory ?? "0Mi");
                return {
                    cpu: acc.cpu + (cpu.endsWith("m") ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000),
                    mem: acc.mem + Number(mem.replace(/Mi$/, "")) * (mem.endsWith("Gi") ? 1024 : 1),
                };
            },
            { cpu: 0, mem: 0 },
        );
    const main = sum(spec.containers);
    const init = (spec.initContainers ?? []).map((c: any) => sum([c]));
    // Effective requests: the larger of the containers' sum and any one init container.
    const cpuMilli = Math.max(main.cpu, ...init.map((i: { cpu: number }) => i.cpu));
    const memoryMi = Math.max(main.mem, ...init.map((i: { mem: number }) => i.mem));
    return { pods, cpuMilli, memoryMi };
}

function renderedTotals(run: ProgramRun): { pods: number; cpuMilli: number; memoryMi: number } {
    return run.resources
        .filter((r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v3:Release")
        .map((r) => renderedPods(r.inputs))
        .filter((p): p is { pods: number; cpuMilli: number; memoryMi: number } => p !== undefined)
        .reduce((a, p) => ({ pods: a.pods + p.pods, cpuMilli: a.cpuMilli + p.pods * p.cpuMilli, memoryMi: a.memoryMi + p.pods * p.memoryMi }), {
            pods: 0,
            cpuMilli: 0,
            memoryMi: 0,
        });
}

async function rejection(p: Promise<unknown>): Promise<string> {
    try {
        await p;
    } catch (e) {
        return (e as Error).message ?? String(e);
    }
    assert.fail("expected the program to fail");
}

describe("platform: eks", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runStack("eks");
    });

    describe("version and billing", () => {
        it("runs Kubernetes 1.35 with the STANDARD upgrade policy (no extended-support billing)", () => {
            const c = one(run, "aws:eks/cluster:Cluster").inputs;
            assert.strictEqual(c.version, "1.35");
            assert.deepStrictEqual(c.upgradePolicy, { supportType: "STANDARD" });
        });

        it("passes eks.upgradePolicy EXTENDED through when asked", async () => {
            const r = await runStack("eks", { eks: { instanceTypes: ["t3.medium"], upgradePolicy: "EXTENDED" } });
            assert.deepStrictEqual(one(r, "aws:eks/cluster:Cluster").inputs.upgradePolicy, { supportType: "EXTENDED" });
        });
    });

    describe("network", () => {
        it("asks for Availability Zones only (opt-in-not-required) and puts one public subnet in each", () => {
            // The mock lists an opted-in Local Zone second unless the opt-in-status filter removes it.
            const subnets = ofType(run, "aws:ec2/subnet:Subnet").map((s) => s.inputs);
            assert.deepStrictEqual(
                subnets.map((s) => [s.cidrBlock, s.availabilityZone]),
                [
                    ["10.0.0.0/20", "mock-region-1a"],
                    ["10.0.16.0/20", "mock-region-1b"],
                ],
            );
        });

        it("uses every Availability Zone the region has when azCount asks for it", async () => {
            const r = await runStack("eks", { eks: { vpc: { azCount: 3 } } });
            assert.deepStrictEqual(
                ofType(r, "aws:ec2/subnet:Subnet").map((s) => s.inputs.availabilityZone),
                ["mock-region-1a", "mock-region-1b", "mock-region-1c"],
            );
            assert.strictEqual(ofType(r, "aws:efs/mountTarget:MountTarget").length, 3);
        });

        it("refuses an azCount larger than the region's Availability Zones, naming the key and the count", async () => {
            const msg = await rejection(runStack("eks", { eks: { vpc: { azCount: 4 } } }));
            assert.match(msg, /eks\.vpc\.azCount/);
            assert.match(msg, /4 is more than the 3 Availability Zones/);
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

    describe("identity", () => {
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

        it("uses access entries and makes the caller admin through bootstrapClusterCreatorAdminPermissions", () => {
            const c = one(run, "aws:eks/cluster:Cluster").inputs;
            assert.deepStrictEqual(c.accessConfig, { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true });
        });

        it("keys admin access entries by principal: removing one admin leaves the other's entry as it is", async () => {
            const a = "arn:aws:iam::123456789012:role/teacher-a";
            const b = "arn:aws:iam::123456789012:user/teacher-b";
            const both = await runStack("eks", { eks: { instanceTypes: ["t3.medium"], adminPrincipalArns: [a, b] } });
            const onlyB = await runStack("eks", { eks: { instanceTypes: ["t3.medium"], adminPrincipalArns: [b] } });
            const entries = (r: ProgramRun): [string, string][] =>
                ofType(r, "aws:eks/accessEntry:AccessEntry")
                    .filter((e) => !e.name.endsWith("-access"))
                    .map((e) => [e.name, e.inputs.principalArn]);
            const bEntry = entries(both).find(([, arn]) => arn === b)!;
            assert.deepStrictEqual(entries(onlyB), [bEntry], "b's entry keeps its logical name when a is removed");
            assert.strictEqual(bEntry[0], `lab-admin-${principalKey(b)}`);
            assert.match(bEntry[0], /^lab-admin-123456789012-user-teacher-b-[0-9a-f]{6}$/);
            const assoc = ofType(onlyB, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation").find((x) => x.inputs.principalArn === b)!;
            assert.strictEqual(assoc.inputs.policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
        });

        it("refuses the identity running pulumi as an admin (it already has the creator's entry)", async () => {
            // The mock caller is arn:aws:sts::123456789012:assumed-role/kvl-deployer/pulumi-session.
            const msg = await rejection(
                runStack("eks", { eks: { instanceTypes: ["t3.medium"], adminPrincipalArns: ["arn:aws:iam::123456789012:role/ops/kvl-deployer"] } }),
            );
            assert.match(msg, /eks\.adminPrincipalArns\[0\]/);
            assert.match(msg, /is the identity running pulumi/);
        });

        it("recognises the caller behind an assumed-role session, and nobody else", () => {
            const session = "arn:aws:sts::123456789012:assumed-role/Admin/alice";
            assert.deepStrictEqual(creatorPrincipal(session), { account: "123456789012", kind: "role", name: "Admin" });
            assert.ok(isSamePrincipal("arn:aws:iam::123456789012:role/Admin", session));
            assert.ok(isSamePrincipal("arn:aws:iam::123456789012:role/team/Admin", session));
            assert.ok(!isSamePrincipal("arn:aws:iam::123456789012:user/Admin", session));
            assert.ok(!isSamePrincipal("arn:aws:iam::210987654321:role/Admin", session));
            assert.ok(isSamePrincipal("arn:aws:iam::123456789012:user/bob", "arn:aws:iam::123456789012:user/bob"));
        });

        it("keys a student's access entry by the student's name, scoped to their namespace", async () => {
            const r = await runStack("eks", {
                eks: { instanceTypes: ["t3.medium"] },
                students: ["ada", { name: "linus", uid: 20001, identity: "arn:aws:iam::123456789012:user/linus" }],
            });
            const entry = one(r, "aws:eks/accessEntry:AccessEntry", "linus-access");
            assert.strictEqual(entry.inputs.principalArn, "arn:aws:iam::123456789012:user/linus");
            const assoc = one(r, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "linus-access").inputs;
            assert.strictEqual(assoc.policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy");
            assert.deepStrictEqual(assoc.accessScope, { type: "namespace", namespaces: ["student-linus"] });
        });

        it("gives a kubeconfig through aws eks get-token for the stack's region, with no profile unless one is set", () => {
            const kc = YAML.parse(run.outputs.kubeconfig);
            const exec = kc.users[0].user.exec;
            assert.strictEqual(exec.command, "aws");
            assert.deepStrictEqual(exec.args.slice(0, 2), ["eks", "get-token"]);
            assert.deepStrictEqual(exec.args.slice(exec.args.indexOf("--region"), exec.args.indexOf("--region") + 2), ["--region", "eu-west-3"]);
            assert.strictEqual(exec.env ?? undefined, undefined);
        });

        it("signs the kubeconfig's get-token with aws:profile when the stack sets one (provider and teardown alike)", async () => {
            const r = await runStack("eks", { "aws:profile": "teaching" });
            const exec = YAML.parse(r.outputs.kubeconfig).users[0].user.exec;
            assert.deepStrictEqual(exec.env, [{ name: "AWS_PROFILE", value: "teaching" }]);
            const teardown = r.resources.find((x) => x.name === "lab-volume-teardown")!;
            assert.deepStrictEqual(YAML.parse(teardown.inputs.kubeconfig).users[0].user.exec.env, [{ name: "AWS_PROFILE", value: "teaching" }]);
        });

        it("refuses a student whose identity is the one running pulumi (it already has the creator's access entry)", async () => {
            const msg = await rejection(
                runStack("eks", {
                    eks: { instanceTypes: ["t3.medium"] },
                    students: ["ada", { name: "linus", uid: 20001, identity: "arn:aws:iam::123456789012:role/kvl-deployer" }],
                }),
            );
            assert.match(msg, /'students' \(linus\): identity arn:aws:iam::123456789012:role\/kvl-deployer is the identity running pulumi/);
        });

        it("keeps admins' access until the Kubernetes objects and volumes are gone on destroy", async () => {
            const admin = "arn:aws:iam::123456789012:role/teacher-a";
            const r = await runStack("eks", { eks: { instanceTypes: ["t3.medium"], adminPrincipalArns: [admin] } });
            const assoc = ofType(r, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation").find((x) => x.inputs.principalArn === admin)!;
            const provider = one(r, "pulumi:providers:kubernetes", "lab-k8s");
            const teardown = r.resources.find((x) => x.name === "lab-volume-teardown")!;
            assert.ok(provider.dependencies.includes(assoc.urn), "the Kubernetes provider waits for (and outlives) the admin's access");
            assert.ok(waitsFor(r, teardown.urn).has(assoc.urn), "the teardown waits for (and outlives) the admin's access");
        });
    });

    describe("CSI add-ons and their order", () => {
        const byName = (r: ProgramRun, addonName: string): RecordedResource =>
            ofType(r, "aws:eks/addon:Addon").find((a) => a.inputs.addonName === addonName)!;
        const attachment = (r: ProgramRun, policy: string): RecordedResource =>
            ofType(r, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").find((a) => a.inputs.policyArn.endsWith(`/${policy}`))!;

        it("binds only the EFS controller's service account, to the role with AmazonEFSCSIDriverPolicy", () => {
            const addons = ofType(run, "aws:eks/addon:Addon").map((a) => a.inputs.addonName).sort();
            assert.deepStrictEqual(addons, ["aws-ebs-csi-driver", "aws-efs-csi-driver", "eks-pod-identity-agent", "vpc-cni"]);
            const cni = byName(run, "vpc-cni").inputs;
            assert.deepStrictEqual(JSON.parse(cni.configurationValues), { enableNetworkPolicy: "true" });
            const efsRoleName = attachment(run, "AmazonEFSCSIDriverPolicy").inputs.role;
            const efsRole = ofType(run, "aws:iam/role:Role").find((r) => efsRoleName.startsWith(r.name))!;
            assert.deepStrictEqual(JSON.parse(efsRole.inputs.assumeRolePolicy).Statement[0].Principal, { Service: "pods.eks.amazonaws.com" });
            assert.deepStrictEqual(byName(run, "aws-efs-csi-driver").inputs.podIdentityAssociations, [
                { roleArn: `arn:aws:iam::123456789012:role/${efsRoleName}`, serviceAccount: "efs-csi-controller-sa" },
            ]);
            const ebsRoleName = attachment(run, "AmazonEBSCSIDriverPolicy").inputs.role;
            assert.deepStrictEqual(byName(run, "aws-ebs-csi-driver").inputs.podIdentityAssociations, [
                { roleArn: `arn:aws:iam::123456789012:role/${ebsRoleName}`, serviceAccount: "ebs-csi-controller-sa" },
            ]);
        });

        it("creates each CSI add-on after its role's policy attachment (and so deletes it before)", () => {
            assert.ok(byName(run, "aws-efs-csi-driver").dependencies.includes(attachment(run, "AmazonEFSCSIDriverPolicy").urn));
            assert.ok(byName(run, "aws-ebs-csi-driver").dependencies.includes(attachment(run, "AmazonEBSCSIDriverPolicy").urn));
        });

        it("creates Kubernetes objects after the VPC CNI add-on (NetworkPolicies enforced) and deletes the add-on after the volume wait", () => {
            const cni = byName(run, "vpc-cni").urn;
            assert.ok(one(run, "pulumi:providers:kubernetes", "lab-k8s").dependencies.includes(cni));
            assert.ok(waitsFor(run, run.resources.find((r) => r.name === "lab-volume-teardown")!.urn).has(cni));
        });

        it("the teardown's serialised provider runs on its own at destroy: kubectl from PATH with the stored kubeconfig, or skipped", async () => {
            // What Pulumi stores in the state (`__provider`) and runs on `pulumi destroy`, evaluated here
            // outside the program: no captured object may be missing, only Node built-ins are required.
            const teardown = run.resources.find((r) => r.name === "lab-volume-teardown")!;
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvl-eks-teardown-"));
            const savedPath = process.env.PATH;
            const savedSkip = process.env.KVL_SKIP_VOLUME_WAIT;
            try {
                fs.writeFileSync(path.join(dir, "provider.js"), String(teardown.inputs.__provider));
                // eslint-disable-next-line @typescript-eslint/no-require-imports
                const provider = require(path.join(dir, "provider.js")).handler();
                const log = path.join(dir, "kubectl.log");
                fs.writeFileSync(
                    path.join(dir, "kubectl"),
                    `#!/bin/sh\necho "$@" >> ${log}\ncat "$2" >> ${log}\necho '{"items":[]}'\n`,
                    { mode: 0o755 },
                );
                process.env.PATH = `${dir}:${savedPath}`;
                delete process.env.KVL_SKIP_VOLUME_WAIT;
                await provider.delete("volume-teardown", { ...teardown.inputs, kubeconfig: "kubeconfig-for-test" });
                const calls = fs.readFileSync(log, "utf8");
                assert.match(calls, /^--kubeconfig \S+ --request-timeout 30s get pv,pvc --all-namespaces -o json\nkubeconfig-for-test/);
                fs.rmSync(log);
                process.env.KVL_SKIP_VOLUME_WAIT = "1";
                await provider.delete("volume-teardown", { ...teardown.inputs, kubeconfig: "kubeconfig-for-test" });
                assert.ok(!fs.existsSync(log), "KVL_SKIP_VOLUME_WAIT=1 skips kubectl");
                delete process.env.KVL_SKIP_VOLUME_WAIT;
                process.env.PATH = path.join(dir, "empty");
                await assert.rejects(provider.delete("volume-teardown", { ...teardown.inputs }), /kubectl is not on PATH.*KVL_SKIP_VOLUME_WAIT=1/);
            } finally {
                process.env.PATH = savedPath;
                if (savedSkip === undefined) delete process.env.KVL_SKIP_VOLUME_WAIT;
                else process.env.KVL_SKIP_VOLUME_WAIT = savedSkip;
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("on destroy, deletes every claim and namespace, then waits for the drivers' volumes, before the add-ons and their rights", () => {
            const teardown = run.resources.find((r) => r.name === "lab-volume-teardown")!;
            assert.ok(teardown, "a volume teardown resource");
            assert.deepStrictEqual(teardown.inputs.drivers, ["efs.csi.aws.com", "ebs.csi.aws.com"]);
            const teardownWaits = waitsFor(run, teardown.urn);
            for (const needed of [
                byName(run, "aws-efs-csi-driver").urn,
                byName(run, "aws-ebs-csi-driver").urn,
                attachment(run, "AmazonEFSCSIDriverPolicy").urn,
                attachment(run, "AmazonEBSCSIDriverPolicy").urn,
                one(run, "aws:eks/nodeGroup:NodeGroup").urn,
            ]) {
                assert.ok(teardownWaits.has(needed), `the teardown must be deleted before ${needed}`);
            }
            const claimsAndNamespaces = run.resources.filter(
                (r) => r.type === "kubernetes:core/v1:PersistentVolumeClaim" || r.type === "kubernetes:core/v1:Namespace",
            );
            assert.ok(claimsAndNamespaces.length > 5);
            for (const r of claimsAndNamespaces) {
                assert.ok(waitsFor(run, r.urn).has(teardown.urn), `${r.name} must be deleted before the teardown wait`);
            }
        });
    });

    describe("EFS locked to the nodes", () => {
        it("encrypts EFS and mounts it once per AZ behind a 2049 rule from the cluster security group only", () => {
            const fsIn = one(run, "aws:efs/fileSystem:FileSystem").inputs;
            assert.strictEqual(fsIn.encrypted, true);
            assert.strictEqual(fsIn.throughputMode, "elastic");
            const targets = ofType(run, "aws:efs/mountTarget:MountTarget").map((t) => t.inputs);
            assert.strictEqual(new Set(targets.map((t) => t.subnetId)).size, 2);
            const rules = ofType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((r) => r.inputs);
            assert.strictEqual(rules.length, 1);
            assert.deepStrictEqual([rules[0].ipProtocol, rules[0].fromPort, rules[0].toPort], ["tcp", 2049, 2049]);
            assert.match(rules[0].referencedSecurityGroupId, /^sg-cluster/);
        });

        it("lets only the node role mount, through a mount target, over TLS, without root", () => {
            const fsArn = /^arn:aws:elasticfilesystem:mock-region-1:123456789012:file-system\/fs-[0-9a-f]{8}$/;
            const policy = JSON.parse(one(run, "aws:efs/fileSystemPolicy:FileSystemPolicy").inputs.policy);
            // The role the nodes run with (the node group's), and nothing else.
            const nodeRoleArn = one(run, "aws:eks/nodeGroup:NodeGroup").inputs.nodeRoleArn;
            assert.match(nodeRoleArn, /^arn:aws:iam::123456789012:role\/lab-node-role-[0-9a-f]{8}$/);
            const allows = policy.Statement.filter((s: any) => s.Effect === "Allow");
            assert.strictEqual(allows.length, 1);
            assert.deepStrictEqual(allows[0].Principal, { AWS: nodeRoleArn });
            assert.deepStrictEqual(allows[0].Action, ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]);
            assert.match(allows[0].Resource, fsArn);
            assert.deepStrictEqual(allows[0].Condition, {
                Bool: { "elasticfilesystem:AccessedViaMountTarget": "true", "aws:SecureTransport": "true" },
            });
            const deny = policy.Statement.find((s: any) => s.Effect === "Deny");
            assert.deepStrictEqual(deny.Condition, { Bool: { "aws:SecureTransport": "false" } });
            assert.ok(!JSON.stringify(allows).includes("ClientRootAccess"));
            assert.ok(allows.every((s: any) => s.Principal !== "*" && s.Principal.AWS !== "*"), "no anonymous allow");
        });

        it("mounts every EFS volume with iam (TLS is the driver's default), static and dynamic", () => {
            assert.deepStrictEqual(kobj(run, "StorageClass", "efs-ap").mountOptions, ["iam"]);
            const pvs = ofType(run, "kubernetes:core/v1:PersistentVolume").map((p) => p.inputs);
            const homes = pvs.filter((p) => p.metadata.name.startsWith("kvl-home-"));
            assert.deepStrictEqual(homes.map((p) => p.metadata.name).sort(), ["kvl-home-ada", "kvl-home-grace", "kvl-home-linus"]);
            for (const pv of homes) {
                assert.deepStrictEqual(pv.spec.mountOptions, ["iam"], pv.metadata.name);
                assert.strictEqual(pv.spec.csi.volumeAttributes?.encryptInTransit, undefined, "TLS must stay on");
            }
        });

        it("keeps the nodes' metadata endpoint to one hop and IMDSv2 (pods cannot take the node role)", () => {
            const lt = one(run, "aws:ec2/launchTemplate:LaunchTemplate");
            assert.deepStrictEqual(lt.inputs.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
            assert.strictEqual(lt.inputs.imageId, undefined, "the node group keeps choosing the EKS AMI");
            const ng = one(run, "aws:eks/nodeGroup:NodeGroup");
            assert.ok(ng.dependencies.includes(lt.urn));
            assert.match(ng.inputs.launchTemplate.id, /^lab-nodes-id-/);
        });

        it("defines the static and the access-point EFS classes and a gp3 class", () => {
            const staticClass = kobj(run, "StorageClass", "efs-static");
            assert.deepStrictEqual([staticClass.provisioner, staticClass.reclaimPolicy], ["efs.csi.aws.com", "Retain"]);
            const ap = kobj(run, "StorageClass", "efs-ap");
            assert.deepStrictEqual([ap.provisioner, ap.parameters.provisioningMode], ["efs.csi.aws.com", "efs-ap"]);
            assert.match(ap.parameters.fileSystemId, /^fs-[0-9a-f]{8}$/);
            assert.strictEqual(kobj(run, "StorageClass", "gp3").provisioner, "ebs.csi.aws.com");
            assert.strictEqual(run.outputs.rwxStorageClass, "efs-ap");
            assert.strictEqual(run.outputs.rwoStorageClass, "gp3");
        });
    });

    describe("capacity", () => {
        it("knows what eni-max-pods says of the instance types (t3.medium: 17)", () => {
            // amazon-eks-ami eni-max-pods.txt: t3.medium 17, t3.large 35, m5.large 29, t3.xlarge 58.
            assert.strictEqual(maxPods(INSTANCE_TYPES["t3.medium"]), 17);
            assert.strictEqual(maxPods(INSTANCE_TYPES["t3.large"]), 35);
            assert.strictEqual(maxPods(INSTANCE_TYPES["m5.large"]), 29);
            assert.strictEqual(maxPods(INSTANCE_TYPES["t3.xlarge"]), 58);
        });

        it("reserves what the AL2023 AMI reserves (t3.medium: 1930m CPU, 3246Mi allocatable)", () => {
            // 6% of core 1 + 1% of core 2 = 70m; 4 vCPU adds 0.5% × 2 cores = 10m; 8 vCPU adds 0.25% × 4 = 10m.
            assert.deepStrictEqual([reservedCpuMilli(2), reservedCpuMilli(4), reservedCpuMilli(8)], [70, 80, 90]);
            // 4096Mi × 0.925 = 3788; kube-reserved 11 × 17 + 255 = 442; eviction 100.
            assert.deepStrictEqual(nodeAllocatable(INSTANCE_TYPES["t3.medium"]), { pods: 17, cpuMilli: 1930, memoryMi: 3246 });
        });

        it("counts exactly the pods and requests the stack renders", async () => {
            for (const [label, overrides, cfg] of [
                ["default", {}, eksConfig()],
                ["30 students", CLASS_OF_30, eksConfig(CLASS_OF_30)],
                ["spread, readersOnly", { demos: { accessModes: { mode: "readersOnly" }, story: { replicas: 3 } } }, eksConfig({ demos: { accessModes: { mode: "readersOnly" }, story: { replicas: 3 } } })],
            ] as const) {
                const r = await runStack("eks", { eks: { instanceTypes: ["t3.medium"] }, ...overrides });
                const rendered = renderedTotals(r);
                const groups = stackPodGroups(cfg);
                const model = groups.reduce(
                    (a, g) => ({ pods: a.pods + g.pods, cpuMilli: a.cpuMilli + g.pods * g.perPod.cpuMilli, memoryMi: a.memoryMi + g.pods * g.perPod.memoryMi }),
                    { pods: 0, cpuMilli: 0, memoryMi: 0 },
                );
                assert.deepStrictEqual(model, rendered, label);
                assert.strictEqual(workloadPods(cfg), rendered.pods, label);
            }
        });

        it("sizes the default stack: 13 workload pods + 6 system pods fit 2 t3.medium nodes", () => {
            // 13 = distinct-updater 1 + 5, side-updater 1, story 2, access-modes 2 + 2; 6 = CoreDNS 2,
            // EFS and EBS CSI controllers 2 each. A t3.medium holds 17 - 5 DaemonSet pods = 12 more.
            const ng = one(run, "aws:eks/nodeGroup:NodeGroup").inputs;
            assert.deepStrictEqual(ng.scalingConfig, { desiredSize: 2, minSize: 2, maxSize: 3 });
            assert.deepStrictEqual(ng.instanceTypes, ["t3.medium"]);
            assert.strictEqual(renderedTotals(run).pods, 13);
        });

        it("sizes 30 students with apps at 7 t3.medium nodes, enough for what renders", async () => {
            const r = await runStack("eks", { eks: { instanceTypes: ["t3.medium"] }, ...CLASS_OF_30 });
            const ng = one(r, "aws:eks/nodeGroup:NodeGroup").inputs;
            // 30 × 2 app pods + demos 15 (chatroulette front + back) + 6 system = 81 pods; 81 / 12 → 7 nodes.
            assert.deepStrictEqual(ng.scalingConfig, { desiredSize: 7, minSize: 7, maxSize: 8 });
            const rendered = renderedTotals(r);
            assert.strictEqual(rendered.pods, 75);
            // Independent of the packer: pod slots, CPU and memory of 7 nodes cover the rendered pods.
            const room = { pods: 12, cpuMilli: 1930 - 155, memoryMi: 3246 - 104 };
            assert.ok(7 * room.pods >= rendered.pods + 6);
            assert.ok(7 * room.cpuMilli >= rendered.cpuMilli + 2 * 100 + 2 * 60);
            assert.ok(7 * room.memoryMi >= rendered.memoryMi + 2 * 70 + 2 * 232);
        });

        it("refuses an eks.nodeCount too small for the stack, naming the key and the count needed", async () => {
            const msg = await rejection(runStack("eks", { eks: { instanceTypes: ["t3.medium"], nodeCount: 3 }, ...CLASS_OF_30 }));
            assert.match(msg, /Invalid configuration 'eks\.nodeCount': 3 is too few/);
            assert.match(msg, /at least 7/);
        });

        it("uses an eks.nodeCount that is enough as it is", async () => {
            const r = await runStack("eks", { eks: { instanceTypes: ["t3.medium"], nodeCount: 4 } });
            assert.deepStrictEqual(one(r, "aws:eks/nodeGroup:NodeGroup").inputs.scalingConfig, { desiredSize: 4, minSize: 4, maxSize: 5 });
        });

        it("sizes for the smallest of several instance types, and asks for nodeCount with an unknown one", () => {
            const mixed = eksNodeSizing(eksConfig({ eks: { instanceTypes: ["t3.large", "t3.medium"] }, ...CLASS_OF_30 }));
            assert.deepStrictEqual([mixed.instanceType, mixed.nodeCount], ["t3.medium", 7]);
            const large = eksNodeSizing(eksConfig({ eks: { instanceTypes: ["t3.large"] }, ...CLASS_OF_30 }));
            // t3.large: 35 - 5 = 30 pods per node; 81 pods → 3 nodes (memory 8 GiB is not the limit).
            assert.strictEqual(large.nodeCount, 3);
            assert.throws(() => eksNodeSizing(eksConfig({ eks: { instanceTypes: ["m8g.large"] } })), /eks\.instanceTypes.*m8g\.large.*set eks\.nodeCount/);
            assert.strictEqual(eksNodeSizing(eksConfig({ eks: { instanceTypes: ["m8g.large"], nodeCount: 3 } })).nodeCount, 3);
        });

        it("refuses a colocated demo no node can hold", () => {
            // mode affinity: the loop and every server on one node; 20 + 1 pods > 12.
            assert.throws(
                () => eksNodeSizing(eksConfig({ demos: { distinctUpdater: { mode: "affinity", replicas: 20 } } })),
                /Invalid configuration 'demos\.distinctUpdater\.replicas'.*21 pods/,
            );
            // The same replicas spread over nodes (mode rwx) are just more nodes.
            assert.ok(eksNodeSizing(eksConfig({ demos: { distinctUpdater: { mode: "rwx", replicas: 20 } } })).nodeCount >= 3);
        });
    });
});
