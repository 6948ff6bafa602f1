/**
 * Per-student environments on every stack: isolation, own storage pre-bound and retained, own access,
 * and identities (URNs) that do not move when the class list changes.
 */
import * as assert from "assert";
import * as YAML from "yaml";

import { deriveUid } from "../config";
import type { ProgramRun } from "../render/engine";
import { kobj, kubeObjects, ofType, runStack, studentNames } from "./helpers";

const STACKS = ["gke", "eks", "kind"] as const;
const CLASS = studentNames(30);

/** URNs of everything the run registered, keyed by URN. */
function urns(run: ProgramRun): Set<string> {
    return new Set(run.resources.map((r) => r.urn));
}

/** Resources that belong to a student: their logical names start with `<student>-` or equal it. */
function ownedBy(run: ProgramRun, student: string): string[] {
    return run.resources.filter((r) => r.name === student || r.name.startsWith(`${student}-`)).map((r) => r.urn);
}

for (const stack of STACKS) {
    describe(`students on ${stack} (30 generated)`, () => {
        let run: ProgramRun;
        before(async () => {
            run = await runStack(stack, { students: CLASS });
        });

        it("gives each student a namespace with Pod Security baseline enforced, restricted warned", () => {
            for (const s of CLASS) {
                const ns = kobj(run, "Namespace", `student-${s}`);
                assert.strictEqual(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "baseline");
                assert.strictEqual(ns.metadata.labels["pod-security.kubernetes.io/warn"], "restricted");
                assert.strictEqual(ns.metadata.labels["kube-volume-lab/student"], s);
            }
        });

        it("binds edit in the student's namespace only, never cluster-wide", () => {
            assert.strictEqual(kubeObjects(run).filter((o) => o.kind === "ClusterRoleBinding").length, 0);
            for (const s of CLASS) {
                const rb = kobj(run, "RoleBinding", "student-edit", `student-${s}`);
                assert.deepStrictEqual(rb.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" });
                assert.deepStrictEqual(rb.subjects, [{ kind: "ServiceAccount", name: "student", namespace: `student-${s}` }]);
            }
        });

        it("sets quota and limit defaults", () => {
            const q = kobj(run, "ResourceQuota", "student-quota", "student-s007");
            assert.deepStrictEqual(q.spec.hard, {
                "requests.cpu": "2",
                "limits.cpu": "2",
                "requests.memory": "4Gi",
                "limits.memory": "4Gi",
                pods: "20",
                persistentvolumeclaims: "5",
                "requests.storage": "20Gi",
            });
            const lr = kobj(run, "LimitRange", "student-limits", "student-s007");
            assert.deepStrictEqual(lr.spec.limits[0].default, { cpu: "500m", memory: "256Mi" });
            assert.deepStrictEqual(lr.spec.limits[0].defaultRequest, { cpu: "50m", memory: "64Mi" });
        });

        it("isolates ingress to the student's own namespace", () => {
            for (const s of CLASS) {
                const np = kobj(run, "NetworkPolicy", "deny-from-other-namespaces", `student-${s}`);
                assert.deepStrictEqual(np.spec, {
                    podSelector: {},
                    policyTypes: ["Ingress"],
                    ingress: [{ from: [{ podSelector: {} }] }],
                });
            }
        });

        it("claims `home` in each namespace, and runs the student's chatroulette on it at /images", () => {
            for (const s of CLASS) {
                const home = kobj(run, "PersistentVolumeClaim", "home", `student-${s}`);
                assert.deepStrictEqual(home.spec.resources, { requests: { storage: "5Gi" } });
                const back = kobj(run, "Deployment", "back", `student-${s}`);
                const vol = back.spec.template.spec.volumes.find((v: any) => v.persistentVolumeClaim);
                assert.strictEqual(vol.persistentVolumeClaim.claimName, "home");
                const mount = back.spec.template.spec.containers[0].volumeMounts.find((m: any) => m.name === vol.name);
                assert.strictEqual(mount.mountPath, "/images");
            }
        });

        it("exports one kubeconfig per student, defaulting to their namespace", () => {
            const configs = run.outputs.studentKubeconfigs as Record<string, string | undefined>;
            assert.deepStrictEqual(Object.keys(configs).sort(), [...CLASS].sort());
            if (stack === "kind") {
                return; // no kubeconfig file on this machine: the kind platform warns and exports none
            }
            const kc = YAML.parse(configs.s003!);
            assert.strictEqual(kc.contexts[0].context.namespace, "student-s003");
            assert.ok("token" in kc.users[0].user);
        });
    });
}

describe("student storage per platform", () => {
    it("eks: one access point per student, /students/<name> with uid/gid and 0750, a static RWX Retain PV pre-bound both ways", async () => {
        const run = await runStack("eks", { students: CLASS });
        assert.strictEqual(ofType(run, "aws:efs/fileSystem:FileSystem").length, 1, "one shared file system");
        const aps = ofType(run, "aws:efs/accessPoint:AccessPoint");
        assert.strictEqual(aps.length, CLASS.length);
        for (const s of CLASS) {
            const ap = aps.find((a) => a.name === `${s}-home-ap`)!.inputs;
            const uid = deriveUid(s);
            assert.deepStrictEqual(ap.posixUser, { uid, gid: uid });
            assert.deepStrictEqual(ap.rootDirectory, {
                path: `/students/${s}`,
                creationInfo: { ownerUid: uid, ownerGid: uid, permissions: "0750" },
            });
            const pv = kobj(run, "PersistentVolume", `kvl-home-${s}`);
            assert.strictEqual(pv.spec.csi.driver, "efs.csi.aws.com");
            assert.match(pv.spec.csi.volumeHandle, /^fs-[0-9a-f]{8}::fsap-[0-9a-f]{8}$/);
            assert.deepStrictEqual(pv.spec.accessModes, ["ReadWriteMany"]);
            assert.strictEqual(pv.spec.persistentVolumeReclaimPolicy, "Retain");
            assert.deepStrictEqual(pv.spec.claimRef, { namespace: `student-${s}`, name: "home" });
            const claim = kobj(run, "PersistentVolumeClaim", "home", `student-${s}`);
            assert.strictEqual(claim.spec.volumeName, `kvl-home-${s}`);
            assert.strictEqual(claim.spec.storageClassName, pv.spec.storageClassName);
        }
        const handles = new Set(ofType(run, "kubernetes:core/v1:PersistentVolume").map((p) => p.inputs.spec.csi?.volumeHandle));
        assert.strictEqual(handles.size, CLASS.length, "every student has their own access point");
    });

    it("eks: an identity gets an access entry with a namespace-scoped edit policy", async () => {
        const run = await runStack("eks", {
            students: ["ada", { name: "bob", identity: "arn:aws:iam::123456789012:role/bob" }],
        });
        const entries = ofType(run, "aws:eks/accessEntry:AccessEntry").map((e) => e.inputs.principalArn);
        assert.deepStrictEqual(entries, ["arn:aws:iam::123456789012:role/bob"]);
        const assoc = ofType(run, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation").map((a) => a.inputs);
        assert.deepStrictEqual(assoc[0].accessScope, { type: "namespace", namespaces: ["student-bob"] });
        assert.match(assoc[0].policyArn, /AmazonEKSEditPolicy$/);
    });

    it("gke: one shared Filestore instance, a Retain NFS PV per student on its own directory, pre-bound", async () => {
        const run = await runStack("gke", { students: CLASS });
        assert.strictEqual(ofType(run, "gcp:filestore/instance:Instance").length, 1, "never one instance per student");
        for (const s of CLASS) {
            const pv = kobj(run, "PersistentVolume", `kvl-home-${s}`);
            assert.deepStrictEqual(pv.spec.nfs, { server: "10.99.0.2", path: `/homes/students/${s}` });
            assert.strictEqual(pv.spec.persistentVolumeReclaimPolicy, "Retain");
            assert.deepStrictEqual(pv.spec.claimRef, { namespace: `student-${s}`, name: "home" });
            assert.strictEqual(pv.spec.storageClassName, "");
            const claim = kobj(run, "PersistentVolumeClaim", "home", `student-${s}`);
            assert.deepStrictEqual([claim.spec.volumeName, claim.spec.storageClassName], [`kvl-home-${s}`, ""]);
            const job = kobj(run, "Job", `home-init-${s}`, "kvl-system");
            const script = job.spec.template.spec.containers[0].args[0] as string;
            assert.ok(script.includes(`chown ${deriveUid(s)}:${deriveUid(s)}`), script);
            assert.ok(script.includes("chmod 0750"));
        }
    });

    it("gke: an identity is bound as a User in the student's namespace", async () => {
        const run = await runStack("gke", { students: [{ name: "ada", identity: "ada@example.com" }] });
        const rb = kobj(run, "RoleBinding", "student-edit", "student-ada");
        assert.deepStrictEqual(rb.subjects[1], { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "ada@example.com" });
    });

    it("kind: a claim on the Retain RWX class, or RWO when there is no RWX backend", async () => {
        const nfs = await runStack("kind", { students: ["ada"] });
        const claim = kobj(nfs, "PersistentVolumeClaim", "home", "student-ada");
        assert.deepStrictEqual([claim.spec.storageClassName, claim.spec.accessModes], ["nfs-retain", ["ReadWriteMany"]]);
        const none = await runStack("kind", { students: ["ada"], kind: { rwxBackend: "none" }, studentApps: false });
        const rwo = kobj(none, "PersistentVolumeClaim", "home", "student-ada");
        assert.deepStrictEqual([rwo.spec.storageClassName, rwo.spec.accessModes], ["standard", ["ReadWriteOnce"]]);
    });

    it("studentApps false deploys no per-student app", async () => {
        const run = await runStack("kind", { students: ["ada"], studentApps: false });
        assert.strictEqual(kubeObjects(run).filter((o) => o.metadata?.namespace === "student-ada" && o.kind === "Deployment").length, 0);
    });
});

for (const stack of STACKS) {
    describe(`student identities on ${stack} are keyed by name, not position`, () => {
        let base: ProgramRun;
        before(async () => {
            base = await runStack(stack, { students: CLASS });
        });

        it("inserting a student in the middle adds only that student's resources", async () => {
            const inserted = [...CLASS.slice(0, 15), "newcomer", ...CLASS.slice(15)];
            const after = await runStack(stack, { students: inserted });
            const before = urns(base);
            const now = urns(after);
            const added = [...now].filter((u) => !before.has(u)).sort();
            const removed = [...before].filter((u) => !now.has(u));
            assert.deepStrictEqual(removed, [], "no existing resource may change identity");
            assert.deepStrictEqual(added, ownedBy(after, "newcomer").sort());
            assert.ok(added.length >= 8, `the newcomer got ${added.length} resources`);
        });

        it("removing a student removes only that student's resources", async () => {
            const after = await runStack(stack, { students: CLASS.filter((s) => s !== "s010") });
            const now = urns(after);
            const gone = [...urns(base)].filter((u) => !now.has(u)).sort();
            assert.deepStrictEqual(gone, ownedBy(base, "s010").sort());
            assert.strictEqual([...now].filter((u) => !urns(base).has(u)).length, 0);
        });

        it("reordering the list changes nothing", async () => {
            const after = await runStack(stack, { students: [...CLASS].reverse() });
            assert.deepStrictEqual([...urns(after)].sort(), [...urns(base)].sort());
        });
    });
}
