/**
 * The course corpus: for each manifest set in test/fixtures/course/, our component in the
 * matching mode produces at least the same objects, with the same values in the fields that
 * matter (replicas, ports, probes, mount paths, volumes, access modes, affinity, ConfigMap data,
 * claim names). What differs on purpose is listed in DELIBERATE_DIFFERENCES and asserted where
 * it touches a compared object.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

import { AccessModesDemo } from "../../components/accessModesDemo";
import { Chatroulette } from "../../components/chatroulette";
import { DistinctUpdater, DistinctUpdaterMode } from "../../components/distinctUpdater";
import { StoryApp } from "../../components/storyApp";
import { KubeObject, build, find, podSpec } from "./helpers";
import { TEST_CHAT_IMAGES } from "./variants";

const COURSE = path.resolve(__dirname, "../fixtures/course");

/** What we change on purpose, and why. Every entry is checked below where it applies. */
export const DELIBERATE_DIFFERENCES: Record<string, string> = {
    images:
        "Pinned tags (nginxinc/nginx-unprivileged:1.27.4-alpine, busybox:1.37.0) instead of :latest or no tag; " +
        "chatroulette takes the caller's images (the course's ECR is private; no default); the story app runs the " +
        "course's app.js rewritten on node:22.14.0-alpine3.21 unless an image is given (the course's is latest-only).",
    resources: "Requests and limits on every container (course: none, or cpu 1m for the kia pods).",
    security:
        "Pod and container security contexts (seccomp RuntimeDefault, no privilege escalation, capabilities dropped); " +
        "nginx runs as its own uid 101 with fsGroup 101 instead of the course's 33; busybox writers run as root without capabilities.",
    namespace:
        "Every component creates its own namespace with Pod Security labels and puts every object in it " +
        "(course: default namespace, chatroulette's claim and ConfigMap in `formation`).",
    serviceType:
        "Services are ClusterIP, reached with kubectl port-forward (story: course used LoadBalancer).",
    storageClass:
        'Storage classes come from the platform (distinct-updater base/affinity and kia claims relied on the cluster default or "").',
    claimSize:
        "distinct-updater claims 1Gi (course 1Mi, which provisioners round up); kia claim requests the PV's capacity (course 1Gi).",
    loopScript:
        "The loop writes the date to a temp file and renames it over index.html (course: `echo $(date) > index.html`, " +
        "which nginx can serve empty or half-written), same content.",
    probes: "nginx gets a readiness (GET /) and liveness (TCP) probe; the course had none.",
    strategies:
        "Explicit strategies: RWO loop and chatroulette back use Recreate, the server RollingUpdate maxSurge 1 / maxUnavailable 0; " +
        "mode affinity: loop and server pods share one label and one required hostname podAffinity to it " +
        "(course: only the servers required the loop's node, so a replaced loop could land elsewhere).",
    storyNames:
        "The story Deployment is named `story` (course: story-deployment); hostPath is /data/story (course: /data).",
    kiaPods:
        "The kia pods have fixed names data-writer-<i>/data-reader-<i> (course: generateName with kubectl create), " +
        '2 of each by default; the PV is pre-bound (claimRef, Retain, storageClassName "") and the claim names its volume.',
    chatroulette:
        "Chatroulette adds the Services front and back (the course exercise created them separately) and leaves " +
        "imagePullPolicy to Kubernetes' default for the caller's (fixed-tag) images.",
    labels: "app.kubernetes.io/* labels are added next to the course's `app` selector label.",
};

function courseDocs(...files: string[]): KubeObject[] {
    return files.flatMap((f) =>
        YAML.parseAllDocuments(fs.readFileSync(path.join(COURSE, f), "utf8"))
            .map((d) => d.toJS())
            .filter((o): o is KubeObject => o && typeof o === "object" && "kind" in o),
    );
}

/** The volume source kind (persistentVolumeClaim, emptyDir, hostPath...) of a pod volume. */
function sourceKind(v: any): string {
    return Object.keys(v).find((k) => k !== "name") as string;
}

/** Our object standing for the course's object (same kind, same name unless renamed). */
function counterpart(
    ours: KubeObject[],
    course: KubeObject,
    renamed: Record<string, string> = {},
): KubeObject {
    const name = course.metadata.name ?? course.metadata.generateName;
    return find(ours, course.kind, renamed[name] ?? name);
}

function samePorts(courseC: any, ourC: any, where: string): void {
    for (const p of courseC.ports ?? []) {
        const mine = (ourC.ports ?? []).find((q: any) => q.containerPort === p.containerPort);
        assert.ok(mine, `${where}: no containerPort ${p.containerPort}`);
        if (p.name !== undefined) assert.strictEqual(mine.name, p.name, `${where}: port name`);
    }
}

function sameProbes(courseC: any, ourC: any, where: string): void {
    for (const probe of ["readinessProbe", "livenessProbe"]) {
        const theirs = courseC[probe]?.httpGet;
        if (theirs === undefined) continue;
        assert.strictEqual(ourC[probe]?.httpGet?.path, theirs.path, `${where}: ${probe} path`);
        assert.strictEqual(ourC[probe]?.httpGet?.port, theirs.port, `${where}: ${probe} port`);
    }
}

/** Same mounts: path, readOnly, and a volume of the same source kind (and claim, when `claims`). */
function sameMounts(
    course: KubeObject,
    ours: KubeObject,
    courseC: any,
    ourC: any,
    claims: Record<string, string>,
    where: string,
): void {
    for (const m of courseC.volumeMounts ?? []) {
        const mine = (ourC.volumeMounts ?? []).find((x: any) => x.mountPath === m.mountPath);
        assert.ok(mine, `${where}: nothing mounted at ${m.mountPath}`);
        if (m.readOnly === true)
            assert.strictEqual(mine.readOnly, true, `${where}: ${m.mountPath} readOnly`);
        const theirV = podSpec(course).volumes.find((v: any) => v.name === m.name);
        const myV = podSpec(ours).volumes.find((v: any) => v.name === mine.name);
        assert.strictEqual(
            sourceKind(myV),
            sourceKind(theirV),
            `${where}: volume kind at ${m.mountPath}`,
        );
        if (theirV.persistentVolumeClaim !== undefined) {
            const claim = theirV.persistentVolumeClaim.claimName;
            assert.strictEqual(
                myV.persistentVolumeClaim.claimName,
                claims[claim] ?? claim,
                `${where}: claim`,
            );
            if (theirV.persistentVolumeClaim.readOnly === true) {
                assert.strictEqual(
                    myV.persistentVolumeClaim.readOnly,
                    true,
                    `${where}: claim readOnly`,
                );
            }
        }
    }
}

/** Compares a course workload (Deployment or Pod) with ours, container by container (by name). */
function sameWorkload(
    course: KubeObject,
    ours: KubeObject,
    opts: { claims?: Record<string, string>; sameCommand?: boolean } = {},
): void {
    const where = `${course.kind} ${course.metadata.name ?? course.metadata.generateName}`;
    if (course.kind === "Deployment") {
        assert.strictEqual(ours.spec.replicas, course.spec.replicas ?? 1, `${where}: replicas`);
        // Our selector is the course's own (`kubectl get -l app=...` from the notes still works):
        // compared as written in the course file, not re-evaluated.
        assert.deepStrictEqual(ours.spec.selector, course.spec.selector, `${where}: selector`);
    }
    for (const courseC of podSpec(course).containers) {
        const ourC = podSpec(ours).containers.find((c: any) => c.name === courseC.name);
        assert.ok(ourC, `${where}: no container ${courseC.name}`);
        const w = `${where}/${courseC.name}`;
        samePorts(courseC, ourC, w);
        sameProbes(courseC, ourC, w);
        sameMounts(course, ours, courseC, ourC, opts.claims ?? {}, w);
        assert.deepStrictEqual(ourC.envFrom, courseC.envFrom, `${w}: envFrom`);
        if (opts.sameCommand) {
            assert.deepStrictEqual(
                [...(ourC.command ?? []), ...(ourC.args ?? [])],
                [...(courseC.command ?? []), ...(courseC.args ?? [])],
                `${w}: command`,
            );
        }
        // images: pinned, except the course's own app images (see DELIBERATE_DIFFERENCES.images)
        const courseTag = /:([^/:]+)$/.exec(courseC.image)?.[1] ?? "latest";
        const ourTag = /:([^/:]+)$/.exec(ourC.image)?.[1];
        if (courseC.image === ourC.image) {
            assert.strictEqual(
                ourTag,
                "latest",
                `${w}: only the course's latest-only images are kept as-is`,
            );
        } else {
            assert.strictEqual(courseTag, "latest", `${w}`);
            assert.ok(ourTag !== undefined && ourTag !== "latest", `${w}: ${ourC.image} pinned`);
        }
        assert.ok(
            ourC.resources?.limits && ourC.resources?.requests,
            `${w}: resources (deliberate difference)`,
        );
    }
}

function sameService(course: KubeObject, ours: KubeObject): void {
    const where = `Service ${course.metadata.name}`;
    for (const p of course.spec.ports) {
        const mine = ours.spec.ports.find((q: any) => q.port === p.port);
        assert.ok(mine, `${where}: no port ${p.port}`);
        assert.strictEqual(mine.targetPort, p.targetPort, `${where}: targetPort`);
    }
    assert.deepStrictEqual(ours.spec.selector, course.spec.selector, `${where}: selector`);
    assert.strictEqual(
        ours.spec.type,
        "ClusterIP",
        `${where}: ClusterIP (course: ${course.spec.type ?? "ClusterIP"})`,
    );
}

function sameClaim(course: KubeObject, ours: KubeObject, storageClassName: string): void {
    assert.deepStrictEqual(
        ours.spec.accessModes,
        course.spec.accessModes,
        `claim ${course.metadata.name}: accessModes`,
    );
    if (course.spec.storageClassName !== undefined) {
        assert.strictEqual(
            ours.spec.storageClassName,
            course.spec.storageClassName,
            `claim ${course.metadata.name}: class`,
        );
    } else {
        assert.strictEqual(
            ours.spec.storageClassName,
            storageClassName,
            `claim ${course.metadata.name}: class from the platform`,
        );
    }
}

describe("course corpus", () => {
    it("lists its deliberate differences", () => {
        assert.ok(Object.keys(DELIBERATE_DIFFERENCES).length >= 10);
        assert.ok(fs.existsSync(COURSE), `course fixtures not found at ${COURSE}`);
    });

    const DISTINCT: [string, DistinctUpdaterMode, string | undefined][] = [
        ["distinct-updater-base.yaml", "rwo", undefined],
        ["distinct-updater-affinity.yaml", "affinity", undefined],
        ["distinct-updater-longhorn.yaml", "rwx", "longhorn"],
        ["distinct-updater-gke-rwx.yaml", "rwx", "standard-rwx"],
        ["distinct-updater-nfs-rwx.yaml", "rwx", "nfs"],
    ];
    for (const [file, mode, rwxClass] of DISTINCT) {
        it(`${file} ↔ DistinctUpdater mode ${mode}`, async () => {
            const course = courseDocs(file);
            const { objects } = await build(
                () =>
                    new DistinctUpdater("du", {
                        namespace: "distinct-updater",
                        mode,
                        rwoStorageClass: "standard-rwo",
                        rwxStorageClass: rwxClass,
                    }),
            );
            assert.strictEqual(course.length, 4);
            for (const c of course) {
                const mine = counterpart(objects, c);
                if (c.kind === "Deployment") sameWorkload(c, mine);
                if (c.kind === "Service") sameService(c, mine);
                if (c.kind === "PersistentVolumeClaim") sameClaim(c, mine, "standard-rwo");
            }
            // Affinity: the course's rule and ours, both as written down here.
            const courseServer = find(course, "Deployment", "distinct-updater-server");
            const ourServer = find(objects, "Deployment", "distinct-updater-server");
            const courseTerms =
                podSpec(courseServer).affinity?.podAffinity
                    ?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
            const ourTerms =
                podSpec(ourServer).affinity?.podAffinity
                    ?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
            assert.strictEqual(ourTerms.length, courseTerms.length, "required podAffinity terms");
            // Written down from test/fixtures/course/distinct-updater-affinity.yaml: the course's
            // server term names the loop's `app` label only.
            const affinity = mode === "affinity";
            assert.deepStrictEqual(courseTerms, affinity ? [
                {
                    labelSelector: {
                        matchExpressions: [{ key: "app", operator: "In", values: ["distinct-updater-loop"] }],
                    },
                    topologyKey: "kubernetes.io/hostname",
                },
            ] : []);
            // Ours (DELIBERATE_DIFFERENCES.strategies): one group label carried by the loop and the
            // servers, and one hostname term to it on both.
            const group = { "kube-volume-lab/volume-group": "distinct-updater-pvc" };
            assert.deepStrictEqual(ourTerms, affinity ? [
                { labelSelector: { matchLabels: group }, topologyKey: "kubernetes.io/hostname" },
            ] : []);
            for (const name of ["distinct-updater-loop", "distinct-updater-server"]) {
                const labels = find(objects, "Deployment", name).spec.template.metadata.labels;
                assert.strictEqual(labels["kube-volume-lab/volume-group"], "distinct-updater-pvc", `${name}: group label`);
                assert.strictEqual(labels.app, name, `${name}: the course's app label is kept`);
            }
            const ourLoopTerms =
                podSpec(find(objects, "Deployment", "distinct-updater-loop")).affinity?.podAffinity
                    ?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
            assert.deepStrictEqual(ourLoopTerms, ourTerms, "the loop carries the same required term");
            // DELIBERATE_DIFFERENCES.security: nginx runs as its image's uid, not 33.
            assert.strictEqual(podSpec(courseServer).securityContext.runAsUser, 33);
            assert.strictEqual(podSpec(ourServer).securityContext.runAsUser, 101);
        });
    }

    for (const [pvFile, kind] of [
        ["kia-pv.other-data.gcepd.yaml", "gcePersistentDisk"],
        ["kia-pv.other-data.hostpath.yaml", "hostPath"],
    ] as const) {
        it(`kia-* with ${pvFile} ↔ AccessModesDemo pre-provisioned`, async () => {
            const course = courseDocs(
                pvFile,
                "kia-pvc.other-data.yaml",
                "kia-pod.data-writer.yaml",
                "kia-pod.data-reader.yaml",
            );
            const pv = find(course, "PersistentVolume", "other-data");
            const { objects } = await build(
                () =>
                    new AccessModesDemo("am", {
                        namespace: "access-modes",
                        // The course's in-tree gcePersistentDisk PV becomes the PD CSI driver's
                        // source (in-tree GCE PD is migrated to pd.csi.storage.gke.io).
                        volume:
                            kind === "hostPath"
                                ? {
                                      kind: "nodeLocal",
                                      hostPath: pv.spec.hostPath,
                                      capacity: pv.spec.capacity.storage,
                                      description: `course ${pvFile}`,
                                  }
                                : {
                                      kind: "attachable",
                                      csi: {
                                          driver: "pd.csi.storage.gke.io",
                                          volumeHandle: `projects/p/zones/z/disks/${pv.spec.gcePersistentDisk.pdName}`,
                                          fsType: pv.spec.gcePersistentDisk.fsType,
                                      },
                                      capacity: pv.spec.capacity.storage,
                                      description: `course ${pvFile}`,
                                  },
                    }),
            );
            const myPv = counterpart(objects, pv);
            if (kind === "hostPath") assert.deepStrictEqual(myPv.spec.hostPath, pv.spec.hostPath);
            else assert.strictEqual(myPv.spec.csi.volumeHandle.endsWith(`/${pv.spec.gcePersistentDisk.pdName}`), true);
            // Deliberate: one mode per PV. The course's PV offers ReadWriteOnce and ReadOnlyMany
            // together, which the CSI attacher refuses (csi-lib-utils accessmodes); the writer
            // layout gets the ReadWriteOnce half.
            assert.deepStrictEqual(pv.spec.accessModes, ["ReadWriteOnce", "ReadOnlyMany"]);
            assert.deepStrictEqual(myPv.spec.accessModes, ["ReadWriteOnce"]);
            assert.deepStrictEqual(myPv.spec.capacity, pv.spec.capacity);
            const pvc = find(course, "PersistentVolumeClaim", "other-data");
            // Same deliberate split on the claim: ReadWriteOnce for the writer layout.
            assert.deepStrictEqual(counterpart(objects, pvc).spec.accessModes, ["ReadWriteOnce"]);
            assert.strictEqual(counterpart(objects, pvc).spec.storageClassName, "");
            for (const c of course.filter((o) => o.kind === "Pod")) {
                const prefix = c.metadata.generateName as string;
                const mine = objects.filter(
                    (o) => o.kind === "Pod" && o.metadata.name.startsWith(prefix),
                );
                assert.ok(mine.length >= 2, `at least two ${prefix}* pods, to land on two nodes`);
                // Deliberate: readers repeat the course's listing in a loop, so a reader that
                // started before a writer wrote does not show an empty listing forever.
                const reader = prefix.startsWith("data-reader");
                for (const m of mine) sameWorkload(c, m, { sameCommand: !reader });
                if (reader) {
                    const courseScript = String(podSpec(c).containers[0].args?.[0] ?? podSpec(c).containers[0].command.at(-1));
                    const ours = String(podSpec(mine[0]).containers[0].command.at(-1));
                    assert.ok(courseScript.includes("grep ^ /other-data/*") && ours.includes("grep ^ /other-data/*"));
                    assert.match(ours, /^while true ; do\n/);
                }
            }
        });
    }

    for (const [file, volume, replicas] of [
        ["story-emptydir.yaml", "emptyDir", 1],
        ["story-hostpath.yaml", "hostPath", 2],
    ] as const) {
        it(`${file} ↔ StoryApp volume ${volume}`, async () => {
            const course = courseDocs(file);
            const { objects } = await build(
                () => new StoryApp("story", { namespace: "story", volume, replicas }),
            );
            for (const c of course) {
                const mine = counterpart(objects, c, { "story-deployment": "story" });
                if (c.kind === "Deployment") sameWorkload(c, mine);
                if (c.kind === "Service") sameService(c, mine);
            }
            const courseV = podSpec(find(course, "Deployment", "story-deployment")).volumes[0];
            const myV = podSpec(find(objects, "Deployment", "story")).volumes[0];
            if (volume === "hostPath") {
                assert.strictEqual(myV.hostPath.type, courseV.hostPath.type);
                assert.strictEqual(courseV.hostPath.path, "/data");
                assert.strictEqual(myV.hostPath.path, "/data/story"); // DELIBERATE_DIFFERENCES.storyNames
            } else {
                assert.deepStrictEqual(myV.emptyDir, courseV.emptyDir);
            }
            assert.strictEqual(find(course, "Service", "story-service").spec.type, "LoadBalancer"); // serviceType
        });
    }

    it("chatroulette-* ↔ Chatroulette with a new ReadWriteMany claim", async () => {
        const course = courseDocs(
            "chatroulette-front.yaml",
            "chatroulette-back.yaml",
            "chatroulette-env-config.yaml",
        );
        const { objects } = await build(
            () =>
                new Chatroulette("chat", {
                    namespace: "formation",
                    ...TEST_CHAT_IMAGES,
                    storage: { storageClassName: "efs-sc-formation" },
                }),
        );
        for (const c of course) {
            const mine = counterpart(objects, c);
            if (c.kind === "Deployment") sameWorkload(c, mine);
            if (c.kind === "PersistentVolumeClaim") {
                sameClaim(c, mine, "efs-sc-formation");
                assert.deepStrictEqual(mine.spec.resources, c.spec.resources);
            }
            if (c.kind === "ConfigMap") assert.deepStrictEqual(mine.data, c.data);
            if (c.metadata.namespace !== undefined)
                assert.strictEqual(mine.metadata.namespace, c.metadata.namespace);
        }
        // The course left the Deployments without namespace; ours share the claim's namespace.
        for (const o of objects.filter((x) => x.kind !== "Namespace"))
            assert.strictEqual(o.metadata.namespace, "formation");
    });

    it("chatroulette-* ↔ Chatroulette on a student's existing home claim", async () => {
        const course = courseDocs("chatroulette-back.yaml");
        const { objects } = await build(
            () =>
                new Chatroulette("chat", {
                    namespace: "student-bob",
                    createNamespace: false,
                    ...TEST_CHAT_IMAGES,
                    storage: { existingClaim: "home" },
                }),
        );
        sameWorkload(find(course, "Deployment", "back"), find(objects, "Deployment", "back"), {
            claims: { "chat-images": "home" },
        });
    });
});
