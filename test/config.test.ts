/**
 * config.ts without Pulumi: defaults, every accepted form, and every bad value's message.
 */
import * as assert from "assert";

import { ConfigError, deriveUid, parseConfig, RawConfig, rawValue, STUDENT_NAME_MAX, UID_MIN, UID_SPAN } from "../config";
import { configRows } from "../scripts/config-docs";

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
            assert.deepStrictEqual(cfg.kind, { context: "kind-kind", rwxBackend: "nfs" });
        });
    });

    describe("gke", () => {
        it("has cost-conscious defaults: a zone, two nodes, the platform's own RWX class", () => {
            const g = parseConfig(gke).gke!;
            assert.strictEqual(g.location, "europe-west1-b");
            assert.strictEqual(g.nodeCount, 2);
            assert.strictEqual(g.machineType, "e2-standard-2");
            assert.strictEqual(g.deletionProtection, false);
            assert.strictEqual(g.rwxStorageClass, undefined);
            assert.strictEqual(g.network.filestoreCidr, "10.28.0.0/20");
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
        it("takes gcp:region itself as a (regional) location, and refuses any other region", () => {
            assert.strictEqual(parseConfig({ ...gke, gke: { location: "europe-west1" } }).gke!.location, "europe-west1");
            rejects({ ...gke, gke: { location: "us-central1" } }, "gke.location", '"us-central1"', "nor the region itself");
        });
        it("rejects an unknown release channel", () => {
            rejects({ ...gke, gke: { releaseChannel: "BETA" } }, "gke.releaseChannel", "RAPID, REGULAR, STABLE");
        });
        it("rejects unknown settings, listing the accepted ones", () => {
            rejects({ ...gke, gke: { nodecount: 2 } }, "gke.nodecount", "nodeCount");
        });
        it("refuses overlapping network ranges, naming both keys", () => {
            rejects({ ...gke, gke: { network: { filestoreCidr: "10.10.8.0/24" } } }, "gke.network.filestoreCidr", "overlaps gke.network.subnetCidr", "10.10.0.0/20");
            rejects({ ...gke, gke: { network: { servicesCidr: "10.22.0.0/20" } } }, "gke.network.servicesCidr", "overlaps gke.network.podsCidr");
            // Adjacent but disjoint ranges are fine.
            assert.strictEqual(parseConfig({ ...gke, gke: { network: { filestoreCidr: "10.10.16.0/24" } } }).gke!.network.filestoreCidr, "10.10.16.0/24");
        });
        it("needs existingNetwork and existingSubnetwork together", () => {
            rejects({ ...gke, gke: { network: { existingNetwork: "vpc" } } }, "gke.network", "set both");
            rejects({ ...gke, gke: { network: { existingSubnetwork: "subnet" } } }, "gke.network", "set both");
            const net = parseConfig({ ...gke, gke: { network: { existingNetwork: "vpc", existingSubnetwork: "subnet" } } }).gke!.network;
            assert.deepStrictEqual([net.existingNetwork, net.existingSubnetwork], ["vpc", "subnet"]);
        });
        it("rejects a gcp:region that is not a region", () => {
            rejects({ ...gke, gcpRegion: "europe-west1-b" }, "gcp:region", '"europe-west1-b"', "europe-west1");
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
            assert.strictEqual(e.nodeCount, undefined);
            assert.strictEqual(e.kubernetesVersion, "1.35");
            assert.strictEqual(e.upgradePolicy, "STANDARD");
            assert.deepStrictEqual(e.instanceTypes, ["t3.medium"]);
            assert.strictEqual(e.capacityType, "ON_DEMAND");
            assert.deepStrictEqual(e.efs, {
                performanceMode: "generalPurpose",
                throughputMode: "elastic",
                protect: true,
            });
        });
        it("requires aws:region", () => {
            rejects({ platform: "eks" }, "aws:region", "pulumi config set aws:region");
        });
        it("rejects an aws:region that is not a region", () => {
            rejects({ ...eks, awsRegion: "eu-west-3a" }, "aws:region", '"eu-west-3a"', "eu-west-3");
        });
        it("carries aws:profile as awsProfile (the kubeconfig's get-token signs with it), absent when unset", () => {
            assert.strictEqual(parseConfig({ ...eks, awsProfile: "teaching" }).eks!.awsProfile, "teaching");
            assert.ok(!("awsProfile" in parseConfig(eks).eks!));
            rejects({ ...eks, awsProfile: "" }, "aws:profile", "not a non-empty string");
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
        it("accepts only Kubernetes versions in EKS standard support, listing them", () => {
            rejects({ ...eks, eks: { kubernetesVersion: "1.33" } }, "eks.kubernetesVersion", '"1.33"', "1.35, 1.36");
            assert.strictEqual(parseConfig({ ...eks, eks: { kubernetesVersion: "1.36" } }).eks!.kubernetesVersion, "1.36");
        });
        it("takes upgradePolicy EXTENDED only when asked, and nothing else", () => {
            assert.strictEqual(parseConfig({ ...eks, eks: { upgradePolicy: "EXTENDED" } }).eks!.upgradePolicy, "EXTENDED");
            rejects({ ...eks, eks: { upgradePolicy: "standard" } }, "eks.upgradePolicy", "STANDARD, EXTENDED", 'did you mean "STANDARD"');
        });
        it("refuses maxIO with elastic throughput", () => {
            rejects({ ...eks, eks: { efs: { performanceMode: "maxIO" } } }, "eks.efs.performanceMode", "elastic");
            const e = parseConfig({ ...eks, eks: { efs: { performanceMode: "maxIO", throughputMode: "bursting" } } }).eks!;
            assert.strictEqual(e.efs.performanceMode, "maxIO");
        });
        it("refuses provisionedThroughputMibps without provisioned throughput", () => {
            rejects({ ...eks, eks: { efs: { provisionedThroughputMibps: 64 } } }, "eks.efs.provisionedThroughputMibps", "only then");
        });
        it("refuses cidr or azCount next to an existing VPC", () => {
            const existing = { existingVpcId: "vpc-0a1b", subnetIds: ["subnet-01", "subnet-02"] };
            rejects({ ...eks, eks: { vpc: { ...existing, cidr: "10.1.0.0/16" } } }, "eks.vpc", "cannot be combined");
            rejects({ ...eks, eks: { vpc: { ...existing, azCount: 3 } } }, "eks.vpc", "cannot be combined");
        });
        it("bounds the VPC prefix from /16 to /20", () => {
            rejects({ ...eks, eks: { vpc: { cidr: "10.0.0.0/15" } } }, "eks.vpc.cidr", "/16 to /20");
            rejects({ ...eks, eks: { vpc: { cidr: "10.0.0.0/21" } } }, "eks.vpc.cidr", "/16 to /20");
            assert.deepStrictEqual(parseConfig({ ...eks, eks: { vpc: { cidr: "10.0.0.0/20" } } }).eks!.vpc, { cidr: "10.0.0.0/20", azCount: 2 });
            assert.deepStrictEqual(parseConfig({ ...eks, eks: { vpc: { cidr: "10.0.0.0/16" } } }).eks!.vpc, { cidr: "10.0.0.0/16", azCount: 2 });
        });
        it("refuses an admin principal listed twice", () => {
            const arn = "arn:aws:iam::123456789012:role/admin";
            rejects({ ...eks, eks: { adminPrincipalArns: [arn, arn] } }, "eks.adminPrincipalArns[1]", "listed twice", "[0]");
        });
    });

    describe("kind", () => {
        it("accepts the named backends", () => {
            for (const rwxBackend of ["longhorn", "nfs", "none"]) {
                assert.strictEqual(parseConfig({ ...kind, kind: { rwxBackend } }).kind!.rwxBackend, rwxBackend);
            }
        });
        it("takes an existing class only through rwxBackend existing + rwxStorageClass", () => {
            const k = parseConfig({ ...kind, kind: { rwxBackend: "existing", rwxStorageClass: "my-rwx" } }).kind!;
            assert.deepStrictEqual([k.rwxBackend, k.rwxStorageClass], ["existing", "my-rwx"]);
            rejects({ ...kind, kind: { rwxBackend: "existing" } }, "kind.rwxStorageClass", "required with kind.rwxBackend existing");
            rejects({ ...kind, kind: { rwxStorageClass: "my-rwx" } }, "kind.rwxBackend", "set kind.rwxBackend to existing");
        });
        it("refuses a near-miss backend with a suggestion, never taking it as a class name", () => {
            rejects({ ...kind, kind: { rwxBackend: "nsf" } }, "kind.rwxBackend", '"nsf"', "nfs, longhorn, existing, none", 'did you mean "nfs"');
            rejects({ ...kind, kind: { rwxBackend: "longhron" } }, "kind.rwxBackend", 'did you mean "longhorn"');
            rejects({ ...kind, kind: { rwxBackend: "my-rwx-class" } }, "kind.rwxBackend", "nfs, longhorn, existing, none");
        });
        it("with no RWX backend, turns the story claim off by default", () => {
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
                { ...kind, kind: { rwxBackend: "none" }, demos: { chatroulette: { enabled: true, frontImage: "f:1", backImage: "b:1" } } },
                "demos.chatroulette.enabled",
                "ReadWriteMany",
            );
            rejects({ ...kind, kind: { rwxBackend: "none" }, demos: { story: { volume: "claim" } } }, "demos.story.volume", "ReadWriteMany");
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
        it("derives the uids pinned here (a changed seed or hash would re-own every home)", () => {
            // Written down from FNV-1a 32-bit (offset 0x811c9dc5, prime 0x01000193) computed outside this
            // code base: 100000 + fnv1a(name) % 2000000000.
            const s = parseConfig({ ...kind, students: ["ada", "grace", "linus", "zoe"] }).students;
            assert.deepStrictEqual(s.map((x) => x.uid), [943363163, 622095627, 1787262572, 357049689]);
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
        it("defaults: every demo with public images on (not Chatroulette), affinity mode, story on a claim", () => {
            const d = parseConfig(gke).demos;
            assert.deepStrictEqual(
                [d.distinctUpdater.enabled, d.distinctUpdater.mode, d.distinctUpdater.replicas],
                [true, "affinity", 5],
            );
            assert.strictEqual(d.sideUpdater.enabled, true);
            assert.strictEqual(d.chatroulette.enabled, false);
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
            rejects({ ...gke, demos: { accessModes: { writers: 0, readers: 0 } } }, "demos.accessModes", "starts no pod");
            // Writers alone, or readers alone in readersOnly, are a demo.
            assert.strictEqual(parseConfig({ ...gke, demos: { accessModes: { writers: 1, readers: 0 } } }).demos.accessModes.writers, 1);
            assert.strictEqual(parseConfig({ ...gke, demos: { accessModes: { mode: "readersOnly", writers: 0, readers: 1 } } }).demos.accessModes.readers, 1);
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

    describe("keys", () => {
        it("refuses an unknown key of the project's namespace, suggesting the near one", () => {
            rejects({ ...kind, setKeys: ["platform", "studnets"] }, "studnets", 'did you mean "students"', "platform, students, studentApps");
            rejects({ ...kind, setKeys: ["kind", "demo"] }, "demo", 'did you mean "demos"');
        });
        it("accepts every known key", () => {
            assert.strictEqual(parseConfig({ ...kind, setKeys: ["platform", "kind", "students", "demos", "quota", "studentApps", "gke", "eks"] }).platform, "kind");
        });
        it("refuses a nested key set without --path (a top-level key literally named gke.nodeCount)", () => {
            // `pulumi config set --path gke.nodeCount 3` nests the value under `gke`; without --path
            // Pulumi stores a key "gke.nodeCount" that nothing reads.
            rejects({ ...gke, setKeys: ["platform", "gke.nodeCount"] }, "gke.nodeCount", "--path", "pulumi config set --path 'gke.nodeCount'");
            rejects({ ...kind, setKeys: ["students[0]"] }, "students[0]", "--path");
            rejects({ ...kind, setKeys: ["gkee.nodeCount"] }, "gkee.nodeCount", "unknown key");
        });
        it("names the unknown nested key and suggests the near one", () => {
            rejects({ ...gke, gke: { network: { podCidr: "10.20.0.0/14" } } }, "gke.network.podCidr", 'did you mean "podsCidr"', "subnetCidr, podsCidr");
        });
        it("treats null like an unset key, as Pulumi does", () => {
            assert.strictEqual(parseConfig({ ...gke, gke: { nodeCount: null } }).gke!.nodeCount, 2);
        });
        it("accepts the string forms a stack file may hold for booleans", () => {
            assert.strictEqual(parseConfig({ ...gke, gke: { deletionProtection: "true" } }).gke!.deletionProtection, true);
        });
    });

    describe("Chatroulette images", () => {
        const images = { frontImage: "registry.example/front:1", backImage: "registry.example/back:1" };
        it("refuses the demo without both images, naming the missing key", () => {
            rejects({ ...gke, demos: { chatroulette: { enabled: true } } }, "demos.chatroulette.enabled", "frontImage and demos.chatroulette.backImage", "private");
            rejects({ ...gke, demos: { chatroulette: { enabled: true, frontImage: images.frontImage } } }, "demos.chatroulette.enabled", "backImage is not set");
        });
        it("refuses studentApps without the images", () => {
            rejects({ ...gke, studentApps: true }, "studentApps", "demos.chatroulette.frontImage");
        });
        it("accepts both with the images", () => {
            const cfg = parseConfig({ ...gke, studentApps: true, demos: { chatroulette: { enabled: true, ...images } } });
            assert.deepStrictEqual([cfg.studentApps, cfg.demos.chatroulette.enabled, cfg.demos.chatroulette.backImage], [true, true, images.backImage]);
            assert.deepStrictEqual(cfg.studentApp, images);
            assert.strictEqual(parseConfig({ ...gke, demos: { chatroulette: images } }).studentApp, undefined);
        });
    });

    describe("identities", () => {
        const arn = (n: string) => `arn:aws:iam::123456789012:user/${n}`;
        it("refuses two students with one identity, naming both", () => {
            rejects(
                { ...gke, students: [{ name: "ada", identity: "x@example.com" }, { name: "bob", identity: "x@example.com" }] },
                "students[1].identity",
                "students[0]",
                '"ada"',
            );
        });
        it("refuses a student identity that is also an EKS admin", () => {
            rejects(
                { ...eks, eks: { adminPrincipalArns: [arn("teacher")] }, students: [{ name: "ada", identity: arn("teacher") }] },
                "students[0].identity",
                "eks.adminPrincipalArns",
            );
        });
        it("accepts distinct identities", () => {
            const s = parseConfig({ ...eks, students: [{ name: "ada", identity: arn("ada") }, { name: "bob", identity: arn("bob") }] }).students;
            assert.deepStrictEqual(s.map((x) => x.identity), [arn("ada"), arn("bob")]);
        });
    });

    describe("quota", () => {
        it("takes a list of denied classes and checks the names", () => {
            assert.deepStrictEqual(parseConfig({ ...gke, quota: { deniedStorageClasses: ["premium-rwx"] } }).quota.deniedStorageClasses, ["premium-rwx"]);
            assert.strictEqual(parseConfig(gke).quota.deniedStorageClasses, undefined);
            rejects({ ...gke, quota: { deniedStorageClasses: ["Premium RWX"] } }, "quota.deniedStorageClasses[0]", "StorageClass name");
        });
    });

    describe("values as Pulumi delivers them", () => {
        it("takes back the integer `pulumi config set --path` makes of digits where text is expected", () => {
            // pulumi/pulumi sdk/go/common/resource/config/object.go coerce: "123" → int64 123.
            assert.deepStrictEqual(parseConfig({ ...kind, students: [123] }).students.map((s) => s.name), ["123"]);
            assert.deepStrictEqual(parseConfig({ ...kind, students: [{ name: 7, identity: 1234 }] }).students.map((s) => [s.name, s.identity]), [["7", "1234"]]);
            assert.strictEqual(parseConfig({ ...gke, quota: { cpu: 2, memory: "4Gi" } }).quota.cpu, "2");
            assert.strictEqual(parseConfig({ ...gke, quota: { cpu: 0.5 } }).quota.cpu, "0.5");
        });
        it("takes a YAML number that prints as an accepted version, and asks for quotes otherwise", () => {
            // `kubernetesVersion: 1.35` unquoted in a stack file arrives as the number 1.35.
            assert.strictEqual(parseConfig({ ...eks, eks: { kubernetesVersion: 1.36 } }).eks!.kubernetesVersion, "1.36");
            // `kubernetesVersion: 1.30` arrives as 1.3: its spelling is lost.
            rejects({ ...eks, eks: { kubernetesVersion: 1.3 } }, "eks.kubernetesVersion", "1.3 is a number", "quote", "1.35, 1.36");
            rejects({ ...gke, gke: { kubernetesVersion: 1.3 } }, "gke.kubernetesVersion", "1.3 is a number", "quote");
            assert.strictEqual(parseConfig({ ...gke, gke: { kubernetesVersion: "1.30" } }).gke!.kubernetesVersion, "1.30");
        });
        it("names a missing student name as required", () => {
            rejects({ ...kind, students: ["ada", { uid: 5000 }] }, "students[1].name", "is required", "student name");
            rejects({ ...kind, students: ["ada", null] }, "students[1]", "null", "a student name or a map {name, uid, identity}");
        });
        it("refuses a plain string where a list belongs, showing the --path form", () => {
            rejects({ ...kind, students: "ada" }, "students", '"ada"', "pulumi config set --path 'students[0]' ada");
        });
        it("reads a top-level value as JSON when it is JSON, else as the text (never Pulumi's own JSON error)", () => {
            assert.deepStrictEqual(
                ["gke", "true", "3", '["ada"]', '{"nodeCount":3}', "null", "True"].map(rawValue),
                ["gke", true, 3, ["ada"], { nodeCount: 3 }, null, "True"],
            );
            assert.strictEqual(rawValue(undefined), undefined);
        });

        // Every documented key, given values of the wrong shape: the error is a ConfigError naming that
        // key (or the section a cross-field rule names) and never zod's own English.
        const ZOD_DEFAULT = /Invalid (input|option|string|element|key|union|type)|Too (small|big)|Unrecognized key|expected \w+, received/;
        const bases: Record<string, RawConfig> = { gke, eks, kind };
        for (const row of configRows()) {
            it(`${row.key}: a wrong-shaped value gets a named error in this program's words`, () => {
                const [head, ...rest] = row.key.replace("[]", ".0").split(".");
                const base = bases[head] ?? kind;
                for (const bad of [true, 1.5, {}, [], [1], "x y"]) {
                    let value: unknown = bad;
                    for (const k of [...rest].reverse()) {
                        value = k === "0" ? [value] : { [k]: value };
                    }
                    const raw: RawConfig = { ...base, [head]: value };
                    if (head === "students" && rest.length === 2 && rest[1] !== "name") {
                        // Give the student a name so the error is about the key under test.
                        raw.students = [{ name: "ada", ...((value as unknown[])[0] as object) }];
                    }
                    try {
                        parseConfig(raw);
                    } catch (e) {
                        assert.ok(e instanceof ConfigError, `${row.key} = ${JSON.stringify(bad)}: ${String(e)}`);
                        const where = row.key.replace("[]", "[0]");
                        // The key itself, an element of it (eks.instanceTypes[0]), or the section a cross-field rule names (eks.vpc).
                        const related = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
                        assert.ok(related(where, e.key) || related(e.key, where), `${where} = ${JSON.stringify(bad)} named ${e.key}`);
                        assert.doesNotMatch(e.message, ZOD_DEFAULT, `${row.key} = ${JSON.stringify(bad)}`);
                    }
                }
            });
        }
    });
});
