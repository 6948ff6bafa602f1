/**
 * side-updater (mborne/k8s-experiments): the same nginx server and date loop as distinct-updater,
 * but as two containers of ONE pod sharing one ReadWriteOnce claim. Correct by construction: one
 * pod is on one node, and Recreate never runs an old and a new pod at the same time.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import {
    HTML_DIR,
    NGINX_PORT,
    NGINX_UID,
    appLabels,
    createClaim,
    createClusterIpService,
    createNamespace,
    dateLoopContainer,
    namespaceProblem,
    nginxServerContainer,
    podSecurity,
    portForwardCommand,
    rejectInvalid,
    requiredProblem,
    selectorLabels,
} from "./common";

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

        createClaim(
            `${name}-pvc`,
            {
                name: N.claim,
                namespace,
                labels: appLabels(N.deployment, name),
                accessMode: "ReadWriteOnce",
                storageClassName: args.storageClassName,
                size: storageSize,
            },
            this,
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
                            // The loop runs as root without capabilities, overriding the pod's
                            // uid 101: see rootWriterContainer (the class may be an NFS-like one).
                            containers: [nginxServerContainer(volumeMounts), dateLoopContainer(volumeMounts)],
                            volumes: [
                                { name: N.volume, persistentVolumeClaim: { claimName: N.claim } },
                            ],
                        },
                    },
                },
            },
            { parent: this },
        );

        createClusterIpService(
            `${name}-service`,
            {
                name: N.service,
                namespace,
                labels: appLabels(N.deployment, name),
                selector: selectorLabels(N.deployment),
                ports: [{ name: "http", port: 80, targetPort: NGINX_PORT }],
            },
            this,
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
