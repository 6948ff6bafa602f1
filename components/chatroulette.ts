/**
 * chatroulette (TalanLabs/formation-k8s, chapter 7): a front Deployment and a back Deployment that
 * stores uploaded images on a shared volume mounted at /images, configured by the ConfigMap
 * `env-config` (APP_STORAGE=fs, DB_DIRECTORY=/images).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import {
    APP_FS_GROUP,
    RESOURCES,
    appLabels,
    countProblem,
    courseImageContainer,
    createClaim,
    createClusterIpService,
    createNamespace,
    namespaceProblem,
    podSecurity,
    portForwardCommand,
    rejectInvalid,
    requiredProblem,
    selectorLabels,
    NEW_CLAIM_TIMEOUTS,
} from "./common";

const TYPE = "kvl:apps:Chatroulette";

/*
 * No default images. The course's images (`810454728139.dkr.ecr.eu-west-3.amazonaws.com/
 * k8-chatroulette-{front,back}:latest`) live in a private ECR registry of the course's AWS account:
 * kind nodes and every other account get ErrImagePull, and the awaited Deployments would make
 * `pulumi up` wait and fail. The caller passes images it can pull (a copy pushed to its own
 * registry under a fixed tag); config.ts refuses `demos.chatroulette.enabled` or `studentApps`
 * without both.
 */
/** Object names, as in the course. */
export const CHATROULETTE_NAMES = {
    front: "front",
    back: "back",
    configMap: "env-config",
    claim: "chat-images",
    /** Name of the volume in the back's pod template. */
    volume: "chat-images",
} as const;

/** Where the back stores images. */
export const IMAGES_DIR = "/images";
/** Exactly what the course's ConfigMap holds. */
export const CHATROULETTE_ENV = { APP_STORAGE: "fs", DB_DIRECTORY: IMAGES_DIR } as const;
/** Local port of the port-forward command. */
export const CHATROULETTE_LOCAL_PORT = 8080;

/** The component creates the claim `chat-images` (ReadWriteMany). */
export interface ChatrouletteNewClaim {
    /** Class of the claim; it must offer ReadWriteMany. */
    storageClassName: string;
    /** Size the claim requests. Default "100Mi" (the course's). */
    size?: string;
}

/** The component mounts a claim someone else made (a student's `home`), in the same namespace. */
export interface ChatrouletteExistingClaim {
    /** Name of the claim, in `namespace`. */
    existingClaim: string;
}

export interface ChatrouletteArgs {
    /** Namespace of every object; created by the component unless `createNamespace` is false. Required. */
    namespace: string;
    /**
     * Whether the component creates `namespace`. Default true. Pass false when the namespace
     * already exists (a student's namespace, made by the StudentEnvironment).
     */
    createNamespace?: boolean;
    /** Front image (serves on 8080). Required: there is no public build of the course's image. */
    frontImage: string;
    /** Back image (serves on 3000, stores under /images). Required, like `frontImage`. */
    backImage: string;
    /**
     * Replicas of the back. Default 1. The back rewrites a single JSON file on the volume without
     * any locking: two replicas, even on a ReadWriteMany volume, would overwrite each other's
     * writes and lose messages. More than 1 is accepted only to demonstrate exactly that.
     */
    backReplicas?: number;
    /** Replicas of the front (stateless). Default 1. */
    frontReplicas?: number;
    /** Where /images lives: a new ReadWriteMany claim, or an existing claim. Required. */
    storage: ChatrouletteNewClaim | ChatrouletteExistingClaim;
}

export class Chatroulette extends pulumi.ComponentResource {
    /** The namespace everything is in. */
    public readonly namespace: pulumi.Output<string>;
    /** Class of the claim the component created, or "none" when it mounts an existing claim. */
    public readonly storageClassName: pulumi.Output<string>;
    /** The command that makes the front reachable on http://localhost:8080/. */
    public readonly portForward: pulumi.Output<string>;
    /** Name of the claim mounted at /images. */
    public readonly claimName: pulumi.Output<string>;

    constructor(name: string, args: ChatrouletteArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE, name, {}, opts);
        const createNs = args.createNamespace ?? true;
        const frontImage = args.frontImage;
        const backImage = args.backImage;
        const backReplicas = args.backReplicas ?? 1;
        const frontReplicas = args.frontReplicas ?? 1;
        const storage = args.storage as
            Partial<ChatrouletteNewClaim & ChatrouletteExistingClaim> | undefined;
        const existing = storage?.existingClaim;
        rejectInvalid(
            this,
            namespaceProblem("Chatroulette", args.namespace),
            storage === undefined ||
                (existing === undefined) === (storage.storageClassName === undefined)
                ? "Chatroulette: storage must be either { storageClassName, size? } (a new ReadWriteMany claim) " +
                      "or { existingClaim } (a claim already in the namespace)"
                : undefined,
            existing !== undefined
                ? requiredProblem(
                      "Chatroulette",
                      "storage.existingClaim",
                      existing,
                      "to be a claim name",
                  )
                : requiredProblem(
                      "Chatroulette",
                      "storage.storageClassName",
                      storage?.storageClassName,
                      "(a ReadWriteMany class)",
                  ),
            requiredProblem(
                "Chatroulette",
                "frontImage",
                frontImage,
                "(an image you can pull: the course's images are in a private ECR registry)",
            ),
            requiredProblem(
                "Chatroulette",
                "backImage",
                backImage,
                "(an image you can pull: the course's images are in a private ECR registry)",
            ),
            countProblem("Chatroulette", "backReplicas", backReplicas),
            countProblem("Chatroulette", "frontReplicas", frontReplicas),
        );
        const N = CHATROULETTE_NAMES;

        const namespace: pulumi.Output<string> = createNs
            ? createNamespace(name, args.namespace, this).metadata.name
            : pulumi.output(args.namespace);

        let claimName: string;
        let storageClassName: string;
        if (existing !== undefined) {
            claimName = existing;
            storageClassName = "none";
        } else {
            claimName = N.claim;
            storageClassName = storage?.storageClassName as string;
            createClaim(
                `${name}-claim`,
                {
                    name: N.claim,
                    namespace,
                    labels: appLabels("chatroulette-back", name),
                    accessMode: "ReadWriteMany",
                    storageClassName,
                    size: storage?.size ?? "100Mi",
                },
                this,
            );
        }

        new k8s.core.v1.ConfigMap(
            `${name}-env-config`,
            {
                metadata: {
                    name: N.configMap,
                    namespace,
                    labels: appLabels("chatroulette-back", name),
                },
                data: { ...CHATROULETTE_ENV },
            },
            { parent: this },
        );

        const probe = (path: string): k8s.types.input.core.v1.Probe => ({
            httpGet: { path, port: "web", scheme: "HTTP" },
            periodSeconds: 10,
        });

        new k8s.apps.v1.Deployment(
            `${name}-front`,
            {
                metadata: {
                    name: N.front,
                    namespace,
                    labels: appLabels("chatroulette-front", name),
                },
                spec: {
                    replicas: frontReplicas,
                    selector: { matchLabels: selectorLabels("chatroulette-front") },
                    template: {
                        metadata: { labels: appLabels("chatroulette-front", name) },
                        spec: {
                            securityContext: podSecurity(),
                            containers: [
                                {
                                    name: "front",
                                    // No imagePullPolicy: Kubernetes defaults it to Always for
                                    // `:latest` or no tag, IfNotPresent for a fixed tag.
                                    image: frontImage,
                                    ports: [{ name: "web", containerPort: 8080, protocol: "TCP" }],
                                    readinessProbe: probe("/"),
                                    livenessProbe: probe("/"),
                                    resources: RESOURCES.app,
                                    securityContext: courseImageContainer(),
                                },
                            ],
                        },
                    },
                },
            },
            { parent: this },
        );

        new k8s.apps.v1.Deployment(
            `${name}-back`,
            {
                metadata: { name: N.back, namespace, labels: appLabels("chatroulette-back", name) },
                spec: {
                    replicas: backReplicas,
                    // Recreate: never two backs writing the JSON file at once, and a claim that is
                    // only ReadWriteOnce (a student's home on a cluster without RWX) is released
                    // before the new pod, possibly on another node, needs it.
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: selectorLabels("chatroulette-back") },
                    template: {
                        metadata: { labels: appLabels("chatroulette-back", name) },
                        spec: {
                            // fsGroup: the back writes to /images whatever user its image runs as
                            // (see APP_FS_GROUP: a fresh NFS volume is root-owned 0755).
                            securityContext: podSecurity({ fsGroup: APP_FS_GROUP }),
                            containers: [
                                {
                                    name: "back",
                                    image: backImage,
                                    envFrom: [{ configMapRef: { name: N.configMap } }],
                                    ports: [{ name: "web", containerPort: 3000, protocol: "TCP" }],
                                    readinessProbe: probe("/version"),
                                    livenessProbe: probe("/version"),
                                    volumeMounts: [{ name: N.volume, mountPath: IMAGES_DIR }],
                                    resources: RESOURCES.app,
                                    securityContext: courseImageContainer(),
                                },
                            ],
                            volumes: [{ name: N.volume, persistentVolumeClaim: { claimName } }],
                        },
                    },
                },
            },
            // A new claim's volume may take minutes to provision; the back waits for it.
            existing === undefined ? { parent: this, customTimeouts: NEW_CLAIM_TIMEOUTS } : { parent: this },
        );

        for (const [svc, port, app] of [
            [N.front, 80, "chatroulette-front"],
            [N.back, 3000, "chatroulette-back"],
        ] as const) {
            createClusterIpService(
                `${name}-${svc}-service`,
                {
                    name: svc,
                    namespace,
                    labels: appLabels(app, name),
                    selector: selectorLabels(app),
                    ports: [{ name: "web", port, targetPort: "web", protocol: "TCP" }],
                },
                this,
            );
        }

        this.namespace = namespace;
        this.storageClassName = pulumi.output(storageClassName);
        this.portForward = portForwardCommand(namespace, N.front, CHATROULETTE_LOCAL_PORT, 80);
        this.claimName = pulumi.output(claimName);
        this.registerOutputs({
            namespace: this.namespace,
            storageClassName: this.storageClassName,
            portForward: this.portForward,
            claimName: this.claimName,
        });
    }
}
