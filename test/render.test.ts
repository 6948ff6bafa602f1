/**
 * The offline render (npm run render) and the program's objects against the Kubernetes schemas.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

import { runRegistrations, sdkClass } from "../bench/floor";
import { runUnderMocks } from "../render/engine";
import { applySets, pathValue, RenderInputError, renderStack } from "../render/render";
import { MARKER, main, parseArgs, previousRenderFiles, writeRender } from "../render/cli";
import { validateKubernetesObject } from "./components/k8sSchema";
import { kubeObjects, runStack, studentNames } from "./helpers";

const STACKS = ["gke", "eks", "kind"] as const;

describe("every Kubernetes object the program creates validates against the API schema", () => {
    for (const stack of STACKS) {
        for (const mode of ["rwo", "affinity", "rwx"]) {
            it(`${stack}, distinct-updater ${mode}, 5 students, every demo`, async () => {
                const run = await runStack(stack, {
                    students: studentNames(5),
                    demos: { distinctUpdater: { mode }, story: { volume: mode === "rwo" ? "hostPath" : "claim" } },
                });
                const objects = kubeObjects(run);
                assert.ok(objects.length > 50, `only ${objects.length} objects`);
                for (const o of objects) {
                    validateKubernetesObject(o);
                }
            });
        }
    }
});

describe("the benchmark's SDK floor", () => {
    it("re-registers the same resources with the same SDK classes, parents and providers", async () => {
        const run = await runStack("eks", { students: ["ada", "bob"] });
        // Dynamic-provider resources (pulumi-nodejs:dynamic:Resource) have no SDK class: the floor
        // registers them as plain custom resources of the same type token.
        for (const r of run.resources.filter((x) => x.custom && !x.type.startsWith("pulumi-nodejs:dynamic:"))) {
            assert.ok(sdkClass(r.type), `no SDK class found for ${r.type}`);
        }
        const floor = await runRegistrations(run.resources);
        // Registration is asynchronous: compare as sets.
        const shape = (rs: typeof run.resources) => rs.map((r) => [r.type, r.name, r.urn, r.parent].join(" ")).sort();
        assert.deepStrictEqual(shape(floor.resources), shape(run.resources));
    });
});

describe("render", () => {
    it("is deterministic: two renders of a stack are byte-identical", async () => {
        const a = await renderStack("eks", ['students=["ada","bob"]']);
        const b = await renderStack("eks", ['students=["ada","bob"]']);
        assert.deepStrictEqual([...a.files.keys()], [...b.files.keys()]);
        for (const [file, content] of a.files) {
            assert.strictEqual(b.files.get(file), content, `${file} differs between two renders`);
        }
    });

    it("writes one file per component, the cloud table and the findings", async () => {
        const r = await renderStack("gke");
        const files = [...r.files.keys()];
        for (const f of [
            "kubernetes/Gke-lab.yaml",
            "kubernetes/DistinctUpdater-distinct-updater.yaml",
            "kubernetes/StudentEnvironment-ada.yaml",
            "cloud-resources.md",
            "policy-findings.txt",
        ]) {
            assert.ok(files.includes(f), `${f} missing from ${files.join(", ")}`);
        }
        const du = YAML.parseAllDocuments(r.files.get("kubernetes/DistinctUpdater-distinct-updater.yaml")!).map((d) => d.toJS());
        assert.strictEqual(du[0].kind, "Namespace", "namespaces come first");
        assert.ok(du.some((o) => o.kind === "Deployment" && o.metadata.name === "distinct-updater-server"));
        assert.match(r.files.get("cloud-resources.md")!, /\| gcp:container\/cluster:Cluster \| lab-cluster \| location=europe-west1-b/);
        assert.strictEqual(r.files.get("policy-findings.txt"), "no findings\n");
        assert.strictEqual(r.findings.length, 0);
    });

    it("reports the pack's findings, e.g. the broken distinct-updater", async () => {
        const r = await renderStack("kind", ["demos.distinctUpdater.mode=rwo"]);
        assert.match(r.files.get("policy-findings.txt")!, /^MANDATORY rwo-shared-without-colocation PersistentVolumeClaim\/distinct-updater\/distinct-updater-pvc: /m);
    });

    it("names an unknown stack and lists the real ones", async () => {
        await assert.rejects(renderStack("aks"), (e: Error) => {
            assert.ok(e instanceof RenderInputError);
            assert.match(e.message, /no stack file Pulumi\.aks\.yaml; stacks are: eks, gke, kind/);
            return true;
        });
    });

    it("surfaces configuration errors from the program", async () => {
        await assert.rejects(renderStack("gke", ["gke.nodeCount=0"]), /Invalid configuration 'gke.nodeCount': 0 is not a whole number from 1 to 100/);
    });

    it("--set follows `pulumi config set --path`: nested values typed, single keys kept as text", () => {
        const config = {
            "kube-volume-lab:gke": { nodeCount: 2, machineType: "e2-standard-2" },
            "kube-volume-lab:students": ["ada", { name: "bob", uid: 5000 }],
            "gcp:project": "p0",
        };
        const out = applySets(
            config,
            [
                "gke.nodeCount=3",
                "eks.kubernetesVersion=1.30",
                "eks.efs.protect=false",
                "students[1].name=zoe",
                "students[2]=carol",
                "quota.storage=010",
                "gcp:project=p1",
                "studentApps=true",
                'demos={"story":{"replicas":3}}',
                'labels["team.example/x"]=a=b',
            ],
            "kube-volume-lab",
        );
        assert.deepStrictEqual(out, {
            "kube-volume-lab:gke": { nodeCount: 3, machineType: "e2-standard-2" },
            "kube-volume-lab:eks": { kubernetesVersion: "1.30", efs: { protect: false } },
            "kube-volume-lab:students": ["ada", { name: "zoe", uid: 5000 }, "carol"],
            "kube-volume-lab:quota": { storage: "010" },
            "gcp:project": "p1",
            // A single segment is stored as the text given, as Pulumi stores it; the program parses it.
            "kube-volume-lab:studentApps": "true",
            "kube-volume-lab:demos": '{"story":{"replicas":3}}',
            "kube-volume-lab:labels": { "team.example/x": "a=b" },
        });
        assert.deepStrictEqual(config["kube-volume-lab:students"], ["ada", { name: "bob", uid: 5000 }], "the input is not modified");
    });

    it("--set values: true/false and integers convert, everything else stays a string (Pulumi's adjustObjectValue)", () => {
        const cases: [string, unknown][] = [
            ["true", true],
            ["false", false],
            ["True", "True"],
            ["42", 42],
            ["-7", -7],
            ["0", 0],
            ["007", "007"],
            ["1.30", "1.30"],
            ["1e3", "1e3"],
            ["", ""],
            ["[a, b]", "[a, b]"],
            ["99999999999999999999", "99999999999999999999"],
        ];
        assert.deepStrictEqual(
            cases.map(([text]) => [text, pathValue(text)]),
            cases,
        );
    });

    it("--set paths: lists grow by one at a time, created on the way; type mismatches and bad paths are named", () => {
        assert.deepStrictEqual(applySets({}, ["students[0].name=zoe", "students[0].uid=1234"], "p"), {
            "p:students": [{ name: "zoe", uid: 1234 }],
        });
        // A new list is made long enough for the index, as Pulumi's newContainer does.
        assert.deepStrictEqual(applySets({}, ["a.b[2]=x"], "p"), { "p:a": { b: [null, null, "x"] } });
        // Directly under the key, a scalar is replaced by a container (Pulumi's COMPAT rule).
        assert.deepStrictEqual(applySets({ "p:a": "text" }, ["a.b=1"], "p"), { "p:a": { b: 1 } });
        const refused: [string[], RegExp][] = [
            [["novalue"], /--set novalue: expected key=value/],
            [["=x"], /expected key=value/],
            [["students[5]=x"], /--set students\[5\]=x: students\[5\]: array index out of range \(the list has 1 item\(s\)\)/],
            [["students[0].name=zoe"], /--set students\[0\]\.name=zoe: students\[0\]: expected a map/],
            [["students.name=zoe"], /students\.name: key for an array must be an int/],
            [["gke[0]=x"], /gke\[0\]: key for a map must be a string/],
            [["[0]=x"], /the key must start with a name/],
            [["a[x]=1"], /invalid config key path: invalid array index: "x"/],
            [["a[0=1"], /missing closing bracket/],
            [["a.=1"], /expected property path to end with a name or index/],
        ];
        for (const [sets, message] of refused) {
            assert.throws(
                () => applySets({ "p:students": ["ada"], "p:gke": { nodeCount: 2 } }, sets, "p"),
                (e: Error) => e instanceof RenderInputError && message.test(e.message),
                `${sets.join(" ")} should be refused with ${message}`,
            );
        }
    });

    it("--set reaches the program with Pulumi's types: a student list entry and an integer", async () => {
        const r = await renderStack("kind", ["students[0]=zoe", "demos.story.replicas=3"]);
        const files = [...r.files.keys()];
        assert.ok(files.includes("kubernetes/StudentEnvironment-zoe.yaml"), files.join(", "));
        assert.ok(!files.includes("kubernetes/StudentEnvironment-ada.yaml"), "students[0] replaced ada");
        const story = YAML.parseAllDocuments(r.files.get("kubernetes/StoryApp-story.yaml")!).map((d) => d.toJS());
        assert.strictEqual(story.find((o) => o.kind === "Deployment")?.spec.replicas, 3);
    });

    it("parses its arguments with util.parseArgs: --x=y, repeated --set, unknown options and --help", () => {
        assert.deepStrictEqual(parseArgs(["--stack", "kind", "--set", "a=1", "--set=b.c=2"]), {
            stack: "kind",
            out: path.join("render-out", "kind"),
            sets: ["a=1", "b.c=2"],
        });
        assert.deepStrictEqual(parseArgs(["--stack=gke", "--out=x/y"]), { stack: "gke", out: "x/y", sets: [] });
        assert.strictEqual(parseArgs(["--help"]), "help");
        assert.strictEqual(parseArgs(["-h", "--stack", "kind"]), "help");
        assert.throws(() => parseArgs([]), /--stack is required/);
        assert.throws(() => parseArgs(["--stack", "kind", "--bogus"]), /^RenderInputError|unknown option --bogus\nusage:/);
        assert.throws(() => parseArgs(["--stack"]), /--stack needs a value/);
        assert.throws(() => parseArgs(["--stack", "kind", "extra"]), /every value follows its option/);
    });

    it("--help prints the usage and exits 0; a bad option exits 2", async () => {
        const io = { out: "", err: "", stdout(t: string) { io.out += t; }, stderr(t: string) { io.err += t; } };
        assert.strictEqual(await main(["--help"], io), 0);
        assert.match(io.out, /^usage: npm run render -- --stack/);
        assert.strictEqual(await main(["--stack", "kind", "--frobnicate"], io), 2);
        assert.match(io.err, /render: unknown option --frobnicate/);
    });
});

describe("render --out never deletes what it did not write", () => {
    let dir: string;
    const io = { out: "", err: "", stdout(t: string) { io.out += t; }, stderr(t: string) { io.err += t; } };
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvl-render-"));
        io.out = "";
        io.err = "";
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("refuses a directory holding a user's file, with exit 2, and leaves the file alone", async () => {
        fs.writeFileSync(path.join(dir, "thesis.tex"), "years of work");
        fs.mkdirSync(path.join(dir, "kubernetes"));
        fs.writeFileSync(path.join(dir, "kubernetes", "mine.yaml"), "kind: Mine");
        assert.strictEqual(await main(["--stack", "kind", "--out", dir], io), 2);
        assert.ok(io.err.includes(`render: --out ${dir}: the directory is not empty and is not a previous render (it has no ${MARKER})`), io.err);
        assert.deepStrictEqual(fs.readdirSync(dir).sort(), ["kubernetes", "thesis.tex"]);
        assert.strictEqual(fs.readFileSync(path.join(dir, "thesis.tex"), "utf8"), "years of work");
        assert.strictEqual(fs.readFileSync(path.join(dir, "kubernetes", "mine.yaml"), "utf8"), "kind: Mine");
    });

    it("refuses --out . (the checkout) before rendering anything", async () => {
        const before = fs.readdirSync(".").sort();
        assert.strictEqual(await main(["--stack", "kind", "--out", "."], io), 2);
        assert.match(io.err, /render: --out \.: the directory is not empty and is not a previous render/);
        assert.deepStrictEqual(fs.readdirSync(".").sort(), before);
    });

    it("refuses a path that is a file", async () => {
        const file = path.join(dir, "f");
        fs.writeFileSync(file, "x");
        assert.strictEqual(await main(["--stack", "kind", "--out", file], io), 2);
        assert.match(io.err, /exists and is not a directory/);
        assert.strictEqual(fs.readFileSync(file, "utf8"), "x");
    });

    it("renders into a new directory, then re-renders replacing only its own files", async () => {
        const out = path.join(dir, "render");
        // 0 or 1: rendered (1 when the stack has a mandatory finding); 2 would be a refusal or a crash.
        assert.ok([0, 1].includes(await main(["--stack", "kind", "--out", out], io)), io.err);
        const marker = JSON.parse(fs.readFileSync(path.join(out, MARKER), "utf8"));
        assert.strictEqual(marker.generator, "kube-volume-lab render");
        assert.ok(marker.files.includes("kubernetes/StudentEnvironment-ada.yaml"), marker.files.join(", "));
        assert.deepStrictEqual(
            [...marker.files].sort(),
            fs.readdirSync(out, { recursive: true, withFileTypes: true })
                .filter((e) => e.isFile() && e.name !== MARKER)
                .map((e) => path.relative(out, path.join(e.parentPath, e.name)))
                .sort(),
            "the marker lists exactly the files written",
        );
        // The user adds files beside the render; a student leaves the stack.
        fs.writeFileSync(path.join(out, "notes.md"), "mine");
        fs.writeFileSync(path.join(out, "kubernetes", "extra.yaml"), "mine too");
        assert.ok([0, 1].includes(await main(["--stack", "kind", "--out", out, "--set", 'students=["ada","grace"]'], io)), io.err);
        assert.strictEqual(fs.readFileSync(path.join(out, "notes.md"), "utf8"), "mine");
        assert.strictEqual(fs.readFileSync(path.join(out, "kubernetes", "extra.yaml"), "utf8"), "mine too");
        assert.ok(!fs.existsSync(path.join(out, "kubernetes", "StudentEnvironment-linus.yaml")), "the previous render's own file is removed");
        assert.ok(fs.existsSync(path.join(out, "kubernetes", "StudentEnvironment-grace.yaml")));
        const again = JSON.parse(fs.readFileSync(path.join(out, MARKER), "utf8"));
        assert.ok(!again.files.includes("notes.md") && !again.files.includes("kubernetes/StudentEnvironment-linus.yaml"));
    });

    const sha = (text: string) => createHash("sha256").update(text).digest("hex");
    const marker = (files: Record<string, string>, extra: object = {}) =>
        fs.writeFileSync(
            path.join(dir, MARKER),
            JSON.stringify({ generator: "kube-volume-lab render", stack: "kind", files: Object.keys(files), sha256: files, ...extra }),
        );

    it("never overwrites a file the previous render did not write, and never follows .. in a marker", () => {
        fs.writeFileSync(path.join(dir, "cloud-resources.md"), "the user's");
        marker({ "old.yaml": sha("old") });
        const previous = previousRenderFiles(dir);
        assert.deepStrictEqual(previous.files, ["old.yaml"]);
        assert.throws(
            () => writeRender(dir, "kind", new Map([["cloud-resources.md", "new"]]), previous),
            /cloud-resources\.md exists and was not written by the previous render; refusing to overwrite it/,
        );
        assert.strictEqual(fs.readFileSync(path.join(dir, "cloud-resources.md"), "utf8"), "the user's");
        marker({ "../victim": sha("x") });
        assert.throws(() => previousRenderFiles(dir), /was not written by this render/);
    });

    it("refuses a marker without checksums: a marker committed to a repository cannot name files to delete", async () => {
        fs.writeFileSync(path.join(dir, "index.ts"), "the user's code");
        fs.writeFileSync(path.join(dir, MARKER), JSON.stringify({ generator: "kube-volume-lab render", stack: "kind", files: ["index.ts"] }));
        assert.strictEqual(await main(["--stack", "kind", "--out", dir], io), 2);
        assert.match(io.err, /was not written by this render \(expected .* the sha256 of each\); nothing was changed/);
        assert.strictEqual(fs.readFileSync(path.join(dir, "index.ts"), "utf8"), "the user's code");
        // With checksums, a listed file whose content is not what a render wrote is not removed either.
        marker({ "index.ts": sha("what the render wrote") });
        assert.strictEqual(await main(["--stack", "kind", "--out", dir], io), 2);
        assert.match(io.err, /index\.ts was changed since the previous render wrote it; .* nothing was changed/);
        assert.strictEqual(fs.readFileSync(path.join(dir, "index.ts"), "utf8"), "the user's code");
    });

    it("never replaces a rendered file the user edited since, and changes nothing when it refuses", async () => {
        assert.ok([0, 1].includes(await main(["--stack", "kind", "--out", dir], io)), io.err);
        const edited = path.join(dir, "kubernetes", "StoryApp-story.yaml");
        fs.appendFileSync(edited, "# my note\n");
        const before = new Map(
            fs.readdirSync(dir, { recursive: true }).map(String).sort()
                .filter((f) => fs.statSync(path.join(dir, f)).isFile())
                .map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]),
        );
        assert.strictEqual(await main(["--stack", "kind", "--out", dir, "--set", 'students=["zoe"]'], io), 2);
        assert.match(io.err, /kubernetes\/StoryApp-story\.yaml was changed since the previous render wrote it/);
        const after = fs.readdirSync(dir, { recursive: true }).map(String).sort()
            .filter((f) => fs.statSync(path.join(dir, f)).isFile());
        assert.deepStrictEqual(after, [...before.keys()], "no file was added or removed");
        for (const [f, content] of before) assert.strictEqual(fs.readFileSync(path.join(dir, f), "utf8"), content, f);
        assert.ok(before.has("kubernetes/StudentEnvironment-ada.yaml"), "the first render had the default students");
    });

    it("never writes or removes through a symbolic link inside --out", async () => {
        assert.ok([0, 1].includes(await main(["--stack", "kind", "--out", dir], io)), io.err);
        // The user replaces kubernetes/ by a link to a folder of theirs holding files of the same names.
        const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "kvl-elsewhere-"));
        try {
            for (const f of fs.readdirSync(path.join(dir, "kubernetes"))) {
                fs.copyFileSync(path.join(dir, "kubernetes", f), path.join(elsewhere, f));
            }
            fs.rmSync(path.join(dir, "kubernetes"), { recursive: true });
            fs.symlinkSync(elsewhere, path.join(dir, "kubernetes"));
            const mine = fs.readdirSync(elsewhere).sort();
            assert.strictEqual(await main(["--stack", "kind", "--out", dir, "--set", 'students=["zoe"]'], io), 2);
            assert.match(io.err, /kubernetes is a symbolic link; the render writes and removes only inside .*, never through links; nothing was changed/);
            assert.deepStrictEqual(fs.readdirSync(elsewhere).sort(), mine);
        } finally {
            fs.rmSync(elsewhere, { recursive: true, force: true });
        }
        // A marker that is a link is refused too (writing the marker would write the link's target).
        const target = path.join(os.tmpdir(), `kvl-marker-target-${process.pid}`);
        fs.renameSync(path.join(dir, MARKER), target);
        fs.symlinkSync(target, path.join(dir, MARKER));
        try {
            assert.throws(() => previousRenderFiles(dir), /is not a regular file \(a link or a directory\)/);
        } finally {
            fs.rmSync(target, { force: true });
        }
    });

    it("a render stopped half-way leaves a marker the next render accepts: each file old or new", () => {
        fs.writeFileSync(path.join(dir, "a.yaml"), "new a");
        fs.writeFileSync(path.join(dir, "b.yaml"), "old b");
        marker({ "b.yaml": sha("old b") }, { files: ["a.yaml", "b.yaml"], pending: { "a.yaml": sha("new a"), "b.yaml": sha("new b") } });
        const previous = previousRenderFiles(dir);
        assert.deepStrictEqual(previous.files, ["a.yaml", "b.yaml"]);
        writeRender(dir, "kind", new Map([["b.yaml", "newer b"]]), previous);
        assert.deepStrictEqual(fs.readdirSync(dir).sort(), [MARKER, "b.yaml"]);
        assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(dir, MARKER), "utf8")), {
            generator: "kube-volume-lab render",
            stack: "kind",
            files: ["b.yaml"],
            sha256: { "b.yaml": sha("newer b") },
        });
    });
});

describe("the mock engine fails like the Pulumi language host", () => {
    it("fails the run on an error thrown in an apply that no resource waits on", async () => {
        await assert.rejects(
            runUnderMocks(() => {
                pulumi.output("x").apply((v) => {
                    if (v === "x") {
                        throw new Error("thrown in a dangling apply");
                    }
                    return v;
                });
                return {};
            }),
            /thrown in a dangling apply/,
        );
    });
});
