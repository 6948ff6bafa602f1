/**
 * The kind stack (Pulumi.kind.yaml) under the mock engine: the provider, the in-cluster NFS server
 * and csi-driver-nfs, Longhorn, the other RWX backends, the loopback API server warning, and what a
 * default kind stack deploys (nothing that needs a private image).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { KIND_POD_SUBNETS, KIND_VERSIONS, isLoopbackServer } from "../../platforms/kind";
import { renderKubeconfig } from "../../platforms/kubeconfig";
import type { ProgramRun } from "../../render/engine";
import { kobj, kubeObjects, one, ofType, runStack } from "../helpers";

function kubeconfigFile(server: string): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kvl-")), "config");
    fs.writeFileSync(file, renderKubeconfig({ name: "kind-kind", server, caData: "Y2E=", user: { token: "t" } }));
    return file;
}

describe("platform: kind", () => {
    let run: ProgramRun;
    let kubeconfigPath: string;
    before(async () => {
        kubeconfigPath = kubeconfigFile("https://127.0.0.1:6443");
        run = await runStack("kind", { kind: { context: "kind-kind", kubeconfig: kubeconfigPath, rwxBackend: "nfs" } });
    });

    it("pins the provider to the configured context", () => {
        const p = one(run, "pulumi:providers:kubernetes").inputs;
        assert.strictEqual(p.context, "kind-kind");
        assert.strictEqual(p.kubeconfig, kubeconfigPath);
    });

    describe("rwxBackend nfs", () => {
        it("installs csi-driver-nfs 4.13.4 without the snapshotter, inline volumes off, fsGroupPolicy File", () => {
            const release = one(run, "kubernetes:helm.sh/v3:Release").inputs;
            assert.deepStrictEqual(
                [release.chart, release.version, release.namespace, release.repositoryOpts.repo],
                ["csi-driver-nfs", "4.13.4", "kube-system", "https://raw.githubusercontent.com/kubernetes-csi/csi-driver-nfs/master/charts"],
            );
            // Keys of charts/v4.13.4/csi-driver-nfs/values.yaml.
            assert.deepStrictEqual(release.values, {
                controller: { enableSnapshotter: false },
                feature: { enableInlineVolume: false, enableFSGroupPolicy: true },
            });
        });

        it("runs a multi-arch NFS server exporting only its data directory, Ready only when nfsd listens on 2049", () => {
            const server = kobj(run, "Deployment", "nfs-server", "kvl-nfs");
            assert.strictEqual(server.spec.strategy.type, "Recreate");
            const c = server.spec.template.spec.containers[0];
            assert.strictEqual(c.image, "registry.k8s.io/e2e-test-images/volume/nfs:1.4");
            assert.strictEqual(KIND_VERSIONS.nfsServerImage, c.image);
            // The image's default CMD ["/exports", "/"] would also export the container's root.
            assert.deepStrictEqual(c.args, ["/exports"]);
            assert.strictEqual(c.command, undefined);
            assert.deepStrictEqual(c.readinessProbe.tcpSocket, { port: 2049 });
            assert.deepStrictEqual(c.livenessProbe.tcpSocket, { port: 2049 });
            assert.deepStrictEqual(c.volumeMounts, [{ name: "data", mountPath: "/exports" }]);
            assert.deepStrictEqual(server.spec.template.spec.volumes, [
                { name: "data", persistentVolumeClaim: { claimName: "nfs-server-data" } },
            ]);
        });

        it("admits NFS traffic only from outside kind's pod subnets (the nodes), on TCP 2049", () => {
            const np = kobj(run, "NetworkPolicy", "nfs-server-nodes-only", "kvl-nfs");
            const server = kobj(run, "Deployment", "nfs-server", "kvl-nfs");
            assert.deepStrictEqual(np.spec.podSelector.matchLabels, server.spec.template.metadata.labels);
            assert.deepStrictEqual(np.spec.policyTypes, ["Ingress"]);
            assert.deepStrictEqual(np.spec.ingress, [
                {
                    from: [
                        { ipBlock: { cidr: "0.0.0.0/0", except: ["10.244.0.0/16"] } },
                        { ipBlock: { cidr: "::/0", except: ["fd00:10:244::/56"] } },
                    ],
                    ports: [{ protocol: "TCP", port: 2049 }],
                },
            ]);
            assert.deepStrictEqual(KIND_POD_SUBNETS, { ipv4: "10.244.0.0/16", ipv6: "fd00:10:244::/56" });
            // No other policy in the namespace widens it.
            assert.deepStrictEqual(
                kubeObjects(run)
                    .filter((o) => o.kind === "NetworkPolicy" && o.metadata.namespace === "kvl-nfs")
                    .map((o) => o.metadata.name),
                ["nfs-server-nodes-only"],
            );
        });

        it("makes nfs (Delete) and nfs-retain (Retain) classes on the server's export root", () => {
            for (const [name, policy] of [["nfs", "Delete"], ["nfs-retain", "Retain"]]) {
                const sc = kobj(run, "StorageClass", name);
                assert.deepStrictEqual(
                    [sc.provisioner, sc.reclaimPolicy, sc.parameters, sc.mountOptions],
                    ["nfs.csi.k8s.io", policy, { server: "nfs-server.kvl-nfs.svc.cluster.local", share: "/" }, ["nfsvers=4.1"]],
                );
            }
            assert.strictEqual(run.outputs.rwxStorageClass, "nfs");
            assert.strictEqual(run.outputs.rwoStorageClass, "standard");
        });
    });

    it("with longhorn: chart 1.11.3 with deletingConfirmationFlag, so pulumi destroy can uninstall it", async () => {
        const r = await runStack("kind", { kind: { kubeconfig: kubeconfigPath, rwxBackend: "longhorn" } });
        const release = one(r, "kubernetes:helm.sh/v3:Release").inputs;
        assert.deepStrictEqual([release.chart, release.version, release.namespace], ["longhorn", "1.11.3", "longhorn-system"]);
        assert.strictEqual(release.values.defaultSettings.deletingConfirmationFlag, true);
        assert.strictEqual(kobj(r, "StorageClass", "longhorn-retain").reclaimPolicy, "Retain");
        assert.strictEqual(r.outputs.rwxStorageClass, "longhorn");
    });

    it("with longhorn on a kind context: warns that volumes will not attach (kind nodes run no iscsid)", async () => {
        const onKind = await runStack("kind", { kind: { kubeconfig: kubeconfigPath, rwxBackend: "longhorn" } });
        const w = onKind.warnings.filter((x) => x.includes("iscsid"));
        assert.strictEqual(w.length, 1, onKind.warnings.join("\n"));
        assert.match(w[0], /context kind-kind/);
        assert.match(w[0], /Use rwxBackend nfs on kind/);
        // A VM cluster (k3s, kubeadm) has no kind- context: no warning.
        const vm = await runStack("kind", { kind: { kubeconfig: kubeconfigPath, context: "default", rwxBackend: "longhorn" } });
        assert.strictEqual(one(vm, "kubernetes:helm.sh/v3:Release").inputs.chart, "longhorn");
        assert.deepStrictEqual(vm.warnings.filter((x) => x.includes("iscsid")), []);
    });

    it("with none: no RWX class, no release, no ReadWriteMany claim", async () => {
        const r = await runStack("kind", { kind: { kubeconfig: kubeconfigPath, rwxBackend: "none" } });
        assert.strictEqual(r.outputs.rwxStorageClass, null);
        assert.strictEqual(ofType(r, "kubernetes:helm.sh/v3:Release").length, 0);
        const claims = r.resources.filter((x) => x.type === "kubernetes:core/v1:PersistentVolumeClaim").map((x) => x.inputs);
        for (const c of claims) {
            assert.ok(!c.spec.accessModes.includes("ReadWriteMany"), `${c.metadata.name} asks for ReadWriteMany`);
        }
        // Homes must outlive their claims: a Retain twin of kind's local-path class, never `standard` (Delete).
        const retain = kobj(r, "StorageClass", "standard-retain");
        assert.deepStrictEqual(
            [retain.provisioner, retain.reclaimPolicy, retain.volumeBindingMode],
            ["rancher.io/local-path", "Retain", "WaitForFirstConsumer"],
        );
        assert.strictEqual(kobj(r, "PersistentVolumeClaim", "home", "student-ada").spec.storageClassName, "standard-retain");
    });

    it("with existing: uses kind.rwxStorageClass and installs nothing", async () => {
        const r = await runStack("kind", { kind: { kubeconfig: kubeconfigPath, rwxBackend: "existing", rwxStorageClass: "my-nfs" } });
        assert.strictEqual(r.outputs.rwxStorageClass, "my-nfs");
        assert.strictEqual(ofType(r, "kubernetes:helm.sh/v3:Release").length, 0);
        assert.deepStrictEqual(kubeObjects(r).filter((o) => o.metadata?.namespace === "kvl-nfs"), []);
        assert.ok(r.warnings.some((w) => w.includes("my-nfs") && w.includes("reclaimPolicy: Retain")), r.warnings.join("\n"));
    });

    it("warns, rather than failing, when the context is not in the kubeconfig", async () => {
        const r = await runStack("kind", { kind: { kubeconfig: kubeconfigPath, context: "kind-other" } });
        assert.ok(r.warnings.some((w) => w.includes("context kind-other is not in")));
    });

    describe("students' API server address", () => {
        it("says plainly that kubeconfigs pointing at 127.0.0.1 work on this machine only", () => {
            const w = run.warnings.filter((x) => x.includes("https://127.0.0.1:6443"));
            assert.strictEqual(w.length, 1, run.warnings.join("\n"));
            assert.match(w[0], /works only here/);
            assert.match(w[0], /networking\.apiServerAddress/);
        });

        it("does not warn for a LAN address", async () => {
            const r = await runStack("kind", { kind: { kubeconfig: kubeconfigFile("https://192.168.1.10:6443"), rwxBackend: "none" } });
            assert.deepStrictEqual(r.warnings.filter((x) => x.includes("works only here")), []);
        });

        it("recognises loopback servers", () => {
            for (const s of ["https://127.0.0.1:6443", "https://127.0.1.1:1", "https://localhost:6443", "https://[::1]:6443"]) {
                assert.strictEqual(isLoopbackServer(s), true, s);
            }
            for (const s of ["https://192.168.1.10:6443", "https://10.0.0.1", "https://kind.example:6443", "https://[fd00::1]:6443"]) {
                assert.strictEqual(isLoopbackServer(s), false, s);
            }
        });
    });

    it("kind/cluster.yaml offers networking.apiServerAddress, commented, with a fixed port", () => {
        const text = fs.readFileSync(path.join(__dirname, "..", "..", "kind", "cluster.yaml"), "utf8");
        assert.match(text, /^# networking:\n#   apiServerAddress: "[0-9.]+"\n#   apiServerPort: 6443$/m);
        assert.doesNotMatch(text, /^networking:/m, "the classroom address must stay opt-in");
    });

    it("the default kind stack deploys no image a kind user cannot pull: public, pinned, no ECR", () => {
        const images = kubeObjects(run).flatMap((o) =>
            [...(o.spec?.template?.spec?.containers ?? []), ...(o.spec?.containers ?? [])].map((c: any) => c.image as string),
        );
        assert.ok(images.length > 0);
        for (const image of new Set(images)) {
            assert.doesNotMatch(image, /\.dkr\.ecr\./, image);
            const tag = /:([^/:@]+)$/.exec(image)?.[1];
            assert.ok(tag !== undefined && tag !== "latest", `${image} is not pinned`);
        }
        assert.deepStrictEqual(
            kubeObjects(run).filter((o) => o.kind === "Deployment" && ["front", "back"].includes(o.metadata.name)),
            [],
            "chatroulette is off by default",
        );
    });
});
