import * as assert from "assert";

import {
    ANCHOR_LABEL,
    AccessModesDemo,
    AccessModesDemoArgs,
    READER_SCRIPT,
    WRITER_SCRIPT,
} from "../../components/accessModesDemo";
import { BUSYBOX_IMAGE } from "../../components/common";
import {
    KubeObject,
    assertContainersHardened,
    assertNamespace,
    assertResourceError,
    build,
    container,
    find,
    inventory,
    logicalNames,
    ofKind,
    podSpec,
    valueOf,
    volume,
} from "./helpers";
import { GCE_DISK, HOSTPATH_DISK } from "./variants";

/** The course's layout: pods spread over nodes. */
const PRE: AccessModesDemoArgs = {
    namespace: "access-modes",
    placement: "spread",
    volume: GCE_DISK,
};
const RWX: AccessModesDemoArgs = {
    namespace: "access-modes",
    volume: {
        kind: "rwx",
        storageClassName: "efs-sc",
        reason: "EBS volumes cannot be attached ReadOnlyMany",
    },
};
const make =
    (args: Partial<AccessModesDemoArgs> = {}, base = PRE) =>
    () =>
        new AccessModesDemo("am", { ...base, ...args });

function assertPodsUseClaim(objects: KubeObject[]): void {
    for (const p of ofKind(objects, "Pod")) {
        const reader = p.metadata.name.startsWith("data-reader-");
        const v = volume(p, "other-data");
        const m = container(p, reader ? "reader" : "writer").volumeMounts;
        if (reader) {
            assert.deepStrictEqual(v.persistentVolumeClaim, {
                claimName: "other-data",
                readOnly: true,
            });
            assert.deepStrictEqual(m, [
                { name: "other-data", mountPath: "/other-data", readOnly: true },
            ]);
        } else {
            assert.deepStrictEqual(v.persistentVolumeClaim, {
                claimName: "other-data",
                readOnly: false,
            });
            assert.deepStrictEqual(m, [
                { name: "other-data", mountPath: "/other-data", readOnly: false },
            ]);
        }
    }
}

describe("AccessModesDemo", () => {
    describe("attachable disk (GKE persistent disk)", () => {
        it("creates one RWO PV, a pre-bound claim, 2 writer and 2 reader pods in its namespace", async () => {
            const built = await build(make());
            assert.deepStrictEqual(inventory(built.objects), [
                "Namespace/access-modes",
                "PersistentVolume/other-data",
                "PersistentVolumeClaim/other-data",
                "Pod/data-reader-0",
                "Pod/data-reader-1",
                "Pod/data-writer-0",
                "Pod/data-writer-1",
            ]);
            assertNamespace(built.objects, "access-modes");
            assert.deepStrictEqual(logicalNames(built).sort(), [
                "am-ns",
                "am-pv",
                "am-pvc",
                "am-reader-0",
                "am-reader-1",
                "am-writer-0",
                "am-writer-1",
            ]);
            assert.strictEqual(built.resources[0].type, "kvl:apps:AccessModesDemo");
        });

        it("writer modes: the PV offers ReadWriteOnce only (never RWO+ROX on a CSI PV), csi.readOnly false, pre-bound, Retain", async () => {
            const { objects } = await build(make());
            const pv = find(objects, "PersistentVolume", "other-data");
            assert.strictEqual(pv.metadata.namespace, undefined);
            assert.deepStrictEqual(pv.spec, {
                csi: { ...GCE_DISK.csi, readOnly: false },
                capacity: { storage: "10Gi" },
                accessModes: ["ReadWriteOnce"],
                persistentVolumeReclaimPolicy: "Retain",
                storageClassName: "",
                claimRef: { namespace: "access-modes", name: "other-data" },
                nodeAffinity: GCE_DISK.nodeAffinity,
            });
            assert.deepStrictEqual(find(objects, "PersistentVolumeClaim", "other-data").spec, {
                accessModes: ["ReadWriteOnce"],
                storageClassName: "",
                volumeName: "other-data",
                resources: { requests: { storage: "10Gi" } },
            });
        });

        it("readers only: a separate ReadOnlyMany PV other-data-ro with csi.readOnly true, and a ROX claim bound to it", async () => {
            const { objects, component } = await build(make({ writers: 0, readers: 3 }));
            assert.deepStrictEqual(ofKind(objects, "PersistentVolume").map((p) => p.metadata.name), ["other-data-ro"]);
            const pv = find(objects, "PersistentVolume", "other-data-ro");
            assert.deepStrictEqual(pv.spec.accessModes, ["ReadOnlyMany"]);
            assert.deepStrictEqual(pv.spec.csi, { ...GCE_DISK.csi, readOnly: true });
            assert.deepStrictEqual(pv.spec.claimRef, { namespace: "access-modes", name: "other-data" });
            const pvc = find(objects, "PersistentVolumeClaim", "other-data");
            assert.deepStrictEqual(pvc.spec.accessModes, ["ReadOnlyMany"]);
            assert.strictEqual(pvc.spec.volumeName, "other-data-ro");
            const pods = ofKind(objects, "Pod");
            assert.deepStrictEqual(pods.map((p) => p.metadata.name).sort(), [
                "data-reader-0",
                "data-reader-1",
                "data-reader-2",
            ]);
            assertPodsUseClaim(objects);
            // A never-written disk cannot be mounted read-only: Pulumi must not wait on them.
            for (const p of pods) assert.strictEqual(p.metadata.annotations["pulumi.com/skipAwait"], "true");
            const explanation = await valueOf(component.explanation);
            assert.match(explanation, /read-only to every node and every reader runs/);
            assert.match(explanation, /run a mode with writers first/);
            assert.deepStrictEqual(await valueOf(component.accessModes), ["ReadOnlyMany"]);
        });

        it("no PV the component makes offers both ReadWriteOnce and ReadOnlyMany, in any mode", async () => {
            for (const args of [{}, { placement: "colocated" as const }, { writers: 0 }, { readers: 0 }]) {
                const { objects } = await build(make(args));
                for (const pv of ofKind(objects, "PersistentVolume")) {
                    assert.strictEqual(pv.spec.accessModes.length, 1, JSON.stringify(args));
                }
            }
        });

        it("writers mount read-write; readers mark both the claim volume and the mount readOnly", async () => {
            const { objects } = await build(make());
            assertPodsUseClaim(objects);
        });

        it("readers are registered after the writers and list in a loop", async () => {
            const built = await build(make());
            const urnOf = (n: string) => built.resources.find((r) => r.name === n)!.urn;
            const writerUrns = [urnOf("am-writer-0"), urnOf("am-writer-1")];
            for (const r of ["am-reader-0", "am-reader-1"]) {
                const deps = built.resources.find((x) => x.name === r)!.dependencies;
                for (const w of writerUrns) assert.ok(deps.includes(w), `${r} waits for ${w}`);
            }
            for (const w of ["am-writer-0", "am-writer-1"]) {
                assert.deepStrictEqual(built.resources.find((x) => x.name === w)!.dependencies.filter((d) => d.includes("writer")), []);
            }
            assert.match(READER_SCRIPT, /^while true ; do\n/);
            assert.match(READER_SCRIPT, /grep \^ \/other-data\/\* ;\n {2}sleep 10 ;\ndone\n$/);
        });

        it("runs the course's writer script on pinned busybox, readers as nobody", async () => {
            const { objects } = await build(make());
            const w = container(find(objects, "Pod", "data-writer-0"), "writer");
            const r = container(find(objects, "Pod", "data-reader-1"), "reader");
            assert.strictEqual(w.image, BUSYBOX_IMAGE);
            assert.deepStrictEqual(w.command, ["sh", "-c", WRITER_SCRIPT]);
            assert.deepStrictEqual(r.command, ["sh", "-c", READER_SCRIPT]);
            assert.ok(
                WRITER_SCRIPT.includes("> /other-data/${HOSTNAME}") &&
                    WRITER_SCRIPT.includes("sleep infinity"),
            );
            assert.strictEqual(
                podSpec(find(objects, "Pod", "data-reader-1")).securityContext.runAsUser,
                65534,
            );
            assert.strictEqual(w.securityContext.runAsUser, 0);
            assertContainersHardened(objects);
        });

        it("spread: does not wait for pods expected to hang, and explains the Multi-Attach failure", async () => {
            const { objects, component } = await build(make());
            for (const p of ofKind(objects, "Pod"))
                assert.strictEqual(p.metadata.annotations["pulumi.com/skipAwait"], "true");
            const explanation = await valueOf(component.explanation);
            assert.match(explanation, /attaches other-data \(ReadWriteOnce\) read-write to its node/);
            assert.match(explanation, /ContainerCreating with a FailedAttachVolume \/ Multi-Attach event/);
            assert.strictEqual(await valueOf(component.volumeDescription), GCE_DISK.description);
            assert.strictEqual(await valueOf(component.storageClassName), "");
            assert.deepStrictEqual(await valueOf(component.accessModes), ["ReadWriteOnce"]);
            assert.deepStrictEqual(await valueOf(component.podNames), [
                "data-writer-0",
                "data-writer-1",
                "data-reader-0",
                "data-reader-1",
            ]);
        });
    });

    describe("node-local volume (kind hostPath)", () => {
        it("hostPath PV (RWO for writers, no node affinity), every pod awaited, explains per-node files", async () => {
            const { objects, component } = await build(make({ pvName: "lab-other-data", volume: HOSTPATH_DISK }));
            const pv = find(objects, "PersistentVolume", "lab-other-data");
            assert.deepStrictEqual(pv.spec.hostPath, { path: "/var/other-data", type: "DirectoryOrCreate" });
            assert.strictEqual(pv.spec.csi, undefined);
            assert.strictEqual(pv.spec.nodeAffinity, undefined);
            assert.deepStrictEqual(pv.spec.accessModes, ["ReadWriteOnce"]);
            assert.strictEqual(find(objects, "PersistentVolumeClaim", "other-data").spec.volumeName, "lab-other-data");
            for (const p of ofKind(objects, "Pod")) assert.strictEqual(p.metadata.annotations, undefined);
            const explanation = await valueOf(component.explanation);
            assert.match(explanation, /hostPath volume \(\/var\/other-data\): nothing is attached/);
            assert.match(explanation, /every pod runs/);
            assert.match(explanation, /each node keeps its own directory/);
        });

        it("colocated on hostPath: says every pod runs on the first writer's node, not wherever it lands", async () => {
            const { component } = await build(make({ pvName: "lab-other-data", volume: HOSTPATH_DISK, placement: "colocated" }));
            const explanation = await valueOf(component.explanation);
            assert.match(explanation, /Every pod follows data-writer-0 to its node/);
            assert.doesNotMatch(explanation, /wherever it lands/);
        });

        it("readers only on hostPath: ROX PV lab-other-data-ro, readers awaited, explanation says only earlier writers' files", async () => {
            const { objects, component } = await build(make({ pvName: "lab-other-data", writers: 0, volume: HOSTPATH_DISK }));
            assert.deepStrictEqual(find(objects, "PersistentVolume", "lab-other-data-ro").spec.accessModes, ["ReadOnlyMany"]);
            for (const p of ofKind(objects, "Pod")) assert.strictEqual(p.metadata.annotations, undefined);
            assert.match(await valueOf(component.explanation), /only what earlier writers left on that node/);
        });
    });

    describe("colocated placement (the default)", () => {
        it("pins every pod but the first to the first pod's node with required hostname podAffinity", async () => {
            const { objects, component } = await build(make({ placement: undefined }));
            const pods = ofKind(objects, "Pod");
            const anchor = find(objects, "Pod", "data-writer-0");
            assert.strictEqual(anchor.metadata.labels[ANCHOR_LABEL], "true");
            assert.strictEqual(podSpec(anchor).affinity, undefined);
            for (const p of pods.filter((x) => x.metadata.name !== "data-writer-0")) {
                assert.strictEqual(p.metadata.labels[ANCHOR_LABEL], undefined);
                assert.deepStrictEqual(podSpec(p).affinity, {
                    podAffinity: {
                        requiredDuringSchedulingIgnoredDuringExecution: [
                            {
                                labelSelector: { matchLabels: { [ANCHOR_LABEL]: "true" } },
                                topologyKey: "kubernetes.io/hostname",
                            },
                        ],
                    },
                });
                assert.strictEqual(podSpec(p).topologySpreadConstraints, undefined);
            }
            // All pods run on one node: Pulumi waits for them as usual.
            for (const p of pods) assert.strictEqual(p.metadata.annotations, undefined);
            assert.match(await valueOf(component.explanation), /ReadWriteOnce limits nodes, not pods/);
            assertPodsUseClaim(objects);
        });

        it("anchors on the first reader when there are no writers", async () => {
            const { objects } = await build(make({ placement: "colocated", writers: 0, readers: 2 }));
            assert.strictEqual(find(objects, "Pod", "data-reader-0").metadata.labels[ANCHOR_LABEL], "true");
            assert.ok(podSpec(find(objects, "Pod", "data-reader-1")).affinity.podAffinity);
        });

        it("rejects an unknown placement", () => {
            assertResourceError(make({ placement: "random" as never }), "placement is \"random\"");
        });
    });

    describe("ReadWriteMany variant", () => {
        it("creates only a ReadWriteMany claim other-data on the class, and the pods", async () => {
            const { objects, component } = await build(make({}, RWX));
            assert.deepStrictEqual(ofKind(objects, "PersistentVolume"), []);
            assert.deepStrictEqual(find(objects, "PersistentVolumeClaim", "other-data").spec, {
                accessModes: ["ReadWriteMany"],
                storageClassName: "efs-sc",
                resources: { requests: { storage: "1Gi" } },
            });
            assert.strictEqual(ofKind(objects, "Pod").length, 4);
            assertPodsUseClaim(objects);
            for (const p of ofKind(objects, "Pod"))
                assert.strictEqual(p.metadata.annotations, undefined);
            assert.strictEqual(await valueOf(component.storageClassName), "efs-sc");
            assert.match(
                await valueOf(component.volumeDescription),
                /ReadWriteMany claim on class efs-sc: EBS volumes cannot be attached ReadOnlyMany/,
            );
            assert.match(await valueOf(component.explanation), /Every writer and reader pod runs/);
        });
    });

    describe("rejects", () => {
        it("an attachable volume without a CSI volume handle", () => {
            assertResourceError(
                make({ volume: { ...GCE_DISK, csi: { driver: "pd.csi.storage.gke.io", volumeHandle: "" } } }),
                "volume.csi.driver and volume.csi.volumeHandle are required",
            );
        });
        it("a nodeLocal volume without a path", () => {
            assertResourceError(
                make({ volume: { ...HOSTPATH_DISK, hostPath: { path: "" } } }),
                "volume.hostPath.path is required",
            );
        });
        it("an RWX variant without a class", () => {
            assertResourceError(
                make({ volume: { kind: "rwx", storageClassName: "", reason: "x" } }),
                "volume.storageClassName is required",
            );
        });
        it("an unknown volume kind", () => {
            assertResourceError(make({ volume: { kind: "preProvisioned" } as never }), 'volume.kind is "preProvisioned"');
        });
        it("no pods at all, or a negative count", () => {
            assertResourceError(make({ writers: 0, readers: 0 }), "nothing to show");
            assertResourceError(make({ readers: -2 }), "readers is -2");
        });
    });
});
