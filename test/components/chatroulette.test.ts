import * as assert from "assert";

import { Chatroulette, ChatrouletteArgs } from "../../components/chatroulette";
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
import { TEST_CHAT_IMAGES } from "./variants";

const NEW_CLAIM: ChatrouletteArgs = {
    namespace: "chatroulette",
    ...TEST_CHAT_IMAGES,
    storage: { storageClassName: "efs-sc" },
};
const make =
    (args: Partial<ChatrouletteArgs> = {}) =>
    () =>
        new Chatroulette("chat", { ...NEW_CLAIM, ...args });

describe("Chatroulette", () => {
    it("creates namespace, claim chat-images, ConfigMap env-config, front and back with their Services", async () => {
        const built = await build(make());
        assert.deepStrictEqual(inventory(built.objects), [
            "ConfigMap/env-config",
            "Deployment/back",
            "Deployment/front",
            "Namespace/chatroulette",
            "PersistentVolumeClaim/chat-images",
            "Service/back",
            "Service/front",
        ]);
        assert.deepStrictEqual(logicalNames(built).sort(), [
            "chat-back",
            "chat-back-service",
            "chat-claim",
            "chat-env-config",
            "chat-front",
            "chat-front-service",
            "chat-ns",
        ]);
    });

    it("creates a ReadWriteMany claim on the given class, 100Mi by default", async () => {
        const { objects, component } = await build(make());
        assert.deepStrictEqual(find(objects, "PersistentVolumeClaim", "chat-images").spec, {
            accessModes: ["ReadWriteMany"],
            storageClassName: "efs-sc",
            resources: { requests: { storage: "100Mi" } },
        });
        assert.strictEqual(await valueOf(component.storageClassName), "efs-sc");
        assert.strictEqual(await valueOf(component.claimName), "chat-images");
    });

    it("ConfigMap env-config holds exactly APP_STORAGE=fs and DB_DIRECTORY=/images, loaded by the back", async () => {
        const { objects } = await build(make());
        assert.deepStrictEqual(find(objects, "ConfigMap", "env-config").data, {
            APP_STORAGE: "fs",
            DB_DIRECTORY: "/images",
        });
        assert.deepStrictEqual(container(find(objects, "Deployment", "back"), "back").envFrom, [
            { configMapRef: { name: "env-config" } },
        ]);
    });

    it("back: port 3000 named web, probes on /version, claim at /images, 1 replica, Recreate", async () => {
        const { objects } = await build(make());
        const back = find(objects, "Deployment", "back");
        const c = container(back, "back");
        assert.strictEqual(c.image, "registry.example/chatroulette-back:1.2.0");
        // No pull policy: Kubernetes' default (IfNotPresent for a fixed tag) applies.
        assert.strictEqual(c.imagePullPolicy, undefined);
        assert.deepStrictEqual(c.ports, [{ name: "web", containerPort: 3000, protocol: "TCP" }]);
        for (const p of [c.readinessProbe, c.livenessProbe]) {
            assert.deepStrictEqual(p.httpGet, { path: "/version", port: "web", scheme: "HTTP" });
        }
        assert.deepStrictEqual(c.volumeMounts, [{ name: "chat-images", mountPath: "/images" }]);
        assert.deepStrictEqual(volume(back, "chat-images").persistentVolumeClaim, {
            claimName: "chat-images",
        });
        assert.strictEqual(back.spec.replicas, 1);
        assert.deepStrictEqual(back.spec.strategy, { type: "Recreate" });
    });

    it("back: fsGroup 1000, so an image running as non-root can write to a fresh root-owned 0755 NFS volume", async () => {
        // csi-driver-nfs creates each volume's directory root-owned 0755 and re-owns it to the pod's
        // fsGroup (fsGroupPolicy File): without fsGroup a non-root back fails every upload.
        const { objects } = await build(make());
        assert.deepStrictEqual(podSpec(find(objects, "Deployment", "back")).securityContext, {
            seccompProfile: { type: "RuntimeDefault" },
            fsGroup: 1000,
        });
        // The front writes nothing: it keeps no fsGroup.
        assert.strictEqual(podSpec(find(objects, "Deployment", "front")).securityContext.fsGroup, undefined);
    });

    it("front: port 8080 named web, probes on /", async () => {
        const { objects } = await build(make());
        const front = find(objects, "Deployment", "front");
        const c = container(front, "front");
        assert.strictEqual(c.image, "registry.example/chatroulette-front:1.2.0");
        assert.deepStrictEqual(c.ports, [{ name: "web", containerPort: 8080, protocol: "TCP" }]);
        for (const p of [c.readinessProbe, c.livenessProbe]) {
            assert.deepStrictEqual(p.httpGet, { path: "/", port: "web", scheme: "HTTP" });
        }
        assert.strictEqual(podSpec(front).volumes, undefined);
        assert.strictEqual(front.spec.replicas, 1);
    });

    it("Services front 80 → web and back 3000 → web", async () => {
        const { objects, component } = await build(make());
        assert.deepStrictEqual(find(objects, "Service", "front").spec, {
            type: "ClusterIP",
            selector: { app: "chatroulette-front" },
            ports: [{ name: "web", port: 80, targetPort: "web", protocol: "TCP" }],
        });
        assert.deepStrictEqual(find(objects, "Service", "back").spec, {
            type: "ClusterIP",
            selector: { app: "chatroulette-back" },
            ports: [{ name: "web", port: 3000, targetPort: "web", protocol: "TCP" }],
        });
        assert.strictEqual(
            await valueOf(component.portForward),
            "kubectl -n chatroulette port-forward svc/front 8080:80",
        );
    });

    it("has no default image: the course's are in a private ECR registry", () => {
        for (const missing of ["frontImage", "backImage"] as const) {
            assertResourceError(
                make({ [missing]: undefined } as Partial<ChatrouletteArgs>),
                `Chatroulette: ${missing} is required`,
                "private ECR registry",
            );
        }
        assertResourceError(make({ frontImage: "" }), "frontImage is required");
    });

    it("with an existing claim and createNamespace false: mounts it at /images and creates no namespace nor claim", async () => {
        const { objects, component } = await build(
            make({
                namespace: "student-alice",
                createNamespace: false,
                storage: { existingClaim: "home" },
            }),
        );
        assert.deepStrictEqual(ofKind(objects, "Namespace"), []);
        assert.deepStrictEqual(ofKind(objects, "PersistentVolumeClaim"), []);
        const back = find(objects, "Deployment", "back");
        assert.deepStrictEqual(volume(back, "chat-images").persistentVolumeClaim, {
            claimName: "home",
        });
        assert.deepStrictEqual(container(back, "back").volumeMounts, [
            { name: "chat-images", mountPath: "/images" },
        ]);
        for (const o of objects) assert.strictEqual(o.metadata.namespace, "student-alice");
        assert.strictEqual(await valueOf(component.namespace), "student-alice");
        assert.strictEqual(await valueOf(component.claimName), "home");
        assert.strictEqual(await valueOf(component.storageClassName), "none");
    });

    it("with an existing claim, still creates the namespace by default", async () => {
        const { objects } = await build(make({ storage: { existingClaim: "shared" } }));
        assert.deepStrictEqual(
            ofKind(objects, "Namespace").map((n) => n.metadata.name),
            ["chatroulette"],
        );
        assert.deepStrictEqual(ofKind(objects, "PersistentVolumeClaim"), []);
    });

    it("takes backReplicas", async () => {
        const { objects } = await build(make({ backReplicas: 2 }));
        assert.strictEqual(find(objects, "Deployment", "back").spec.replicas, 2);
    });

    describe("rejects", () => {
        it("storage with both a class and an existing claim", () => {
            assertResourceError(
                make({ storage: { storageClassName: "efs-sc", existingClaim: "home" } as never }),
                "storage must be either",
            );
        });
        it("storage with neither", () => {
            assertResourceError(make({ storage: {} as never }), "storage must be either");
        });
        it("an empty class", () => {
            assertResourceError(
                make({ storage: { storageClassName: "" } }),
                "storage.storageClassName is required",
            );
        });
        it("negative backReplicas", () => {
            assertResourceError(make({ backReplicas: -1 }), "backReplicas is -1");
        });
    });
});
