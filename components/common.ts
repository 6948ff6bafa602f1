/**
 * What every course component shares: pinned images, labels, the namespace each component creates,
 * security contexts, resource presets and argument checks. Kept small on purpose: anything
 * specific to one system lives in that system's file.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Value of `app.kubernetes.io/part-of` on every object the components create. */
export const PART_OF = "kube-volume-lab";

/**
 * nginx built to run as an unprivileged user (uid/gid 101) listening on 8080: serves the shared
 * volume in the updater demos. Pinned: the course used `:latest`.
 */
export const NGINX_UNPRIVILEGED_IMAGE = "nginxinc/nginx-unprivileged:1.27.4-alpine";
/** uid and gid the nginx-unprivileged image runs as. */
export const NGINX_UID = 101;
/** Port nginx-unprivileged listens on. */
export const NGINX_PORT = 8080;

/** busybox for the loops, writers and readers. Pinned: the course used `busybox` / `:latest`. */
export const BUSYBOX_IMAGE = "busybox:1.37.0";

/** uid of `nobody`, for containers that only read. */
export const NOBODY_UID = 65534;

/** Pod Security Standards level a component's namespace enforces. */
export type PodSecurityLevel = "baseline" | "privileged";

/** Labels of a component's namespace. */
export function namespaceLabels(enforce: PodSecurityLevel = "baseline"): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": enforce,
        // Warn at the strictest level: `kubectl apply` and Pulumi show what would not pass
        // `restricted`, without blocking the course's images that run as root.
        "pod-security.kubernetes.io/warn": "restricted",
        "app.kubernetes.io/part-of": PART_OF,
    };
}

/**
 * Labels of an object. `app` is the selector label (the course's own, so `kubectl get -l app=...`
 * from the course notes keeps working); the others follow the recommended-labels convention.
 * @param app the course's `app` label value.
 * @param instance the component's logical name.
 */
export function appLabels(app: string, instance: string): Record<string, string> {
    return {
        app,
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/** The selector of a workload: the `app` label only (selectors are immutable, keep them minimal). */
export function selectorLabels(app: string): Record<string, string> {
    return { app };
}

/** Creates the component's namespace `namespace` as child `${name}-ns` of `parent`. */
export function createNamespace(
    name: string,
    namespace: string,
    parent: pulumi.Resource,
    enforce: PodSecurityLevel = "baseline",
): k8s.core.v1.Namespace {
    return new k8s.core.v1.Namespace(
        `${name}-ns`,
        { metadata: { name: namespace, labels: namespaceLabels(enforce) } },
        { parent },
    );
}

/** Annotation that tells Pulumi not to wait for a workload to become ready. */
export const SKIP_AWAIT = { "pulumi.com/skipAwait": "true" } as const;

/** Resource requests and limits, by kind of container. */
export const RESOURCES = {
    /** nginx serving a handful of static bytes. */
    nginx: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
    /** A shell loop, a writer or a reader: almost nothing. */
    busybox: { requests: { cpu: "5m", memory: "8Mi" }, limits: { cpu: "50m", memory: "32Mi" } },
    /** The course's small web applications (Node.js servers). */
    app: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "384Mi" } },
} as const satisfies Record<string, k8s.types.input.core.v1.ResourceRequirements>;

/**
 * Pod security context.
 * @param user uid (and gid) to run as; undefined keeps the image's own user.
 * @param fsGroup group given to the pod's volumes that support it (block volumes, emptyDir), so a
 *   non-root reader can read what another container wrote.
 */
export function podSecurity(
    opts: { user?: number; fsGroup?: number } = {},
): k8s.types.input.core.v1.PodSecurityContext {
    const ctx: k8s.types.input.core.v1.PodSecurityContext = {
        seccompProfile: { type: "RuntimeDefault" },
    };
    if (opts.user !== undefined) {
        ctx.runAsNonRoot = opts.user !== 0;
        ctx.runAsUser = opts.user;
        ctx.runAsGroup = opts.user;
    }
    if (opts.fsGroup !== undefined) {
        ctx.fsGroup = opts.fsGroup;
    }
    return ctx;
}

/** Container security context for an image known to run as non-root: no privilege at all. */
export function restrictedContainer(): k8s.types.input.core.v1.SecurityContext {
    return { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: true };
}

/**
 * Container security context for a busybox loop or writer that writes to a fresh shared volume.
 *
 * Why root: the root directory of a freshly provisioned NFS export, Filestore share, EFS volume or
 * hostPath directory is owned by root with mode 0755, and those volume types ignore `fsGroup`
 * (kubelet only re-owns volumes whose driver supports it). A non-root writer would fail with
 * "Permission denied" on exactly the RWX backends the demos exist to show. Root is the owner of
 * that directory, so it needs no capability to write there: every capability is dropped and
 * privilege escalation is off, which keeps the pod within the `baseline` Pod Security level.
 */
export function rootWriterContainer(): k8s.types.input.core.v1.SecurityContext {
    return {
        runAsUser: 0,
        runAsGroup: 0,
        runAsNonRoot: false,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
    };
}

/**
 * Container security context for the course's chatroulette images, whose user and needs cannot be
 * inspected (the registry is private to the course's account): no
 * privilege escalation, but the image's user and default capabilities are kept, since forcing
 * non-root or dropping capabilities could break an image we cannot test.
 */
export function courseImageContainer(): k8s.types.input.core.v1.SecurityContext {
    return { allowPrivilegeEscalation: false };
}

/**
 * Container security context for an image known to run as root that needs no capability (the
 * story app: `node:14-alpine`, no USER). It writes only to its mounted volume, whose directory is
 * root-owned or world-writable (emptyDir), so it needs no capability such as DAC_OVERRIDE.
 */
export function rootNoCapabilitiesContainer(): k8s.types.input.core.v1.SecurityContext {
    return { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
}

/** The exact `kubectl port-forward` command for a Service. */
export function portForwardCommand(
    namespace: pulumi.Input<string>,
    service: string,
    localPort: number,
    servicePort: number,
): pulumi.Output<string> {
    return pulumi.interpolate`kubectl -n ${namespace} port-forward svc/${service} ${localPort}:${servicePort}`;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Checks the arguments every component shares, returning the first problem or undefined.
 * @param component the component's class name, for messages.
 */
export function namespaceProblem(component: string, namespace: unknown): string | undefined {
    if (typeof namespace !== "string" || namespace.length > 63 || !DNS_LABEL.test(namespace)) {
        return (
            `${component}: namespace ${JSON.stringify(namespace)} is not a valid namespace name ` +
            "(lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit)"
        );
    }
    return undefined;
}

/** Returns a problem when `value` is not a whole number ≥ `min`. */
export function countProblem(
    component: string,
    arg: string,
    value: number,
    min = 0,
): string | undefined {
    if (!Number.isInteger(value) || value < min) {
        return `${component}: ${arg} is ${JSON.stringify(value)}; expected a whole number ≥ ${min}`;
    }
    return undefined;
}

/** Returns a problem when `value` is not one of `allowed`. */
export function oneOfProblem(
    component: string,
    arg: string,
    value: unknown,
    allowed: readonly string[],
): string | undefined {
    if (typeof value !== "string" || !allowed.includes(value)) {
        return `${component}: ${arg} is ${JSON.stringify(value)}; expected one of ${allowed.map((a) => `"${a}"`).join(", ")}`;
    }
    return undefined;
}

/** Returns a problem when `value` is not a non-empty string. */
export function requiredProblem(
    component: string,
    arg: string,
    value: unknown,
    why: string,
): string | undefined {
    if (typeof value !== "string" || value.length === 0) {
        return `${component}: ${arg} is required ${why}`;
    }
    return undefined;
}

/**
 * Throws a ResourceError for the first problem found, before the component creates any child.
 * @param problems results of the `*Problem` checks, undefined when fine.
 */
export function rejectInvalid(parent: pulumi.Resource, ...problems: (string | undefined)[]): void {
    const first = problems.find((p): p is string => p !== undefined);
    if (first !== undefined) {
        throw new pulumi.ResourceError(first, parent);
    }
}
