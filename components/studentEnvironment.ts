/**
 * One student's environment: namespace, access, quota, isolation and persistent `home` storage.
 *
 * Isolation (README, "Security model"): Pod Security `restricted` on the namespace plus the cluster-wide
 * StudentPolicies (studentPolicies.ts) that match the namespace by its `kube-volume-lab/student` label;
 * ingress only from the namespace's own pods; egress only to them, cluster DNS and the public internet
 * (students cannot change either: StudentPolicies refuses their NetworkPolicy writes); a quota that forbids
 * LoadBalancer and NodePort Services, Ingresses and the denied storage classes, and caps object counts. Every workload this
 * component deploys runs as the student's uid/gid, non-root, with no capability (podSecurity.ts).
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
import { studentPodSecurityLabels, studentWorkloadTransformation } from "./podSecurity";
import {
    STUDENT_NAMESPACE_LABEL,
    deniedResourceQuota,
    egressExceptCidrs,
    studentEgressPolicySpec,
    studentIngressPolicySpec,
} from "./studentPolicies";

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
    app?: { frontImage: string; backImage: string };
    /**
     * Storage classes the student may not claim: quota `<class>.storageclass.storage.k8s.io/
     * persistentvolumeclaims: 0`. Default: none.
     */
    deniedStorageClasses?: string[];
    /**
     * The cluster's own address ranges (nodes, pods, services, storage servers). Student egress to the
     * internet excludes them, on top of RFC 1918, 100.64.0.0/10 and link-local (see studentPolicies.ts).
     * Default: none beyond those (the Platform's `clusterCidrs`).
     */
    clusterCidrs?: pulumi.Input<string>[];
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
        const studentLabel = { [STUDENT_NAMESPACE_LABEL]: student, "app.kubernetes.io/part-of": "kube-volume-lab" };

        const ns = new k8s.core.v1.Namespace(
            `${name}-ns`,
            {
                metadata: {
                    name: nsName,
                    labels: { ...studentLabel, ...studentPodSecurityLabels() },
                },
            },
            // Explicitly after what the component waits for (the admission policies among them): no pod
            // may ever run in this namespace before the rules that govern it exist.
            { parent: this, dependsOn: opts?.dependsOn },
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
                        ...deniedResourceQuota(args.deniedStorageClasses ?? []),
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

        // --- Isolation: ingress only from this namespace; egress to it, cluster DNS and the internet.
        new k8s.networking.v1.NetworkPolicy(
            `${name}-isolation`,
            { metadata: meta("deny-from-other-namespaces"), spec: studentIngressPolicySpec() },
            inNs,
        );
        new k8s.networking.v1.NetworkPolicy(
            `${name}-egress`,
            {
                metadata: meta("egress-dns-and-internet-only"),
                spec: pulumi.all(args.clusterCidrs ?? []).apply((cidrs) => studentEgressPolicySpec(egressExceptCidrs(cidrs))),
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
                // The course's component picks its own security contexts; in a student namespace every
                // workload runs as the student instead, as Pod Security `restricted` requires.
                { parent: this, dependsOn: [claim], transformations: [studentWorkloadTransformation(args.uid)] },
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
