/**
 * Validates plain Kubernetes objects (as the components pass them to Pulumi) against the
 * OpenAPI schemas of kubernetes-models, plus a strict check of unknown keys.
 *
 * kubernetes-models' schemas accept unknown properties (a typo such as `spec.template.spec.volume`
 * or `readonly` validates), so {@link unknownKeyProblems} adds a closed list of the allowed keys of
 * the objects the project writes: the top level of every kind below, and the spec of Namespace,
 * Deployment, StatefulSet, DaemonSet, Pod (and pod templates), containers, Service,
 * PersistentVolumeClaim, PersistentVolume, ValidatingAdmissionPolicy and its binding, volumes and
 * volume mounts. Deeper objects (probes, affinity terms, security contexts, CEL validations) are
 * typed by the schemas but not closed.
 */
import {
    ConfigMap,
    LimitRange,
    Namespace,
    PersistentVolume,
    PersistentVolumeClaim,
    Pod,
    ResourceQuota,
    Secret,
    Service,
    ServiceAccount,
} from "kubernetes-models/v1";
import { DaemonSet, Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { CronJob, Job } from "kubernetes-models/batch/v1";
import {
    ClusterRole,
    ClusterRoleBinding,
    Role,
    RoleBinding,
} from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { StorageClass } from "kubernetes-models/storage.k8s.io/v1";
import {
    ValidatingAdmissionPolicy,
    ValidatingAdmissionPolicyBinding,
} from "kubernetes-models/admissionregistration.k8s.io/v1";

type ModelClass = new (data: any) => { validate(): void };

/** apiVersion/kind → the kubernetes-models class. */
const MODELS: Record<string, ModelClass> = {
    "v1/Namespace": Namespace,
    "v1/PersistentVolume": PersistentVolume,
    "v1/PersistentVolumeClaim": PersistentVolumeClaim,
    "v1/ConfigMap": ConfigMap,
    "v1/Service": Service,
    "v1/Pod": Pod,
    "v1/ServiceAccount": ServiceAccount,
    "v1/Secret": Secret,
    "v1/ResourceQuota": ResourceQuota,
    "v1/LimitRange": LimitRange,
    "apps/v1/Deployment": Deployment,
    "apps/v1/StatefulSet": StatefulSet,
    "apps/v1/DaemonSet": DaemonSet,
    "batch/v1/Job": Job,
    "batch/v1/CronJob": CronJob,
    "rbac.authorization.k8s.io/v1/Role": Role,
    "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
    "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
    "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
    "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
    "storage.k8s.io/v1/StorageClass": StorageClass,
    "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy": ValidatingAdmissionPolicy,
    "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding": ValidatingAdmissionPolicyBinding,
};

/** The kinds {@link validateKubernetesObject} knows, as `apiVersion/kind`. */
export const KNOWN_KINDS: readonly string[] = Object.keys(MODELS);

const META = ["apiVersion", "kind", "metadata"];
const SPEC_STATUS = [...META, "spec", "status"];

/** Allowed top-level keys per kind (Kubernetes 1.33). */
const TOP_LEVEL: Record<string, readonly string[]> = {
    Namespace: SPEC_STATUS,
    PersistentVolume: SPEC_STATUS,
    PersistentVolumeClaim: SPEC_STATUS,
    Service: SPEC_STATUS,
    Pod: SPEC_STATUS,
    Deployment: SPEC_STATUS,
    StatefulSet: SPEC_STATUS,
    DaemonSet: SPEC_STATUS,
    Job: SPEC_STATUS,
    CronJob: SPEC_STATUS,
    ResourceQuota: SPEC_STATUS,
    LimitRange: [...META, "spec"],
    NetworkPolicy: [...META, "spec"],
    ConfigMap: [...META, "data", "binaryData", "immutable"],
    Secret: [...META, "data", "stringData", "type", "immutable"],
    ServiceAccount: [...META, "secrets", "imagePullSecrets", "automountServiceAccountToken"],
    Role: [...META, "rules"],
    ClusterRole: [...META, "rules", "aggregationRule"],
    RoleBinding: [...META, "roleRef", "subjects"],
    ClusterRoleBinding: [...META, "roleRef", "subjects"],
    ValidatingAdmissionPolicy: SPEC_STATUS,
    ValidatingAdmissionPolicyBinding: [...META, "spec"],
    StorageClass: [
        ...META,
        "provisioner",
        "parameters",
        "reclaimPolicy",
        "mountOptions",
        "allowVolumeExpansion",
        "volumeBindingMode",
        "allowedTopologies",
    ],
};

const POD_SPEC = [
    "activeDeadlineSeconds",
    "affinity",
    "automountServiceAccountToken",
    "containers",
    "dnsConfig",
    "dnsPolicy",
    "enableServiceLinks",
    "ephemeralContainers",
    "hostAliases",
    "hostIPC",
    "hostNetwork",
    "hostPID",
    "hostUsers",
    "hostname",
    "imagePullSecrets",
    "initContainers",
    "nodeName",
    "nodeSelector",
    "os",
    "overhead",
    "preemptionPolicy",
    "priority",
    "priorityClassName",
    "readinessGates",
    "resourceClaims",
    "resources",
    "restartPolicy",
    "runtimeClassName",
    "schedulerName",
    "schedulingGates",
    "securityContext",
    "serviceAccount",
    "serviceAccountName",
    "setHostnameAsFQDN",
    "shareProcessNamespace",
    "subdomain",
    "terminationGracePeriodSeconds",
    "tolerations",
    "topologySpreadConstraints",
    "volumes",
];
const CONTAINER = [
    "args",
    "command",
    "env",
    "envFrom",
    "image",
    "imagePullPolicy",
    "lifecycle",
    "livenessProbe",
    "name",
    "ports",
    "readinessProbe",
    "resizePolicy",
    "resources",
    "restartPolicy",
    "securityContext",
    "startupProbe",
    "stdin",
    "stdinOnce",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "tty",
    "volumeDevices",
    "volumeMounts",
    "workingDir",
];
const VOLUME_SOURCES = [
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
    "glusterfs",
    "hostPath",
    "iscsi",
    "local",
    "nfs",
    "photonPersistentDisk",
    "portworxVolume",
    "quobyte",
    "rbd",
    "scaleIO",
    "storageos",
    "vsphereVolume",
];
const POD_VOLUME = [
    "name",
    ...VOLUME_SOURCES.filter((s) => s !== "local"),
    "configMap",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "gitRepo",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];
const VOLUME_MOUNT = [
    "mountPath",
    "mountPropagation",
    "name",
    "readOnly",
    "recursiveReadOnly",
    "subPath",
    "subPathExpr",
];
const WORKLOAD_SPEC: Record<string, readonly string[]> = {
    Deployment: [
        "minReadySeconds",
        "paused",
        "progressDeadlineSeconds",
        "replicas",
        "revisionHistoryLimit",
        "selector",
        "strategy",
        "template",
    ],
    StatefulSet: [
        "minReadySeconds",
        "ordinals",
        "persistentVolumeClaimRetentionPolicy",
        "podManagementPolicy",
        "replicas",
        "revisionHistoryLimit",
        "selector",
        "serviceName",
        "template",
        "updateStrategy",
        "volumeClaimTemplates",
    ],
    DaemonSet: [
        "minReadySeconds",
        "revisionHistoryLimit",
        "selector",
        "template",
        "updateStrategy",
    ],
};
const SPEC: Record<string, readonly string[]> = {
    ...WORKLOAD_SPEC,
    Namespace: ["finalizers"],
    Pod: POD_SPEC,
    // kubernetes-models admissionregistration.k8s.io/v1 ValidatingAdmissionPolicySpec / ...BindingSpec.
    ValidatingAdmissionPolicy: [
        "auditAnnotations",
        "failurePolicy",
        "matchConditions",
        "matchConstraints",
        "paramKind",
        "validations",
        "variables",
    ],
    ValidatingAdmissionPolicyBinding: ["matchResources", "paramRef", "policyName", "validationActions"],
    Service: [
        "allocateLoadBalancerNodePorts",
        "clusterIP",
        "clusterIPs",
        "externalIPs",
        "externalName",
        "externalTrafficPolicy",
        "healthCheckNodePort",
        "internalTrafficPolicy",
        "ipFamilies",
        "ipFamilyPolicy",
        "loadBalancerClass",
        "loadBalancerIP",
        "loadBalancerSourceRanges",
        "ports",
        "publishNotReadyAddresses",
        "selector",
        "sessionAffinity",
        "sessionAffinityConfig",
        "trafficDistribution",
        "type",
    ],
    PersistentVolumeClaim: [
        "accessModes",
        "dataSource",
        "dataSourceRef",
        "resources",
        "selector",
        "storageClassName",
        "volumeAttributesClassName",
        "volumeMode",
        "volumeName",
    ],
    PersistentVolume: [
        "accessModes",
        "capacity",
        "claimRef",
        "mountOptions",
        "nodeAffinity",
        "persistentVolumeReclaimPolicy",
        "storageClassName",
        "volumeAttributesClassName",
        "volumeMode",
        ...VOLUME_SOURCES,
    ],
};

function extraKeys(value: unknown, allowed: readonly string[], at: string): string[] {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return [];
    return Object.keys(value)
        .filter((k) => !allowed.includes(k))
        .map((k) => `${at}/${k}: unknown property`);
}

function podSpecProblems(spec: any, at: string): string[] {
    if (spec === null || typeof spec !== "object") return [];
    const problems = extraKeys(spec, POD_SPEC, at);
    for (const list of ["containers", "initContainers"] as const) {
        (Array.isArray(spec[list]) ? spec[list] : []).forEach((c: any, i: number) => {
            problems.push(...extraKeys(c, CONTAINER, `${at}/${list}/${i}`));
            (Array.isArray(c?.volumeMounts) ? c.volumeMounts : []).forEach(
                (m: unknown, j: number) =>
                    problems.push(
                        ...extraKeys(m, VOLUME_MOUNT, `${at}/${list}/${i}/volumeMounts/${j}`),
                    ),
            );
        });
    }
    (Array.isArray(spec.volumes) ? spec.volumes : []).forEach((v: unknown, i: number) =>
        problems.push(...extraKeys(v, POD_VOLUME, `${at}/volumes/${i}`)),
    );
    return problems;
}

/** Unknown keys at the levels the closed lists cover, as `/json/pointer: unknown property`. */
export function unknownKeyProblems(obj: any): string[] {
    const kind: string = obj?.kind;
    const problems: string[] = [];
    const top = TOP_LEVEL[kind];
    if (top !== undefined) problems.push(...extraKeys(obj, top, ""));
    const spec = SPEC[kind];
    if (spec !== undefined) problems.push(...extraKeys(obj.spec, spec, "/spec"));
    if (kind === "Pod") problems.push(...podSpecProblems(obj.spec, "/spec"));
    if (WORKLOAD_SPEC[kind] !== undefined)
        problems.push(...podSpecProblems(obj.spec?.template?.spec, "/spec/template/spec"));
    if (kind === "PersistentVolumeClaim" && obj.spec?.resources !== undefined) {
        problems.push(...extraKeys(obj.spec.resources, ["limits", "requests"], "/spec/resources"));
    }
    return problems;
}

/** Thrown for an object that is not valid; `problems` are JSON pointers with what is wrong. */
export class KubernetesSchemaError extends Error {
    constructor(
        readonly object: string,
        readonly problems: string[],
    ) {
        super(`${object} is invalid:\n  ${problems.join("\n  ")}`);
        this.name = "KubernetesSchemaError";
    }
}

/** `Kind namespace/name` (or `Kind name`) of an object, for messages. */
export function describeObject(obj: any): string {
    const m = obj?.metadata ?? {};
    const name = m.name ?? (m.generateName !== undefined ? `${m.generateName}*` : "<no name>");
    return `${obj?.kind ?? "<no kind>"} ${m.namespace !== undefined ? `${m.namespace}/` : ""}${name}`;
}

/**
 * Validates one object against its schema and the unknown-key lists.
 * @throws KubernetesSchemaError naming the kind and name, with the schema path of each problem,
 *   also for an apiVersion/kind this validator does not know.
 */
export function validateKubernetesObject(obj: any): void {
    const what = describeObject(obj);
    const key = `${obj?.apiVersion}/${obj?.kind}`;
    const Model = MODELS[key];
    if (Model === undefined) {
        throw new KubernetesSchemaError(what, [
            `apiVersion/kind "${key}" is not known; known: ${KNOWN_KINDS.join(", ")}`,
        ]);
    }
    const problems: string[] = [];
    try {
        new Model(obj).validate();
    } catch (e: any) {
        const errors: any[] = Array.isArray(e?.errors) ? e.errors : [];
        if (errors.length === 0) throw new KubernetesSchemaError(what, [String(e?.message ?? e)]);
        for (const err of errors) {
            const detail =
                err.params?.missingProperty !== undefined ? ` (${err.params.missingProperty})` : "";
            problems.push(
                `${err.instancePath || "/"}: ${err.message}${detail} [schema ${err.schemaPath}]`,
            );
        }
    }
    problems.push(...unknownKeyProblems(obj));
    if (problems.length > 0) throw new KubernetesSchemaError(what, problems);
}
