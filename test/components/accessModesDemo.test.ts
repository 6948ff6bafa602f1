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
    volume: { kind: "preProvisioned", ...GCE_DISK },
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
    describe("pre-provisioned RWO+ROX disk", () => {
        it("creates a PV, a pre-bound claim, 2 writer and 2 reader pods in its namespace", async () => {
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

        it('pre-binds PV and claim both ways: storageClassName "", claimRef, volumeName, Retain', async () => {
            const { objects } = await build(make());
            const pv = find(objects, "PersistentVolume", "other-data");
            assert.strictEqual(pv.metadata.namespace, undefined);
            assert.deepStrictEqual(pv.spec, {
                ...GCE_DISK.source,
                capacity: { storage: "10Gi" },
                accessModes: ["ReadWriteOnce", "ReadOnlyMany"],
                persistentVolumeReclaimPolicy: "Retain",
                storageClassName: "",
                claimRef: { namespace: "access-modes", name: "other-data" },
                nodeAffinity: GCE_DISK.nodeAffinity,
            });
            assert.deepStrictEqual(find(objects, "PersistentVolumeClaim", "other-data").spec, {
                accessModes: ["ReadWriteOnce", "ReadOnlyMany"],
                storageClassName: "",
                volumeName: "other-data",
                resources: { requests: { storage: "10Gi" } },
            });
        });

        it("takes the PV name and a hostPath source without node affinity", async () => {
            const { objects } = await build(
                make({
                    pvName: "lab-other-data",
                    volume: { kind: "preProvisioned", ...HOSTPATH_DISK },
                }),
            );
            const pv = find(objects, "PersistentVolume", "lab-other-data");
            assert.deepStrictEqual(pv.spec.hostPath, {
                path: "/var/other-data",
                type: "DirectoryOrCreate",
            });
            assert.strictEqual(pv.spec.nodeAffinity, undefined);
            assert.strictEqual(
                find(objects, "PersistentVolumeClaim", "other-data").spec.volumeName,
                "lab-other-data",
            );
        });

        it("writers mount read-write; readers mark both the claim volume and the mount readOnly", async () => {
            const { objects } = await build(make());
            assertPodsUseClaim(objects);
        });

        it("runs the course's scripts on pinned busybox, readers as nobody", async () => {
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
            assert.ok(READER_SCRIPT.includes("grep ^ /other-data/*"));
            assert.strictEqual(
                podSpec(find(objects, "Pod", "data-reader-1")).securityContext.runAsUser,
                65534,
            );
            assert.strictEqual(w.securityContext.runAsUser, 0);
            assertContainersHardened(objects);
        });

        it("does not wait for pods expected to hang, and explains the Multi-Attach failure", async () => {
            const { objects, component } = await build(make());
            for (const p of ofKind(objects, "Pod"))
                assert.strictEqual(p.metadata.annotations["pulumi.com/skipAwait"], "true");
            const explanation = await valueOf(component.explanation);
            assert.match(explanation, /ContainerCreating/);
            assert.match(explanation, /FailedAttachVolume \/ Multi-Attach/);
            assert.strictEqual(await valueOf(component.volumeDescription), GCE_DISK.description);
            assert.strictEqual(await valueOf(component.storageClassName), "");
            assert.deepStrictEqual(await valueOf(component.accessModes), [
                "ReadWriteOnce",
                "ReadOnlyMany",
            ]);
            assert.deepStrictEqual(await valueOf(component.podNames), [
                "data-writer-0",
                "data-writer-1",
                "data-reader-0",
                "data-reader-1",
            ]);
        });

        it("hostPath source: explains per-node directories instead of Multi-Attach, and awaits the pods", async () => {
            const { objects, component } = await build(
                make({ volume: { kind: "preProvisioned", ...HOSTPATH_DISK } }),
            );
            for (const p of ofKind(objects, "Pod"))
                assert.strictEqual(p.metadata.annotations, undefined);
            const explanation = await valueOf(component.explanation);
            assert.match(explanation, /hostPath volume: nothing is attached/);
            assert.match(explanation, /each node has its own directory/);
        });

        it("readers only: every pod read-only, awaited, and the explanation says they all run", async () => {
            const { objects, component } = await build(make({ writers: 0, readers: 3 }));
            const pods = ofKind(objects, "Pod");
            assert.deepStrictEqual(pods.map((p) => p.metadata.name).sort(), [
                "data-reader-0",
                "data-reader-1",
                "data-reader-2",
            ]);
            for (const p of pods) assert.strictEqual(p.metadata.annotations, undefined);
            assertPodsUseClaim(objects);
            assert.match(await valueOf(component.explanation), /every reader runs/);
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
        it("a pre-provisioned volume without ReadOnlyMany", () => {
            assertResourceError(
                make({
                    volume: { kind: "preProvisioned", ...GCE_DISK, accessModes: ["ReadWriteOnce"] },
                }),
                "needs ReadWriteOnce and ReadOnlyMany",
            );
        });
        it("an RWX variant without a class", () => {
            assertResourceError(
                make({ volume: { kind: "rwx", storageClassName: "", reason: "x" } }),
                "volume.storageClassName is required",
            );
        });
        it("an unknown volume kind", () => {
            assertResourceError(make({ volume: { kind: "nfs" } as never }), 'volume.kind is "nfs"');
        });
        it("no pods at all, or a negative count", () => {
            assertResourceError(make({ writers: 0, readers: 0 }), "nothing to show");
            assertResourceError(make({ readers: -2 }), "readers is -2");
        });
    });
});
