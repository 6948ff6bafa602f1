import * as assert from "assert";

import { STORY_APP_JS, StoryApp, StoryAppArgs } from "../../components/storyApp";
import {
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

const make =
    (args: Partial<StoryAppArgs> = {}) =>
    () =>
        new StoryApp("story", { namespace: "story", volume: "emptyDir", ...args });

describe("StoryApp", () => {
    it("creates a namespace, the app's ConfigMap, the Deployment story and the Service story-service", async () => {
        const built = await build(make());
        assert.deepStrictEqual(inventory(built.objects), [
            "ConfigMap/story-app",
            "Deployment/story",
            "Namespace/story",
            "Service/story-service",
        ]);
        assert.deepStrictEqual(logicalNames(built).sort(), [
            "story-app",
            "story-deployment",
            "story-ns",
            "story-service",
        ]);
    });

    it("by default runs the course's app from a ConfigMap on the pinned, multi-arch node image", async () => {
        const { objects } = await build(make());
        const d = find(objects, "Deployment", "story");
        const c = container(d, "story-container");
        assert.strictEqual(c.image, "node:22.14.0-alpine3.21");
        assert.strictEqual(c.imagePullPolicy, undefined);
        assert.deepStrictEqual(c.command, ["node", "/opt/story-app/app.js"]);
        assert.deepStrictEqual(c.volumeMounts, [
            { name: "story-volume", mountPath: "/app/story" },
            { name: "story-app", mountPath: "/opt/story-app", readOnly: true },
        ]);
        assert.deepStrictEqual(volume(d, "story-app"), { name: "story-app", configMap: { name: "story-app" } });
        assert.deepStrictEqual(find(objects, "ConfigMap", "story-app").data, { "app.js": STORY_APP_JS });
    });

    it("gives the pod fsGroup 1000, so a configured non-root image can write to a root-owned NFS claim", async () => {
        for (const args of [{ volume: "claim" as const, rwxStorageClass: "nfs" }, { volume: "claim" as const, rwxStorageClass: "nfs", image: "registry.example/story:1" }]) {
            const { objects } = await build(make(args));
            assert.deepStrictEqual(podSpec(find(objects, "Deployment", "story")).securityContext, {
                seccompProfile: { type: "RuntimeDefault" },
                fsGroup: 1000,
            });
        }
    });

    describe("STORY_APP_JS behaves like the course's k8s-3/app.js", () => {
        // Runs the script for real on a free port with the data file in a temp directory.
        let base: string;
        let child: import("child_process").ChildProcess;
        let dir: string;
        before(async function () {
            this.timeout(10000);
            const fs = await import("fs");
            const os = await import("os");
            const path = await import("path");
            const { spawn } = await import("child_process");
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvl-story-"));
            const port = 30000 + Math.floor(Math.random() * 20000);
            const script = STORY_APP_JS.replace('"/app/story/text.txt"', JSON.stringify(path.join(dir, "text.txt"))).replace(
                ".listen(3000)",
                `.listen(${port})`,
            );
            assert.notStrictEqual(script, STORY_APP_JS);
            child = spawn(process.execPath, ["-e", script], { stdio: "ignore" });
            base = `http://127.0.0.1:${port}`;
            for (let i = 0; i < 50; i++) {
                try {
                    await fetch(`${base}/healthcheck`);
                    return;
                } catch {
                    await new Promise((r) => setTimeout(r, 100));
                }
            }
            throw new Error("the story app did not start");
        });
        after(() => child?.kill());

        it("GET /healthcheck → 200 OK; GET /story before any POST → 500 Failed to open file.", async () => {
            const h = await fetch(`${base}/healthcheck`);
            assert.deepStrictEqual([h.status, await h.text()], [200, "OK"]);
            const s = await fetch(`${base}/story`);
            assert.deepStrictEqual([s.status, await s.json()], [500, { message: "Failed to open file." }]);
        });

        it("POST /story appends a line (201), refuses empty text (422); GET /story returns them", async () => {
            const post = (body: string) =>
                fetch(`${base}/story`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
            const a = await post(JSON.stringify({ text: "once upon a time" }));
            assert.deepStrictEqual([a.status, await a.json()], [201, { message: "Text was stored!" }]);
            await post(JSON.stringify({ text: "the end" }));
            const e = await post(JSON.stringify({ text: "   " }));
            assert.deepStrictEqual([e.status, await e.json()], [422, { message: "Text must not be empty!" }]);
            const s = await fetch(`${base}/story`);
            assert.deepStrictEqual([s.status, await s.json()], [200, { story: "once upon a time\nthe end\n" }]);
        });

        it("GET /error ends the process (the container restarts)", async () => {
            const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
            await fetch(`${base}/error`).catch(() => undefined);
            assert.strictEqual(await exited, 1);
        });
    });

    it("runs 2 replicas on port 3000 named web-port with probes on /healthcheck, volume at /app/story", async () => {
        const { objects } = await build(make());
        const d = find(objects, "Deployment", "story");
        assert.strictEqual(d.spec.replicas, 2);
        const c = container(d, "story-container");
        assert.deepStrictEqual(c.ports, [{ name: "web-port", containerPort: 3000 }]);
        for (const p of [c.readinessProbe, c.livenessProbe]) {
            assert.deepStrictEqual(p.httpGet, { path: "/healthcheck", port: "web-port" });
        }
        assert.deepStrictEqual(c.volumeMounts[0], { name: "story-volume", mountPath: "/app/story" });
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
        assert.deepStrictEqual(ofKind(objects, "PersistentVolumeClaim"), []);
        assert.strictEqual(await valueOf(component.storageClassName), "none");
    });

    it("hostPath: /data/story DirectoryOrCreate, and the namespace enforces privileged (baseline forbids hostPath)", async () => {
        const { objects, component } = await build(make({ volume: "hostPath" }));
        assert.deepStrictEqual(volume(find(objects, "Deployment", "story"), "story-volume"), {
            name: "story-volume",
            hostPath: { path: "/data/story", type: "DirectoryOrCreate" },
        });
        assert.strictEqual(
            find(objects, "Namespace", "story").metadata.labels["pod-security.kubernetes.io/enforce"],
            "privileged",
        );
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
        assert.strictEqual(await valueOf(component.storageClassName), "nfs");
    });

    it("takes another image and runs that image's own command, without the ConfigMap", async () => {
        const { objects } = await build(make({ image: "registry.example/story:2024.1" }));
        const d = find(objects, "Deployment", "story");
        const c = container(d, "story-container");
        assert.strictEqual(c.image, "registry.example/story:2024.1");
        assert.strictEqual(c.command, undefined);
        assert.deepStrictEqual(c.volumeMounts, [{ name: "story-volume", mountPath: "/app/story" }]);
        assert.deepStrictEqual(ofKind(objects, "ConfigMap"), []);
        assert.deepStrictEqual(
            podSpec(d).volumes.map((v: any) => v.name),
            ["story-volume"],
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
