/**
 * The offline render (npm run render) and the program's objects against the Kubernetes schemas.
 */
import * as assert from "assert";
import * as YAML from "yaml";

import { runRegistrations, sdkClass } from "../render/engine";
import { applySets, RenderInputError, renderStack } from "../render/render";
import { parseArgs } from "../render/cli";
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
        for (const r of run.resources.filter((x) => x.custom)) {
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
        const a = await renderStack("eks", ["students=[ada, bob]"]);
        const b = await renderStack("eks", ["students=[ada, bob]"]);
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

    it("applies --set values as YAML at dotted paths, leaving the rest of the object", () => {
        const out = applySets(
            { "kube-volume-lab:gke": { nodeCount: 2, machineType: "e2-standard-2" } },
            ["gke.nodeCount=3", "students=[ada, {name: bob, uid: 5000}]", "gcp:project=p1"],
            "kube-volume-lab",
        );
        assert.deepStrictEqual(out, {
            "kube-volume-lab:gke": { nodeCount: 3, machineType: "e2-standard-2" },
            "kube-volume-lab:students": ["ada", { name: "bob", uid: 5000 }],
            "gcp:project": "p1",
        });
        assert.throws(() => applySets({}, ["novalue"], "p"), /expected key=value/);
        assert.throws(() => applySets({ "p:a": 1 }, ["a.b=2"], "p"), /a is not an object/);
    });

    it("parses its arguments and refuses unknown ones", () => {
        assert.deepStrictEqual(parseArgs(["--stack", "kind", "--set", "a=1"]), { stack: "kind", out: "render-out/kind", sets: ["a=1"] });
        assert.throws(() => parseArgs([]), /--stack is required/);
        assert.throws(() => parseArgs(["--stack", "kind", "--bogus"]), /unknown argument --bogus/);
        assert.throws(() => parseArgs(["--stack"]), /--stack needs a value/);
    });
});
