import * as assert from "assert";

import { BUSYBOX_IMAGE, NGINX_UNPRIVILEGED_IMAGE } from "../../components/common";
import {
    DistinctUpdater,
    DistinctUpdaterArgs,
    LOOP_SCRIPT,
} from "../../components/distinctUpdater";
import {
    assertContainersHardened,
    assertNamespace,
    assertResourceError,
    build,
    container,
    find,
    inventory,
    logicalNames,
    podSpec,
    valueOf,
    volume,
} from "./helpers";

const BASE: DistinctUpdaterArgs = {
    namespace: "distinct-updater",
    mode: "rwo",
    rwoStorageClass: "standard-rwo",
};

function make(args: Partial<DistinctUpdaterArgs> = {}, name = "du"): () => DistinctUpdater {
    return () => new DistinctUpdater(name, { ...BASE, ...args });
}

describe("DistinctUpdater", () => {
    it("creates a namespace, a claim, the loop and server Deployments and a Service", async () => {
        const { objects, resources } = await build(make());
        assert.deepStrictEqual(inventory(objects), [
            "Deployment/distinct-updater-loop",
            "Deployment/distinct-updater-server",
            "Namespace/distinct-updater",
            "PersistentVolumeClaim/distinct-updater-pvc",
            "Service/distinct-updater",
        ]);
        assertNamespace(objects, "distinct-updater");
        assert.strictEqual(resources[0].type, "kvl:apps:DistinctUpdater");
    });

    it("derives child logical names from its own name", async () => {
        const built = await build(make({}, "lesson1"));
        assert.deepStrictEqual(logicalNames(built).sort(), [
            "lesson1-loop",
            "lesson1-ns",
            "lesson1-pvc",
            "lesson1-server",
            "lesson1-service",
        ]);
    });

    it("mode rwo: the course's base, ReadWriteOnce on the RWO class, no placement rule", async () => {
        const { objects, component } = await build(make({ mode: "rwo" }));
        const pvc = find(objects, "PersistentVolumeClaim", "distinct-updater-pvc");
        assert.deepStrictEqual(pvc.spec, {
            accessModes: ["ReadWriteOnce"],
            storageClassName: "standard-rwo",
            resources: { requests: { storage: "1Gi" } },
        });
        const server = find(objects, "Deployment", "distinct-updater-server");
        const loop = find(objects, "Deployment", "distinct-updater-loop");
        assert.strictEqual(podSpec(server).affinity, undefined);
        assert.strictEqual(podSpec(loop).affinity, undefined);
        assert.strictEqual(server.spec.replicas, 5);
        // The failure is the lesson: Pulumi must not wait for pods that never start.
        assert.strictEqual(server.metadata.annotations["pulumi.com/skipAwait"], "true");
        assert.strictEqual(loop.metadata.annotations["pulumi.com/skipAwait"], "true");
        assert.strictEqual(await valueOf(component.accessMode), "ReadWriteOnce");
        assert.strictEqual(await valueOf(component.mode), "rwo");
        assert.strictEqual(await valueOf(component.storageClassName), "standard-rwo");
    });

    it("mode affinity: server pods require the loop pod's node; the loop updates with Recreate", async () => {
        const { objects } = await build(make({ mode: "affinity" }));
        const server = find(objects, "Deployment", "distinct-updater-server");
        const loop = find(objects, "Deployment", "distinct-updater-loop");
        assert.deepStrictEqual(podSpec(server).affinity, {
            podAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                    {
                        labelSelector: { matchLabels: { app: "distinct-updater-loop" } },
                        topologyKey: "kubernetes.io/hostname",
                    },
                ],
            },
        });
        // The selector matches the loop's pod labels, and only them.
        const selector =
            podSpec(server).affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]
                .labelSelector.matchLabels;
        for (const [k, v] of Object.entries(selector))
            assert.strictEqual(loop.spec.template.metadata.labels[k], v);
        assert.notStrictEqual(server.spec.template.metadata.labels.app, "distinct-updater-loop");
        assert.deepStrictEqual(loop.spec.strategy, { type: "Recreate" });
        assert.strictEqual(loop.spec.replicas, 1);
        // A replaced loop pod prefers the servers' node (where the volume is attached).
        assert.deepStrictEqual(
            podSpec(loop).affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution,
            [
                {
                    weight: 100,
                    podAffinityTerm: {
                        labelSelector: { matchLabels: { app: "distinct-updater-server" } },
                        topologyKey: "kubernetes.io/hostname",
                    },
                },
            ],
        );
        assert.strictEqual(
            podSpec(loop).affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution,
            undefined,
        );
        // Surge pods carry the same required affinity: RollingUpdate stays on the loop's node.
        assert.deepStrictEqual(server.spec.strategy, {
            type: "RollingUpdate",
            rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
        });
        assert.strictEqual(server.metadata.annotations, undefined);
        const pvc = find(objects, "PersistentVolumeClaim", "distinct-updater-pvc");
        assert.deepStrictEqual(pvc.spec.accessModes, ["ReadWriteOnce"]);
        assert.strictEqual(pvc.spec.storageClassName, "standard-rwo");
    });

    it("mode rwx: ReadWriteMany on the RWX class, no placement rule", async () => {
        const { objects, component } = await build(
            make({ mode: "rwx", rwxStorageClass: "standard-rwx" }),
        );
        const pvc = find(objects, "PersistentVolumeClaim", "distinct-updater-pvc");
        assert.deepStrictEqual(pvc.spec.accessModes, ["ReadWriteMany"]);
        assert.strictEqual(pvc.spec.storageClassName, "standard-rwx");
        assert.strictEqual(
            podSpec(find(objects, "Deployment", "distinct-updater-server")).affinity,
            undefined,
        );
        assert.strictEqual(
            podSpec(find(objects, "Deployment", "distinct-updater-loop")).affinity,
            undefined,
        );
        assert.strictEqual(await valueOf(component.accessMode), "ReadWriteMany");
        assert.strictEqual(await valueOf(component.storageClassName), "standard-rwx");
    });

    it("shares one claim between the server and the loop, mounted at nginx's html directory", async () => {
        const { objects } = await build(make({ mode: "affinity" }));
        for (const [dep, c] of [
            ["distinct-updater-server", "server"],
            ["distinct-updater-loop", "loop"],
        ]) {
            const d = find(objects, "Deployment", dep);
            assert.deepStrictEqual(volume(d, "distinct-updater-data"), {
                name: "distinct-updater-data",
                persistentVolumeClaim: { claimName: "distinct-updater-pvc" },
            });
            assert.deepStrictEqual(container(d, c).volumeMounts, [
                { name: "distinct-updater-data", mountPath: "/usr/share/nginx/html" },
            ]);
        }
    });

    it("runs pinned nginx-unprivileged as uid 101 on 8080 with probes, and the busybox loop", async () => {
        const { objects } = await build(make());
        const server = find(objects, "Deployment", "distinct-updater-server");
        const nginx = container(server, "server");
        assert.strictEqual(nginx.image, NGINX_UNPRIVILEGED_IMAGE);
        assert.deepStrictEqual(nginx.ports, [{ name: "http", containerPort: 8080 }]);
        assert.deepStrictEqual(nginx.readinessProbe.httpGet, { path: "/", port: "http" });
        assert.deepStrictEqual(nginx.livenessProbe.tcpSocket, { port: "http" });
        assert.deepStrictEqual(podSpec(server).securityContext, {
            seccompProfile: { type: "RuntimeDefault" },
            runAsNonRoot: true,
            runAsUser: 101,
            runAsGroup: 101,
            fsGroup: 101,
        });
        assert.deepStrictEqual(nginx.securityContext.capabilities, { drop: ["ALL"] });

        const loopDep = find(objects, "Deployment", "distinct-updater-loop");
        const loop = container(loopDep, "loop");
        assert.strictEqual(loop.image, BUSYBOX_IMAGE);
        assert.deepStrictEqual(loop.command, ["/bin/sh"]);
        assert.deepStrictEqual(loop.args, ["-c", LOOP_SCRIPT]);
        assert.strictEqual(
            LOOP_SCRIPT,
            "while true; do date > /usr/share/nginx/html/index.html; sleep 1; done",
        );
        assert.strictEqual(podSpec(loopDep).securityContext.fsGroup, 101);
        assert.deepStrictEqual(loop.securityContext, {
            runAsUser: 0,
            runAsGroup: 0,
            runAsNonRoot: false,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
        });
        assertContainersHardened(objects);
    });

    it("serves port 80 → 8080 on the server pods", async () => {
        const { objects, component } = await build(make());
        const svc = find(objects, "Service", "distinct-updater");
        assert.deepStrictEqual(svc.spec, {
            type: "ClusterIP",
            selector: { app: "distinct-updater-server" },
            ports: [{ name: "http", port: 80, targetPort: 8080 }],
        });
        assert.strictEqual(
            await valueOf(component.portForward),
            "kubectl -n distinct-updater port-forward svc/distinct-updater 8888:80",
        );
        assert.strictEqual(await valueOf(component.namespace), "distinct-updater");
        assert.strictEqual(await valueOf(component.claimName), "distinct-updater-pvc");
    });

    it("takes replicas and storageSize", async () => {
        const { objects } = await build(make({ replicas: 10, storageSize: "5Gi" }));
        assert.strictEqual(
            find(objects, "Deployment", "distinct-updater-server").spec.replicas,
            10,
        );
        assert.strictEqual(find(objects, "Deployment", "distinct-updater-loop").spec.replicas, 1);
        assert.strictEqual(
            find(objects, "PersistentVolumeClaim", "distinct-updater-pvc").spec.resources.requests
                .storage,
            "5Gi",
        );
    });

    describe("rejects invalid arguments before creating anything", () => {
        it("mode rwx without an RWX class, naming the mode and the missing class", async () => {
            assertResourceError(
                make({ mode: "rwx", rwxStorageClass: undefined }),
                'mode "rwx"',
                "rwxStorageClass",
                "no ReadWriteMany storage class",
            );
        });

        it("an unknown mode", () => {
            assertResourceError(
                make({ mode: "rwm" as never }),
                'mode is "rwm"',
                '"rwo", "affinity", "rwx"',
            );
        });

        it("negative or fractional replicas", () => {
            assertResourceError(make({ replicas: -1 }), "replicas is -1");
            assertResourceError(make({ replicas: 1.5 }), "replicas is 1.5");
        });

        it("an invalid namespace", () => {
            assertResourceError(
                make({ namespace: "Distinct_Updater" }),
                '"Distinct_Updater" is not a valid namespace',
            );
        });

        it("registers no Kubernetes object when it rejects", async () => {
            const { objects } = await build(() => {
                try {
                    make({ mode: "rwx" })();
                } catch {
                    // expected
                }
            });
            assert.deepStrictEqual(objects, []);
        });
    });
});
