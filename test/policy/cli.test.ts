import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { Finding } from "../../policy/core";
import { COURSE_DIR, claim, deployment, persistentVolume, runCli, summary } from "./helpers";

const REPO = path.resolve(__dirname, "../..");
const RWO = "rwo-shared-without-colocation";

const unsafeYaml = [
    claim("data", ["ReadWriteOnce"]),
    deployment("web", { replicas: 2, claims: ["data"] }),
]
    .map((o) => YAML.stringify(o))
    .join("---\n");

describe("policy checker CLI", () => {
    let dir: string;
    const write = (name: string, text: string): string => {
        const p = path.join(dir, name);
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, text);
        return p;
    };

    beforeEach(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvl-check-"));
    });
    afterEach(async () => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    describe("usage errors exit 2", () => {
        it("unknown flag", async () => {
            const r = await runCli(["--frobnicate", "x.yaml"]);
            assert.equal(r.code, 2);
            assert.match(r.stderr, /unknown option --frobnicate/);
            assert.equal(r.stdout, "");
        });

        it("no path", async () => {
            const r = await runCli(["--format", "json"]);
            assert.equal(r.code, 2);
            assert.match(r.stderr, /no PATH given/);
        });

        it("missing path", async () => {
            const missing = path.join(dir, "nope.yaml");
            const r = await runCli([missing]);
            assert.equal(r.code, 2);
            assert.ok(r.stderr.includes(`${missing}: no such file or directory`), r.stderr);
        });

        it("bad --format and --enforce values", async () => {
            const f = write("a.yaml", unsafeYaml);
            assert.equal((await runCli(["--format", "xml", f])).code, 2);
            assert.equal((await runCli(["--enforce", "rwo-shared-without-colocation", f])).code, 2);
            const unknown = await runCli(["--enforce", "no-such-rule=advisory", f]);
            assert.equal(unknown.code, 2);
            assert.match(unknown.stderr, /unknown rule "no-such-rule"/);
        });
    });

    describe("bad input exits 2 naming the file and the document", () => {
        it("a file that is not YAML", async () => {
            const f = write("broken.yaml", "kind: Pod\nmetadata: {name: [unclosed\n");
            const r = await runCli([f]);
            assert.equal(r.code, 2);
            assert.ok(r.stderr.includes(`${f}: document 1: not valid YAML`), r.stderr);
        });

        it("a text file that parses as a plain scalar", async () => {
            const f = write("notes.txt", "just some words\n");
            const r = await runCli([f]);
            assert.equal(r.code, 2);
            assert.ok(r.stderr.includes(`${f}: document 1: is not a Kubernetes object`), r.stderr);
        });

        it("a document without kind", async () => {
            const f = write(
                "nokind.yaml",
                `${unsafeYaml}---\napiVersion: v1\nmetadata:\n  name: x\n`,
            );
            const r = await runCli([f]);
            assert.equal(r.code, 2);
            assert.ok(r.stderr.includes(`${f}: document 3: object has no kind`), r.stderr);
        });

        it("a document without metadata.name or generateName", async () => {
            const f = write(
                "noname.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\n",
            );
            const r = await runCli([f]);
            assert.equal(r.code, 2);
            assert.ok(
                r.stderr.includes(
                    `${f}: document 1: object (ConfigMap) has neither metadata.name nor metadata.generateName`,
                ),
                r.stderr,
            );
        });

        it("a List item without kind", async () => {
            const f = write(
                "list.yaml",
                "apiVersion: v1\nkind: List\nitems:\n- metadata: {name: a}\n",
            );
            const r = await runCli([f]);
            assert.equal(r.code, 2);
            assert.ok(r.stderr.includes(`${f}: document 1, item 1: object has no kind`), r.stderr);
        });
    });

    describe("input forms", () => {
        it("skips empty documents and expands kind: List and *List", async () => {
            const list = YAML.stringify({
                apiVersion: "v1",
                kind: "List",
                items: [
                    claim("data", ["ReadWriteOnce"]),
                    deployment("web", { replicas: 2, claims: ["data"] }),
                ],
            });
            const pvList = YAML.stringify({
                apiVersion: "v1",
                kind: "PersistentVolumeList",
                items: [persistentVolume("pv-1")],
            });
            const f = write("list.yaml", `---\n---\n${list}---\n# only a comment\n---\n${pvList}`);
            const r = await runCli(["--format", "json", f]);
            assert.equal(r.code, 1, r.stderr);
            assert.deepEqual(summary(JSON.parse(r.stdout) as Finding[]), [
                "advisory pv-without-claimref PersistentVolume//pv-1",
                `mandatory ${RWO} PersistentVolumeClaim/default/data`,
            ]);
            assert.match(r.stderr, /3 object\(s\) checked/);
        });

        it("reads *.yaml and *.yml recursively from directories, ignoring other files", async () => {
            write("b/claim.yml", YAML.stringify(claim("data", ["ReadWriteOnce"])));
            write(
                "a/deep/web.yaml",
                YAML.stringify(deployment("web", { replicas: 2, claims: ["data"] })),
            );
            write("a/README.md", "not yaml: [");
            const r = await runCli(["--format", "json", dir]);
            assert.equal(r.code, 1, r.stderr);
            assert.deepEqual(summary(JSON.parse(r.stdout) as Finding[]), [
                `mandatory ${RWO} PersistentVolumeClaim/default/data`,
            ]);
        });

        it("reads standard input for -", async () => {
            const r = await runCli(["--format", "json", "-"], unsafeYaml);
            assert.equal(r.code, 1);
            assert.deepEqual(summary(JSON.parse(r.stdout) as Finding[]), [
                `mandatory ${RWO} PersistentVolumeClaim/default/data`,
            ]);
        });

        it("puts objects without namespace in --namespace", async () => {
            const r = await runCli(["--format", "json", "--namespace", "team-a", "-"], unsafeYaml);
            assert.deepEqual(summary(JSON.parse(r.stdout) as Finding[]), [
                `mandatory ${RWO} PersistentVolumeClaim/team-a/data`,
            ]);
        });
    });

    describe("output", () => {
        it("text: one line per finding, LEVEL rule kind/namespace/name: message", async () => {
            const f = write(
                "all.yaml",
                `${unsafeYaml}---\n${YAML.stringify(persistentVolume("pv-1"))}`,
            );
            const r = await runCli([f]);
            assert.equal(r.code, 1);
            const lines = r.stdout.trimEnd().split("\n");
            assert.equal(lines.length, 2);
            assert.match(
                lines[0],
                /^ADVISORY pv-without-claimref PersistentVolume\/pv-1: PersistentVolume pv-1 has no spec\.claimRef/,
            );
            assert.match(
                lines[1],
                /^MANDATORY rwo-shared-without-colocation PersistentVolumeClaim\/default\/data: Claim default\/data /,
            );
            assert.match(r.stderr, /2 finding\(s\), 1 mandatory, 1 advisory/);
        });

        it("json: an empty array and exit 0 when nothing is found", async () => {
            const r = await runCli([
                "--format",
                "json",
                path.join(COURSE_DIR, "story-emptydir.yaml"),
            ]);
            assert.equal(r.code, 0);
            assert.deepEqual(JSON.parse(r.stdout), []);
        });
    });

    describe("enforcement and classes", () => {
        it("--enforce RULE=advisory turns a rejection into a warning (exit 0)", async () => {
            const r = await runCli(
                ["--format", "json", "--enforce", `${RWO}=advisory`, "-"],
                unsafeYaml,
            );
            assert.equal(r.code, 0);
            assert.deepEqual(
                summary(JSON.parse(r.stdout) as Finding[]).filter((s) => s.includes(RWO)),
                [`advisory ${RWO} PersistentVolumeClaim/default/data`],
            );
        });

        it("--enforce RULE=disabled removes its findings", async () => {
            const r = await runCli(["--format=json", `--enforce=${RWO}=disabled`, "-"], unsafeYaml);
            assert.equal(r.code, 0);
            // The 2-replica Deployment spreads: that is rule 1's finding, not a rollout warning.
            assert.deepEqual(JSON.parse(r.stdout), []);
        });

        it("--policy-config reads Pulumi's policy config format (levels and class table)", async () => {
            const cfg = write(
                "policy-config.json",
                JSON.stringify({
                    "pv-without-claimref": "mandatory",
                    "rwo-rolling-update-surge": { enforcementLevel: "disabled" },
                    "access-mode-unsupported-by-class": { classes: { "team-nfs": "single-node" } },
                }),
            );
            const objects = [
                persistentVolume("pv-1"),
                claim("shared", ["ReadWriteMany"], { storageClassName: "team-nfs" }),
            ];
            const f = write("in.yaml", objects.map((o) => YAML.stringify(o)).join("---\n"));
            const r = await runCli(["--format", "json", "--policy-config", cfg, f]);
            assert.equal(r.code, 1, r.stderr);
            assert.deepEqual(summary(JSON.parse(r.stdout) as Finding[]), [
                "mandatory pv-without-claimref PersistentVolume//pv-1",
                "mandatory access-mode-unsupported-by-class PersistentVolumeClaim/default/shared",
            ]);
        });

        it("--classes adds to the class table; a bad value exits 2", async () => {
            const obj = YAML.stringify(
                claim("shared", ["ReadWriteMany"], { storageClassName: "gp3" }),
            );
            const ok = write("classes.yaml", "classes:\n  gp3: multi-node\n");
            assert.equal((await runCli(["-"], obj)).code, 1);
            assert.equal((await runCli(["--classes", ok, "-"], obj)).code, 0);
            const bad = write("bad.yaml", "classes:\n  gp3: sometimes\n");
            const r = await runCli(["--classes", bad, "-"], obj);
            assert.equal(r.code, 2);
            assert.match(r.stderr, /classes\["gp3"\]/);
        });
    });

    describe("as a process (npm run check)", function () {
        this.timeout(60000);
        const runProcess = (
            args: string[],
            stdin = "",
        ): Promise<{ code: number | null; stdout: string; stderr: string }> =>
            new Promise((resolve, reject) => {
                const child = spawn(
                    process.execPath,
                    ["-r", "ts-node/register/transpile-only", "policy/cli.ts", ...args],
                    { cwd: REPO, stdio: ["pipe", "pipe", "pipe"] },
                );
                let stdout = "";
                let stderr = "";
                child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
                child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
                child.on("error", reject);
                child.on("close", (code) => resolve({ code, stdout, stderr }));
                child.stdin.end(stdin);
            });

        it("exits 1 on the course's distinct-updater-base, 0 on its affinity overlay, 2 on a bad flag", async () => {
            const [base, affinity, bad] = await Promise.all([
                runProcess([
                    "--format",
                    "json",
                    path.join(COURSE_DIR, "distinct-updater-base.yaml"),
                ]),
                runProcess([
                    "--format",
                    "json",
                    path.join(COURSE_DIR, "distinct-updater-affinity.yaml"),
                ]),
                runProcess(["--bogus"]),
            ]);
            assert.equal(base.code, 1, base.stderr);
            assert.deepEqual(summary(JSON.parse(base.stdout) as Finding[]), [
                "advisory rwo-rolling-update-surge Deployment/default/distinct-updater-loop",
                `mandatory ${RWO} PersistentVolumeClaim/default/distinct-updater-pvc`,
            ]);
            assert.equal(affinity.code, 0, affinity.stderr);
            assert.equal(bad.code, 2);
            assert.equal(bad.stdout, "");
        });

        it("reads a piped manifest stream from - (kubectl kustomize dir | npm run check -- -)", async () => {
            const text = fs.readFileSync(
                path.join(COURSE_DIR, "distinct-updater-base.yaml"),
                "utf8",
            );
            const r = await runProcess(["--format", "json", "-"], text);
            assert.equal(r.code, 1, r.stderr);
            assert.equal((JSON.parse(r.stdout) as Finding[]).length, 2);
        });
    });
});
