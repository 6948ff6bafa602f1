/**
 * The gke stack (Pulumi.gke.yaml) under the mock engine: cluster, storage classes, Filestore,
 * identities, the access-modes demo's volumes and the destroy ordering.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

import {
    FILESTORE_CLASS,
    FILESTORE_DRIVER,
    GKE_FILESTORE_CLASSES,
    PD_DRIVER,
    STUDENT_CLUSTER_ROLE,
    filestoreRanges,
    serviceAccountId,
} from "../../platforms/gke";
import { pendingVolumes, teardownChanges, volumeState, waitForVolumes, type WaitEnv } from "../../platforms/teardown";
import { tag, type ProgramRun, type RecordedResource } from "../../render/engine";
import { kobj, kubeObjects, one, ofType, runStack } from "../helpers";

const DYNAMIC = "pulumi-nodejs:dynamic:Resource";

/** Every URN `r` waits for, directly or through its parents' dependencies. */
function waitsFor(run: ProgramRun, r: RecordedResource): Set<string> {
    const byUrn = new Map(run.resources.map((x) => [x.urn, x]));
    const out = new Set<string>();
    for (let cur: RecordedResource | undefined = r; cur; cur = byUrn.get(cur.parent)) {
        for (const d of cur.dependencies) out.add(d);
    }
    return out;
}

describe("platform: gke", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runStack("gke");
    });

    it("enables the compute, container and Filestore APIs, never disabling them on destroy", () => {
        const services = ofType(run, "gcp:projects/service:Service").map((s) => s.inputs.service).sort();
        assert.deepStrictEqual(services, ["compute.googleapis.com", "container.googleapis.com", "file.googleapis.com"]);
        for (const s of ofType(run, "gcp:projects/service:Service")) {
            assert.strictEqual(s.inputs.disableOnDestroy, false, "destroying the stack must not disable project APIs");
        }
    });

    it("builds a VPC-native Dataplane V2 cluster with Filestore and PD CSI and Workload Identity", () => {
        const c = one(run, "gcp:container/cluster:Cluster").inputs;
        assert.strictEqual(c.addonsConfig.gcpFilestoreCsiDriverConfig.enabled, true);
        assert.strictEqual(c.addonsConfig.gcePersistentDiskCsiDriverConfig.enabled, true);
        assert.strictEqual(c.datapathProvider, "ADVANCED_DATAPATH");
        assert.strictEqual(c.networkingMode, "VPC_NATIVE");
        assert.deepStrictEqual(c.ipAllocationPolicy, { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" });
        assert.strictEqual(c.workloadIdentityConfig.workloadPool, "my-gcp-project.svc.id.goog");
        assert.strictEqual(c.removeDefaultNodePool, true);
        assert.strictEqual(c.location, "europe-west1-b");
        assert.strictEqual(c.deletionProtection, false);
        assert.strictEqual(c.releaseChannel.channel, "REGULAR");
    });

    it("keeps the removed default pool's nodeConfig out of future diffs (ignoreChanges), on our service account", () => {
        const cluster = one(run, "gcp:container/cluster:Cluster");
        assert.deepStrictEqual(cluster.options?.ignoreChanges, ["nodeConfig", "initialNodeCount"]);
        const sa = one(run, "gcp:serviceaccount/account:Account").inputs;
        assert.strictEqual(cluster.inputs.nodeConfig.serviceAccount, `${sa.accountId}@my-gcp-project.iam.gserviceaccount.com`);
    });

    it("runs a separate pool of 2 nodes on a dedicated least-privilege service account", () => {
        const pool = one(run, "gcp:container/nodePool:NodePool").inputs;
        const sa = one(run, "gcp:serviceaccount/account:Account").inputs;
        const email = `${sa.accountId}@my-gcp-project.iam.gserviceaccount.com`;
        assert.strictEqual(pool.nodeCount, 2);
        assert.strictEqual(pool.nodeConfig.machineType, "e2-standard-2");
        assert.strictEqual(pool.nodeConfig.serviceAccount, email);
        assert.strictEqual(pool.nodeConfig.workloadMetadataConfig.mode, "GKE_METADATA");
        const nodeRoles = ofType(run, "gcp:projects/iAMMember:IAMMember")
            .map((m) => [m.inputs.role, m.inputs.member])
            .filter(([role]) => role !== STUDENT_CLUSTER_ROLE);
        assert.deepStrictEqual(nodeRoles, [["roles/container.defaultNodeServiceAccount", `serviceAccount:${email}`]]);
    });

    it("gives every student identity roles/container.clusterViewer, keyed by student name", () => {
        const viewers = ofType(run, "gcp:projects/iAMMember:IAMMember").filter((m) => m.inputs.role === STUDENT_CLUSTER_ROLE);
        // Pulumi.gke.yaml: only linus has an identity.
        assert.deepStrictEqual(
            viewers.map((v) => [v.name, v.inputs.project, v.inputs.member]),
            [["linus-cluster-viewer", "my-gcp-project", "user:linus@example.com"]],
        );
        assert.strictEqual(STUDENT_CLUSTER_ROLE, "roles/container.clusterViewer");
    });

    it("a student added or removed leaves the other students' IAM members untouched", async () => {
        const r = await runStack("gke", {
            students: [{ name: "grace", identity: "grace@example.com" }, { name: "linus", identity: "linus@example.com" }],
        });
        const names = ofType(r, "gcp:projects/iAMMember:IAMMember")
            .filter((m) => m.inputs.role === STUDENT_CLUSTER_ROLE)
            .map((m) => `${m.name}=${m.inputs.member}`)
            .sort();
        assert.deepStrictEqual(names, ["grace-cluster-viewer=user:grace@example.com", "linus-cluster-viewer=user:linus@example.com"]);
    });

    it("creates its own subnetwork with pod and service ranges", () => {
        const subnet = one(run, "gcp:compute/subnetwork:Subnetwork").inputs;
        assert.deepStrictEqual(subnet.secondaryIpRanges.map((r: any) => r.rangeName), ["pods", "services"]);
        assert.strictEqual(one(run, "gcp:compute/network:Network").inputs.autoCreateSubnetworks, false);
    });

    it("our Filestore class provisions on the cluster's VPC, from gke.network.filestoreCidr, and is the RWX class", () => {
        const sc = kobj(run, "StorageClass", FILESTORE_CLASS);
        const vpcName = ofType(run, "gcp:compute/network:Network")[0];
        assert.strictEqual(sc.provisioner, "filestore.csi.storage.gke.io");
        assert.strictEqual(sc.parameters.network, one(run, "gcp:container/cluster:Cluster").inputs.network);
        assert.match(sc.parameters.network, new RegExp(`^${vpcName.name}-`));
        assert.notStrictEqual(sc.parameters.network, "default");
        // The lower half of the default 10.28.0.0/20; the homes instance has the upper half's first /29.
        assert.strictEqual(sc.parameters["reserved-ipv4-cidr"], "10.28.0.0/21");
        assert.strictEqual(sc.parameters["connect-mode"], "DIRECT_PEERING");
        assert.strictEqual(sc.parameters.tier, "standard");
        assert.strictEqual(sc.parameters["nfs-export-options-on-create"], undefined, "refused unless the driver's feature flag is on");
        assert.deepStrictEqual([sc.reclaimPolicy, sc.volumeBindingMode], ["Delete", "WaitForFirstConsumer"]);
        assert.strictEqual(run.outputs.rwxStorageClass, FILESTORE_CLASS);
        assert.strictEqual(run.outputs.rwoStorageClass, "standard-rwo");
    });

    it("splits gke.network.filestoreCidr: the class allocates from one half, the homes instance has a fixed range in the other", async () => {
        const r = await runStack("gke", { gke: { network: { filestoreCidr: "10.40.0.0/22" } } });
        assert.strictEqual(kobj(r, "StorageClass", FILESTORE_CLASS).parameters["reserved-ipv4-cidr"], "10.40.0.0/23");
        assert.strictEqual(one(r, "gcp:filestore/instance:Instance").inputs.networks[0].reservedIpRange, "10.40.2.0/29");
    });

    it("the homes instance takes an explicit /29 outside the class's range (the API would otherwise pick any free range)", () => {
        const net = one(run, "gcp:filestore/instance:Instance").inputs.networks[0];
        assert.strictEqual(net.reservedIpRange, "10.28.8.0/29");
        assert.strictEqual(net.connectMode, "DIRECT_PEERING");
    });

    it("a ZONAL homes instance gets a /26 (driver IpRangeSizeEnterprise), still outside the class's half", async () => {
        const r = await runStack("gke", { gke: { studentFilestore: { tier: "ZONAL" } } });
        assert.strictEqual(one(r, "gcp:filestore/instance:Instance").inputs.networks[0].reservedIpRange, "10.28.8.0/26");
        assert.strictEqual(kobj(r, "StorageClass", FILESTORE_CLASS).parameters["reserved-ipv4-cidr"], "10.28.0.0/21");
    });

    it("filestoreRanges: halves that never overlap, and clear errors for ranges too small or not internal", () => {
        assert.deepStrictEqual(filestoreRanges("10.28.0.0/20", "BASIC_HDD"), { classCidr: "10.28.0.0/21", homesRange: "10.28.8.0/29" });
        assert.deepStrictEqual(filestoreRanges("192.168.4.0/28", "BASIC_SSD"), { classCidr: "192.168.4.0/29", homesRange: "192.168.4.8/29" });
        assert.deepStrictEqual(filestoreRanges("172.20.0.0/25", "ZONAL"), { classCidr: "172.20.0.0/26", homesRange: "172.20.0.64/26" });
        // A /29 cannot hold a /29 for the class and another for homes.
        assert.throws(() => filestoreRanges("10.28.0.0/29", "BASIC_HDD"), /gke\.network\.filestoreCidr.*too small.*\/28 or larger/);
        assert.throws(() => filestoreRanges("10.28.0.0/26", "ZONAL"), /gke\.network\.filestoreCidr.*\/26 for ZONAL.*\/25 or larger/);
        assert.throws(() => filestoreRanges("100.64.0.0/20", "BASIC_HDD"), /gke\.network\.filestoreCidr.*not inside 10\.0\.0\.0\/8/);
        assert.throws(() => filestoreRanges("172.32.0.0/20", "BASIC_HDD"), /not inside/);
    });

    it("a filestoreCidr too small fails before any resource is registered", async () => {
        await assert.rejects(
            runStack("gke", { gke: { network: { filestoreCidr: "10.28.0.0/29" } } }),
            /Invalid configuration 'gke\.network\.filestoreCidr': 10\.28\.0\.0\/29 is too small/,
        );
    });

    it("uses an existing network for the cluster and the class, creating none", async () => {
        const r = await runStack("gke", { gke: { network: { existingNetwork: "shared", existingSubnetwork: "shared-eu" } } });
        assert.strictEqual(ofType(r, "gcp:compute/network:Network").length, 0);
        const c = one(r, "gcp:container/cluster:Cluster").inputs;
        assert.deepStrictEqual([c.network, c.subnetwork], ["shared", "shared-eu"]);
        assert.strictEqual(kobj(r, "StorageClass", FILESTORE_CLASS).parameters.network, "shared");
        // The node range of an existing subnetwork is unknown: no export restriction, and a warning.
        assert.strictEqual(one(r, "gcp:filestore/instance:Instance").inputs.fileShares.nfsExportOptions, undefined);
        assert.ok(r.warnings.some((w) => w.includes("not restricted")));
    });

    it("denies students every Filestore class GKE ships and ours", () => {
        const platformDenied = [...GKE_FILESTORE_CLASSES, FILESTORE_CLASS];
        assert.deepStrictEqual(platformDenied.sort(), [
            "enterprise-multishare-rwx",
            "enterprise-rwx",
            FILESTORE_CLASS,
            "premium-rwx",
            "standard-rwx",
            "zonal-rwx",
        ].sort());
        // Every student namespace's quota names each of them with 0 claims.
        const quotas = kubeObjects(run).filter((o) => o.kind === "ResourceQuota" && o.metadata.namespace?.startsWith("student-"));
        assert.ok(quotas.length >= 3, `found ${quotas.length} student quotas`);
        for (const q of quotas) {
            const denied = Object.entries(q.spec.hard as Record<string, string>)
                .filter(([k]) => k.endsWith(".storageclass.storage.k8s.io/persistentvolumeclaims"))
                .map(([k, v]) => `${k.split(".storageclass.")[0]}=${v}`)
                .sort();
            assert.deepStrictEqual(denied, platformDenied.map((c) => `${c}=0`).sort(), q.metadata.namespace);
        }
    });

    it("honours a configured RWX class, and denies it to students too", async () => {
        const r = await runStack("gke", { gke: { rwxStorageClass: "my-filestore" } });
        assert.strictEqual(r.outputs.rwxStorageClass, "my-filestore");
        const q = kubeObjects(r).find((o) => o.kind === "ResourceQuota" && o.metadata.namespace === "student-ada")!;
        assert.strictEqual(q.spec.hard["my-filestore.storageclass.storage.k8s.io/persistentvolumeclaims"], "0");
    });

    it("gives a kubeconfig through gke-gcloud-auth-plugin with application-default credentials", () => {
        const provider = one(run, "pulumi:providers:kubernetes").inputs;
        const kc = YAML.parse(provider.kubeconfig);
        const exec = kc.users[0].user.exec;
        assert.strictEqual(exec.command, "gke-gcloud-auth-plugin");
        assert.deepStrictEqual(exec.args, ["--use_application_default_credentials"]);
        assert.match(kc.clusters[0].cluster.server, /^https:\/\/203\.0\.113\.\d+$/);
        assert.strictEqual(provider.context, undefined, "the GKE provider must not use an ambient context");
        assert.ok(run.outputs.kubeconfig.includes("--use_application_default_credentials"));
    });

    it("keeps one shared, protected Filestore instance for all homes, mountable only from the node subnet", () => {
        const fsi = one(run, "gcp:filestore/instance:Instance").inputs;
        assert.strictEqual(fsi.tier, "BASIC_HDD");
        assert.strictEqual(fsi.fileShares.capacityGb, 1024);
        assert.strictEqual(fsi.deletionProtectionEnabled, true);
        assert.strictEqual(fsi.location, "europe-west1-b");
        assert.deepStrictEqual(fsi.fileShares.nfsExportOptions, [
            { ipRanges: ["10.10.0.0/20"], accessMode: "READ_WRITE", squashMode: "NO_ROOT_SQUASH" },
        ]);
        assert.deepStrictEqual(fsi.networks[0].network, one(run, "gcp:container/cluster:Cluster").inputs.network);
    });

    describe("access-modes demo", () => {
        it("the platform makes the disk in its constructor only when the demo is on", async () => {
            assert.strictEqual(ofType(run, "gcp:compute/disk:Disk").length, 1);
            const off = await runStack("gke", { demos: { accessModes: { enabled: false } } });
            assert.strictEqual(ofType(off, "gcp:compute/disk:Disk").length, 0);
        });

        it("the disk waits for the Compute API", () => {
            const disk = one(run, "gcp:compute/disk:Disk");
            const computeApi = ofType(run, "gcp:projects/service:Service").find((s) => s.inputs.service === "compute.googleapis.com")!;
            assert.ok(disk.dependencies.includes(computeApi.urn), "disk dependsOn the compute API");
        });

        it("writer mode (default colocated): one ReadWriteOnce PV on the disk, csi.readOnly false", () => {
            const pvs = kubeObjects(run).filter((o) => o.kind === "PersistentVolume" && o.metadata.name.startsWith("other-data"));
            assert.deepStrictEqual(pvs.map((p) => p.metadata.name), ["other-data"]);
            const pv = pvs[0];
            assert.deepStrictEqual(pv.spec.accessModes, ["ReadWriteOnce"]);
            assert.strictEqual(pv.spec.csi.driver, PD_DRIVER);
            assert.strictEqual(pv.spec.csi.readOnly, false);
            const disk = one(run, "gcp:compute/disk:Disk");
            assert.strictEqual(
                pv.spec.csi.volumeHandle,
                `projects/my-gcp-project/zones/europe-west1-b/disks/${disk.name}-${tag(`gcp:compute/disk:Disk/${disk.name}`)}`,
            );
            assert.deepStrictEqual(kobj(run, "PersistentVolumeClaim", "other-data", "access-modes").spec.accessModes, ["ReadWriteOnce"]);
        });

        it("readersOnly: a separate ReadOnlyMany PV with csi.readOnly true, readers only", async () => {
            const r = await runStack("gke", { demos: { accessModes: { mode: "readersOnly" } } });
            const pv = kobj(r, "PersistentVolume", "other-data-ro");
            assert.deepStrictEqual(pv.spec.accessModes, ["ReadOnlyMany"]);
            assert.strictEqual(pv.spec.csi.readOnly, true);
            assert.strictEqual(kubeObjects(r).filter((o) => o.kind === "PersistentVolume" && o.metadata.name === "other-data").length, 0);
            const pods = kubeObjects(r).filter((o) => o.kind === "Pod" && o.metadata.namespace === "access-modes");
            assert.ok(pods.length > 0 && pods.every((p) => p.metadata.name.startsWith("data-reader-")));
        });
    });

    describe("destroy leaves nothing billed", () => {
        /** A fake kubectl and clock: each poll returns the next listing (or throws), 15 s apart. */
        function fakeEnv(polls: (Record<string, unknown> | Error)[]): WaitEnv & { calls: number } {
            let t = 0;
            const env = {
                calls: 0,
                listVolumes(): string {
                    const next = polls[Math.min(env.calls, polls.length - 1)];
                    env.calls++;
                    if (next instanceof Error) throw next;
                    return JSON.stringify(next);
                },
                now: () => t,
                sleep: async (ms: number) => {
                    t += ms;
                },
            };
            return env;
        }
        const opts = { drivers: [FILESTORE_DRIVER, PD_DRIVER], timeoutSeconds: 1800, graceSeconds: 120, intervalSeconds: 15 };
        const pv = (name: string, claim: string, extra: Record<string, unknown> = {}) => ({
            kind: "PersistentVolume",
            metadata: { name, ...extra },
            spec: {
                persistentVolumeReclaimPolicy: "Delete",
                csi: { driver: FILESTORE_DRIVER },
                claimRef: { namespace: claim.split("/")[0], name: claim.split("/")[1] },
            },
        });
        const pvc = (claim: string, extra: Record<string, unknown> = {}) => ({
            kind: "PersistentVolumeClaim",
            metadata: { namespace: claim.split("/")[0], name: claim.split("/")[1], ...extra },
        });

        it("waits while the driver deletes released volumes, and returns when they are gone", async () => {
            const env = fakeEnv([{ items: [pv("pvc-1", "story/data")] }, { items: [pv("pvc-1", "story/data")] }, { items: [] }]);
            await waitForVolumes(env, opts);
            assert.strictEqual(env.calls, 3);
        });

        it("a claim being deleted (terminating namespace) is waited for, not reported", async () => {
            const going = { items: [pv("pvc-1", "story/data"), pvc("story/data", { deletionTimestamp: "2026-01-01T00:00:00Z" })] };
            const polls = [...Array(20).fill(going), { items: [] }];
            const env = fakeEnv(polls);
            await waitForVolumes(env, opts);
            assert.strictEqual(env.calls, 21);
        });

        it("a claim nobody deletes fails after the grace period, naming it, instead of waiting 30 minutes", async () => {
            const stuck = { items: [pv("pvc-9", "scratch/mine"), pvc("scratch/mine")] };
            const env = fakeEnv([stuck]);
            await assert.rejects(waitForVolumes(env, opts), /scratch\/mine → pvc-9.*kubectl delete pvc/);
            // 120 s grace at 15 s a poll: 9 listings, far from the 1800 s timeout's 121.
            assert.strictEqual(env.calls, 9);
        });

        it("fails at the timeout with the volumes still being deleted (the cluster is kept)", async () => {
            const env = fakeEnv([{ items: [pv("pvc-1", "story/data")] }]);
            await assert.rejects(waitForVolumes(env, opts), /after 1800 s: pvc-1.*run pulumi destroy again/);
            assert.strictEqual(env.calls, 121);
        });

        it("kubectl missing: fails at once saying what to install or how to skip", async () => {
            const enoent = Object.assign(new Error("spawnSync kubectl ENOENT"), { code: "ENOENT" });
            const env = fakeEnv([enoent]);
            await assert.rejects(waitForVolumes(env, opts), /kubectl is not on PATH.*KVL_SKIP_VOLUME_WAIT=1/);
            assert.strictEqual(env.calls, 1);
        });

        it("kubectl failing: tolerated for the grace period, then a bounded error", async () => {
            const down = Object.assign(new Error("exit 1"), { stderr: "Unable to connect to the server" });
            const flaky = fakeEnv([down, down, { items: [] }]);
            await waitForVolumes(flaky, opts);
            assert.strictEqual(flaky.calls, 3);
            const gone = fakeEnv([down]);
            await assert.rejects(waitForVolumes(gone, opts), /Unable to connect to the server.*KVL_SKIP_VOLUME_WAIT=1/);
            assert.strictEqual(gone.calls, 9);
        });

        it("volumeState: only Delete PVs of our drivers; blocked only while their claim lives", () => {
            const list = {
                items: [
                    pv("pvc-1", "a/x"),
                    pvc("a/x"),
                    pv("pvc-2", "b/y"),
                    { ...pv("pvc-3", "c/z"), spec: { ...pv("pvc-3", "c/z").spec, csi: { driver: "efs.csi.aws.com" } } },
                    pvc("c/z"),
                    { ...pv("kvl-home-ada", "student-ada/home"), spec: { persistentVolumeReclaimPolicy: "Retain", nfs: {} } },
                    pvc("student-ada/home"),
                ],
            };
            assert.deepStrictEqual(volumeState(list, [FILESTORE_DRIVER, PD_DRIVER]), { pending: ["pvc-1", "pvc-2"], blocked: ["a/x → pvc-1"] });
        });

        it("the stored kubeconfig follows the cluster (updated in place, never a no-op diff)", () => {
            const base = { kubeconfig: "server: https://1.2.3.4", drivers: [PD_DRIVER], timeoutSeconds: 1800, graceSeconds: 120 };
            assert.deepStrictEqual(teardownChanges(base, { ...base }), []);
            assert.deepStrictEqual(teardownChanges(base, { ...base, kubeconfig: "server: https://5.6.7.8" }), ["kubeconfig"]);
        });

        it("a teardown wait after the node pool, cluster and Filestore class, for both CSI drivers' volumes", () => {
            const waits = ofType(run, DYNAMIC);
            assert.strictEqual(waits.length, 1);
            const w = waits[0];
            assert.deepStrictEqual(w.inputs.drivers, [FILESTORE_DRIVER, PD_DRIVER]);
            assert.strictEqual(w.inputs.timeoutSeconds, 1800);
            const deps = new Set(w.dependencies);
            assert.ok(deps.has(one(run, "gcp:container/nodePool:NodePool").urn));
            assert.ok(deps.has(one(run, "gcp:container/cluster:Cluster").urn));
            const sc = run.resources.find((r) => r.type === "kubernetes:storage.k8s.io/v1:StorageClass" && r.inputs.metadata.name === FILESTORE_CLASS)!;
            assert.ok(deps.has(sc.urn));
        });

        it("every claim and namespace of the demos and students waits for the teardown resource, so destroy deletes them first", () => {
            const wait = ofType(run, DYNAMIC)[0].urn;
            const mustWait = run.resources.filter(
                (r) =>
                    r.custom &&
                    (r.type === "kubernetes:core/v1:PersistentVolumeClaim" || r.type === "kubernetes:core/v1:Namespace") &&
                    r.inputs.metadata?.name !== "kvl-system",
            );
            assert.ok(mustWait.length >= 4, `found ${mustWait.length}`);
            for (const r of mustWait) {
                assert.ok(waitsFor(run, r).has(wait), `${r.type} ${r.inputs.metadata?.namespace ?? ""}/${r.inputs.metadata?.name} waits for the teardown`);
            }
        });

        it("pendingVolumes: only Delete-policy PVs of the given drivers are waited for", () => {
            const list = {
                items: [
                    { metadata: { name: "pvc-1" }, spec: { persistentVolumeReclaimPolicy: "Delete", csi: { driver: FILESTORE_DRIVER } } },
                    { metadata: { name: "pvc-2" }, spec: { persistentVolumeReclaimPolicy: "Delete", csi: { driver: PD_DRIVER } } },
                    { metadata: { name: "kvl-home-ada" }, spec: { persistentVolumeReclaimPolicy: "Retain", nfs: { server: "10.0.0.2" } } },
                    { metadata: { name: "other-data" }, spec: { persistentVolumeReclaimPolicy: "Retain", csi: { driver: PD_DRIVER } } },
                    { metadata: { name: "pvc-3" }, spec: { persistentVolumeReclaimPolicy: "Delete", csi: { driver: "efs.csi.aws.com" } } },
                ],
            };
            assert.deepStrictEqual(pendingVolumes(list, [FILESTORE_DRIVER, PD_DRIVER]), ["pvc-1", "pvc-2"]);
            assert.deepStrictEqual(pendingVolumes({ items: [] }, [FILESTORE_DRIVER]), []);
            assert.deepStrictEqual(pendingVolumes(undefined, [FILESTORE_DRIVER]), []);
        });
    });
});

describe("gke stack: components", () => {
    it("no component registers a child after its registerOutputs (the access-modes disk is made in the platform's constructor)", async () => {
        type Tracked = { __name?: string; __childResources?: Set<unknown>; __registered?: boolean };
        const proto = pulumi.ComponentResource.prototype as unknown as { registerOutputs: (o?: unknown) => void };
        const original = proto.registerOutputs;
        const atRegister = new Map<Tracked, number>();
        proto.registerOutputs = function (this: Tracked, outputs?: unknown) {
            // The first call counts (ComponentResource's constructor calls it again, as a no-op, later).
            if (!this.__registered) atRegister.set(this, this.__childResources?.size ?? 0);
            return original.call(this, outputs);
        };
        try {
            await runStack("gke");
        } finally {
            proto.registerOutputs = original;
        }
        assert.ok(atRegister.size > 5, `saw ${atRegister.size} components`);
        const late = [...atRegister]
            .filter(([c, n]) => (c.__childResources?.size ?? 0) > n)
            .map(([c, n]) => `${c.__name}: ${n} children at registerOutputs, ${c.__childResources?.size} after`);
        assert.deepStrictEqual(late, []);
    });
});

describe("gke helpers", () => {
    it("makes valid GCP service account ids", () => {
        assert.strictEqual(serviceAccountId("kvl-nodes", "gke"), "kvl-nodes-gke");
        const long = serviceAccountId("kvl-nodes", "a-very-long-stack-name-for-the-class-of-2026");
        assert.ok(long.length <= 30 && /^[a-z][a-z0-9-]+[a-z0-9]$/.test(long), long);
    });
});
