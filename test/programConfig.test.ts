/**
 * The program reads its configuration the way the Pulumi CLI hands it over (every key of the
 * project's namespace), and refuses what it does not know before registering anything.
 */
import * as assert from "assert";

import { ConfigError, parseConfig, RawConfig } from "../config";
import { capabilities } from "../platforms/capabilities";
import { runStack } from "./helpers";

async function refusal(run: Promise<unknown>): Promise<ConfigError> {
    try {
        await run;
    } catch (e) {
        assert.ok(e instanceof Error, String(e));
        // The engine may wrap the program's exception; find the ConfigError by its message.
        const message = e.message;
        const m = /Invalid configuration '([^']+)': (.*)/s.exec(message);
        assert.ok(m, `not a configuration error: ${message}`);
        return new ConfigError(m[1], m[2]);
    }
    assert.fail("the program ran with a bad configuration");
}

describe("program configuration", () => {
    it("refuses a misspelt top-level key from the stack, suggesting the right one", async () => {
        const e = await refusal(runStack("kind", { studnets: ["ada"] }));
        assert.strictEqual(e.key, "studnets");
        assert.match(e.message, /did you mean "students"/);
        assert.match(e.message, /platform, students, studentApps, quota, demos, gke, eks, kind/);
    });
    // What the Pulumi CLI hands the program (pulumi/pulumi sdk/go/common/resource/config/map.go
    // Decrypt): every value as text, a top-level scalar as written, objects as JSON.
    it("names the key and the --path form for `pulumi config set students ada` (a plain string), not Pulumi's JSON error", async () => {
        const e = await refusal(runStack("kind", { students: "ada" }));
        assert.strictEqual(e.key, "students");
        assert.match(e.message, /"ada" is not a list .*pulumi config set --path 'students\[0\]' ada/);
    });
    it("refuses a top-level boolean Pulumi would not take, naming the key", async () => {
        const e = await refusal(runStack("kind", { studentApps: "yes" }));
        assert.strictEqual(e.key, "studentApps");
        assert.match(e.message, /"yes" is not true or false/);
    });
    it("refuses a nested key set without --path", async () => {
        const e = await refusal(runStack("gke", { "gke.nodeCount": "3" }));
        assert.strictEqual(e.key, "gke.nodeCount");
        assert.match(e.message, /pulumi config set --path 'gke.nodeCount'/);
    });
    it("takes an empty platform (YAML null, handed over as \"null\") as unset", async () => {
        const e = await refusal(runStack("kind", { platform: "null" }));
        assert.strictEqual(e.key, "platform");
        assert.match(e.message, /is not set/);
    });
    it("reads --path values (integers where text belongs), string booleans, and ignores other namespaces", async () => {
        const run = await runStack("kind", {
            studentApps: "false",
            students: [123, { name: "ada", uid: 5000 }],
            quota: { cpu: 2 },
            "kubernetes:enableServerSideApply": "true",
            "pulumi:tags": '{"team":"course"}',
        });
        const namespaces = run.resources.filter((r) => r.type === "kubernetes:core/v1:Namespace").map((r) => r.inputs.metadata?.name);
        assert.ok(namespaces.includes("student-123") && namespaces.includes("student-ada"), namespaces.join(", "));
        const quota = run.resources.find((r) => r.type === "kubernetes:core/v1:ResourceQuota" && r.inputs.metadata?.namespace === "student-123");
        assert.strictEqual(quota?.inputs.spec.hard["requests.cpu"], "2");
    });
    it("refuses a near-miss kind.rwxBackend instead of waiting on a class that does not exist", async () => {
        const e = await refusal(runStack("kind", { kind: { context: "kind-kind", rwxBackend: "nsf" } }));
        assert.strictEqual(e.key, "kind.rwxBackend");
        assert.match(e.message, /did you mean "nfs"/);
    });
});

/**
 * platforms/capabilities.ts answers from configuration alone what each platform gives the demos; the
 * platforms themselves decide it when they run. Both are held to the table written here:
 * - gke: Filestore CSI class (ReadWriteMany), a zonal PD as the access-modes disk;
 * - eks: EFS class, and no shared disk (platforms/eks.ts sharedDisk: EBS has no ReadOnlyMany);
 * - kind: nfs / longhorn / an existing class give ReadWriteMany, none gives none; hostPath is the disk.
 */
describe("platform capabilities agree with the platforms", () => {
    const table: [string, "gke" | "eks" | "kind", Record<string, unknown>, { rwx: boolean; sharedDisk: boolean }][] = [
        ["gke", "gke", {}, { rwx: true, sharedDisk: true }],
        ["eks", "eks", {}, { rwx: true, sharedDisk: false }],
        ["kind nfs", "kind", { kind: { rwxBackend: "nfs" } }, { rwx: true, sharedDisk: true }],
        ["kind longhorn", "kind", { kind: { rwxBackend: "longhorn" } }, { rwx: true, sharedDisk: true }],
        ["kind existing", "kind", { kind: { rwxBackend: "existing", rwxStorageClass: "my-rwx" } }, { rwx: true, sharedDisk: true }],
        ["kind none", "kind", { kind: { rwxBackend: "none" } }, { rwx: false, sharedDisk: true }],
    ];
    const raws: Record<string, RawConfig> = {
        gke: { platform: "gke", gcpProject: "p", gcpRegion: "europe-west1" },
        eks: { platform: "eks", awsRegion: "eu-west-3" },
        kind: { platform: "kind" },
    };
    for (const [label, stack, overrides, expected] of table) {
        it(`${label}: ReadWriteMany ${expected.rwx ? "yes" : "no"}, shared disk ${expected.sharedDisk ? "yes" : "no"}`, async () => {
            const cfg = parseConfig({ ...raws[stack], ...overrides });
            const caps = capabilities(stack, (cfg.gke ?? cfg.eks ?? cfg.kind)!);
            assert.deepStrictEqual({ rwx: caps.rwx.available, sharedDisk: caps.sharedDisk }, expected, "capabilities.ts");
            const run = await runStack(stack, overrides);
            // index.ts exports the platform's RWX class (null when none); it logs the fallback when
            // the platform's sharedDisk is "unsupported".
            const fellBack = run.notes.some((n) => n.startsWith("access-modes demo:"));
            assert.deepStrictEqual({ rwx: run.outputs.rwxStorageClass !== null, sharedDisk: !fellBack }, expected, "the platform");
        });
    }
});
