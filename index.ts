/**
 * kube-volume-lab: config → platform → components → outputs.
 *
 * Reads the configuration once, builds the platform the stack names, deploys the course's demos and
 * one environment per student on it, and exports how to reach everything.
 */
import * as pulumi from "@pulumi/pulumi";

import { AccessModesDemo } from "./components/accessModesDemo";
import { Chatroulette } from "./components/chatroulette";
import { DistinctUpdater } from "./components/distinctUpdater";
import { SideUpdater } from "./components/sideUpdater";
import { StoryApp } from "./components/storyApp";
import { StudentEnvironment } from "./components/studentEnvironment";
import { StudentPolicies } from "./components/studentPolicies";
import { readConfig } from "./config";
import { createPlatform } from "./platforms";
import { ACCESS_MODES_DISK } from "./platforms/types";

const config = readConfig();
const platform = createPlatform("lab", config);

/** Every Kubernetes object reaches the cluster through the platform's explicit provider. */
const onCluster: pulumi.ComponentResourceOptions = {
    providers: { kubernetes: platform.provider },
    dependsOn: platform.storageReady,
};

interface DemoOutput {
    namespace: pulumi.Output<string>;
    storageClassName: pulumi.Output<string>;
    portForward?: pulumi.Output<string>;
}
const demoOutputs: Record<string, DemoOutput & Record<string, unknown>> = {};
const { demos } = config;

/**
 * The ReadWriteMany class. config.ts has already refused, through platforms/capabilities.ts, every
 * demo that needs one on a platform that has none; this only tells the type checker.
 */
function rwxClass(demo: string): string {
    if (platform.rwxStorageClass === undefined) {
        throw new Error(`${demo}: the platform has no ReadWriteMany class (platforms/capabilities.ts should have refused it)`);
    }
    return platform.rwxStorageClass;
}

if (demos.distinctUpdater.enabled) {
    const d = new DistinctUpdater(
        "distinct-updater",
        {
            namespace: "distinct-updater",
            mode: demos.distinctUpdater.mode,
            replicas: demos.distinctUpdater.replicas,
            rwoStorageClass: platform.rwoStorageClass,
            rwxStorageClass: platform.rwxStorageClass,
        },
        onCluster,
    );
    demoOutputs.distinctUpdater = {
        namespace: d.namespace,
        storageClassName: d.storageClassName,
        portForward: d.portForward,
        mode: d.mode,
    };
}

if (demos.sideUpdater.enabled) {
    const s = new SideUpdater(
        "side-updater",
        { namespace: "side-updater", storageClassName: platform.rwoStorageClass },
        onCluster,
    );
    demoOutputs.sideUpdater = { namespace: s.namespace, storageClassName: s.storageClassName, portForward: s.portForward };
}

if (demos.chatroulette.enabled) {
    const c = new Chatroulette(
        "chatroulette",
        {
            namespace: "chatroulette",
            frontImage: demos.chatroulette.frontImage,
            backImage: demos.chatroulette.backImage,
            backReplicas: demos.chatroulette.backReplicas,
            storage: { storageClassName: rwxClass("demos.chatroulette") },
        },
        onCluster,
    );
    demoOutputs.chatroulette = { namespace: c.namespace, storageClassName: c.storageClassName, portForward: c.portForward };
}

if (demos.story.enabled) {
    const st = new StoryApp(
        "story",
        {
            namespace: "story",
            volume: demos.story.volume,
            replicas: demos.story.replicas,
            image: demos.story.image,
            rwxStorageClass: platform.rwxStorageClass,
        },
        onCluster,
    );
    demoOutputs.story = { namespace: st.namespace, storageClassName: st.storageClassName, portForward: st.portForward };
}

if (demos.accessModes.enabled) {
    // Made by the platform's constructor (createPlatform passes ACCESS_MODES_DISK when the demo is on).
    const disk = platform.sharedDisk(ACCESS_MODES_DISK.name, ACCESS_MODES_DISK.sizeGi);
    let volume: ConstructorParameters<typeof AccessModesDemo>[1]["volume"];
    if (disk.kind === "unsupported") {
        pulumi.log.info(`access-modes demo: ${disk.reason}`);
        volume = { kind: "rwx", storageClassName: rwxClass("demos.accessModes"), reason: disk.reason };
    } else {
        // An attachable disk (GKE) or a node-local directory (kind): the demo makes the PVs.
        volume = disk;
    }
    const a = new AccessModesDemo(
        "access-modes",
        {
            namespace: "access-modes",
            volume,
            placement: demos.accessModes.mode === "colocated" ? "colocated" : "spread",
            // Readers alone get a ReadOnlyMany PV (csi.readOnly) attached read-only to every node.
            writers: demos.accessModes.mode === "readersOnly" ? 0 : demos.accessModes.writers,
            readers: demos.accessModes.readers,
        },
        onCluster,
    );
    demoOutputs.accessModes = {
        namespace: a.namespace,
        storageClassName: a.storageClassName,
        explanation: a.explanation,
        volume: a.volumeDescription,
    };
}

// Cluster-wide admission rules for student namespaces, in place before any student namespace exists.
const studentPolicies =
    config.students.length > 0 ? new StudentPolicies("student-policies", {}, onCluster) : undefined;
const studentOpts: pulumi.ComponentResourceOptions = {
    ...onCluster,
    dependsOn: [...platform.storageReady, ...(studentPolicies ? [studentPolicies] : [])],
};
const deniedStorageClasses = config.quota.deniedStorageClasses ?? platform.studentDeniedStorageClasses;
const studentEnvs = config.students.map(
    (student) =>
        [
            student.name,
            new StudentEnvironment(
                student.name,
                {
                    studentName: student.name,
                    uid: student.uid,
                    identity: student.identity,
                    quota: config.quota,
                    hooks: platform.students,
                    apiServer: platform.apiServer,
                    app: config.studentApp,
                    deniedStorageClasses,
                    clusterCidrs: platform.clusterCidrs,
                },
                studentOpts,
            ),
        ] as const,
);

export const platformName = platform.name;
export const clusterName = platform.clusterName;
/** Admin kubeconfig (exec plugin: gke-gcloud-auth-plugin or aws eks get-token). */
export const kubeconfig = platform.kubeconfig;
export const rwxStorageClass = platform.rwxStorageClass ?? null;
export const rwoStorageClass = platform.rwoStorageClass;
/** Per demo: namespace, storage class used, how to reach it. */
export const demoEndpoints = demoOutputs;
/** Per student: namespace, home claim and what backs it. */
export const students = Object.fromEntries(
    studentEnvs.map(([name, env]) => [
        name,
        { namespace: env.namespace, claim: env.claimName, storageClassName: env.storageClassName, volumeName: env.volumeName, backing: env.storageBacking },
    ]),
);
/** Per student: a kubeconfig scoped to their namespace (secret: pulumi stack output --show-secrets). */
export const studentKubeconfigs = pulumi.secret(
    Object.fromEntries(studentEnvs.map(([name, env]) => [name, env.kubeconfig])),
);
