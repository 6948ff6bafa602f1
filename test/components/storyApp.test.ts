import * as assert from "assert";

import { STORY_IMAGE, StoryApp, StoryAppArgs } from "../../components/storyApp";
import {
    assertContainersHardened,
    assertNamespace,
    assertResourceError,
    build,
    container,
    find,
    inventory,
    logicalNames,
    ofKind,
    valueOf,
    volume,
} from "./helpers";

const make =
    (args: Partial<StoryAppArgs> = {}) =>
    () =>
        new StoryApp("story", { namespace: "story", volume: "emptyDir", ...args });

describe("StoryApp", () => {
    it("creates a namespace, the Deployment story and the Service story-service", async () => {
        const built = await build(make());
        assert.deepStrictEqual(inventory(built.objects), [
            "Deployment/story",
            "Namespace/story",
            "Service/story-service",
        ]);
        assertNamespace(built.objects, "story");
        assert.deepStrictEqual(logicalNames(built).sort(), [
            "story-deployment",
            "story-ns",
            "story-service",
        ]);
        assert.strictEqual(built.resources[0].type, "kvl:apps:StoryApp");
    });

    it("runs 2 replicas on port 3000 named web-port with probes on /healthcheck, volume at /app/story", async () => {
        const { objects } = await build(make());
        const d = find(objects, "Deployment", "story");
        assert.strictEqual(d.spec.replicas, 2);
        const c = container(d, "story-container");
        assert.strictEqual(c.image, STORY_IMAGE);
        assert.deepStrictEqual(c.ports, [{ name: "web-port", containerPort: 3000 }]);
        for (const p of [c.readinessProbe, c.livenessProbe]) {
            assert.deepStrictEqual(p.httpGet, { path: "/healthcheck", port: "web-port" });
        }
        assert.deepStrictEqual(c.volumeMounts, [{ name: "story-volume", mountPath: "/app/story" }]);
        assertContainersHardened(objects);
        assert.deepStrictEqual(c.securityContext, {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
        });
    });

    it("Service story-service: ClusterIP, port 80 → web-port", async () => {
        const { objects, component } = await build(make());
        assert.deepStrictEqual(find(objects, "Service", "story-service").spec, {
            type: "ClusterIP",
            selector: { app: "story-pod" },
            ports: [{ port: 80, protocol: "TCP", targetPort: "web-port" }],
        });
        assert.strictEqual(
            await valueOf(component.portForward),
            "kubectl -n story port-forward svc/story-service 3000:80",
        );
    });

    it("emptyDir: a per-pod emptyDir, baseline namespace, no claim", async () => {
        const { objects, component } = await build(make({ replicas: 1 }));
        const d = find(objects, "Deployment", "story");
        assert.deepStrictEqual(volume(d, "story-volume"), { name: "story-volume", emptyDir: {} });
        assert.strictEqual(d.spec.replicas, 1);
        assertNamespace(objects, "story", "baseline");
        assert.deepStrictEqual(ofKind(objects, "PersistentVolumeClaim"), []);
        assert.strictEqual(await valueOf(component.storageClassName), "none");
    });

    it("hostPath: /data/story DirectoryOrCreate, and the namespace enforces privileged (baseline forbids hostPath)", async () => {
        const { objects, component } = await build(make({ volume: "hostPath" }));
        assert.deepStrictEqual(volume(find(objects, "Deployment", "story"), "story-volume"), {
            name: "story-volume",
            hostPath: { path: "/data/story", type: "DirectoryOrCreate" },
        });
        assertNamespace(objects, "story", "privileged");
        assert.strictEqual(await valueOf(component.storageClassName), "none");
        assert.strictEqual(await valueOf(component.volume), "hostPath");
    });

    it("claim: a ReadWriteMany claim story-data on the RWX class", async () => {
        const { objects, component } = await build(
            make({ volume: "claim", rwxStorageClass: "nfs" }),
        );
        assert.deepStrictEqual(find(objects, "PersistentVolumeClaim", "story-data").spec, {
            accessModes: ["ReadWriteMany"],
            storageClassName: "nfs",
            resources: { requests: { storage: "1Gi" } },
        });
        assert.deepStrictEqual(volume(find(objects, "Deployment", "story"), "story-volume"), {
            name: "story-volume",
            persistentVolumeClaim: { claimName: "story-data" },
        });
        assertNamespace(objects, "story", "baseline");
        assert.strictEqual(await valueOf(component.storageClassName), "nfs");
    });

    it("takes another image", async () => {
        const { objects } = await build(make({ image: "registry.example/story:2024.1" }));
        assert.strictEqual(
            container(find(objects, "Deployment", "story"), "story-container").image,
            "registry.example/story:2024.1",
        );
    });

    it("rejects volume claim without an RWX class, saying what is missing", () => {
        assertResourceError(
            make({ volume: "claim" }),
            "rwxStorageClass is required",
            'volume "claim"',
            "no ReadWriteMany storage class",
        );
    });

    it("rejects an unknown volume", () => {
        assertResourceError(make({ volume: "nfs" as never }), 'volume is "nfs"');
    });
});
