/**
 * side-updater (mborne/k8s-experiments): the same nginx server and date loop as distinct-updater,
 * but as two containers of ONE pod sharing one ReadWriteOnce claim. Correct by construction: one
 * pod is on one node, and Recreate never runs an old and a new pod at the same time.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import {
    BUSYBOX_IMAGE,
    NGINX_PORT,
    NGINX_UID,
    NGINX_UNPRIVILEGED_IMAGE,
    RESOURCES,
    appLabels,
    createNamespace,
    namespaceProblem,
    podSecurity,
    portForwardCommand,
    rejectInvalid,
    requiredProblem,
    restrictedContainer,
    rootWriterContainer,
    selectorLabels,
} from "./common";
import { HTML_DIR, LOOP_SCRIPT } from "./distinctUpdater";

const TYPE = "kvl:apps:SideUpdater";

/** Object names. */
export const SIDE_UPDATER_NAMES = {
    deployment: "side-updater",
    claim: "side-updater-pvc",
    service: "side-updater",
    volume: "side-updater-data",
} as const;
/** Local port of the port-forward command. */
export const SIDE_UPDATER_LOCAL_PORT = 8889;

export interface SideUpdaterArgs {
    /** Namespace the component creates and puts every object in. Required. */
    namespace: string;
    /** Storage class of the ReadWriteOnce claim. Required. */
    storageClassName: string;
    /** Size the claim requests. Default "1Gi". */
    storageSize?: string;
}

export class SideUpdater extends pulumi.ComponentResource {
    /** The namespace everything is in. */
    public readonly namespace: pulumi.Output<string>;
    /** Storage class of the claim. */
    public readonly storageClassName: pulumi.Output<string>;
    /** The command that makes the page reachable on http://localhost:8889/. */
    public readonly portForward: pulumi.Output<string>;
    /** Access mode of the claim (always ReadWriteOnce). */
    public readonly accessMode: pulumi.Output<string>;
    /** Name of the claim. */
    public readonly claimName: pulumi.Output<string>;

    constructor(name: string, args: SideUpdaterArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE, name, {}, opts);
        const storageSize = args.storageSize ?? "1Gi";
        rejectInvalid(
            this,
            namespaceProblem("SideUpdater", args.namespace),
            requiredProblem(
                "SideUpdater",
                "storageClassName",
                args.storageClassName,
                "(the class of the ReadWriteOnce claim)",
            ),
        );
        const N = SIDE_UPDATER_NAMES;

        const ns = createNamespace(name, args.namespace, this);
        const namespace = ns.metadata.name;

        new k8s.core.v1.PersistentVolumeClaim(
            `${name}-pvc`,
            {
                metadata: { name: N.claim, namespace, labels: appLabels(N.deployment, name) },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: args.storageClassName,
                    resources: { requests: { storage: storageSize } },
                },
            },
            { parent: this },
        );

        const volumeMounts = [{ name: N.volume, mountPath: HTML_DIR }];
        new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: { name: N.deployment, namespace, labels: appLabels(N.deployment, name) },
                spec: {
                    // One pod holds the ReadWriteOnce volume. Recreate stops it before starting its
                    // replacement, which may then be scheduled on any node; a rolling update would
                    // start the new pod first, possibly on another node, where it would hang in
                    // ContainerCreating (Multi-Attach) and stall the rollout.
                    replicas: 1,
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: selectorLabels(N.deployment) },
                    template: {
                        metadata: { labels: appLabels(N.deployment, name) },
                        spec: {
                            securityContext: podSecurity({ user: NGINX_UID, fsGroup: NGINX_UID }),
                            containers: [
                                {
                                    name: "server",
                                    image: NGINX_UNPRIVILEGED_IMAGE,
                                    ports: [{ name: "http", containerPort: NGINX_PORT }],
                                    volumeMounts,
                                    resources: RESOURCES.nginx,
                                    securityContext: restrictedContainer(),
                                    readinessProbe: {
                                        httpGet: { path: "/", port: "http" },
                                        periodSeconds: 5,
                                    },
                                    livenessProbe: {
                                        tcpSocket: { port: "http" },
                                        periodSeconds: 10,
                                    },
                                },
                                {
                                    name: "loop",
                                    image: BUSYBOX_IMAGE,
                                    command: ["/bin/sh"],
                                    args: ["-c", LOOP_SCRIPT],
                                    volumeMounts,
                                    resources: RESOURCES.busybox,
                                    // Root without capabilities, overriding the pod's uid 101: see
                                    // rootWriterContainer (the class may be an NFS-like one).
                                    securityContext: rootWriterContainer(),
                                },
                            ],
                            volumes: [
                                { name: N.volume, persistentVolumeClaim: { claimName: N.claim } },
                            ],
                        },
                    },
                },
            },
            { parent: this },
        );

        new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name: N.service, namespace, labels: appLabels(N.deployment, name) },
                spec: {
                    type: "ClusterIP",
                    selector: selectorLabels(N.deployment),
                    ports: [{ name: "http", port: 80, targetPort: NGINX_PORT }],
                },
            },
            { parent: this },
        );

        this.namespace = namespace;
        this.storageClassName = pulumi.output(args.storageClassName);
        this.portForward = portForwardCommand(namespace, N.service, SIDE_UPDATER_LOCAL_PORT, 80);
        this.accessMode = pulumi.output("ReadWriteOnce");
        this.claimName = pulumi.output(N.claim);
        this.registerOutputs({
            namespace: this.namespace,
            storageClassName: this.storageClassName,
            portForward: this.portForward,
            accessMode: this.accessMode,
            claimName: this.claimName,
        });
    }
}
