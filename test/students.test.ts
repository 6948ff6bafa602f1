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
/** Per-student apps on (they need the course's images named; any reference does under the mock). */
const APPS = {
    studentApps: true,
    demos: { chatroulette: { frontImage: "registry.example/front:1.0", backImage: "registry.example/back:1.0" } },
};

/**
 * uids written down independently of config.ts: FNV-1a 32-bit (offset basis 0x811c9dc5, prime 0x01000193,
 * draft-eastlake-fnv) of the name's bytes, mod 2 000 000 000, plus 100 000 — computed by hand with Python,
 * never by deriveUid. A change of seed or algorithm would re-own every home and replace every access point.
 */
const PINNED_UIDS: Record<string, number> = {
    ada: 943363163,
    bob: 261264244,
    s000: 332015750,
    s007: 382348607,
};

/** URNs of everything the run registered, keyed by URN. */
function urns(run: ProgramRun): Set<string> {
    return new Set(run.resources.map((r) => r.urn));
}

/** URN → inputs of every resource: a reorder that swapped two students' inputs changes this map. */
function inputsByUrn(run: ProgramRun): Map<string, unknown> {
    return new Map([...run.resources].sort((a, b) => a.urn.localeCompare(b.urn)).map((r) => [r.urn, r.inputs]));
}

/** Resources that belong to a student: their logical names start with `<student>-` or equal it. */
function ownedBy(run: ProgramRun, student: string): string[] {
    return run.resources.filter((r) => r.name === student || r.name.startsWith(`${student}-`)).map((r) => r.urn);
}

for (const stack of STACKS) {
    describe(`students on ${stack} (30 generated)`, () => {
        let run: ProgramRun;
        before(async () => {
            run = await runStack(stack, { students: CLASS, ...APPS });
        });

        it("gives each student a namespace with Pod Security restricted enforced (pinned v1.30), audited and warned", () => {
            for (const s of CLASS) {
                const ns = kobj(run, "Namespace", `student-${s}`);
                assert.deepStrictEqual(ns.metadata.labels, {
                    "kube-volume-lab/student": s,
                    "app.kubernetes.io/part-of": "kube-volume-lab",
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "v1.30",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/audit-version": "latest",
                    "pod-security.kubernetes.io/warn": "restricted",
                    "pod-security.kubernetes.io/warn-version": "latest",
                });
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

        it("sets quota and limit defaults; no LoadBalancer or NodePort Service, no Ingress, capped object counts", () => {
            const q = kobj(run, "ResourceQuota", "student-quota", "student-s007");
            const hard = { ...q.spec.hard };
            for (const k of Object.keys(hard).filter((k) => k.endsWith(".storageclass.storage.k8s.io/persistentvolumeclaims"))) {
                assert.strictEqual(hard[k], "0", k); // the platform's denied classes: see the attack catalogue
                delete hard[k];
            }
            assert.deepStrictEqual(hard, {
                "requests.cpu": "2",
                "limits.cpu": "2",
                "requests.memory": "4Gi",
                "limits.memory": "4Gi",
                pods: "20",
                persistentvolumeclaims: "5",
                "requests.storage": "20Gi",
                "services.loadbalancers": "0",
                "services.nodeports": "0",
                "count/ingresses.networking.k8s.io": "0",
                configmaps: "50",
                secrets: "50",
                services: "20",
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

        it("limits egress to the namespace, cluster DNS on 53 and the internet minus private, shared and link-local space", () => {
            const np = kobj(run, "NetworkPolicy", "egress-dns-and-internet-only", "student-s012");
            const except = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"];
            assert.deepStrictEqual(np.spec, {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [
                    { to: [{ podSelector: {} }] },
                    {
                        to: [
                            {
                                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                                podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                            },
                        ],
                        ports: [
                            { protocol: "UDP", port: 53 },
                            { protocol: "TCP", port: 53 },
                        ],
                    },
                    // every default range of every stack is RFC 1918, so nothing is appended
                    { to: [{ ipBlock: { cidr: "0.0.0.0/0", except } }] },
                ],
            });
            for (const s of CLASS) {
                kobj(run, "NetworkPolicy", "egress-dns-and-internet-only", `student-${s}`);
            }
        });

        it("runs the student's app as the student: own uid/gid, non-root, no escalation, no capabilities, RuntimeDefault", () => {
            for (const s of ["s000", "s007"]) {
                for (const name of ["front", "back"]) {
                    const spec = kobj(run, "Deployment", name, `student-${s}`).spec.template.spec;
                    const uid = PINNED_UIDS[s];
                    assert.deepStrictEqual(spec.securityContext, {
                        runAsNonRoot: true,
                        runAsUser: uid,
                        runAsGroup: uid,
                        fsGroup: uid,
                        fsGroupChangePolicy: "OnRootMismatch",
                        seccompProfile: { type: "RuntimeDefault" },
                    });
                    for (const c of spec.containers) {
                        assert.deepStrictEqual(c.securityContext, {
                            runAsNonRoot: true,
                            allowPrivilegeEscalation: false,
                            capabilities: { drop: ["ALL"] },
                            seccompProfile: { type: "RuntimeDefault" },
                        });
                    }
                }
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

describe("student uids", () => {
    it("are the pinned literals (the derivation's seed and algorithm never change)", () => {
        for (const [name, uid] of Object.entries(PINNED_UIDS)) {
            assert.strictEqual(deriveUid(name), uid, name);
        }
    });

    it("reach the rendered objects unchanged: EFS access point owner and the GKE home chown", async () => {
        const eks = await runStack("eks", { students: ["ada", "bob"] });
        const ap = ofType(eks, "aws:efs/accessPoint:AccessPoint").find((a) => a.name === "bob-home-ap")!.inputs;
        assert.deepStrictEqual(ap.posixUser, { uid: 261264244, gid: 261264244 });
        const gke = await runStack("gke", { students: ["ada"] });
        const script = kobj(gke, "Job", "home-init-ada", "kvl-system").spec.template.spec.containers[0].args[0] as string;
        assert.ok(script.includes("chown 943363163:943363163"), script);
    });
});

describe("student storage per platform", () => {
    it("eks: one access point per student, /students/<name> with uid/gid and 0750, a static RWX Retain PV pre-bound both ways", async () => {
        const run = await runStack("eks", { students: CLASS });
        assert.strictEqual(ofType(run, "aws:efs/fileSystem:FileSystem").length, 1, "one shared file system");
        const aps = ofType(run, "aws:efs/accessPoint:AccessPoint");
        assert.strictEqual(aps.length, CLASS.length);
        for (const s of CLASS) {
            const ap = aps.find((a) => a.name === `${s}-home-ap`)!.inputs;
            const uid = PINNED_UIDS[s] ?? deriveUid(s);
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
        // platforms/kind.ts: homes without an RWX backend go on a Retain twin of kind's Delete class.
        assert.deepStrictEqual([rwo.spec.storageClassName, rwo.spec.accessModes], ["standard-retain", ["ReadWriteOnce"]]);
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

        it("reordering the list changes nothing: every URN keeps exactly its inputs", async () => {
            const after = await runStack(stack, { students: [...CLASS].reverse() });
            assert.deepStrictEqual(inputsByUrn(after), inputsByUrn(base));
        });
    });
}
