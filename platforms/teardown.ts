/**
 * A destroy-time wait: on `pulumi destroy`, this resource is deleted after every Kubernetes object
 * that depends on it (claims, namespaces) and before the cluster, and its deletion blocks until no
 * dynamically provisioned volume of the given CSI drivers is left in the cluster, for a bounded time.
 *
 * Why: deleting a claim on a class with `reclaimPolicy: Delete` only releases its PersistentVolume;
 * the external-provisioner in the cluster then calls the driver's DeleteVolume (for Filestore:
 * deleting a whole instance, which takes minutes) and removes the PV only once that succeeded
 * (kubernetes-csi/external-provisioner README, "Persistent Volume finalizer": the provisioner adds
 * `external-provisioner.volume.kubernetes.io/finalizer` to the PVs it provisions and removes it
 * after DeleteVolume). Deleting the cluster before that leaves billed instances and disks behind
 * that nothing will ever delete. Waiting until no such PV object is left means the driver is done.
 *
 * How: a Pulumi dynamic provider. Its code is serialised into the state, so `delete` runs on a plain
 * `pulumi destroy` (no `--run-program`), in the Pulumi CLI's dynamic-provider host on the machine
 * running the destroy. `create`, `diff` and `update` never call kubectl, so `pulumi preview` and the
 * first `pulumi up` (cluster not there yet) need neither kubectl nor a cluster. `delete` runs
 * `kubectl` from PATH with the stored admin kubeconfig, whose exec plugin (gke-gcloud-auth-plugin,
 * aws) must be on PATH too. It never blocks forever:
 * - it stops at `timeoutSeconds` (default 1800) with an error naming the volumes: the destroy fails
 *   and keeps the cluster, so the driver can finish; run the destroy again;
 * - a PV whose claim still exists and is not being deleted will never go (nothing Pulumi manages
 *   holds it: a claim made by hand, or in a namespace the stack does not own); after `graceSeconds`
 *   (default 120) it fails at once, naming the claims to delete;
 * - kubectl missing, or the cluster unreachable for `graceSeconds`, fails with what to install or
 *   check; `KVL_SKIP_VOLUME_WAIT=1` in the environment of `pulumi destroy` skips the wait (for a
 *   cluster that is already gone; whatever volumes are left must then be deleted by hand).
 * Retained PVs (pre-bound homes, the access-modes disk) are not waited for: Pulumi deletes their
 * backing resources itself, or keeps them on purpose.
 */
import * as pulumi from "@pulumi/pulumi";

/** The objects of `kubectl get pv,pvc --all-namespaces -o json` (only the fields read here). */
interface ListedObject {
    kind?: string;
    metadata?: { name?: string; namespace?: string; deletionTimestamp?: string };
    spec?: {
        persistentVolumeReclaimPolicy?: string;
        csi?: { driver?: string };
        claimRef?: { namespace?: string; name?: string };
    };
}

/** What is left of the drivers' dynamic volumes. */
export interface VolumeState {
    /** PVs the in-cluster driver is deleting, or will delete once their claim is gone. */
    pending: string[];
    /**
     * Claims (`namespace/name → pv`) that still exist and are not being deleted: their volumes will
     * not go until someone deletes the claim.
     */
    blocked: string[];
}

/**
 * The PVs whose deletion by the in-cluster driver the destroy must wait for: PVs of one of `drivers`
 * with reclaim policy Delete (the provisioner's default for dynamic volumes). `blocked` lists those
 * whose claim is still in the list without a deletionTimestamp (a claim being deleted, e.g. in a
 * terminating namespace, is pending, not blocked).
 */
export function volumeState(list: unknown, drivers: readonly string[]): VolumeState {
    const items = ((list as { items?: ListedObject[] } | undefined)?.items ?? []) as ListedObject[];
    const liveClaims = new Set(
        items
            .filter((o) => o.kind === "PersistentVolumeClaim" && !o.metadata?.deletionTimestamp)
            .map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`),
    );
    const pending: string[] = [];
    const blocked: string[] = [];
    for (const pv of items) {
        if (pv.kind !== undefined && pv.kind !== "PersistentVolume") continue;
        if (pv.spec?.persistentVolumeReclaimPolicy !== "Delete") continue;
        if (!drivers.includes(pv.spec?.csi?.driver ?? "")) continue;
        const name = pv.metadata?.name ?? "?";
        pending.push(name);
        const ref = pv.spec?.claimRef;
        const claim = ref ? `${ref.namespace}/${ref.name}` : undefined;
        if (claim && liveClaims.has(claim) && !pv.metadata?.deletionTimestamp) {
            blocked.push(`${claim} → ${name}`);
        }
    }
    return { pending: pending.sort(), blocked: blocked.sort() };
}

/** The names of the PVs still pending (see volumeState). */
export function pendingVolumes(list: unknown, drivers: readonly string[]): string[] {
    return volumeState(list, drivers).pending;
}

/** What waitForVolumes needs from the outside world (kubectl, the clock), so tests can drive it. */
export interface WaitEnv {
    /** Runs `kubectl get pv,pvc --all-namespaces -o json`; throws when kubectl fails. */
    listVolumes(): string;
    now(): number;
    sleep(ms: number): Promise<void>;
}

export interface WaitOptions {
    drivers: readonly string[];
    timeoutSeconds: number;
    /** How long blocked claims, or kubectl failures, are tolerated before failing. */
    graceSeconds: number;
    intervalSeconds: number;
}

/** Polls until no pending volume is left; throws (bounded) when that will not or did not happen. */
export async function waitForVolumes(env: WaitEnv, o: WaitOptions): Promise<void> {
    const start = env.now();
    let blockedSince: number | undefined;
    let failingSince: number | undefined;
    for (;;) {
        let out: string | undefined;
        try {
            out = env.listVolumes();
            failingSince = undefined;
        } catch (e) {
            const err = e as { code?: string; message?: string; stderr?: unknown };
            if (err.code === "ENOENT") {
                throw new Error(
                    "volume teardown: kubectl is not on PATH. pulumi destroy runs `kubectl get pv,pvc` to wait for " +
                        "the cluster's CSI drivers to delete the volumes of dynamic claims (Filestore instances, disks). " +
                        "Install kubectl (and the kubeconfig's exec plugin), or set KVL_SKIP_VOLUME_WAIT=1 and delete " +
                        "leftover volumes by hand.",
                );
            }
            failingSince ??= env.now();
            if (env.now() - failingSince >= o.graceSeconds * 1000) {
                throw new Error(
                    `volume teardown: kubectl cannot list the cluster's volumes: ${String(err.stderr ?? err.message).trim()}. ` +
                        "Check the credentials of the kubeconfig's exec plugin. If the cluster is already gone, set " +
                        "KVL_SKIP_VOLUME_WAIT=1 and check the cloud console for leftover volumes.",
                );
            }
        }
        if (out !== undefined) {
            const state = volumeState(JSON.parse(out), o.drivers);
            if (state.pending.length === 0) return;
            if (state.blocked.length > 0) {
                blockedSince ??= env.now();
                if (env.now() - blockedSince >= o.graceSeconds * 1000) {
                    throw new Error(
                        `volume teardown: these claims are not managed by this stack (or were not deleted) and keep ` +
                            `billed volumes: ${state.blocked.join(", ")}. Delete them (kubectl delete pvc -n <namespace> ` +
                            "<name>), then run pulumi destroy again; the cluster is kept until then.",
                    );
                }
            } else {
                blockedSince = undefined;
            }
            if (env.now() - start >= o.timeoutSeconds * 1000) {
                throw new Error(
                    `volume teardown: volumes still being deleted by the in-cluster driver after ${o.timeoutSeconds} s: ` +
                        `${state.pending.join(", ")}. The cluster is kept so the driver can finish; run pulumi destroy ` +
                        "again later (kubectl get pv shows them).",
                );
            }
        }
        await env.sleep(o.intervalSeconds * 1000);
    }
}

export interface VolumeTeardownInputs {
    /** Admin kubeconfig (secret). */
    kubeconfig: pulumi.Input<string>;
    /** CSI drivers whose dynamically provisioned volumes must be gone before the cluster goes. */
    drivers: pulumi.Input<string[]>;
    /** How long the destroy waits before failing (and so keeping the cluster). Default 1800 s. */
    timeoutSeconds?: pulumi.Input<number>;
    /** How long blocked claims or kubectl failures are tolerated. Default 120 s. */
    graceSeconds?: pulumi.Input<number>;
}

interface Props {
    kubeconfig: string;
    drivers: string[];
    timeoutSeconds?: number;
    graceSeconds?: number;
}

/** Inputs whose change must reach the state (a new cluster endpoint, other drivers). */
export function teardownChanges(olds: Partial<Props>, news: Partial<Props>): string[] {
    return (["kubeconfig", "drivers", "timeoutSeconds", "graceSeconds"] as const).filter(
        (k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
    );
}

const teardownProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: Props) {
        return { id: "volume-teardown", outs: inputs };
    },
    async diff(_id: string, olds: Props, news: Props) {
        // Updated in place (never replaced): delete is the only step that does anything, and the
        // state must carry the current kubeconfig (the cluster's endpoint and CA) for it.
        const changed = teardownChanges(olds, news);
        return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
    },
    async update(_id: string, _olds: Props, news: Props) {
        return { outs: news };
    },
    async delete(_id: string, props: Props) {
        if (process.env.KVL_SKIP_VOLUME_WAIT === "1") return;
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { execFileSync } = require("child_process");
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const fs = require("fs");
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const os = require("os");
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const path = require("path");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvl-teardown-"));
        const file = path.join(dir, "kubeconfig");
        fs.writeFileSync(file, props.kubeconfig, { mode: 0o600 });
        try {
            await waitForVolumes(
                {
                    listVolumes: () =>
                        execFileSync(
                            "kubectl",
                            ["--kubeconfig", file, "--request-timeout", "30s", "get", "pv,pvc", "--all-namespaces", "-o", "json"],
                            { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 },
                        ),
                    now: () => Date.now(),
                    sleep: (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
                },
                {
                    drivers: props.drivers,
                    timeoutSeconds: props.timeoutSeconds ?? 1800,
                    graceSeconds: props.graceSeconds ?? 120,
                    intervalSeconds: 15,
                },
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    },
};

/** Deleted after the Kubernetes objects that depend on it; its deletion waits for the driver. */
export class VolumeTeardown extends pulumi.dynamic.Resource {
    constructor(name: string, args: VolumeTeardownInputs, opts?: pulumi.CustomResourceOptions) {
        super(
            teardownProvider,
            name,
            {
                kubeconfig: pulumi.secret(args.kubeconfig),
                drivers: args.drivers,
                timeoutSeconds: args.timeoutSeconds ?? 1800,
                graceSeconds: args.graceSeconds ?? 120,
            },
            // The kubeconfig stays secret in the state's outputs too.
            { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "kubeconfig"] },
        );
    }
}
