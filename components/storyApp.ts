/**
 * story (rhannachi/docker-kubernetes-roadmap, k8s-3): a small Node.js app that keeps "stories" in
 * /app/story. With emptyDir the data survives a container crash (GET /error) but not the pod;
 * with hostPath each node keeps its own copy, so two replicas on two nodes answer differently;
 * with a ReadWriteMany claim every replica sees the same data.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import {
    RESOURCES,
    appLabels,
    countProblem,
    createNamespace,
    namespaceProblem,
    oneOfProblem,
    podSecurity,
    portForwardCommand,
    rejectInvalid,
    rootNoCapabilitiesContainer,
    requiredProblem,
    selectorLabels,
} from "./common";

const TYPE = "kvl:apps:StoryApp";

/*
 * The course's image: the one sanctioned exception to "never `latest`", like chatroulette's.
 * `latest` is the only tag the course's author publishes on Docker Hub. To pin it, copy the image
 * to your own registry under a fixed tag (or build it from the course repository's k8s-3/ folder)
 * and pass `image`.
 */
/**
 * The course's story image (Docker Hub, only tag: `latest`). Override with `StoryAppArgs.image`.
 */
export const STORY_IMAGE = "rhannachi1991/k8s-story:latest";

/** Where the app keeps its stories. */
export const STORY_DIR = "/app/story";
/** Node directory of the hostPath variant. */
export const STORY_HOST_PATH = "/data/story";
/** Object names. */
export const STORY_NAMES = {
    deployment: "story",
    service: "story-service",
    claim: "story-data",
    /** Name of the volume in the pod template, as in the course. */
    volume: "story-volume",
    /** The course's `app` label. */
    app: "story-pod",
} as const;
/** Local port of the port-forward command. */
export const STORY_LOCAL_PORT = 3000;

/** Which volume holds /app/story. */
export type StoryVolume = "emptyDir" | "hostPath" | "claim";
export const STORY_VOLUMES: readonly StoryVolume[] = ["emptyDir", "hostPath", "claim"];

export interface StoryAppArgs {
    /** Namespace the component creates and puts every object in. Required. */
    namespace: string;
    /**
     * - `emptyDir`: per-pod scratch space (course: story-emptydir.yaml).
     * - `hostPath`: {@link STORY_HOST_PATH} on the node, DirectoryOrCreate (course: story-hostpath.yaml).
     *   The namespace then enforces Pod Security `privileged`, since `baseline` forbids hostPath.
     * - `claim`: a ReadWriteMany claim `story-data` on `rwxStorageClass`.
     */
    volume: StoryVolume;
    /** Class of the claim; required when `volume` is "claim". Default: none. */
    rwxStorageClass?: string;
    /** Replicas. Default 2 (with emptyDir and hostPath, enough to see replicas disagree). */
    replicas?: number;
    /** Image. Default {@link STORY_IMAGE} (the course's). */
    image?: string;
    /** Size the claim requests (volume "claim" only). Default "1Gi". */
    storageSize?: string;
}

export class StoryApp extends pulumi.ComponentResource {
    /** The namespace everything is in. */
    public readonly namespace: pulumi.Output<string>;
    /** Class of the claim, or "none" for emptyDir and hostPath. */
    public readonly storageClassName: pulumi.Output<string>;
    /** The command that makes the app reachable on http://localhost:3000/. */
    public readonly portForward: pulumi.Output<string>;
    /** The kind of volume behind /app/story. */
    public readonly volume: pulumi.Output<StoryVolume>;

    constructor(name: string, args: StoryAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE, name, {}, opts);
        const replicas = args.replicas ?? 2;
        const image = args.image ?? STORY_IMAGE;
        const storageSize = args.storageSize ?? "1Gi";
        rejectInvalid(
            this,
            namespaceProblem("StoryApp", args.namespace),
            oneOfProblem("StoryApp", "volume", args.volume, STORY_VOLUMES),
            args.volume === "claim"
                ? requiredProblem(
                      "StoryApp",
                      "rwxStorageClass",
                      args.rwxStorageClass,
                      'with volume "claim", but the cluster has no ReadWriteMany storage class: use volume "emptyDir" or "hostPath"',
                  )
                : undefined,
            countProblem("StoryApp", "replicas", replicas),
            requiredProblem("StoryApp", "image", image, "to be an image reference"),
        );
        const N = STORY_NAMES;

        // Pod Security `baseline` forbids hostPath volumes (spec.volumes[*].hostPath must be unset):
        // a baseline namespace would reject every pod of the hostPath variant. That variant is the
        // lesson, so its namespace (and only its) enforces `privileged`; `warn: restricted` still
        // makes kubectl and the API server print the hostPath warning.
        const ns = createNamespace(
            name,
            args.namespace,
            this,
            args.volume === "hostPath" ? "privileged" : "baseline",
        );
        const namespace = ns.metadata.name;

        let volume: k8s.types.input.core.v1.Volume;
        let storageClassName = "none";
        switch (args.volume) {
            case "emptyDir":
                volume = { name: N.volume, emptyDir: {} };
                break;
            case "hostPath":
                volume = {
                    name: N.volume,
                    hostPath: { path: STORY_HOST_PATH, type: "DirectoryOrCreate" },
                };
                break;
            case "claim":
                storageClassName = args.rwxStorageClass as string;
                new k8s.core.v1.PersistentVolumeClaim(
                    `${name}-claim`,
                    {
                        metadata: { name: N.claim, namespace, labels: appLabels(N.app, name) },
                        spec: {
                            accessModes: ["ReadWriteMany"],
                            storageClassName,
                            resources: { requests: { storage: storageSize } },
                        },
                    },
                    { parent: this },
                );
                volume = { name: N.volume, persistentVolumeClaim: { claimName: N.claim } };
                break;
        }

        const probe: k8s.types.input.core.v1.Probe = {
            httpGet: { path: "/healthcheck", port: "web-port" },
            periodSeconds: 10,
        };
        new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: {
                    name: N.deployment,
                    namespace,
                    labels: appLabels(N.app, name),
                },
                spec: {
                    replicas,
                    selector: { matchLabels: selectorLabels(N.app) },
                    template: {
                        metadata: { labels: appLabels(N.app, name) },
                        spec: {
                            securityContext: podSecurity(),
                            volumes: [volume],
                            containers: [
                                {
                                    name: "story-container",
                                    image,
                                    imagePullPolicy: "Always",
                                    ports: [{ name: "web-port", containerPort: 3000 }],
                                    volumeMounts: [{ name: N.volume, mountPath: STORY_DIR }],
                                    livenessProbe: probe,
                                    readinessProbe: probe,
                                    resources: RESOURCES.app,
                                    securityContext: rootNoCapabilitiesContainer(),
                                },
                            ],
                        },
                    },
                },
            },
            { parent: this },
        );

        // ClusterIP, not the course's LoadBalancer: reached with kubectl port-forward, so the demo
        // costs no cloud load balancer and works the same on kind.
        new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name: N.service, namespace, labels: appLabels(N.app, name) },
                spec: {
                    type: "ClusterIP",
                    selector: selectorLabels(N.app),
                    ports: [{ port: 80, protocol: "TCP", targetPort: "web-port" }],
                },
            },
            { parent: this },
        );

        this.namespace = namespace;
        this.storageClassName = pulumi.output(storageClassName);
        this.portForward = portForwardCommand(namespace, N.service, STORY_LOCAL_PORT, 80);
        this.volume = pulumi.output(args.volume);
        this.registerOutputs({
            namespace: this.namespace,
            storageClassName: this.storageClassName,
            portForward: this.portForward,
            volume: this.volume,
        });
    }
}
