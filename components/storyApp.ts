/**
 * story (rhannachi/docker-kubernetes-roadmap, k8s-3): a small Node.js app that keeps "stories" in
 * /app/story. With emptyDir the data survives a container crash (GET /error) but not the pod;
 * with hostPath each node keeps its own copy, so two replicas on two nodes answer differently;
 * with a ReadWriteMany claim every replica sees the same data.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import {
    APP_FS_GROUP,
    NODE_IMAGE,
    RESOURCES,
    appLabels,
    countProblem,
    createClaim,
    createClusterIpService,
    createNamespace,
    namespaceProblem,
    oneOfProblem,
    podSecurity,
    portForwardCommand,
    rejectInvalid,
    rootNoCapabilitiesContainer,
    requiredProblem,
    selectorLabels,
    NEW_CLAIM_TIMEOUTS,
} from "./common";

const TYPE = "kvl:apps:StoryApp";

/*
 * The image. The course runs `rhannachi1991/k8s-story:latest`: a personal Docker Hub push whose only
 * tag is `latest`, built from k8s-3/Dockerfile (FROM node:14-alpine, an end-of-life Node.js) with no
 * digest or platform list published anywhere we can check, so it can be neither pinned nor known to
 * run on arm64 (kind on Apple Silicon). By default the component runs the same app instead:
 * {@link STORY_APP_JS}, the course's k8s-3/app.js rewritten on Node's built-in http module (no npm
 * install), from a ConfigMap, on the pinned official Node.js image {@link NODE_IMAGE}. Pass `image`
 * (e.g. the course's, or your own build of k8s-3/) to run that image's own command instead.
 */
/** The course's own image, for `StoryAppArgs.image` (only tag: `latest`; not pinned, not the default). */
export const COURSE_STORY_IMAGE = "rhannachi1991/k8s-story:latest";

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
    /** ConfigMap holding STORY_APP_JS (default image only). */
    appConfigMap: "story-app",
    /** Name of the ConfigMap's volume in the pod template (default image only). */
    appVolume: "story-app",
    /** The course's `app` label. */
    app: "story-pod",
} as const;
/** Local port of the port-forward command. */
export const STORY_LOCAL_PORT = 3000;

/** Where the default image reads {@link STORY_APP_JS} (the ConfigMap `story-app`, read-only). */
export const STORY_APP_DIR = "/opt/story-app";

/**
 * The course's app (rhannachi/docker-kubernetes-roadmap k8s-3/app.js, Express) with the same
 * routes, status codes and messages, on Node's http module: GET /healthcheck → 200 "OK"; GET /error
 * → the process exits (the container restarts); GET /story → 200 {story} or 500 "Failed to open
 * file."; POST /story {text} → 201 "Text was stored!", 422 "Text must not be empty!" or 500
 * "Storing the text failed."; data appended to /app/story/text.txt; port 3000.
 */
export const STORY_APP_JS = `const fs = require("fs");
const http = require("http");
const file = ${JSON.stringify(`${STORY_DIR}/text.txt`)};
const send = (res, status, body) => {
  const json = typeof body !== "string";
  res.writeHead(status, { "Content-Type": json ? "application/json" : "text/html; charset=utf-8" });
  res.end(json ? JSON.stringify(body) : body);
};
http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/healthcheck") return send(res, 200, "OK");
  if (req.method === "GET" && req.url === "/error") process.exit(1);
  if (req.method === "GET" && req.url === "/story") {
    return fs.readFile(file, (err, data) =>
      err ? send(res, 500, { message: "Failed to open file." }) : send(res, 200, { story: data.toString() }));
  }
  if (req.method === "POST" && req.url === "/story") {
    let raw = "";
    req.on("data", (c) => { raw += c; });
    return req.on("end", () => {
      let text;
      try { text = JSON.parse(raw).text; } catch { return send(res, 400, { message: "Invalid JSON." }); }
      if (typeof text !== "string" || text.trim().length === 0) {
        return send(res, 422, { message: "Text must not be empty!" });
      }
      fs.appendFile(file, text + "\\n", (err) =>
        err ? send(res, 500, { message: "Storing the text failed." }) : send(res, 201, { message: "Text was stored!" }));
    });
  }
  send(res, 404, { message: "Not found." });
}).listen(3000);
`;

/** Which volume holds /app/story. */
export const STORY_VOLUMES = ["emptyDir", "hostPath", "claim"] as const;
export type StoryVolume = (typeof STORY_VOLUMES)[number];

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
    /**
     * An image that serves the story app on port 3000 with its own command (e.g.
     * {@link COURSE_STORY_IMAGE}). Default: none, which runs {@link STORY_APP_JS} on the pinned
     * {@link NODE_IMAGE}.
     */
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
        const image = args.image ?? NODE_IMAGE;
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
            args.image !== undefined
                ? requiredProblem("StoryApp", "image", args.image, "to be an image reference when set")
                : undefined,
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
                createClaim(
                    `${name}-claim`,
                    {
                        name: N.claim,
                        namespace,
                        labels: appLabels(N.app, name),
                        accessMode: "ReadWriteMany",
                        storageClassName,
                        size: storageSize,
                    },
                    this,
                );
                volume = { name: N.volume, persistentVolumeClaim: { claimName: N.claim } };
                break;
        }

        // The default image runs STORY_APP_JS from this ConfigMap; a configured image runs its own command.
        const builtIn = args.image === undefined;
        if (builtIn) {
            new k8s.core.v1.ConfigMap(
                `${name}-app`,
                {
                    metadata: { name: N.appConfigMap, namespace, labels: appLabels(N.app, name) },
                    data: { "app.js": STORY_APP_JS },
                },
                { parent: this },
            );
        }
        const appVolume = { name: N.appVolume, configMap: { name: N.appConfigMap } };

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
                            // fsGroup: a configured image that runs as non-root can still write to
                            // the claim (see APP_FS_GROUP); ignored for hostPath, which only root
                            // can write (the directory kubelet creates is root-owned 0755).
                            securityContext: podSecurity({ fsGroup: APP_FS_GROUP }),
                            volumes: builtIn ? [volume, appVolume] : [volume],
                            containers: [
                                {
                                    name: "story-container",
                                    image,
                                    ...(builtIn ? { command: ["node", `${STORY_APP_DIR}/app.js`] } : {}),
                                    ports: [{ name: "web-port", containerPort: 3000 }],
                                    volumeMounts: [
                                        { name: N.volume, mountPath: STORY_DIR },
                                        ...(builtIn
                                            ? [{ name: N.appVolume, mountPath: STORY_APP_DIR, readOnly: true }]
                                            : []),
                                    ],
                                    livenessProbe: probe,
                                    readinessProbe: probe,
                                    resources: RESOURCES.app,
                                    // Root like the course's image (node images start as root): it
                                    // owns the root-owned hostPath directory; no capability needed.
                                    securityContext: rootNoCapabilitiesContainer(),
                                },
                            ],
                        },
                    },
                },
            },
            // With a claim, the pods wait for the volume created above (it may take minutes).
            args.volume === "claim" ? { parent: this, customTimeouts: NEW_CLAIM_TIMEOUTS } : { parent: this },
        );

        // ClusterIP, not the course's LoadBalancer: reached with kubectl port-forward, so the demo
        // costs no cloud load balancer and works the same on kind.
        createClusterIpService(
            `${name}-service`,
            {
                name: N.service,
                namespace,
                labels: appLabels(N.app, name),
                selector: selectorLabels(N.app),
                ports: [{ port: 80, protocol: "TCP", targetPort: "web-port" }],
            },
            this,
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
