/**
 * What every course component shares: pinned images, labels, the namespace each component creates,
 * security contexts, resource presets and argument checks. Kept small on purpose: anything
 * specific to one system lives in that system's file.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Value of `app.kubernetes.io/part-of` on every object the components create. */
export const PART_OF = "kube-volume-lab";

/*
 * Every default image below is public (Docker Hub, no credentials), pinned to a fixed version tag,
 * and multi-arch, so kind on Apple Silicon (arm64 nodes) pulls it as well as amd64 clusters:
 * - nginxinc/nginx-unprivileged alpine tags: amd64, arm/v6, arm/v7, arm64, 386, ppc64le, s390x
 *   (nginxinc/docker-nginx-unprivileged README.md, "Architectures");
 * - busybox and node are Docker official images, published for amd64 and arm64v8 among others
 *   (docker-library/official-images library/busybox, library/node: "Architectures:").
 */
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

/**
 * Node.js (official image) for the story app when no course image is configured: the course's
 * `rhannachi1991/k8s-story:latest` is a personal Docker Hub push with only a `latest` tag and no
 * digest published anywhere we can check, so the default runs the same app (components/storyApp.ts,
 * STORY_APP_JS) on this pinned public image instead.
 */
export const NODE_IMAGE = "node:22.14.0-alpine3.21";

/**
 * Group given (pod `fsGroup`) to the claim of an app whose image's user we do not control (the
 * chatroulette back, a configured story image). The root directory of a fresh csi-driver-nfs volume
 * is root-owned 0755 (kubernetes-csi/csi-driver-nfs pkg/nfs/controllerserver.go CreateVolume:
 * os.MkdirAll(dir, 0777) under the driver's umask, chmod only when mountPermissions > 0, and the
 * chart's driver.mountPermissions is 0), so a non-root image could not write there. With fsGroup,
 * kubelet makes the volume group-owned by this gid, group-writable and setgid (the driver's
 * CSIDriver declares fsGroupPolicy File), and adds the gid to every container's supplementary
 * groups, so the app writes whatever its uid. 1000 is the `node` group of the official Node.js
 * images (docker-library/node Dockerfile: `addgroup -g 1000 node`), the usual base of these apps.
 * hostPath volumes are never re-owned (kubernetes pkg/volume/hostpath/host_path.go).
 */
export const APP_FS_GROUP = 1000;

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
/**
 * Await time for a workload whose pods wait on a claim the component has just created. The provider
 * fails a Deployment that is not ready after 10 minutes (@pulumi/kubernetes apps/v1/deployment.d.ts),
 * but a new volume can take longer: the Filestore CSI driver creates one instance per claim and polls
 * the create operation for up to 5 minutes per attempt before the external-provisioner retries
 * (gcp-filestore-csi-driver pkg/cloud_provider/file/file.go waitForOp: wait.Poll(5s, 5m)).
 */
export const NEW_CLAIM_TIMEOUTS: pulumi.CustomTimeouts = { create: "30m", update: "30m" };

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
 * Why root: the root directory of a freshly provisioned volume is owned by root with mode 0755 on
 * several of the backends the demos run on, and `fsGroup` does not fix that everywhere. kubelet
 * re-owns a volume to `fsGroup` only when its plugin supports ownership management: for CSI, when
 * the CSIDriver's `fsGroupPolicy` is `File` (or `ReadWriteOnceWithFSType` with an fsType and a
 * ReadWriteOnce claim). csi-driver-nfs declares `File` (charts/v4.13.x csi-nfs-driverinfo.yaml,
 * `feature.enableFSGroupPolicy: true` by default), so on the kind `nfs` classes fsGroup *is*
 * applied; hostPath volumes (the story and access-modes demos on kind) are never re-owned
 * (kubernetes pkg/volume/hostpath/host_path.go: SetUp ignores mounterArgs.FsGroup), and other RWX drivers differ. A root
 * writer works on all of them. Root is the owner of that directory, so it needs no capability to
 * write there: every capability is dropped and privilege escalation is off, which keeps the pod
 * within the `baseline` Pod Security level.
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
 * Container security context for the chatroulette images, which the caller supplies and which we
 * cannot inspect (the course's are in a private registry): no privilege escalation, but the image's
 * user and default capabilities are kept, since forcing non-root or dropping capabilities could
 * break an image we cannot test. Student namespaces override this (components/podSecurity.ts).
 */
export function courseImageContainer(): k8s.types.input.core.v1.SecurityContext {
    return { allowPrivilegeEscalation: false };
}

/**
 * Container security context for an image known to run as root that needs no capability (the
 * story app: the course's `node:14-alpine` build and the official `node` image both start as root).
 * It writes only to its mounted volume, whose directory is root-owned or world-writable (emptyDir),
 * so it needs no capability such as DAC_OVERRIDE.
 */
export function rootNoCapabilitiesContainer(): k8s.types.input.core.v1.SecurityContext {
    return { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
}

/** Where nginx serves from, and where the updater demos' loop writes. */
export const HTML_DIR = "/usr/share/nginx/html";

/**
 * The updater demos' loop: writes the date to a temporary file in the same directory, then renames
 * it over index.html. rename(2) replaces the name atomically (POSIX rename; on NFS a single RENAME
 * operation), and nginx opens the file anew for every request (`open_file_cache` is off by default,
 * nginx.org ngx_http_core_module), so a reader sees the old page or the new one, never an empty or
 * half-written file as with `date > index.html`, which truncates the file before writing.
 */
export function dateLoopScript(dir: string = HTML_DIR): string {
    return `while true; do date > ${dir}/.index.html.tmp && mv -f ${dir}/.index.html.tmp ${dir}/index.html; sleep 1; done`;
}

type VolumeMounts = k8s.types.input.core.v1.VolumeMount[];

/**
 * The updater demos' nginx container `server`: pinned unprivileged nginx on 8080, ready once the
 * loop has written index.html (403 before that), alive as long as nginx accepts connections.
 */
export function nginxServerContainer(volumeMounts: VolumeMounts): k8s.types.input.core.v1.Container {
    return {
        name: "server",
        image: NGINX_UNPRIVILEGED_IMAGE,
        ports: [{ name: "http", containerPort: NGINX_PORT }],
        volumeMounts,
        resources: RESOURCES.nginx,
        securityContext: restrictedContainer(),
        readinessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 5 },
        livenessProbe: { tcpSocket: { port: "http" }, periodSeconds: 10 },
    };
}

/** The updater demos' busybox container `loop`, running {@link dateLoopScript} as a root writer. */
export function dateLoopContainer(volumeMounts: VolumeMounts): k8s.types.input.core.v1.Container {
    return {
        name: "loop",
        image: BUSYBOX_IMAGE,
        command: ["/bin/sh"],
        args: ["-c", dateLoopScript()],
        volumeMounts,
        resources: RESOURCES.busybox,
        // Root without capabilities: see rootWriterContainer.
        securityContext: rootWriterContainer(),
    };
}

/** What a component's PersistentVolumeClaim needs. */
export interface ClaimSpec {
    /** `metadata.name` of the claim. */
    name: string;
    namespace: pulumi.Input<string>;
    labels: Record<string, string>;
    accessMode: "ReadWriteOnce" | "ReadWriteMany";
    storageClassName: string;
    size: string;
}

/** Creates a component's claim as child `logicalName` of `parent`. */
export function createClaim(
    logicalName: string,
    claim: ClaimSpec,
    parent: pulumi.Resource,
): k8s.core.v1.PersistentVolumeClaim {
    return new k8s.core.v1.PersistentVolumeClaim(
        logicalName,
        {
            metadata: { name: claim.name, namespace: claim.namespace, labels: claim.labels },
            spec: {
                accessModes: [claim.accessMode],
                storageClassName: claim.storageClassName,
                resources: { requests: { storage: claim.size } },
            },
        },
        { parent },
    );
}

/** Creates a ClusterIP Service (reached with `kubectl port-forward`, no cloud load balancer). */
export function createClusterIpService(
    logicalName: string,
    svc: {
        name: string;
        namespace: pulumi.Input<string>;
        labels: Record<string, string>;
        selector: Record<string, string>;
        ports: k8s.types.input.core.v1.ServicePort[];
    },
    parent: pulumi.Resource,
): k8s.core.v1.Service {
    return new k8s.core.v1.Service(
        logicalName,
        {
            metadata: { name: svc.name, namespace: svc.namespace, labels: svc.labels },
            spec: { type: "ClusterIP", selector: svc.selector, ports: svc.ports },
        },
        { parent },
    );
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

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

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
