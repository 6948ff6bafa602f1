/**
 * distinct-updater (mborne/k8s-experiments): an nginx server Deployment and a separate loop
 * Deployment that writes the date into index.html every second, sharing one claim. Shows that
 * ReadWriteOnce is per node: with no placement rule, pods on a second node never start.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import {
    BUSYBOX_IMAGE,
    NGINX_PORT,
    NGINX_UID,
    NGINX_UNPRIVILEGED_IMAGE,
    RESOURCES,
    SKIP_AWAIT,
    appLabels,
    countProblem,
    createNamespace,
    namespaceProblem,
    oneOfProblem,
    podSecurity,
    portForwardCommand,
    rejectInvalid,
    requiredProblem,
    restrictedContainer,
    rootWriterContainer,
    selectorLabels,
} from "./common";

const TYPE = "kvl:apps:DistinctUpdater";

/** How the server and the loop share the claim. */
export type DistinctUpdaterMode = "rwo" | "affinity" | "rwx";
export const DISTINCT_UPDATER_MODES: readonly DistinctUpdaterMode[] = ["rwo", "affinity", "rwx"];

/** Object names, as in the course. */
export const DISTINCT_UPDATER_NAMES = {
    server: "distinct-updater-server",
    loop: "distinct-updater-loop",
    claim: "distinct-updater-pvc",
    service: "distinct-updater",
    /** Name of the volume in both pod templates. */
    volume: "distinct-updater-data",
} as const;

/** Where nginx serves from and the loop writes to. */
export const HTML_DIR = "/usr/share/nginx/html";
/** The loop's script. */
export const LOOP_SCRIPT = `while true; do date > ${HTML_DIR}/index.html; sleep 1; done`;
/** Local port of the port-forward command. */
export const DISTINCT_UPDATER_LOCAL_PORT = 8888;

export interface DistinctUpdaterArgs {
    /** Namespace the component creates and puts every object in. Required. */
    namespace: string;
    /**
     * - `rwo`: the course's broken base: a ReadWriteOnce claim on `rwoStorageClass` and no placement
     *   rule. Kept on purpose: server pods scheduled on another node than the first user of the
     *   volume stay in ContainerCreating with a Multi-Attach error. The policy pack rejects it.
     * - `affinity`: ReadWriteOnce, and every server pod has a required podAffinity (hostname) to the
     *   loop pod, so all pods land on the loop's node and run.
     * - `rwx`: a ReadWriteMany claim on `rwxStorageClass`; pods run on any node.
     */
    mode: DistinctUpdaterMode;
    /** Storage class of the claim in modes `rwo` and `affinity`. Required. */
    rwoStorageClass: string;
    /** Storage class of the claim in mode `rwx`; required in that mode. Default: none. */
    rwxStorageClass?: string;
    /** Replicas of the server Deployment. Default 5 (the course's). */
    replicas?: number;
    /** Size the claim requests. Default "1Gi" (the course asked 1Mi; most provisioners round up to 1Gi anyway). */
    storageSize?: string;
}

export class DistinctUpdater extends pulumi.ComponentResource {
    /** The namespace everything is in. */
    public readonly namespace: pulumi.Output<string>;
    /** Storage class of the claim. */
    public readonly storageClassName: pulumi.Output<string>;
    /** The command that makes the page reachable on http://localhost:8888/. */
    public readonly portForward: pulumi.Output<string>;
    /** The mode this instance was built in. */
    public readonly mode: pulumi.Output<DistinctUpdaterMode>;
    /** Access mode of the claim: ReadWriteOnce or ReadWriteMany. */
    public readonly accessMode: pulumi.Output<string>;
    /** Name of the shared claim. */
    public readonly claimName: pulumi.Output<string>;

    constructor(name: string, args: DistinctUpdaterArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE, name, {}, opts);
        const replicas = args.replicas ?? 5;
        const storageSize = args.storageSize ?? "1Gi";
        rejectInvalid(
            this,
            namespaceProblem("DistinctUpdater", args.namespace),
            oneOfProblem("DistinctUpdater", "mode", args.mode, DISTINCT_UPDATER_MODES),
            args.mode === "rwx"
                ? requiredProblem(
                      "DistinctUpdater",
                      "rwxStorageClass",
                      args.rwxStorageClass,
                      'in mode "rwx", but the cluster has no ReadWriteMany storage class: ' +
                          'use mode "affinity" (ReadWriteOnce with the server pods on the loop\'s node), ' +
                          "or give the platform a ReadWriteMany backend",
                  )
                : requiredProblem(
                      "DistinctUpdater",
                      "rwoStorageClass",
                      args.rwoStorageClass,
                      `in mode "${args.mode}"`,
                  ),
            countProblem("DistinctUpdater", "replicas", replicas),
        );

        const N = DISTINCT_UPDATER_NAMES;
        const rwx = args.mode === "rwx";
        const storageClassName = rwx ? (args.rwxStorageClass as string) : args.rwoStorageClass;
        const accessMode = rwx ? "ReadWriteMany" : "ReadWriteOnce";
        // In mode rwo the demo fails by design; Pulumi must not wait 10 minutes for pods that never start.
        const annotations = args.mode === "rwo" ? { ...SKIP_AWAIT } : undefined;

        const ns = createNamespace(name, args.namespace, this);
        const namespace = ns.metadata.name;

        new k8s.core.v1.PersistentVolumeClaim(
            `${name}-pvc`,
            {
                metadata: { name: N.claim, namespace, labels: appLabels("distinct-updater", name) },
                spec: {
                    accessModes: [accessMode],
                    storageClassName,
                    resources: { requests: { storage: storageSize } },
                },
            },
            { parent: this },
        );

        const volumes = [{ name: N.volume, persistentVolumeClaim: { claimName: N.claim } }];
        const volumeMounts = [{ name: N.volume, mountPath: HTML_DIR }];

        // The loop: a single writer. On a ReadWriteOnce claim its update strategy is Recreate: a
        // rolling update would start the new loop pod before stopping the old one, possibly on
        // another node, where it could never attach the volume. Recreate alone does not pin the
        // replacement pod: in mode affinity it also prefers (weight 100) the node of the server
        // pods, which still hold the volume there, so a restarted loop goes back to that node.
        // Preferred, not required: on first deployment no server pod exists yet, and the servers
        // themselves wait for the loop (their required affinity), so a required term would deadlock.
        const loopAffinity: k8s.types.input.core.v1.Affinity | undefined =
            args.mode === "affinity"
                ? {
                      podAffinity: {
                          preferredDuringSchedulingIgnoredDuringExecution: [
                              {
                                  weight: 100,
                                  podAffinityTerm: {
                                      labelSelector: { matchLabels: selectorLabels(N.server) },
                                      topologyKey: "kubernetes.io/hostname",
                                  },
                              },
                          ],
                      },
                  }
                : undefined;
        new k8s.apps.v1.Deployment(
            `${name}-loop`,
            {
                metadata: { name: N.loop, namespace, labels: appLabels(N.loop, name), annotations },
                spec: {
                    replicas: 1,
                    strategy: rwx ? { type: "RollingUpdate" } : { type: "Recreate" },
                    selector: { matchLabels: selectorLabels(N.loop) },
                    template: {
                        metadata: { labels: appLabels(N.loop, name) },
                        spec: {
                            affinity: loopAffinity,
                            // fsGroup: on volumes that support it, the directory becomes group-owned by
                            // nginx's group, so the server can always read what the loop writes.
                            securityContext: podSecurity({ fsGroup: NGINX_UID }),
                            containers: [
                                {
                                    name: "loop",
                                    image: BUSYBOX_IMAGE,
                                    command: ["/bin/sh"],
                                    args: ["-c", LOOP_SCRIPT],
                                    volumeMounts,
                                    resources: RESOURCES.busybox,
                                    // Root, without capabilities: see rootWriterContainer.
                                    securityContext: rootWriterContainer(),
                                },
                            ],
                            volumes,
                        },
                    },
                },
            },
            { parent: this },
        );

        // The server: in mode affinity every pod must run where the loop pod runs (required
        // podAffinity, hostname topology), so the volume is attached to one node only.
        // Its strategy stays RollingUpdate (maxSurge 1, maxUnavailable 0, so the page never goes
        // down): surge pods carry the same required affinity, so they are scheduled on the loop's
        // node too and mount the volume the old pods already hold there; they can never land on
        // another node. Recreate would only add downtime.
        const affinity: k8s.types.input.core.v1.Affinity | undefined =
            args.mode === "affinity"
                ? {
                      podAffinity: {
                          requiredDuringSchedulingIgnoredDuringExecution: [
                              {
                                  labelSelector: { matchLabels: selectorLabels(N.loop) },
                                  topologyKey: "kubernetes.io/hostname",
                              },
                          ],
                      },
                  }
                : undefined;
        new k8s.apps.v1.Deployment(
            `${name}-server`,
            {
                metadata: {
                    name: N.server,
                    namespace,
                    labels: appLabels(N.server, name),
                    annotations,
                },
                spec: {
                    replicas,
                    strategy: {
                        type: "RollingUpdate",
                        rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
                    },
                    selector: { matchLabels: selectorLabels(N.server) },
                    template: {
                        metadata: { labels: appLabels(N.server, name) },
                        spec: {
                            affinity,
                            securityContext: podSecurity({ user: NGINX_UID, fsGroup: NGINX_UID }),
                            containers: [
                                {
                                    name: "server",
                                    image: NGINX_UNPRIVILEGED_IMAGE,
                                    ports: [{ name: "http", containerPort: NGINX_PORT }],
                                    volumeMounts,
                                    resources: RESOURCES.nginx,
                                    securityContext: restrictedContainer(),
                                    // Ready once the loop has written index.html (403 before that);
                                    // alive as long as nginx accepts connections.
                                    readinessProbe: {
                                        httpGet: { path: "/", port: "http" },
                                        periodSeconds: 5,
                                    },
                                    livenessProbe: {
                                        tcpSocket: { port: "http" },
                                        periodSeconds: 10,
                                    },
                                },
                            ],
                            volumes,
                        },
                    },
                },
            },
            { parent: this },
        );

        new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: {
                    name: N.service,
                    namespace,
                    labels: appLabels("distinct-updater", name),
                },
                spec: {
                    type: "ClusterIP",
                    selector: selectorLabels(N.server),
                    ports: [{ name: "http", port: 80, targetPort: NGINX_PORT }],
                },
            },
            { parent: this },
        );

        this.namespace = namespace;
        this.storageClassName = pulumi.output(storageClassName);
        this.portForward = portForwardCommand(
            namespace,
            N.service,
            DISTINCT_UPDATER_LOCAL_PORT,
            80,
        );
        this.mode = pulumi.output(args.mode);
        this.accessMode = pulumi.output(accessMode);
        this.claimName = pulumi.output(N.claim);
        this.registerOutputs({
            namespace: this.namespace,
            storageClassName: this.storageClassName,
            portForward: this.portForward,
            mode: this.mode,
            accessMode: this.accessMode,
            claimName: this.claimName,
        });
    }
}
