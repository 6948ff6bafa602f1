/**
 * Cluster-wide admission rules for student namespaces, and the pure builders of each student
 * namespace's NetworkPolicies and quota. Created once (StudentPolicies) before any student.
 *
 * Pod Security `restricted` (components/podSecurity.ts) already refuses hostPath, nfs and every other
 * non-core volume type, privileged and root pods. What it still admits and a student must not use:
 * - inline `csi` volumes (check_restrictedVolumes.go lists csi as allowed): a driver that supports the
 *   Ephemeral lifecycle would mount whatever its volumeAttributes name. Refused here for every driver.
 * - Services with `spec.externalIPs` (CVE-2020-8554: intercepts traffic for any address in the cluster);
 *   Kubernetes only refuses them with the DenyServiceExternalIPs admission plugin, which managed clusters
 *   do not let us enable (https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#denyserviceexternalips).
 * - NetworkPolicies of their own: `edit` may create, update and delete networking.k8s.io networkpolicies
 *   (kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/cluster-roles.yaml,
 *   system:aggregate-to-edit), and policies are additive (a connection is allowed if any policy selecting
 *   the pod allows it: https://kubernetes.io/docs/concepts/services-networking/network-policies/), so one
 *   `egress: [{}]` policy, or deleting ours, would undo the egress rule. Refused for everyone who could not
 *   delete the admission policy itself (the cluster's admins, the namespace controller), and while the
 *   namespace is being deleted.
 * The volume policy also refuses every volume type `restricted` refuses, so a namespace someone relabels
 * to a weaker Pod Security level keeps the storage rule, and it reads the pod templates of every
 * workload kind `edit` may create, so `kubectl apply` of such a Deployment fails at once instead of its
 * ReplicaSet failing to create pods later (Pod Security only warns on workloads:
 * https://kubernetes.io/docs/concepts/security/pod-security-admission/#workload-resources-and-pod-templates).
 *
 * ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1, GA in Kubernetes 1.30):
 * https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/ — `object` is the
 * incoming object; `has(x.f)` tests field presence; `validationActions: ["Deny"]` rejects the request; the
 * binding's `matchResources.namespaceSelector` limits it to labelled namespaces. Type checking against the
 * schema only reports warnings in `status.typeChecking` ("Type Checking" section), so naming a volume type
 * a cluster's schema lacks (e.g. `image` before 1.31) does not break the policy.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

const TYPE = "kvl:students:StudentPolicies";

/**
 * Label every student namespace carries (value: the student's name). Students cannot change it: `edit`
 * is bound in their namespace only, and Namespace objects are cluster-scoped, so a RoleBinding cannot
 * grant updates to them (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#role-and-clusterrole).
 */
export const STUDENT_NAMESPACE_LABEL = "kube-volume-lab/student";

/** Volume types a student pod may use: data the pod's own namespace holds, or scratch space. */
export const SAFE_VOLUME_TYPES = [
    "configMap",
    "secret",
    "downwardAPI",
    "projected",
    "emptyDir",
    "persistentVolumeClaim",
    "ephemeral",
] as const;

/**
 * Every other volume source of core/v1 Volume (the Kubernetes API reference; the same list as
 * `k8s.types.input.core.v1.Volume` in @pulumi/kubernetes, which test/attacks.test.ts compares it to).
 */
export const DENIED_VOLUME_TYPES = [
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "csi",
    "fc",
    "flexVolume",
    "flocker",
    "gcePersistentDisk",
    "gitRepo",
    "glusterfs",
    "hostPath",
    "image",
    "iscsi",
    "nfs",
    "photonPersistentDisk",
    "portworxVolume",
    "quobyte",
    "rbd",
    "scaleIO",
    "storageos",
    "vsphereVolume",
] as const;

/**
 * The resources the volume policy reads: pods, and every workload `edit` may create (system:aggregate-to-edit: pods, replicationcontrollers; apps
 * daemonsets, deployments, replicasets, statefulsets; batch cronjobs, jobs).
 */
export const POD_SPEC_RESOURCES = [
    { group: "", resource: "pods" },
    { group: "", resource: "replicationcontrollers" },
    { group: "apps", resource: "deployments" },
    { group: "apps", resource: "replicasets" },
    { group: "apps", resource: "statefulsets" },
    { group: "apps", resource: "daemonsets" },
    { group: "batch", resource: "jobs" },
    { group: "batch", resource: "cronjobs" },
] as const;

/**
 * CEL variable `volumes`: the volumes of the pod, or of the pod template, the request carries (an empty
 * list when it has none), for every resource of {@link POD_SPEC_RESOURCES}. `request.resource.resource` is
 * the plural resource name of the request (AdmissionRequest.resource). `has()` tests the presence of the
 * last field only; objects reach validating admission after the API server has validated them, so every
 * field up to `volumes` exists (and a runtime error would deny: failurePolicy Fail).
 */
export const POD_VOLUMES_VARIABLE_EXPRESSION =
    "request.resource.resource == 'pods' ? (has(object.spec.volumes) ? object.spec.volumes : []) : " +
    "request.resource.resource == 'cronjobs' ? " +
    "(has(object.spec.jobTemplate.spec.template.spec.volumes) ? object.spec.jobTemplate.spec.template.spec.volumes : []) : " +
    "(has(object.spec.template.spec.volumes) ? object.spec.template.spec.volumes : [])";

/** CEL: true when no volume (variable `volumes`) has a denied source. */
export function volumeRuleExpression(denied: readonly string[] = DENIED_VOLUME_TYPES): string {
    return `variables.volumes.all(v, ${denied.map((t) => `!has(v.${t})`).join(" && ")})`;
}

/** CEL: true when the Service sets no externalIPs. */
export const EXTERNAL_IPS_RULE_EXPRESSION = "!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0";

/** Names of the cluster-scoped admission objects. */
export const POLICY_NAMES = {
    volumes: "kvl-student-pod-volumes",
    externalIPs: "kvl-student-service-external-ips",
    networkPolicies: "kvl-student-network-policies",
} as const;

/**
 * CEL match conditions of the NetworkPolicy rule: it applies unless the requester may delete the rule
 * itself (then they could remove it anyway: cluster admins, and the namespace controller, whose role may
 * delete every resource, kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy/controller_policy.go
 * "namespace-controller"), and not while the namespace is being deleted. `authorizer` runs the API
 * server's own authorization for the request's user (k8s.io/apiserver pkg/cel/library/authz.go:
 * group().resource().name().check(verb).allowed()); `namespaceObject` is the request's Namespace
 * (https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/#validation-expression).
 */
export const NETWORK_POLICY_MATCH_CONDITIONS = [
    {
        name: "not-an-admin",
        expression:
            `!authorizer.group('admissionregistration.k8s.io').resource('validatingadmissionpolicies')` +
            `.name('${POLICY_NAMES.networkPolicies}').check('delete').allowed()`,
    },
    { name: "namespace-not-terminating", expression: "!has(namespaceObject.metadata.deletionTimestamp)" },
] as const;

/** Matches the namespaces of students. */
export const STUDENT_NAMESPACE_SELECTOR = {
    matchExpressions: [{ key: STUDENT_NAMESPACE_LABEL, operator: "Exists" }],
};

export interface StudentPoliciesArgs {
    /** Volume sources refused in student pods. Default {@link DENIED_VOLUME_TYPES}. */
    deniedVolumeTypes?: readonly string[];
}

/** The admission policies and bindings every student namespace is subject to (cluster-scoped, once). */
export class StudentPolicies extends pulumi.ComponentResource {
    /** Names of the ValidatingAdmissionPolicies. */
    readonly policyNames: pulumi.Output<string[]>;

    constructor(name: string, args: StudentPoliciesArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE, name, {}, opts);
        const denied = args.deniedVolumeTypes ?? DENIED_VOLUME_TYPES;
        const podGroups = [...new Set(POD_SPEC_RESOURCES.map((r) => r.group))];
        const rules: {
            key: keyof typeof POLICY_NAMES;
            resourceRules: k8s.types.input.admissionregistration.v1.NamedRuleWithOperations[];
            matchConditions?: { name: string; expression: string }[];
            variables?: { name: string; expression: string }[];
            expression: string;
            message: string;
        }[] = [
            {
                key: "volumes",
                resourceRules: podGroups.map((group) => ({
                    apiGroups: [group],
                    apiVersions: ["v1"],
                    operations: ["CREATE", "UPDATE"],
                    resources: POD_SPEC_RESOURCES.filter((r) => r.group === group).map((r) => r.resource),
                })),
                variables: [{ name: "volumes", expression: POD_VOLUMES_VARIABLE_EXPRESSION }],
                expression: volumeRuleExpression(denied),
                message:
                    `student pods may only use ${SAFE_VOLUME_TYPES.join(", ")} volumes ` +
                    "(no inline csi, nfs, hostPath... volumes: they would reach other students' storage)",
            },
            {
                key: "externalIPs",
                resourceRules: [
                    { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["services"] },
                ],
                expression: EXTERNAL_IPS_RULE_EXPRESSION,
                message: "student Services may not set spec.externalIPs (CVE-2020-8554)",
            },
            {
                key: "networkPolicies",
                resourceRules: [
                    {
                        apiGroups: ["networking.k8s.io"],
                        apiVersions: ["v1"],
                        operations: ["CREATE", "UPDATE", "DELETE"],
                        resources: ["networkpolicies"],
                    },
                ],
                matchConditions: NETWORK_POLICY_MATCH_CONDITIONS.map((c) => ({ ...c })),
                expression: "false",
                message:
                    "students may not create, change or delete NetworkPolicies: the namespace's own policies " +
                    "keep its pods off other namespaces, the nodes and the storage servers",
            },
        ];
        const made: pulumi.Output<string>[] = [];
        for (const rule of rules) {
            const policyName = POLICY_NAMES[rule.key];
            const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
                `${name}-${rule.key}`,
                {
                    metadata: { name: policyName, labels: { "app.kubernetes.io/part-of": "kube-volume-lab" } },
                    spec: {
                        failurePolicy: "Fail",
                        matchConstraints: { resourceRules: rule.resourceRules },
                        matchConditions: rule.matchConditions,
                        variables: rule.variables,
                        validations: [{ expression: rule.expression, message: rule.message, reason: "Forbidden" }],
                    },
                },
                { parent: this },
            );
            new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
                `${name}-${rule.key}-binding`,
                {
                    metadata: { name: policyName, labels: { "app.kubernetes.io/part-of": "kube-volume-lab" } },
                    spec: {
                        policyName,
                        validationActions: ["Deny"],
                        matchResources: { namespaceSelector: STUDENT_NAMESPACE_SELECTOR },
                    },
                },
                { parent: this, dependsOn: [policy] },
            );
            made.push(policy.metadata.name);
        }
        this.policyNames = pulumi.all(made);
        this.registerOutputs({ policyNames: this.policyNames });
    }
}

// ---------------------------------------------------------------------------------------------
// Network: what a student pod may reach.

/**
 * Ranges no student pod may reach, on any platform: RFC 1918 private space (nodes, pods, services,
 * Filestore, EFS mount targets, the kind NFS server and docker network all live there by default),
 * RFC 6598 shared space 100.64.0.0/10 (carrier-grade NAT; some CNIs and EKS custom networking use it), and
 * RFC 3927 link-local 169.254.0.0/16, which holds the node metadata endpoint 169.254.169.254 on EC2 and
 * GCE (docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html,
 * cloud.google.com/compute/docs/metadata/querying-metadata).
 */
export const ALWAYS_DENIED_EGRESS_CIDRS = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
] as const;

/** [first, last] address of an IPv4 CIDR, as unsigned 32-bit numbers. */
export function cidrRange(cidr: string): [number, number] {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
        throw new Error(`${JSON.stringify(cidr)} is not an IPv4 CIDR block such as 10.0.0.0/16`);
    }
    const addr = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(m[5]));
    const first = addr - (addr % size);
    return [first, first + size - 1];
}

/** Whether `inner` lies entirely within `outer`. */
export function cidrWithin(inner: string, outer: string): boolean {
    const [a, b] = cidrRange(inner);
    const [c, d] = cidrRange(outer);
    return a >= c && b <= d;
}

/**
 * The `except` list of the internet egress rule: {@link ALWAYS_DENIED_EGRESS_CIDRS} plus each platform range
 * not already inside them (a cluster built on publicly routable ranges used privately).
 */
export function egressExceptCidrs(platformCidrs: readonly string[] = []): string[] {
    const out: string[] = [...ALWAYS_DENIED_EGRESS_CIDRS];
    for (const c of platformCidrs) {
        if (!out.some((o) => cidrWithin(c, o))) {
            out.push(c);
        }
    }
    return out;
}

/** A NetworkPolicy spec as plain data (what the builders return and the tests read). */
export interface NetworkPolicySpecData {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes: ("Ingress" | "Egress")[];
    ingress?: { from?: Record<string, any>[]; ports?: { protocol: string; port: number }[] }[];
    egress?: { to?: Record<string, any>[]; ports?: { protocol: string; port: number }[] }[];
}

/** Label of the cluster DNS pods in kube-system (kubeadm's CoreDNS manifest, EKS's coredns, GKE's kube-dns). */
export const CLUSTER_DNS_POD_LABELS = { "k8s-app": "kube-dns" } as const;

/**
 * Egress of a student namespace: its own pods, cluster DNS (UDP and TCP 53 on the kube-dns pods of
 * kube-system; `kubernetes.io/metadata.name` is set on every namespace by the API server since 1.22,
 * https://kubernetes.io/docs/reference/labels-annotations-taints/#kubernetes-io-metadata-name), and the
 * public internet without {@link egressExceptCidrs}.
 */
export function studentEgressPolicySpec(except: readonly string[]): NetworkPolicySpecData {
    return {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
            { to: [{ podSelector: {} }] },
            {
                to: [
                    {
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                        podSelector: { matchLabels: { ...CLUSTER_DNS_POD_LABELS } },
                    },
                ],
                ports: [
                    { protocol: "UDP", port: 53 },
                    { protocol: "TCP", port: 53 },
                ],
            },
            { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...except] } }] },
        ],
    };
}

/** Ingress of a student namespace: only from its own pods. */
export function studentIngressPolicySpec(): NetworkPolicySpecData {
    return {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: {} }] }],
    };
}

/**
 * Object counts every student namespace is held to, so no student fills the cluster's etcd (every
 * ConfigMap or Secret may hold up to 1 MiB). Room for the namespace's own objects: ConfigMap
 * kube-root-ca.crt, which the API server puts in every namespace, Secret student-token, the app's
 * ConfigMap and Services, and a Helm release history (one Secret per revision, 10 kept by default).
 */
export const STUDENT_OBJECT_COUNTS = { configmaps: "50", secrets: "50", services: "20" } as const;

/**
 * ResourceQuota entries that forbid billed exposure (LoadBalancer and NodePort Services; Ingresses, which
 * GKE's built-in ingress controller turns into a billed external HTTP(S) load balancer,
 * https://cloud.google.com/kubernetes-engine/docs/concepts/ingress), cap object counts and forbid the
 * given storage classes.
 */
export function deniedResourceQuota(deniedStorageClasses: readonly string[]): Record<string, string> {
    const hard: Record<string, string> = {
        // https://kubernetes.io/docs/concepts/policy/resource-quotas/#object-count-quota
        "services.loadbalancers": "0",
        "services.nodeports": "0",
        "count/ingresses.networking.k8s.io": "0",
        ...STUDENT_OBJECT_COUNTS,
    };
    for (const cls of deniedStorageClasses) {
        // https://kubernetes.io/docs/concepts/policy/resource-quotas/#storage-resource-quota
        hard[`${cls}.storageclass.storage.k8s.io/persistentvolumeclaims`] = "0";
    }
    return hard;
}
