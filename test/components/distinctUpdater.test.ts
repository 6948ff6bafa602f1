import * as assert from "assert";

import { BUSYBOX_IMAGE, NGINX_UNPRIVILEGED_IMAGE } from "../../components/common";
import {
    DistinctUpdater,
    DistinctUpdaterArgs,
    LOOP_SCRIPT,
} from "../../components/distinctUpdater";
import {
    KubeObject,
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
    // Type token, parenting, namespaces, labels, pinned images: contract.test.ts, for every variant.
    it("creates a namespace, a claim, the loop and server Deployments and a Service", async () => {
        const { objects } = await build(make());
        assert.deepStrictEqual(inventory(objects), [
            "Deployment/distinct-updater-loop",
            "Deployment/distinct-updater-server",
            "Namespace/distinct-updater",
            "PersistentVolumeClaim/distinct-updater-pvc",
            "Service/distinct-updater",
        ]);
    });

    it("keeps its child logical names (URNs) under its own name", async () => {
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

    it("mode affinity: loop and server pods share one label and the same required hostname podAffinity to it", async () => {
        const { objects } = await build(make({ mode: "affinity" }));
        const server = find(objects, "Deployment", "distinct-updater-server");
        const loop = find(objects, "Deployment", "distinct-updater-loop");
        const expected = {
            podAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                    {
                        labelSelector: {
                            matchLabels: { "kube-volume-lab/volume-group": "distinct-updater-pvc" },
                        },
                        topologyKey: "kubernetes.io/hostname",
                    },
                ],
            },
        };
        assert.deepStrictEqual(podSpec(server).affinity, expected);
        assert.deepStrictEqual(podSpec(loop).affinity, expected);
        for (const d of [server, loop]) {
            assert.strictEqual(
                d.spec.template.metadata.labels["kube-volume-lab/volume-group"],
                "distinct-updater-pvc",
            );
        }
        assert.deepStrictEqual(loop.spec.strategy, { type: "Recreate" });
        assert.strictEqual(loop.spec.replicas, 1);
        // Surge pods carry the same required affinity: RollingUpdate stays on the group's node.
        assert.deepStrictEqual(server.spec.strategy, {
            type: "RollingUpdate",
            rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
        });
        assert.strictEqual(server.metadata.annotations, undefined);
        const pvc = find(objects, "PersistentVolumeClaim", "distinct-updater-pvc");
        assert.deepStrictEqual(pvc.spec.accessModes, ["ReadWriteOnce"]);
        assert.strictEqual(pvc.spec.storageClassName, "standard-rwo");
    });

    describe("mode affinity under kube-scheduler's pod-affinity filter", () => {
        /*
         * The InterPodAffinity Filter, reduced to what these pods use (kubernetes pkg/scheduler/
         * framework/plugins/interpodaffinity/filtering.go, satisfyPodAffinity): a node passes when, for
         * every required term with topologyKey kubernetes.io/hostname, a pod on that node matches the
         * term's selector; or, when no pod anywhere matches the terms, when the pod matches its own
         * terms ("the first pod in a series that have affinity to themselves").
         */
        type Pod = { name: string; labels: Record<string, string>; terms: Record<string, string>[] };
        const matches = (sel: Record<string, string>, labels: Record<string, string>) =>
            Object.entries(sel).every(([k, v]) => labels[k] === v);
        function feasibleNodes(pod: Pod, placed: Map<string, Pod>, nodes: string[]): string[] {
            if (pod.terms.length === 0) return nodes;
            const anyMatch = [...placed.values()].some((p) => pod.terms.every((t) => matches(t, p.labels)));
            if (!anyMatch) return pod.terms.every((t) => matches(t, pod.labels)) ? nodes : [];
            return nodes.filter((n) =>
                pod.terms.every((t) =>
                    [...placed.entries()].some(([node, p]) => node.split("#")[0] === n && matches(t, p.labels)),
                ),
            );
        }
        function podsOf(d: KubeObject, count: number): Pod[] {
            const terms = (podSpec(d).affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [])
                .filter((t: any) => t.topologyKey === "kubernetes.io/hostname")
                .map((t: any) => t.labelSelector.matchLabels);
            return Array.from({ length: count }, (_, i) => ({
                name: `${d.metadata.name}-${i}`,
                labels: d.spec.template.metadata.labels,
                terms,
            }));
        }
        const NODES = ["node-a", "node-b", "node-c"];
        let group: Pod[];
        before(async () => {
            const { objects } = await build(make({ mode: "affinity", replicas: 3 }));
            group = [
                ...podsOf(find(objects, "Deployment", "distinct-updater-loop"), 1),
                ...podsOf(find(objects, "Deployment", "distinct-updater-server"), 3),
            ];
        });

        it("the first pod of the group, whichever it is, may start on any node", () => {
            for (const first of group) assert.deepStrictEqual(feasibleNodes(first, new Map(), NODES), NODES);
        });

        it("once one pod runs, every other pod of the group (loop or server) can only go to its node", () => {
            for (const first of group) {
                for (const node of NODES) {
                    const placed = new Map([[`${node}#${first.name}`, first]]);
                    for (const other of group.filter((p) => p !== first)) {
                        assert.deepStrictEqual(feasibleNodes(other, placed, NODES), [node], `${other.name} after ${first.name} on ${node}`);
                    }
                }
            }
        });

        it("a replaced loop pod, or a surge server pod, goes back to the node the others hold", () => {
            const [loop, ...servers] = group;
            const placed = new Map(servers.map((s) => [`node-b#${s.name}`, s] as [string, Pod]));
            assert.deepStrictEqual(feasibleNodes(loop, placed, NODES), ["node-b"]);
            const surge = { ...servers[0], name: "surge" };
            placed.set(`node-b#${loop.name}`, loop);
            assert.deepStrictEqual(feasibleNodes(surge, placed, NODES), ["node-b"]);
        });

        it("in mode rwo no such rule exists: a second pod may go anywhere (the lesson)", async () => {
            const { objects } = await build(make({ mode: "rwo", replicas: 3 }));
            const [loop, server] = [
                ...podsOf(find(objects, "Deployment", "distinct-updater-loop"), 1),
                ...podsOf(find(objects, "Deployment", "distinct-updater-server"), 1),
            ];
            assert.deepStrictEqual(feasibleNodes(server, new Map([[`node-a#${loop.name}`, loop]]), NODES), NODES);
        });
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
        // A temporary file in the same directory, renamed over index.html: nginx never serves a
        // truncated page (the course's `date > index.html` truncates first, then writes).
        assert.strictEqual(
            LOOP_SCRIPT,
            "while true; do date > /usr/share/nginx/html/.index.html.tmp && " +
                "mv -f /usr/share/nginx/html/.index.html.tmp /usr/share/nginx/html/index.html; sleep 1; done",
        );
        assert.strictEqual(podSpec(loopDep).securityContext.fsGroup, 101);
        assert.deepStrictEqual(loop.securityContext, {
            runAsUser: 0,
            runAsGroup: 0,
            runAsNonRoot: false,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
        });
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
