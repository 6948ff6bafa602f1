import * as assert from "assert";

import { BUSYBOX_IMAGE, NGINX_UNPRIVILEGED_IMAGE } from "../../components/common";
import { SideUpdater } from "../../components/sideUpdater";
import {
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

const make =
    (name = "su") =>
    () =>
        new SideUpdater(name, { namespace: "side-updater", storageClassName: "standard-rwo" });

describe("SideUpdater", () => {
    it("creates a namespace, one ReadWriteOnce claim, one Deployment and a Service", async () => {
        const built = await build(make());
        const { objects } = built;
        assert.deepStrictEqual(inventory(objects), [
            "Deployment/side-updater",
            "Namespace/side-updater",
            "PersistentVolumeClaim/side-updater-pvc",
            "Service/side-updater",
        ]);
        assert.deepStrictEqual(find(objects, "PersistentVolumeClaim", "side-updater-pvc").spec, {
            accessModes: ["ReadWriteOnce"],
            storageClassName: "standard-rwo",
            resources: { requests: { storage: "1Gi" } },
        });
        assert.deepStrictEqual(logicalNames(built).sort(), [
            "su-deployment",
            "su-ns",
            "su-pvc",
            "su-service",
        ]);
    });

    it("runs server and loop as two containers of one pod, one replica, Recreate", async () => {
        const { objects } = await build(make());
        const d = find(objects, "Deployment", "side-updater");
        assert.strictEqual(d.spec.replicas, 1);
        assert.deepStrictEqual(d.spec.strategy, { type: "Recreate" });
        assert.deepStrictEqual(
            podSpec(d).containers.map((c: any) => [c.name, c.image]),
            [
                ["server", NGINX_UNPRIVILEGED_IMAGE],
                ["loop", BUSYBOX_IMAGE],
            ],
        );
        assert.deepStrictEqual(volume(d, "side-updater-data"), {
            name: "side-updater-data",
            persistentVolumeClaim: { claimName: "side-updater-pvc" },
        });
        for (const c of ["server", "loop"]) {
            assert.deepStrictEqual(container(d, c).volumeMounts, [
                { name: "side-updater-data", mountPath: "/usr/share/nginx/html" },
            ]);
        }
        // The same atomic loop as distinct-updater: a temp file renamed over index.html.
        assert.deepStrictEqual(container(d, "loop").args, [
            "-c",
            "while true; do date > /usr/share/nginx/html/.index.html.tmp && " +
                "mv -f /usr/share/nginx/html/.index.html.tmp /usr/share/nginx/html/index.html; sleep 1; done",
        ]);
        assert.deepStrictEqual(container(d, "server").ports, [
            { name: "http", containerPort: 8080 },
        ]);
        assert.deepStrictEqual(container(d, "server").readinessProbe.httpGet, {
            path: "/",
            port: "http",
        });
        assert.strictEqual(podSpec(d).securityContext.runAsUser, 101);
        assert.strictEqual(podSpec(d).securityContext.fsGroup, 101);
        assert.strictEqual(container(d, "loop").securityContext.runAsUser, 0);
        assert.strictEqual(podSpec(d).affinity, undefined);
    });

    it("serves port 80 → 8080 and outputs the port-forward command", async () => {
        const { objects, component } = await build(make());
        assert.deepStrictEqual(find(objects, "Service", "side-updater").spec, {
            type: "ClusterIP",
            selector: { app: "side-updater" },
            ports: [{ name: "http", port: 80, targetPort: 8080 }],
        });
        assert.strictEqual(
            await valueOf(component.portForward),
            "kubectl -n side-updater port-forward svc/side-updater 8889:80",
        );
        assert.strictEqual(await valueOf(component.storageClassName), "standard-rwo");
        assert.strictEqual(await valueOf(component.accessMode), "ReadWriteOnce");
        assert.strictEqual(await valueOf(component.claimName), "side-updater-pvc");
        assert.strictEqual(await valueOf(component.namespace), "side-updater");
    });

    it("rejects a missing storage class", () => {
        assertResourceError(
            () => new SideUpdater("su", { namespace: "side-updater", storageClassName: "" }),
            "storageClassName is required",
        );
    });
});
