import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { Finding } from "../../policy/core";
import { formatFinding } from "../../policy/cli";
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

        it("an alias to an anchor of another document: reported, the other documents still checked", async () => {
            // Anchors are per document; a Helm or hand-written file reusing one across `---`
            // used to crash the checker (internal error) instead of naming the document.
            const f = write("alias.yaml", `${unsafeYaml}---\nkind: ConfigMap\nmetadata: *m\n`);
            const r = await runCli(["--format", "json", f]);
            assert.equal(r.code, 2);
            assert.ok(r.stderr.includes(`${f}: document 3: not valid YAML`), r.stderr);
            assert.ok(!r.stderr.includes("internal error"), r.stderr);
            assert.ok(JSON.parse(r.stdout).some((x: { policy: string }) => x.policy === "rwo-shared-without-colocation"));
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

        it("reads UTF-16 with a byte-order mark (PowerShell's `kubectl get -o yaml > f`) and UTF-8 with one", async () => {
            const utf16 = write("ps.yaml", "");
            fs.writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(unsafeYaml, "utf16le")]));
            const bom8 = write("bom.yaml", `\ufeff${unsafeYaml}`);
            for (const f of [utf16, bom8]) {
                const r = await runCli(["--format", "json", f]);
                assert.equal(r.code, 1, r.stderr);
                assert.deepEqual(summary(JSON.parse(r.stdout) as Finding[]), [`mandatory ${RWO} PersistentVolumeClaim/default/data`]);
            }
        });

        it("a file that is not text (Latin-1 bytes) is reported by name, not read as mojibake; the others are checked", async () => {
            const latin1 = write("latin1.yaml", "");
            fs.writeFileSync(latin1, Buffer.from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n", "latin1"));
            const ok = write("ok.yaml", unsafeYaml);
            const r = await runCli(["--format", "json", latin1, ok]);
            assert.equal(r.code, 2);
            assert.ok(r.stderr.includes(`check: skipped ${latin1}: not UTF-8 text (nor UTF-16 with a byte-order mark); not read`), r.stderr);
            assert.deepEqual(summary(JSON.parse(r.stdout) as Finding[]), [`mandatory ${RWO} PersistentVolumeClaim/default/data`]);
        });

        it("puts objects without namespace in --namespace", async () => {
            const r = await runCli(["--format", "json", "--namespace", "team-a", "-"], unsafeYaml);
            assert.deepEqual(summary(JSON.parse(r.stdout) as Finding[]), [
                `mandatory ${RWO} PersistentVolumeClaim/team-a/data`,
            ]);
        });
    });

    describe("output", () => {
        it("text: FILE: LEVEL rule Kind/namespace/name: message, the remediation on its own indented line", async () => {
            const f = write(
                "all.yaml",
                `${unsafeYaml}---\n${YAML.stringify(persistentVolume("pv-1"))}`,
            );
            const r = await runCli([f]);
            assert.equal(r.code, 1);
            const lines = r.stdout.trimEnd().split("\n");
            // The finding's own workloads line, when the policy core lists them (Finding.workloads).
            const workloadsLine = lines.slice(4);
            assert.ok(
                workloadsLine.length === 0 ||
                    (workloadsLine.length === 1 && workloadsLine[0] === "    Workloads: Deployment/default/web"),
                r.stdout,
            );
            assert.ok(
                lines[0].startsWith(
                    `${f}: ADVISORY pv-without-claimref PersistentVolume/pv-1: PersistentVolume pv-1 has no spec.claimRef`,
                ),
                lines[0],
            );
            assert.match(lines[1], /^ {4}Fix: \S/);
            assert.ok(
                lines[2].startsWith(
                    `${f}: MANDATORY rwo-shared-without-colocation PersistentVolumeClaim/default/data: Claim default/data `,
                ),
                lines[2],
            );
            assert.ok(!lines[2].includes("Fix:"), "the remediation is not left on the finding's line");
            assert.match(lines[3], /^ {4}Fix: use a ReadWriteMany storage class/);
            assert.match(r.stderr, /2 finding\(s\), 1 mandatory, 1 advisory/);
        });

        it("json: each finding names its file and document, and carries the remediation in a field", async () => {
            const f = write(
                "all.yaml",
                `${unsafeYaml}---\n${YAML.stringify(persistentVolume("pv-1"))}`,
            );
            const r = await runCli(["--format", "json", f]);
            assert.equal(r.code, 1);
            const out = JSON.parse(r.stdout) as Record<string, unknown>[];
            assert.deepEqual(
                out.map((x) => [x.file, x.document, x.policy, (x.resource as { name: string }).name]),
                [
                    [f, 3, "pv-without-claimref", "pv-1"],
                    [f, 1, RWO, "data"],
                ],
            );
            assert.match(String(out[1].remediation), /^Fix: use a ReadWriteMany storage class/);
            assert.ok(String(out[1].message).endsWith(String(out[1].remediation)), "message stays whole");
        });

        it("text: the workloads a finding lists get their own indented line", () => {
            const text = formatFinding({
                policy: RWO,
                enforcementLevel: "mandatory",
                resource: { kind: "PersistentVolumeClaim", namespace: "ns", name: "data" },
                message: "Claim ns/data is shared. Fix: share less.",
                workloads: [
                    { kind: "Deployment", namespace: "ns", name: "web" },
                    { kind: "Pod", namespace: "ns", name: "loop" },
                ],
            } as Finding);
            assert.equal(
                text,
                [
                    `MANDATORY ${RWO} PersistentVolumeClaim/ns/data: Claim ns/data is shared.`,
                    "    Fix: share less.",
                    "    Workloads: Deployment/ns/web, Pod/ns/loop",
                ].join("\n"),
            );
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

    describe("arguments (node util.parseArgs, strict)", () => {
        it("--help prints the usage on stdout and exits 0", async () => {
            const r = await runCli(["--help"]);
            assert.equal(r.code, 0);
            assert.match(r.stdout, /^usage: npm run check -- \[options\] PATH\.\.\./);
            assert.match(r.stdout, /--fail-if-no-objects/);
            assert.equal(r.stderr, "");
        });

        it("--x=y and -n NS work; an option without its value exits 2 naming it", async () => {
            const r = await runCli(["--format=json", "-n", "team-b", "-"], unsafeYaml);
            assert.equal(r.code, 1);
            assert.deepEqual(summary(JSON.parse(r.stdout) as Finding[]), [
                `mandatory ${RWO} PersistentVolumeClaim/team-b/data`,
            ]);
            const missing = await runCli(["-", "--format"], unsafeYaml);
            assert.equal(missing.code, 2);
            assert.match(missing.stderr, /--format needs a value/);
        });

        it("-n without its value names --namespace (not \"-n,\")", async () => {
            const r = await runCli(["-n"]);
            assert.equal(r.code, 2);
            assert.ok(r.stderr.startsWith("check: --namespace needs a value\n"), r.stderr);
        });
    });

    describe("directories, skipped documents and duplicates", () => {
        const COURSE_BASE = path.join(COURSE_DIR, "distinct-updater-base.yaml");
        const COURSE_AFFINITY = path.join(COURSE_DIR, "distinct-updater-affinity.yaml");

        it("skips dot-directories and node_modules when walking a directory", async () => {
            write(".git/unsafe.yaml", unsafeYaml);
            write("node_modules/pkg/unsafe.yaml", unsafeYaml);
            write("deep/.hidden/unsafe.yml", unsafeYaml);
            write("ok/pv.yaml", YAML.stringify(persistentVolume("pv-1")));
            const r = await runCli(["--format", "json", dir]);
            assert.equal(r.code, 0, r.stderr);
            const out = JSON.parse(r.stdout) as Record<string, unknown>[];
            assert.deepEqual(
                out.map((x) => [x.file, x.policy]),
                [[path.join(dir, "ok/pv.yaml"), "pv-without-claimref"]],
            );
            assert.match(r.stderr, /^1 object\(s\) checked in 1 file\(s\)/m);
        });

        it("keeps going past a YAML file that is not Kubernetes, reports it and exits 2 at the end", async () => {
            const notes = write("a-notes.yaml", "title: my notes\nitems: [1, 2]\n");
            const unsafe = write("b-unsafe.yaml", unsafeYaml);
            const r = await runCli([dir]);
            assert.equal(r.code, 2, r.stderr);
            assert.ok(r.stderr.includes(`check: skipped ${notes}: document 1: object has no kind`), r.stderr);
            assert.match(r.stderr, /1 document\(s\) skipped as not Kubernetes objects \(exit 2\)/);
            assert.ok(
                r.stdout.startsWith(`${unsafe}: MANDATORY ${RWO} PersistentVolumeClaim/default/data: `),
                r.stdout,
            );
        });

        it("--fail-if-no-objects: an input with no object exits 2; without it, 0 and no finding", async () => {
            write("empty.yaml", "---\n# nothing here\n");
            const strict = await runCli(["--fail-if-no-objects", dir]);
            assert.equal(strict.code, 2);
            assert.ok(strict.stderr.includes(`check: no Kubernetes object found in ${dir} (--fail-if-no-objects)`), strict.stderr);
            const empty = fs.mkdtempSync(path.join(dir, "none-"));
            const lax = await runCli(["--format", "json", empty]);
            assert.equal(lax.code, 0);
            assert.deepEqual(JSON.parse(lax.stdout), []);
            assert.match(lax.stderr, /^0 object\(s\) checked in 0 file\(s\)/m);
        });

        it("a base and its fixed overlay in one directory: both are checked, the base's finding is kept, both files named", async () => {
            fs.copyFileSync(COURSE_BASE, path.join(dir, "distinct-updater-base.yaml"));
            fs.copyFileSync(COURSE_AFFINITY, path.join(dir, "distinct-updater-affinity.yaml"));
            const base = path.join(dir, "distinct-updater-base.yaml");
            const affinity = path.join(dir, "distinct-updater-affinity.yaml");
            const r = await runCli(["--format", "json", dir]);
            assert.equal(r.code, 1, r.stderr);
            const out = JSON.parse(r.stdout) as { file: string; policy: string; enforcementLevel: string; resource: { kind: string; name: string } }[];
            assert.deepEqual(
                out.map((f) => `${f.enforcementLevel} ${f.policy} ${f.resource.kind}/${f.resource.name} ${path.basename(f.file)}`),
                [
                    // The same advisory from both files: the loop's rolling update (the overlay does not change it).
                    "advisory rwo-rolling-update-surge Deployment/distinct-updater-loop distinct-updater-affinity.yaml",
                    "advisory rwo-rolling-update-surge Deployment/distinct-updater-loop distinct-updater-base.yaml",
                    `mandatory ${RWO} PersistentVolumeClaim/distinct-updater-pvc distinct-updater-base.yaml`,
                ],
            );
            assert.ok(
                r.stderr.includes(`check: warning: Deployment/default/distinct-updater-server is defined in both ${affinity}: document`) &&
                    r.stderr.includes(`and ${base}: document`),
                r.stderr,
            );
            assert.match(r.stderr, /the definitions differ, so the two files are checked separately/);
        });

        it("the same object defined identically in two files: warned, checked once, the files stay together", async () => {
            const a = write("a.yaml", YAML.stringify(claim("data", ["ReadWriteOnce"])));
            const b = write(
                "b.yaml",
                [claim("data", ["ReadWriteOnce"]), deployment("web", { replicas: 2, claims: ["data"] })]
                    .map((o) => YAML.stringify(o))
                    .join("---\n"),
            );
            const r = await runCli(["--format", "json", a, b]);
            assert.equal(r.code, 1, r.stderr);
            assert.deepEqual(summary(JSON.parse(r.stdout) as Finding[]), [
                `mandatory ${RWO} PersistentVolumeClaim/default/data`,
            ]);
            assert.ok(
                r.stderr.includes(
                    `check: warning: PersistentVolumeClaim/default/data is defined in both ${a}: document 1 and ${b}: document 1 (identically; checked once)`,
                ),
                r.stderr,
            );
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
