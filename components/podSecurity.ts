/**
 * Pod Security for student namespaces: the level and version their namespaces enforce, the security
 * contexts every workload we deploy there runs with, and a pure checker of the Pod Security Standards
 * `restricted` level, so tests can prove our own pods are admitted and hostile ones are not.
 *
 * Sources (the checker follows them rule by rule):
 * - https://kubernetes.io/docs/concepts/security/pod-security-standards/ (the Baseline and Restricted tables)
 * - kubernetes/kubernetes staging/src/k8s.io/pod-security-admission/policy/check_*.go (the admission
 *   plugin's own checks: check_restrictedVolumes.go, check_runAsNonRoot.go, check_runAsUser.go,
 *   check_allowPrivilegeEscalation.go, check_capabilities_restricted.go, check_seccompProfile_restricted.go,
 *   check_sysctls.go, check_hostNamespaces.go, check_privileged.go, check_hostPorts.go, check_procMount.go,
 *   check_seLinuxOptions.go, check_appArmorProfile.go, check_windowsHostProcess.go).
 *
 * The checker is deliberately never more permissive than the admission plugin: where the plugin relaxes a
 * rule (user-namespaced pods, `hostUsers: false`, relax runAsNonRoot/runAsUser since v1.33 — see
 * relaxPolicyForUserNamespacePod in check_runAsNonRoot.go; newer sysctls allowed by later versions) the
 * checker keeps the stricter rule. So "the checker admits it" implies "the plugin admits it", which is
 * the direction our tests rely on for our own workloads.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Pod Security level every student namespace enforces, audits and warns. */
export const STUDENT_POD_SECURITY_LEVEL = "restricted";
/**
 * Version of the `enforce` policy, pinned so a cluster upgrade never tightens admission under running
 * classes (https://kubernetes.io/docs/concepts/security/pod-security-admission/: "pod-security.kubernetes.io/
 * <MODE>-version: <VERSION>", a Kubernetes minor version or `latest`). v1.30 is the oldest version this lab
 * supports (ValidatingAdmissionPolicy v1 is GA there). `audit` and `warn` use `latest`, so checks added by a
 * newer cluster show up as warnings before anyone moves `enforce`.
 */
export const STUDENT_POD_SECURITY_ENFORCE_VERSION = "v1.30";

/** The Pod Security Admission labels of a student namespace. */
export function studentPodSecurityLabels(): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": STUDENT_POD_SECURITY_LEVEL,
        "pod-security.kubernetes.io/enforce-version": STUDENT_POD_SECURITY_ENFORCE_VERSION,
        "pod-security.kubernetes.io/audit": STUDENT_POD_SECURITY_LEVEL,
        "pod-security.kubernetes.io/audit-version": "latest",
        "pod-security.kubernetes.io/warn": STUDENT_POD_SECURITY_LEVEL,
        "pod-security.kubernetes.io/warn-version": "latest",
    };
}

/**
 * Pod security context of every pod we run in a student namespace: the student's own uid and gid (so the
 * files it writes on `home` are the student's), never root, RuntimeDefault seccomp. `fsGroup` is the
 * student's gid too; `OnRootMismatch` skips the recursive re-own when the volume root already matches
 * (https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#configure-volume-permission-and-ownership-change-policy-for-pods).
 */
export function studentPodSecurityContext(uid: number): k8s.types.input.core.v1.PodSecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        fsGroup: uid,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Container security context of every container we run in a student namespace. */
export function studentContainerSecurityContext(): k8s.types.input.core.v1.SecurityContext {
    return {
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/**
 * Volume types `restricted` admits (check_restrictedVolumes.go: configMap, csi, downwardAPI, emptyDir,
 * ephemeral, persistentVolumeClaim, projected, secret; every other type is refused).
 */
export const RESTRICTED_ALLOWED_VOLUME_TYPES = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
] as const;

// check_sysctls.go (v1.0 set; later versions allow a few more, which this checker keeps refusing).
const SAFE_SYSCTLS = new Set([
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
]);
// check_seLinuxOptions.go: type may be empty or one of these; user and role must be empty.
const SELINUX_TYPES = new Set(["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);

/** A pod spec as plain data (a rendered manifest's `spec`, or a pod template's `spec`). */
export type PodSpecData = Record<string, any>;

/** One refusal: the check's id as the admission plugin names it, and what it found. */
export interface PodSecurityViolation {
    check: string;
    detail: string;
}

/** containers, initContainers and ephemeralContainers, as visitContainers (policy/visitor.go) walks them. */
function allContainers(spec: PodSpecData): Record<string, any>[] {
    return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
}

/** The volume source field of a volume (every key but `name`). */
export function volumeTypes(volume: Record<string, unknown>): string[] {
    return Object.keys(volume).filter((k) => k !== "name" && volume[k] !== undefined && volume[k] !== null);
}

/**
 * Everything the Pod Security Standards `restricted` level (which includes `baseline`) refuses in a pod
 * spec; empty when the pod is admitted.
 */
export function podSecurityRestrictedViolations(spec: PodSpecData): PodSecurityViolation[] {
    const out: PodSecurityViolation[] = [];
    const add = (check: string, detail: string) => out.push({ check, detail });
    const pod = spec.securityContext ?? {};
    const containers = allContainers(spec);
    const names = (pred: (c: Record<string, any>) => boolean) => containers.filter(pred).map((c) => c.name as string);

    // ---- baseline
    // check_windowsHostProcess.go
    if (pod.windowsOptions?.hostProcess === true || containers.some((c) => c.securityContext?.windowsOptions?.hostProcess === true)) {
        add("hostProcess", "windowsOptions.hostProcess=true");
    }
    // check_hostNamespaces.go
    for (const f of ["hostNetwork", "hostPID", "hostIPC"]) {
        if (spec[f] === true) {
            add("hostNamespaces", `${f}=true`);
        }
    }
    // check_privileged.go
    const privileged = names((c) => c.securityContext?.privileged === true);
    if (privileged.length > 0) {
        add("privileged", `containers ${privileged.join(", ")} set privileged=true`);
    }
    // check_hostPathVolumes.go (also covered by restrictedVolumes below)
    for (const v of spec.volumes ?? []) {
        if (v.hostPath !== undefined) {
            add("hostPathVolumes", `volume ${v.name} is hostPath`);
        }
    }
    // check_hostPorts.go
    const hostPorts = names((c) => (c.ports ?? []).some((p: any) => p.hostPort !== undefined && p.hostPort !== 0));
    if (hostPorts.length > 0) {
        add("hostPorts", `containers ${hostPorts.join(", ")} use hostPort`);
    }
    // check_appArmorProfile.go: Unconfined is refused (RuntimeDefault and Localhost are fine).
    const appArmor = [pod.appArmorProfile, ...containers.map((c) => c.securityContext?.appArmorProfile)];
    if (appArmor.some((p) => p?.type === "Unconfined")) {
        add("appArmorProfile", "appArmorProfile.type=Unconfined");
    }
    // check_seLinuxOptions.go
    for (const se of [pod.seLinuxOptions, ...containers.map((c) => c.securityContext?.seLinuxOptions)]) {
        if (se && (!SELINUX_TYPES.has(se.type ?? "") || (se.user ?? "") !== "" || (se.role ?? "") !== "")) {
            add("seLinuxOptions", `seLinuxOptions ${JSON.stringify(se)}`);
        }
    }
    // check_procMount.go
    const procMount = names((c) => c.securityContext?.procMount !== undefined && c.securityContext.procMount !== "Default");
    if (procMount.length > 0) {
        add("procMount", `containers ${procMount.join(", ")} set a non-default procMount`);
    }
    // check_sysctls.go
    const sysctls = (pod.sysctls ?? []).map((s: any) => s.name as string).filter((n: string) => !SAFE_SYSCTLS.has(n));
    if (sysctls.length > 0) {
        add("sysctls", `forbidden sysctls ${sysctls.join(", ")}`);
    }
    // check_capabilities_baseline.go is implied by capabilities_restricted below (stricter).

    // ---- restricted
    // check_restrictedVolumes.go
    for (const v of spec.volumes ?? []) {
        const bad = volumeTypes(v).filter((t) => !(RESTRICTED_ALLOWED_VOLUME_TYPES as readonly string[]).includes(t));
        if (bad.length > 0) {
            add("restrictedVolumes", `volume ${v.name} has restricted type ${bad.join(", ")}`);
        }
    }
    // check_allowPrivilegeEscalation.go: must be explicitly false on every container.
    const escalation = names((c) => c.securityContext?.allowPrivilegeEscalation !== false);
    if (escalation.length > 0) {
        add("allowPrivilegeEscalation", `containers ${escalation.join(", ")} must set allowPrivilegeEscalation=false`);
    }
    // check_runAsNonRoot.go: pod-level true covers containers that do not set it; explicit false fails.
    const podNonRoot = pod.runAsNonRoot === true;
    if (pod.runAsNonRoot === false) {
        add("runAsNonRoot", "pod sets runAsNonRoot=false");
    }
    const nonRoot = names((c) =>
        c.securityContext?.runAsNonRoot !== undefined ? c.securityContext.runAsNonRoot !== true : !podNonRoot,
    );
    if (nonRoot.length > 0) {
        add("runAsNonRoot", `containers ${nonRoot.join(", ")} must run with runAsNonRoot=true`);
    }
    // check_runAsUser.go
    if (pod.runAsUser === 0 || containers.some((c) => c.securityContext?.runAsUser === 0)) {
        add("runAsUser", "runAsUser=0");
    }
    // check_seccompProfile_restricted.go: RuntimeDefault or Localhost, at pod level or on every container.
    const validSeccomp = (t: unknown) => t === "RuntimeDefault" || t === "Localhost";
    const podSeccomp = pod.seccompProfile !== undefined;
    if (podSeccomp && !validSeccomp(pod.seccompProfile.type)) {
        add("seccompProfile", `pod seccompProfile.type=${pod.seccompProfile.type}`);
    }
    const seccomp = names((c) =>
        c.securityContext?.seccompProfile !== undefined
            ? !validSeccomp(c.securityContext.seccompProfile.type)
            : !(podSeccomp && validSeccomp(pod.seccompProfile.type)),
    );
    if (seccomp.length > 0) {
        add("seccompProfile", `containers ${seccomp.join(", ")} need seccompProfile RuntimeDefault or Localhost`);
    }
    // check_capabilities_restricted.go: drop must include ALL; add only NET_BIND_SERVICE.
    const noDrop = names((c) => !(c.securityContext?.capabilities?.drop ?? []).includes("ALL"));
    if (noDrop.length > 0) {
        add("capabilities", `containers ${noDrop.join(", ")} must drop ALL`);
    }
    const adds = names((c) => (c.securityContext?.capabilities?.add ?? []).some((a: string) => a !== "NET_BIND_SERVICE"));
    if (adds.length > 0) {
        add("capabilities", `containers ${adds.join(", ")} add capabilities other than NET_BIND_SERVICE`);
    }
    return out;
}

/** Where each workload kind keeps its pod spec. */
const POD_SPEC_PATHS: Record<string, string[]> = {
    "kubernetes:core/v1:Pod": ["spec"],
    "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
    "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
    "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
    "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
    "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
    "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
};

/** The pod spec with the student's security contexts applied to the pod and to every container. */
export function withStudentSecurity(spec: PodSpecData, uid: number): PodSpecData {
    const containers = (list: Record<string, any>[] | undefined) =>
        list?.map((c) => ({ ...c, securityContext: { ...c.securityContext, ...studentContainerSecurityContext() } }));
    const out: PodSpecData = {
        ...spec,
        securityContext: { ...spec.securityContext, ...studentPodSecurityContext(uid) },
        containers: containers(spec.containers),
    };
    if (spec.initContainers !== undefined) {
        out.initContainers = containers(spec.initContainers);
    }
    return out;
}

/**
 * A `transformations` entry for a component deployed in a student namespace: every workload it creates
 * runs as the student (uid/gid), non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp,
 * whatever the component itself chose. Throws on a workload whose pod spec is not plain data yet (an Output),
 * since it could then not be checked.
 */
export function studentWorkloadTransformation(uid: number): pulumi.ResourceTransformation {
    return (args) => {
        const path = POD_SPEC_PATHS[args.type];
        if (path === undefined) {
            return undefined;
        }
        const patch = (node: any, rest: string[]): any => {
            if (rest.length === 0) {
                return withStudentSecurity(node, uid);
            }
            if (node === null || typeof node !== "object" || pulumi.Output.isInstance(node) || !(rest[0] in node)) {
                throw new Error(`${args.name}: ${path.join(".")} must be plain data to apply the student's pod security`);
            }
            return { ...node, [rest[0]]: patch(node[rest[0]], rest.slice(1)) };
        };
        return { props: patch(args.props, path), opts: args.opts };
    };
}

