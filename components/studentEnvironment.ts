/**
 * One student's environment: namespace, access, quota, isolation and persistent `home` storage.
 *
 * Every child's logical name starts with the student's name, so adding, removing or reordering other
 * students never changes this student's resources. The platform's hooks create the backing store
 * (EFS access point, Filestore directory, dynamic claim) as children of this component.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { renderKubeconfig } from "../platforms/kubeconfig";
import type { StudentHooks } from "../platforms/types";
import { Chatroulette } from "./chatroulette";

const TYPE = "kvl:students:StudentEnvironment";

/** Name of every student's claim. */
export const HOME_CLAIM = "home";
/** Prefix of every student's namespace. */
export const NAMESPACE_PREFIX = "student-";

/** Quota and default container resources of a student namespace. */
export interface StudentQuota {
    /** Total CPU requests and limits (quantity). */
    cpu: string;
    /** Total memory requests and limits (quantity). */
    memory: string;
    /** Pods at most. */
    pods: number;
    /** PersistentVolumeClaims at most (the home claim counts). */
    claims: number;
    /** Total storage requested by claims. */
    storage: string;
    defaultCpuRequest: string;
    defaultMemoryRequest: string;
    defaultCpuLimit: string;
    defaultMemoryLimit: string;
}

export interface StudentEnvironmentArgs {
    /** The student's name, a DNS label; the namespace is `student-<name>`. */
    studentName: string;
    /** POSIX uid (and gid) of the student's files. */
    uid: number;
    /** The student's platform identity, bound to `edit` in the namespace when set. */
    identity?: string;
    /** Quota and LimitRange values. */
    quota: StudentQuota;
    /** Platform hooks that create the home volume and grant the identity. */
    hooks: StudentHooks;
    /** API server and CA for the exported kubeconfig; no kubeconfig is exported without them. */
    apiServer?: { server: pulumi.Input<string>; caData: pulumi.Input<string> };
    /**
     * Deploy the course's Chatroulette in the namespace, its backend mounting `home` at /images.
     * Default: not deployed.
     */
    app?: { frontImage?: string; backImage?: string };
}

export class StudentEnvironment extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    readonly serviceAccount: pulumi.Output<string>;
    readonly claimName: pulumi.Output<string>;
    readonly storageClassName: pulumi.Output<string>;
    /** The PersistentVolume the home claim is pre-bound to, when the platform made one. */
    readonly volumeName: pulumi.Output<string | undefined>;
    readonly storageBacking: pulumi.Output<string>;
    /** Kubeconfig with the student's service-account token, defaulting to their namespace (secret). */
    readonly kubeconfig: pulumi.Output<string | undefined>;

    constructor(name: string, args: StudentEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE, name, {}, opts);
        const student = args.studentName;
        const nsName = `${NAMESPACE_PREFIX}${student}`;
        if (nsName.length > 63) {
            throw new pulumi.ResourceError(`student name ${student} makes namespace ${nsName} longer than 63 characters`, this);
        }
        const studentLabel = { "kube-volume-lab/student": student, "app.kubernetes.io/part-of": "kube-volume-lab" };

        const ns = new k8s.core.v1.Namespace(
            `${name}-ns`,
            {
                metadata: {
                    name: nsName,
                    labels: {
                        ...studentLabel,
                        "pod-security.kubernetes.io/enforce": "baseline",
                        "pod-security.kubernetes.io/warn": "restricted",
                        "pod-security.kubernetes.io/audit": "restricted",
                    },
                },
            },
            { parent: this },
        );
        const inNs = { parent: this, dependsOn: [ns] };
        const meta = (objectName: string) => ({ name: objectName, namespace: nsName, labels: studentLabel });

        // --- Access: a service account and the identity, bound to `edit` in this namespace only.
        const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: meta("student") }, inNs);
        const subjects = args.hooks.grantIdentity(
            { name: student, uid: args.uid, identity: args.identity },
            nsName,
            this,
        );
        new k8s.rbac.v1.RoleBinding(
            `${name}-edit`,
            {
                metadata: meta("student-edit"),
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
                subjects: [
                    { kind: "ServiceAccount", name: "student", namespace: nsName },
                    ...subjects.map((s) => ({ apiGroup: "rbac.authorization.k8s.io", kind: s.kind, name: s.name })),
                ],
            },
            inNs,
        );
        const token = new k8s.core.v1.Secret(
            `${name}-token`,
            {
                metadata: { ...meta("student-token"), annotations: { "kubernetes.io/service-account.name": "student" } },
                type: "kubernetes.io/service-account-token",
            },
            { parent: this, dependsOn: [sa] },
        );

        // --- Quota and defaults.
        const q = args.quota;
        new k8s.core.v1.ResourceQuota(
            `${name}-quota`,
            {
                metadata: meta("student-quota"),
                spec: {
                    hard: {
                        "requests.cpu": q.cpu,
                        "limits.cpu": q.cpu,
                        "requests.memory": q.memory,
                        "limits.memory": q.memory,
                        pods: String(q.pods),
                        persistentvolumeclaims: String(q.claims),
                        "requests.storage": q.storage,
                    },
                },
            },
            inNs,
        );
        new k8s.core.v1.LimitRange(
            `${name}-limits`,
            {
                metadata: meta("student-limits"),
                spec: {
                    limits: [
                        {
                            type: "Container",
                            defaultRequest: { cpu: q.defaultCpuRequest, memory: q.defaultMemoryRequest },
                            default: { cpu: q.defaultCpuLimit, memory: q.defaultMemoryLimit },
                        },
                    ],
                },
            },
            inNs,
        );

        // --- Isolation: ingress only from this namespace. Egress (DNS included) stays open.
        new k8s.networking.v1.NetworkPolicy(
            `${name}-isolation`,
            {
                metadata: meta("deny-from-other-namespaces"),
                spec: {
                    podSelector: {},
                    policyTypes: ["Ingress"],
                    ingress: [{ from: [{ podSelector: {} }] }],
                },
            },
            inNs,
        );

        // --- Storage: the platform's backing store, claimed as `home`.
        const home = args.hooks.provisionHome(
            { name: student, uid: args.uid, identity: args.identity },
            nsName,
            HOME_CLAIM,
            this,
        );
        const claim = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-home`,
            {
                metadata: meta(HOME_CLAIM),
                spec: {
                    accessModes: home.accessModes,
                    storageClassName: home.storageClassName,
                    volumeName: home.volumeName,
                    resources: { requests: { storage: home.size } },
                },
            },
            inNs,
        );

        if (args.app) {
            new Chatroulette(
                `${name}-chatroulette`,
                {
                    namespace: nsName,
                    createNamespace: false,
                    frontImage: args.app.frontImage,
                    backImage: args.app.backImage,
                    storage: { existingClaim: HOME_CLAIM },
                },
                { parent: this, dependsOn: [claim] },
            );
        }

        this.namespace = ns.metadata.name;
        this.serviceAccount = sa.metadata.name;
        this.claimName = claim.metadata.name;
        this.storageClassName = pulumi.output(home.storageClassName);
        this.volumeName = pulumi.output(home.volumeName);
        this.storageBacking = pulumi.output(home.backing);
        const api = args.apiServer;
        this.kubeconfig = api
            ? pulumi.secret(
                  pulumi
                      .all([api.server, api.caData, token.data])
                      .apply(([server, caData, data]) =>
                          renderKubeconfig({
                              name: nsName,
                              server,
                              caData,
                              namespace: nsName,
                              user: { token: Buffer.from(data?.token ?? "", "base64").toString("utf8") },
                          }),
                      ),
              )
            : pulumi.output(undefined);

        this.registerOutputs({
            namespace: this.namespace,
            claimName: this.claimName,
            storageClassName: this.storageClassName,
            volumeName: this.volumeName,
            kubeconfig: this.kubeconfig,
        });
    }
}
