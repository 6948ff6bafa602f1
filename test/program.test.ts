/**
 * The rendered program on each stack, through what the mock engine records beyond inputs: the provider
 * and options of every registration, URNs and parents as the engine keys them, and the data the
 * cluster fills in (service-account tokens).
 */
import * as assert from "assert";
import * as YAML from "yaml";

import { mockServiceAccountToken, type ProgramRun, type RecordedResource } from "../render/engine";
import { one, runStack } from "./helpers";

const STACKS = ["gke", "eks", "kind"] as const;

/** Custom resources the Kubernetes provider manages (objects and Helm releases), not the provider itself. */
function kubernetesResources(run: ProgramRun): RecordedResource[] {
    return run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
}

describe("every Kubernetes resource goes through the platform's explicit provider", () => {
    for (const stack of STACKS) {
        it(`${stack}: one kubernetes provider, of the platform, and every kubernetes:* resource uses it`, async () => {
            const run = await runStack(stack);
            const providers = run.resources.filter((r) => r.type === "pulumi:providers:kubernetes");
            assert.strictEqual(providers.length, 1, `providers: ${providers.map((p) => p.urn).join(", ")}`);
            const provider = providers[0];
            // The platform component (kvl:platform:Gke/Eks/Kind "lab") owns it.
            const platformType = `kvl:platform:${stack[0].toUpperCase()}${stack.slice(1)}`;
            assert.strictEqual(provider.parent, one(run, platformType, "lab").urn);
            const kube = kubernetesResources(run);
            assert.ok(kube.length > 30, `only ${kube.length} kubernetes resources`);
            const strays = kube.filter((r) => !r.provider?.startsWith(`${provider.urn}::`));
            assert.deepStrictEqual(
                strays.map((r) => `${r.type} ${r.name} → ${r.provider ?? "(none)"}`),
                [],
                "resources on another provider (the default provider would use the ambient kubeconfig)",
            );
        });
    }
});

describe("file systems holding students' data are protected unless the config says otherwise", () => {
    it("eks: the EFS file system has protect: true by default", async () => {
        const run = await runStack("eks");
        const efs = one(run, "aws:efs/fileSystem:FileSystem");
        assert.strictEqual(efs.options.protect, true);
    });

    it("eks: eks.efs.protect false leaves the file system unprotected", async () => {
        const run = await runStack("eks", { eks: { ...(await eksSection()), efs: { protect: false } } });
        const efs = one(run, "aws:efs/fileSystem:FileSystem");
        assert.notStrictEqual(efs.options.protect, true, JSON.stringify(efs.options));
    });

    it("gke: the homes Filestore instance has protect: true by default, and deletion protection on", async () => {
        const run = await runStack("gke");
        const homes = one(run, "gcp:filestore/instance:Instance", "lab-homes");
        assert.strictEqual(homes.options.protect, true);
        assert.strictEqual(homes.inputs.deletionProtectionEnabled, true);
    });

    it("gke: gke.studentFilestore.protect false leaves the instance unprotected", async () => {
        const run = await runStack("gke", { gke: { ...(await gkeSection()), studentFilestore: { protect: false } } });
        const homes = one(run, "gcp:filestore/instance:Instance", "lab-homes");
        assert.notStrictEqual(homes.options.protect, true, JSON.stringify(homes.options));
        assert.strictEqual(homes.inputs.deletionProtectionEnabled, false);
    });

    it("nothing else in a default stack carries protect (no option recorded by accident)", async () => {
        for (const stack of STACKS) {
            const run = await runStack(stack);
            const protectedOnes = run.resources.filter((r) => r.options.protect === true).map((r) => `${r.type} ${r.name}`);
            const expected = {
                gke: ["gcp:filestore/instance:Instance lab-homes"],
                eks: ["aws:efs/fileSystem:FileSystem lab-efs"],
                kind: [],
            }[stack];
            assert.deepStrictEqual(protectedOnes, expected, stack);
        }
    });
});

/** The stack file's own gke / eks section, so an override keeps the rest of it. */
async function gkeSection(): Promise<Record<string, unknown>> {
    const { stackConfig } = await import("./helpers");
    return stackConfig("gke")["kube-volume-lab:gke"] as Record<string, unknown>;
}
async function eksSection(): Promise<Record<string, unknown>> {
    const { stackConfig } = await import("./helpers");
    return (stackConfig("eks")["kube-volume-lab:eks"] ?? {}) as Record<string, unknown>;
}

describe("a student's kubeconfig carries the token of their service account", () => {
    for (const stack of ["gke", "eks"] as const) {
        it(`${stack}: each student kubeconfig's token is the one the token controller put in their Secret`, async () => {
            const run = await runStack(stack, { students: ["ada", "grace"] });
            const kubeconfigs = run.outputs.studentKubeconfigs as Record<string, string>;
            assert.deepStrictEqual(Object.keys(kubeconfigs).sort(), ["ada", "grace"]);
            for (const student of ["ada", "grace"]) {
                const secret = one(run, "kubernetes:core/v1:Secret", `${student}-token`);
                assert.strictEqual(secret.inputs.type, "kubernetes.io/service-account-token");
                const { name, namespace } = secret.inputs.metadata;
                const doc = YAML.parse(kubeconfigs[student]);
                assert.strictEqual(doc.users.length, 1);
                const token = doc.users[0].user.token;
                assert.ok(typeof token === "string" && token.length > 0, `${student}: empty token in ${kubeconfigs[student]}`);
                assert.strictEqual(token, mockServiceAccountToken(namespace, name), `${student}: not the Secret's token`);
                assert.strictEqual(doc.contexts[0].context.namespace, namespace);
            }
            // Two students never share a token.
            const tokens = ["ada", "grace"].map((s) => YAML.parse(kubeconfigs[s]).users[0].user.token);
            assert.notStrictEqual(tokens[0], tokens[1]);
        });
    }
});

describe("the recorder keys resources by URN, not by type and name", () => {
    it("a student named like a demo (story): each story-ns Namespace keeps its own URN and parent", async () => {
        const run = await runStack("kind", { students: ["story", "ada"] });
        const namespaces = run.resources.filter((r) => r.type === "kubernetes:core/v1:Namespace" && r.name === "story-ns");
        assert.strictEqual(namespaces.length, 2);
        const byParentType = Object.fromEntries(
            namespaces.map((r) => [r.parent.split("::")[2].split("$").pop(), r]),
        ) as Record<string, RecordedResource>;
        const story = one(run, "kvl:apps:StoryApp", "story");
        const student = one(run, "kvl:students:StudentEnvironment", "story");
        assert.strictEqual(byParentType[story.type]?.parent, story.urn, "the demo's namespace under the demo");
        assert.strictEqual(byParentType[student.type]?.parent, student.urn, "the student's namespace under the student");
        assert.notStrictEqual(byParentType[story.type].urn, byParentType[student.type].urn);
        assert.strictEqual(byParentType[story.type].inputs.metadata.name, "story");
        assert.notStrictEqual(byParentType[student.type].inputs.metadata.name, "story");
        assert.ok(byParentType[student.type].urn.endsWith(`${student.type}$kubernetes:core/v1:Namespace::story-ns`));
    });

    it("every URN is unique, every parent is a recorded component, every URN's type chain ends in its parent's type", async () => {
        const run = await runStack("kind", { students: ["story", "distinct-updater", "ada"] });
        const urns = run.resources.map((r) => r.urn);
        assert.strictEqual(new Set(urns).size, urns.length, "two records share a URN");
        const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
        for (const r of run.resources) {
            assert.ok(r.urn.startsWith("urn:pulumi:"), `${r.type} ${r.name}: no URN`);
            if (r.parent === "") continue;
            const parent = byUrn.get(r.parent);
            assert.ok(parent, `${r.urn}: parent ${r.parent} was not recorded`);
            const chain = r.urn.split("::")[2];
            assert.ok(chain.endsWith(`${parent.type}$${r.type}`), `${r.urn} is not under ${parent.type}`);
            for (const d of r.dependencies) {
                assert.ok(byUrn.has(d), `${r.urn} depends on unrecorded ${d}`);
            }
        }
    });
});

describe("workloads waiting on a new claim get time for the volume to be made", () => {
    it("on gke, the story Deployment on its Filestore claim is awaited 30 minutes, the claim-less ones the default", async () => {
        const run = await runStack("gke");
        const story = run.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.inputs.metadata?.namespace === "story");
        assert.ok(story, "story Deployment rendered");
        assert.deepStrictEqual(story.options.customTimeouts, { create: "30m", update: "30m" });
        const side = run.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.inputs.metadata?.namespace === "side-updater");
        assert.ok(side, "side-updater Deployment rendered");
        assert.strictEqual(side.options.customTimeouts, undefined);
    });
    it("with story on emptyDir, no longer wait", async () => {
        const run = await runStack("gke", { demos: { story: { volume: "emptyDir" } } });
        const story = run.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.inputs.metadata?.namespace === "story");
        assert.strictEqual(story?.options.customTimeouts, undefined);
    });
});
