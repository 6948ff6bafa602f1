/**
 * distinct-updater (mborne/k8s-experiments): an nginx server Deployment and a separate loop
 * Deployment that writes the date into index.html every second, sharing one claim. Shows that
 * ReadWriteOnce is per node: with no placement rule, pods on a second node never start.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import {
    HTML_DIR,
    NGINX_PORT,
    NGINX_UID,
    SKIP_AWAIT,
    appLabels,
    countProblem,
    createClaim,
    createClusterIpService,
    createNamespace,
    dateLoopContainer,
    dateLoopScript,
    namespaceProblem,
    nginxServerContainer,
    oneOfProblem,
    podSecurity,
    portForwardCommand,
    rejectInvalid,
    requiredProblem,
    selectorLabels,
    NEW_CLAIM_TIMEOUTS,
} from "./common";

const TYPE = "kvl:apps:DistinctUpdater";

/** How the server and the loop share the claim. */
export const DISTINCT_UPDATER_MODES = ["rwo", "affinity", "rwx"] as const;
export type DistinctUpdaterMode = (typeof DISTINCT_UPDATER_MODES)[number];

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
export { HTML_DIR };
/** The loop's script: the date into a temporary file, renamed over index.html (see dateLoopScript). */
export const LOOP_SCRIPT = dateLoopScript(HTML_DIR);
/**
 * Label every loop and server pod carries (value: the claim's name): the one selector of the
 * required podAffinity in mode `affinity`.
 */
export const VOLUME_GROUP_LABEL = "kube-volume-lab/volume-group";
/** Local port of the port-forward command. */
export const DISTINCT_UPDATER_LOCAL_PORT = 8888;

export interface DistinctUpdaterArgs {
    /** Namespace the component creates and puts every object in. Required. */
    namespace: string;
    /**
     * - `rwo`: the course's broken base: a ReadWriteOnce claim on `rwoStorageClass` and no placement
     *   rule. Kept on purpose: server pods scheduled on another node than the first user of the
     *   volume stay in ContainerCreating with a Multi-Attach error. The policy pack rejects it.
     * - `affinity`: ReadWriteOnce, and every loop and server pod carries the label
     *   {@link VOLUME_GROUP_LABEL} and a required podAffinity (hostname) to that label: every pod of
     *   the group lands on the node of the first one, where the volume is attached, and runs.
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

        createClaim(
            `${name}-pvc`,
            {
                name: N.claim,
                namespace,
                labels: appLabels("distinct-updater", name),
                accessMode,
                storageClassName,
                size: storageSize,
            },
            this,
        );

        const volumes = [{ name: N.volume, persistentVolumeClaim: { claimName: N.claim } }];
        const volumeMounts = [{ name: N.volume, mountPath: HTML_DIR }];
        // Every loop and server pod carries the group label, in every mode (labels stay stable when
        // the mode changes); only mode affinity makes it a placement rule.
        const group = { [VOLUME_GROUP_LABEL]: N.claim };

        // Mode affinity: loop AND server pods require (hostname) a pod of the group on their node,
        // so every pod follows the first one, wherever it landed, and no pod of the group can be
        // placed on another node while one of them runs. The first pod can start although no pod
        // of the group exists yet: kube-scheduler lets a pod whose required terms match its own
        // labels pass when no pod in the cluster matches them (kubernetes pkg/scheduler/framework/
        // plugins/interpodaffinity/filtering.go, satisfyPodAffinity; satisfiesSelfAffinityCheck on
        // master: "This pod may be the first pod in a series that have affinity to themselves").
        // A pod counts as soon as the scheduler assumes it on a node (pkg/scheduler cache AssumePod
        // adds it to that node's NodeInfo, before binding), so loop and server pods created together
        // and scheduled one after the other land together. A replaced loop pod (Recreate) or a surge
        // server pod (RollingUpdate) therefore lands where the remaining pods hold the volume, or
        // stays Pending if that node is full; it never hangs on Multi-Attach on another node.
        const affinity: k8s.types.input.core.v1.Affinity | undefined =
            args.mode === "affinity"
                ? {
                      podAffinity: {
                          requiredDuringSchedulingIgnoredDuringExecution: [
                              {
                                  labelSelector: { matchLabels: group },
                                  topologyKey: "kubernetes.io/hostname",
                              },
                          ],
                      },
                  }
                : undefined;

        // The loop: a single writer. On a ReadWriteOnce claim its update strategy is Recreate: a
        // rolling update would start the new loop pod before stopping the old one.
        new k8s.apps.v1.Deployment(
            `${name}-loop`,
            {
                metadata: { name: N.loop, namespace, labels: appLabels(N.loop, name), annotations },
                spec: {
                    replicas: 1,
                    strategy: rwx ? { type: "RollingUpdate" } : { type: "Recreate" },
                    selector: { matchLabels: selectorLabels(N.loop) },
                    template: {
                        metadata: { labels: { ...appLabels(N.loop, name), ...group } },
                        spec: {
                            affinity,
                            // fsGroup: on volumes whose driver supports it (block volumes, and
                            // csi-driver-nfs, whose CSIDriver declares fsGroupPolicy File), the
                            // directory becomes group-owned by nginx's group, setgid, so the server
                            // can always read what the loop writes.
                            securityContext: podSecurity({ fsGroup: NGINX_UID }),
                            containers: [dateLoopContainer(volumeMounts)],
                            volumes,
                        },
                    },
                },
            },
            // Its pods wait for the claim created above (a new volume may take minutes).
            { parent: this, customTimeouts: NEW_CLAIM_TIMEOUTS },
        );

        // The server: RollingUpdate (maxSurge 1, maxUnavailable 0, so the page never goes down);
        // in mode affinity surge pods carry the same required affinity as every pod of the group.
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
                        metadata: { labels: { ...appLabels(N.server, name), ...group } },
                        spec: {
                            affinity,
                            securityContext: podSecurity({ user: NGINX_UID, fsGroup: NGINX_UID }),
                            containers: [nginxServerContainer(volumeMounts)],
                            volumes,
                        },
                    },
                },
            },
            // Its pods wait for the claim created above (a new volume may take minutes).
            { parent: this, customTimeouts: NEW_CLAIM_TIMEOUTS },
        );

        createClusterIpService(
            `${name}-service`,
            {
                name: N.service,
                namespace,
                labels: appLabels("distinct-updater", name),
                selector: selectorLabels(N.server),
                ports: [{ name: "http", port: 80, targetPort: NGINX_PORT }],
            },
            this,
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
