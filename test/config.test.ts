/**
 * config.ts without Pulumi: defaults, every accepted form, and every bad value's message.
 */
import * as assert from "assert";

import { ConfigError, deriveUid, parseConfig, RawConfig, STUDENT_NAME_MAX, UID_MIN, UID_SPAN } from "../config";

const gke: RawConfig = { platform: "gke", gcpProject: "my-proj", gcpRegion: "europe-west1" };
const eks: RawConfig = { platform: "eks", awsRegion: "eu-west-3" };
const kind: RawConfig = { platform: "kind" };

/** Asserts that parsing fails with a ConfigError on `key` whose message contains every fragment. */
function rejects(raw: RawConfig, key: string, ...fragments: string[]): void {
    assert.throws(
        () => parseConfig(raw),
        (e: unknown) => {
            assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
            assert.strictEqual(e.key, key);
            for (const f of fragments) {
                assert.ok(e.message.includes(f), `message "${e.message}" lacks "${f}"`);
            }
            return true;
        },
    );
}

describe("config", () => {
    describe("platform", () => {
        it("is required and named in the message", () => {
            rejects({}, "platform", "gke, eks, kind");
        });
        it("rejects an unknown platform, naming the value and the accepted ones", () => {
            rejects({ platform: "aks" }, "platform", '"aks"', "gke, eks, kind");
        });
        it("parses only the selected platform's section", () => {
            const cfg = parseConfig({ ...kind, gke: { nodeCount: 0 } });
            assert.strictEqual(cfg.platform, "kind");
            assert.strictEqual(cfg.gke, undefined);
            assert.deepStrictEqual(cfg.kind, { context: "kind-kind", kubeconfig: undefined, rwxBackend: "nfs" });
        });
    });

    describe("gke", () => {
        it("has cost-conscious defaults: a zone, two nodes, standard-rwx", () => {
            const g = parseConfig(gke).gke!;
            assert.strictEqual(g.location, "europe-west1-b");
            assert.strictEqual(g.nodeCount, 2);
            assert.strictEqual(g.machineType, "e2-standard-2");
            assert.strictEqual(g.deletionProtection, false);
            assert.strictEqual(g.rwxStorageClass, "standard-rwx");
            assert.strictEqual(g.rwoStorageClass, "standard-rwo");
            assert.strictEqual(g.releaseChannel, "REGULAR");
            assert.deepStrictEqual(g.studentFilestore, { tier: "BASIC_HDD", capacityGb: 1024, protect: true });
        });
        it("takes gcp:zone as the default location", () => {
            assert.strictEqual(parseConfig({ ...gke, gcpZone: "europe-west1-c" }).gke!.location, "europe-west1-c");
        });
        it("requires gcp:project", () => {
            rejects({ platform: "gke" }, "gcp:project", "pulumi config set gcp:project");
        });
        it("rejects nodeCount below 1, naming the range", () => {
            rejects({ ...gke, gke: { nodeCount: 0 } }, "gke.nodeCount", "0", "from 1 to 100");
        });
        it("accepts nodeCount given as a string by `pulumi config set --path`", () => {
            assert.strictEqual(parseConfig({ ...gke, gke: { nodeCount: "3" } }).gke!.nodeCount, 3);
        });
        it("rejects a location outside gcp:region", () => {
            rejects({ ...gke, gke: { location: "us-central1-a" } }, "gke.location", "europe-west1");
        });
        it("rejects an unknown release channel", () => {
            rejects({ ...gke, gke: { releaseChannel: "BETA" } }, "gke.releaseChannel", "RAPID, REGULAR, STABLE");
        });
        it("rejects unknown settings, listing the accepted ones", () => {
            rejects({ ...gke, gke: { nodecount: 2 } }, "gke.nodecount", "nodeCount");
        });
        it("needs existingNetwork and existingSubnetwork together", () => {
            rejects({ ...gke, gke: { network: { existingNetwork: "vpc" } } }, "gke.network", "set both");
        });
        it("rejects a bad CIDR", () => {
            rejects({ ...gke, gke: { network: { podsCidr: "10.300.0.0/14" } } }, "gke.network.podsCidr", "CIDR");
        });
        it("refuses a Filestore capacity under the tier minimum", () => {
            rejects(
                { ...gke, gke: { studentFilestore: { tier: "BASIC_SSD", capacityGb: 1024 } } },
                "gke.studentFilestore.capacityGb",
                "2560",
            );
        });
        it("accepts deletionProtection true", () => {
            assert.strictEqual(parseConfig({ ...gke, gke: { deletionProtection: true } }).gke!.deletionProtection, true);
        });
        it("rejects a non-boolean deletionProtection", () => {
            rejects({ ...gke, gke: { deletionProtection: "yes" } }, "gke.deletionProtection", "true or false");
        });
    });

    describe("eks", () => {
        it("creates a two-AZ VPC by default, elastic encrypted EFS protected", () => {
            const e = parseConfig(eks).eks!;
            assert.deepStrictEqual(e.vpc, { cidr: "10.0.0.0/16", azCount: 2 });
            assert.strictEqual(e.nodeCount, 2);
            assert.deepStrictEqual(e.instanceTypes, ["t3.medium"]);
            assert.strictEqual(e.capacityType, "ON_DEMAND");
            assert.deepStrictEqual(e.efs, {
                performanceMode: "generalPurpose",
                throughputMode: "elastic",
                provisionedThroughputMibps: undefined,
                protect: true,
            });
        });
        it("requires aws:region", () => {
            rejects({ platform: "eks" }, "aws:region", "pulumi config set aws:region");
        });
        it("accepts existing subnets", () => {
            const e = parseConfig({ ...eks, eks: { vpc: { existingVpcId: "vpc-0a1b", subnetIds: ["subnet-01", "subnet-02"] } } }).eks!;
            assert.deepStrictEqual(e.vpc, { existingVpcId: "vpc-0a1b", subnetIds: ["subnet-01", "subnet-02"] });
        });
        it("rejects a single existing subnet", () => {
            rejects({ ...eks, eks: { vpc: { existingVpcId: "vpc-0a1b", subnetIds: ["subnet-01"] } } }, "eks.vpc", "at least two");
        });
        it("rejects azCount 1", () => {
            rejects({ ...eks, eks: { vpc: { azCount: 1 } } }, "eks.vpc.azCount", "from 2 to 6");
        });
        it("needs provisionedThroughputMibps exactly with provisioned throughput", () => {
            rejects({ ...eks, eks: { efs: { throughputMode: "provisioned" } } }, "eks.efs.provisionedThroughputMibps", "required");
            const e = parseConfig({ ...eks, eks: { efs: { throughputMode: "provisioned", provisionedThroughputMibps: 64 } } }).eks!;
            assert.strictEqual(e.efs.provisionedThroughputMibps, 64);
        });
        it("rejects an unknown capacity type", () => {
            rejects({ ...eks, eks: { capacityType: "RESERVED" } }, "eks.capacityType", "ON_DEMAND, SPOT");
        });
        it("rejects nodeCount 0", () => {
            rejects({ ...eks, eks: { nodeCount: 0 } }, "eks.nodeCount", "from 1 to 100");
        });
    });

    describe("kind", () => {
        it("accepts longhorn, nfs, none and an existing class name", () => {
            for (const rwxBackend of ["longhorn", "nfs", "none", "my-rwx-class"]) {
                assert.strictEqual(parseConfig({ ...kind, kind: { rwxBackend } }).kind!.rwxBackend, rwxBackend);
            }
        });
        it("rejects a backend that is neither known nor a class name", () => {
            rejects({ ...kind, kind: { rwxBackend: "Ceph FS" } }, "kind.rwxBackend", "longhorn, nfs, none");
        });
        it("with no RWX backend, turns RWX demos off by default", () => {
            const cfg = parseConfig({ ...kind, kind: { rwxBackend: "none" } });
            assert.strictEqual(cfg.demos.chatroulette.enabled, false);
            assert.strictEqual(cfg.demos.story.volume, "hostPath");
        });
        it("with no RWX backend, refuses an RWX demo asked for explicitly", () => {
            rejects(
                { ...kind, kind: { rwxBackend: "none" }, demos: { distinctUpdater: { mode: "rwx" } } },
                "demos.distinctUpdater.mode",
                "ReadWriteMany",
                "rwxBackend is none",
            );
            rejects(
                { ...kind, kind: { rwxBackend: "none" }, demos: { chatroulette: { enabled: true } } },
                "demos.chatroulette.enabled",
            );
        });
    });

    describe("students", () => {
        it("accepts names and objects, deriving stable uids", () => {
            const s = parseConfig({ ...eks, students: ["ada", { name: "grace", uid: 5000 }] }).students;
            assert.deepStrictEqual(s, [
                { name: "ada", uid: deriveUid("ada"), uidExplicit: false, identity: undefined },
                { name: "grace", uid: 5000, uidExplicit: true, identity: undefined },
            ]);
        });
        it("derives a uid from the name alone, whatever the list around it", () => {
            const a = parseConfig({ ...kind, students: ["ada", "bob"] }).students[0].uid;
            const b = parseConfig({ ...kind, students: ["zed", "bob", "ada"] }).students[2].uid;
            assert.strictEqual(a, b);
            assert.ok(a >= UID_MIN && a < UID_MIN + UID_SPAN);
        });
        it("rejects a name that is not a DNS label", () => {
            rejects({ ...kind, students: ["Ada_L"] }, "students[0].name", '"Ada_L"', "lowercase");
        });
        it("rejects a name too long for student-<name>", () => {
            rejects({ ...kind, students: ["a".repeat(STUDENT_NAME_MAX + 1)] }, "students[0].name", `at most ${STUDENT_NAME_MAX}`);
            assert.strictEqual(parseConfig({ ...kind, students: ["a".repeat(STUDENT_NAME_MAX)] }).students.length, 1);
        });
        it("rejects duplicates, naming both positions", () => {
            rejects({ ...kind, students: ["ada", "bob", "ada"] }, "students[2]", "listed twice", "students[0]");
        });
        it("rejects a uid collision, naming both students", () => {
            rejects({ ...kind, students: [{ name: "ada", uid: 4242 }, { name: "bob", uid: 4242 }] }, "students", "ada", "bob", "4242");
        });
        it("rejects an explicit uid that collides with a derived one", () => {
            rejects({ ...kind, students: ["ada", { name: "bob", uid: deriveUid("ada") }] }, "students", "share uid");
        });
        it("rejects unknown entry keys", () => {
            rejects({ ...kind, students: [{ name: "ada", email: "a@b.c" }] }, "students[0].email", "name, uid, identity");
        });
        it("checks identities against the platform's form", () => {
            rejects({ ...gke, students: [{ name: "ada", identity: "arn:aws:iam::123456789012:user/ada" }] }, "students[0].identity", "Google account");
            rejects({ ...eks, students: [{ name: "ada", identity: "ada@example.com" }] }, "students[0].identity", "IAM user or role ARN");
            assert.strictEqual(
                parseConfig({ ...eks, students: [{ name: "ada", identity: "arn:aws:iam::123456789012:role/teacher" }] }).students[0].identity,
                "arn:aws:iam::123456789012:role/teacher",
            );
            assert.strictEqual(parseConfig({ ...gke, students: [{ name: "ada", identity: "ada@example.com" }] }).students[0].identity, "ada@example.com");
        });
        it("rejects a students value that is not a list", () => {
            rejects({ ...kind, students: "ada" }, "students", "not a list");
        });
        it("has no uid collision among 300 generated names", () => {
            const names = Array.from({ length: 300 }, (_, i) => `student-${String(i).padStart(3, "0")}`);
            assert.strictEqual(parseConfig({ ...kind, students: names }).students.length, 300);
        });
    });

    describe("demos and quota", () => {
        it("defaults: every demo on, distinct-updater in affinity mode, story on a claim", () => {
            const d = parseConfig(gke).demos;
            assert.deepStrictEqual(
                [d.distinctUpdater.enabled, d.distinctUpdater.mode, d.distinctUpdater.replicas],
                [true, "affinity", 5],
            );
            assert.strictEqual(d.sideUpdater.enabled, true);
            assert.strictEqual(d.chatroulette.enabled, true);
            assert.strictEqual(d.chatroulette.backReplicas, 1);
            assert.deepStrictEqual([d.story.enabled, d.story.volume], [true, "claim"]);
            assert.deepStrictEqual(
                [d.accessModes.enabled, d.accessModes.mode, d.accessModes.writers, d.accessModes.readers],
                [true, "colocated", 2, 2],
            );
        });
        it("rejects an unknown access-modes mode and a demo that starts no pod", () => {
            rejects({ ...gke, demos: { accessModes: { mode: "random" } } }, "demos.accessModes.mode", "colocated, spread, readersOnly");
            rejects({ ...gke, demos: { accessModes: { mode: "readersOnly", readers: 0 } } }, "demos.accessModes", "starts no pod");
        });
        it("rejects an unknown distinct-updater mode", () => {
            rejects({ ...gke, demos: { distinctUpdater: { mode: "rwop" } } }, "demos.distinctUpdater.mode", "rwo, affinity, rwx");
        });
        it("rejects an unknown story volume", () => {
            rejects({ ...gke, demos: { story: { volume: "nfs" } } }, "demos.story.volume", "emptyDir, hostPath, claim");
        });
        it("rejects a bad quantity in quota", () => {
            rejects({ ...gke, quota: { memory: "4 GB" } }, "quota.memory", "quantity");
        });
        it("has sensible quota defaults", () => {
            const q = parseConfig(gke).quota;
            assert.deepStrictEqual([q.cpu, q.memory, q.pods, q.claims, q.storage, q.homeSize], ["2", "4Gi", 20, 5, "20Gi", "5Gi"]);
        });
        it("rejects a non-boolean studentApps", () => {
            rejects({ ...gke, studentApps: "sometimes" }, "studentApps", "true or false");
        });
    });
});
