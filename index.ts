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
import { readConfig } from "./config";
import { createPlatform } from "./platforms";

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

if (demos.chatroulette.enabled && platform.rwxStorageClass !== undefined) {
    const c = new Chatroulette(
        "chatroulette",
        {
            namespace: "chatroulette",
            frontImage: demos.chatroulette.frontImage,
            backImage: demos.chatroulette.backImage,
            backReplicas: demos.chatroulette.backReplicas,
            storage: { storageClassName: platform.rwxStorageClass },
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
    const disk = platform.sharedDisk("other-data", 10);
    let volume: ConstructorParameters<typeof AccessModesDemo>[1]["volume"];
    if ("unsupported" in disk) {
        if (platform.rwxStorageClass === undefined) {
            throw new Error(`demos.accessModes: ${disk.unsupported}, and the cluster has no ReadWriteMany class either`);
        }
        pulumi.log.info(`access-modes demo: ${disk.unsupported}`);
        volume = { kind: "rwx", storageClassName: platform.rwxStorageClass, reason: disk.unsupported };
    } else {
        volume = { kind: "preProvisioned", ...disk };
    }
    const a = new AccessModesDemo(
        "access-modes",
        {
            namespace: "access-modes",
            volume,
            placement: demos.accessModes.mode === "colocated" ? "colocated" : "spread",
            // Readers alone, all read-only, attach the disk read-only to every node.
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
                    app: config.studentApps
                        ? { frontImage: demos.chatroulette.frontImage, backImage: demos.chatroulette.backImage }
                        : undefined,
                },
                onCluster,
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
