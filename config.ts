/**
 * The program's configuration: the only place that reads `pulumi.Config`.
 *
 * `readConfig()` gathers the raw values; `parseConfig()` is a pure function that validates them and
 * returns one typed `LabConfig`, so every rule here is tested without Pulumi. A bad value throws a
 * `ConfigError` naming the key, the value and what would be accepted, before any resource exists.
 */
import * as pulumi from "@pulumi/pulumi";

export const PLATFORMS = ["gke", "eks", "kind"] as const;
export type PlatformName = (typeof PLATFORMS)[number];

export const DISTINCT_UPDATER_MODES = ["rwo", "affinity", "rwx"] as const;
export type DistinctUpdaterMode = (typeof DISTINCT_UPDATER_MODES)[number];

export const STORY_VOLUMES = ["emptyDir", "hostPath", "claim"] as const;
export type StoryVolume = (typeof STORY_VOLUMES)[number];

export const ACCESS_MODES_MODES = ["colocated", "spread", "readersOnly"] as const;
export type AccessModesMode = (typeof ACCESS_MODES_MODES)[number];

export const KIND_RWX_BACKENDS = ["longhorn", "nfs", "none"] as const;

/** A student of the class. `name` keys every per-student resource. */
export interface Student {
    /** DNS label; the namespace is `student-<name>`. */
    name: string;
    /** POSIX uid (and gid) of the student's files; derived from the name when not given. */
    uid: number;
    /** Whether `uid` came from config (true) or was derived (false). */
    uidExplicit: boolean;
    /** Platform identity to bind: a Google account (gke), an IAM principal ARN (eks), a user (kind). */
    identity?: string;
}

export interface GkeConfig {
    project: string;
    region: string;
    /** Zone (default) or region of the cluster. */
    location: string;
    nodeCount: number;
    machineType: string;
    diskSizeGb: number;
    releaseChannel: "RAPID" | "REGULAR" | "STABLE" | "EXTENDED" | "UNSPECIFIED";
    /** Minimum master version; unset lets the release channel choose. */
    kubernetesVersion?: string;
    deletionProtection: boolean;
    /** Storage class used for ReadWriteMany demos. */
    rwxStorageClass: string;
    /** Storage class used for ReadWriteOnce demos. */
    rwoStorageClass: string;
    network: {
        /** Existing VPC network name; a dedicated one is created when unset. */
        existingNetwork?: string;
        /** Existing subnetwork name (required with existingNetwork). */
        existingSubnetwork?: string;
        subnetCidr: string;
        podsCidr: string;
        servicesCidr: string;
    };
    /** The shared Filestore instance that holds every student's home directory. */
    studentFilestore: {
        tier: "BASIC_HDD" | "BASIC_SSD" | "ZONAL";
        capacityGb: number;
        protect: boolean;
    };
}

export interface EksConfig {
    region: string;
    kubernetesVersion: string;
    nodeCount: number;
    instanceTypes: string[];
    capacityType: "ON_DEMAND" | "SPOT";
    /** Created VPC (default) or existing subnets. */
    vpc: { cidr: string; azCount: number } | { existingVpcId: string; subnetIds: string[] };
    efs: {
        performanceMode: "generalPurpose" | "maxIO";
        throughputMode: "elastic" | "bursting" | "provisioned";
        provisionedThroughputMibps?: number;
        /** Protect the file system from `pulumi destroy` and replacement. */
        protect: boolean;
    };
    /** Optional pinned add-on versions; unset uses the default version for the cluster. */
    addonVersions: { efsCsiDriver?: string; podIdentityAgent?: string };
    /** IAM principals given cluster-admin through an access entry. */
    adminPrincipalArns: string[];
}

export interface KindConfig {
    context: string;
    kubeconfig?: string;
    /** `longhorn`, `nfs`, `none`, or the name of a class that already exists in the cluster. */
    rwxBackend: string;
}

export interface DemosConfig {
    distinctUpdater: { enabled: boolean; mode: DistinctUpdaterMode; replicas: number };
    sideUpdater: { enabled: boolean };
    chatroulette: { enabled: boolean; frontImage?: string; backImage?: string; backReplicas: number };
    story: { enabled: boolean; volume: StoryVolume; replicas: number; image?: string };
    accessModes: { enabled: boolean; mode: AccessModesMode; writers: number; readers: number };
}

export interface StudentQuotaConfig {
    cpu: string;
    memory: string;
    pods: number;
    claims: number;
    storage: string;
    homeSize: string;
    defaultCpuRequest: string;
    defaultMemoryRequest: string;
    defaultCpuLimit: string;
    defaultMemoryLimit: string;
}

export interface LabConfig {
    platform: PlatformName;
    students: Student[];
    studentApps: boolean;
    quota: StudentQuotaConfig;
    demos: DemosConfig;
    /** Only the selected platform's section is parsed and present. */
    gke?: GkeConfig;
    eks?: EksConfig;
    kind?: KindConfig;
}

/** What `parseConfig` reads: raw values as Pulumi hands them over (objects already JSON-parsed). */
export interface RawConfig {
    platform?: unknown;
    students?: unknown;
    studentApps?: unknown;
    quota?: unknown;
    demos?: unknown;
    gke?: unknown;
    eks?: unknown;
    kind?: unknown;
    /** `gcp:project`, `gcp:region`, `gcp:zone`, `aws:region`. */
    gcpProject?: unknown;
    gcpRegion?: unknown;
    gcpZone?: unknown;
    awsRegion?: unknown;
}

/** A configuration value that cannot be used; the message names key, value and what is accepted. */
export class ConfigError extends Error {
    constructor(
        public readonly key: string,
        message: string,
    ) {
        super(`Invalid configuration '${key}': ${message}`);
        this.name = "ConfigError";
    }
}

// ---------------------------------------------------------------------------------------------
// Small typed readers over untyped objects.

type Obj = Record<string, unknown>;

function show(value: unknown): string {
    return JSON.stringify(value) ?? String(value);
}

function asObject(key: string, value: unknown): Obj {
    if (value === undefined || value === null) {
        return {};
    }
    if (typeof value !== "object" || Array.isArray(value)) {
        throw new ConfigError(key, `${show(value)} is not an object; expected a map of settings`);
    }
    return value as Obj;
}

function rejectUnknownKeys(key: string, obj: Obj, allowed: readonly string[]): void {
    for (const k of Object.keys(obj)) {
        if (!allowed.includes(k)) {
            throw new ConfigError(
                `${key}.${k}`,
                `unknown setting; accepted settings of '${key}' are ${allowed.join(", ")}`,
            );
        }
    }
}

function optString(key: string, value: unknown): string | undefined {
    if (value === undefined || value === null) {
        return undefined;
    }
    if (typeof value !== "string" || value.trim() === "") {
        throw new ConfigError(key, `${show(value)} is not a non-empty string`);
    }
    return value;
}

function str(key: string, value: unknown, fallback: string): string {
    return optString(key, value) ?? fallback;
}

function oneOf<T extends string>(
    key: string,
    value: unknown,
    accepted: readonly T[],
    fallback: T,
): T {
    if (value === undefined || value === null) {
        return fallback;
    }
    if (typeof value !== "string" || !(accepted as readonly string[]).includes(value)) {
        throw new ConfigError(key, `${show(value)} is not one of ${accepted.join(", ")}`);
    }
    return value as T;
}

function int(key: string, value: unknown, fallback: number, min: number, max: number): number {
    if (value === undefined || value === null) {
        return fallback;
    }
    // Pulumi hands nested values over as JSON; accept "3" from `pulumi config set --path`.
    const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
        throw new ConfigError(key, `${show(value)} is not a whole number from ${min} to ${max}`);
    }
    return n;
}

function bool(key: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined || value === null) {
        return fallback;
    }
    if (value === "true" || value === "false") {
        return value === "true";
    }
    if (typeof value !== "boolean") {
        throw new ConfigError(key, `${show(value)} is not true or false`);
    }
    return value;
}

function stringList(key: string, value: unknown, fallback: string[], pattern?: RegExp): string[] {
    if (value === undefined || value === null) {
        return fallback;
    }
    if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "")) {
        throw new ConfigError(key, `${show(value)} is not a list of non-empty strings`);
    }
    if (pattern) {
        for (const v of value as string[]) {
            if (!pattern.test(v)) {
                throw new ConfigError(key, `${show(v)} does not match ${pattern}`);
            }
        }
    }
    return value as string[];
}

const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/;

function quantity(key: string, value: unknown, fallback: string): string {
    const v = str(key, value, fallback);
    if (!QUANTITY.test(v)) {
        throw new ConfigError(key, `${show(v)} is not a Kubernetes quantity such as 500m, 2, 1Gi`);
    }
    return v;
}

const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;

function cidr(key: string, value: unknown, fallback: string): string {
    const v = str(key, value, fallback);
    const [addr, bits] = v.split("/");
    if (!CIDR.test(v) || addr.split(".").some((o) => Number(o) > 255) || Number(bits) > 32) {
        throw new ConfigError(key, `${show(v)} is not an IPv4 CIDR block such as 10.0.0.0/16`);
    }
    return v;
}

// ---------------------------------------------------------------------------------------------
// Students

/** RFC 1123 label: what a namespace name segment must be. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** `student-` + name must fit in a 63-character namespace name. */
export const STUDENT_NAME_MAX = 63 - "student-".length;
/** Derived uids fall in [UID_MIN, UID_MIN + UID_SPAN): above system and typical login ranges. */
export const UID_MIN = 100_000;
export const UID_SPAN = 2_000_000_000;

/** FNV-1a 32-bit: a stable, dependency-free hash so a student's uid never depends on the list. */
function fnv1a(text: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
        h ^= text.charCodeAt(i);
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h >>> 0;
}

/** The uid a student gets when config gives none: a function of the name alone. */
export function deriveUid(name: string): number {
    return UID_MIN + (fnv1a(name) % UID_SPAN);
}

const GOOGLE_ACCOUNT = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;
const IAM_PRINCIPAL = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:(user|role)\/[\w+=,.@/-]+$/;
const KUBE_USER = /^[^\s]+$/;

function checkIdentity(key: string, platform: PlatformName, identity: string): void {
    const forms: Record<PlatformName, [RegExp, string]> = {
        gke: [GOOGLE_ACCOUNT, "a Google account e-mail such as ada@example.com"],
        eks: [IAM_PRINCIPAL, "an IAM user or role ARN such as arn:aws:iam::123456789012:user/ada"],
        kind: [KUBE_USER, "a Kubernetes user name without spaces"],
    };
    const [pattern, accepted] = forms[platform];
    if (!pattern.test(identity)) {
        throw new ConfigError(key, `${show(identity)} is not ${accepted} (platform ${platform})`);
    }
}

export function parseStudents(value: unknown, platform: PlatformName): Student[] {
    if (value === undefined || value === null) {
        return [];
    }
    if (!Array.isArray(value)) {
        throw new ConfigError("students", `${show(value)} is not a list of names or {name, uid?, identity?}`);
    }
    const students: Student[] = [];
    const byName = new Map<string, number>();
    const byUid = new Map<number, string>();
    value.forEach((entry: unknown, i: number) => {
        const key = `students[${i}]`;
        const obj: Obj = typeof entry === "string" ? { name: entry } : asObject(key, entry);
        rejectUnknownKeys(key, obj, ["name", "uid", "identity"]);
        const name = obj.name;
        if (typeof name !== "string" || !DNS_LABEL.test(name) || name.length > STUDENT_NAME_MAX) {
            throw new ConfigError(
                `${key}.name`,
                `${show(name)} is not a valid student name: use lowercase letters, digits and '-', ` +
                    `starting and ending with a letter or digit, at most ${STUDENT_NAME_MAX} characters ` +
                    `(the namespace is student-<name>)`,
            );
        }
        if (byName.has(name)) {
            throw new ConfigError(key, `student ${show(name)} is listed twice (also students[${byName.get(name)}])`);
        }
        byName.set(name, i);
        const uidExplicit = obj.uid !== undefined && obj.uid !== null;
        const uid = uidExplicit ? int(`${key}.uid`, obj.uid, 0, 1000, 4_294_967_294) : deriveUid(name);
        const identity = optString(`${key}.identity`, obj.identity);
        if (identity !== undefined) {
            checkIdentity(`${key}.identity`, platform, identity);
        }
        students.push({ name, uid, uidExplicit, identity });
    });
    // uid collisions: checked after all explicit uids are known, in name order so the message is stable.
    for (const s of [...students].sort((a, b) => a.name.localeCompare(b.name))) {
        const other = byUid.get(s.uid);
        if (other !== undefined) {
            throw new ConfigError(
                "students",
                `students ${show(other)} and ${show(s.name)} would share uid ${s.uid}; ` +
                    `give one of them an explicit, unique 'uid'`,
            );
        }
        byUid.set(s.uid, s.name);
    }
    return students;
}

// ---------------------------------------------------------------------------------------------
// Platform sections

const GCP_REGION = /^[a-z]+-[a-z]+\d+$/;
const GCP_ZONE = /^[a-z]+-[a-z]+\d+-[a-z]$/;

function parseGke(raw: RawConfig): GkeConfig {
    const o = asObject("gke", raw.gke);
    rejectUnknownKeys("gke", o, [
        "location",
        "nodeCount",
        "machineType",
        "diskSizeGb",
        "releaseChannel",
        "kubernetesVersion",
        "deletionProtection",
        "rwxStorageClass",
        "rwoStorageClass",
        "network",
        "studentFilestore",
    ]);
    const project = optString("gcp:project", raw.gcpProject);
    if (project === undefined) {
        throw new ConfigError(
            "gcp:project",
            "is not set; the gke platform needs it: pulumi config set gcp:project <project-id>",
        );
    }
    const region = str("gcp:region", raw.gcpRegion, "europe-west1");
    if (!GCP_REGION.test(region)) {
        throw new ConfigError("gcp:region", `${show(region)} is not a GCP region such as europe-west1`);
    }
    const zone = optString("gcp:zone", raw.gcpZone);
    const location = str("gke.location", o.location, zone ?? `${region}-b`);
    if (!(GCP_ZONE.test(location) || location === region)) {
        throw new ConfigError(
            "gke.location",
            `${show(location)} is neither a zone of ${region} (such as ${region}-b) nor the region itself`,
        );
    }
    if (GCP_ZONE.test(location) && !location.startsWith(`${region}-`)) {
        throw new ConfigError("gke.location", `${show(location)} is not a zone of gcp:region ${region}`);
    }
    const net = asObject("gke.network", o.network);
    rejectUnknownKeys("gke.network", net, [
        "existingNetwork",
        "existingSubnetwork",
        "subnetCidr",
        "podsCidr",
        "servicesCidr",
    ]);
    const existingNetwork = optString("gke.network.existingNetwork", net.existingNetwork);
    const existingSubnetwork = optString("gke.network.existingSubnetwork", net.existingSubnetwork);
    if ((existingNetwork === undefined) !== (existingSubnetwork === undefined)) {
        throw new ConfigError(
            "gke.network",
            "existingNetwork and existingSubnetwork go together: set both, or neither to create a VPC",
        );
    }
    const fs = asObject("gke.studentFilestore", o.studentFilestore);
    rejectUnknownKeys("gke.studentFilestore", fs, ["tier", "capacityGb", "protect"]);
    const tier = oneOf("gke.studentFilestore.tier", fs.tier, ["BASIC_HDD", "BASIC_SSD", "ZONAL"] as const, "BASIC_HDD");
    const minCapacity = { BASIC_HDD: 1024, BASIC_SSD: 2560, ZONAL: 1024 }[tier];
    return {
        project,
        region,
        location,
        nodeCount: int("gke.nodeCount", o.nodeCount, 2, 1, 100),
        machineType: str("gke.machineType", o.machineType, "e2-standard-2"),
        diskSizeGb: int("gke.diskSizeGb", o.diskSizeGb, 50, 10, 2000),
        releaseChannel: oneOf(
            "gke.releaseChannel",
            o.releaseChannel,
            ["RAPID", "REGULAR", "STABLE", "EXTENDED", "UNSPECIFIED"] as const,
            "REGULAR",
        ),
        kubernetesVersion: optString("gke.kubernetesVersion", o.kubernetesVersion),
        deletionProtection: bool("gke.deletionProtection", o.deletionProtection, false),
        rwxStorageClass: str("gke.rwxStorageClass", o.rwxStorageClass, "standard-rwx"),
        rwoStorageClass: str("gke.rwoStorageClass", o.rwoStorageClass, "standard-rwo"),
        network: {
            existingNetwork,
            existingSubnetwork,
            subnetCidr: cidr("gke.network.subnetCidr", net.subnetCidr, "10.10.0.0/20"),
            podsCidr: cidr("gke.network.podsCidr", net.podsCidr, "10.20.0.0/14"),
            servicesCidr: cidr("gke.network.servicesCidr", net.servicesCidr, "10.24.0.0/20"),
        },
        studentFilestore: {
            tier,
            capacityGb: int("gke.studentFilestore.capacityGb", fs.capacityGb, minCapacity, minCapacity, 102400),
            protect: bool("gke.studentFilestore.protect", fs.protect, true),
        },
    };
}

const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

function parseEks(raw: RawConfig): EksConfig {
    const o = asObject("eks", raw.eks);
    rejectUnknownKeys("eks", o, [
        "kubernetesVersion",
        "nodeCount",
        "instanceTypes",
        "capacityType",
        "vpc",
        "efs",
        "addonVersions",
        "adminPrincipalArns",
    ]);
    const region = optString("aws:region", raw.awsRegion);
    if (region === undefined) {
        throw new ConfigError("aws:region", "is not set; the eks platform needs it: pulumi config set aws:region eu-west-3");
    }
    if (!AWS_REGION.test(region)) {
        throw new ConfigError("aws:region", `${show(region)} is not an AWS region such as eu-west-3`);
    }
    const kubernetesVersion = str("eks.kubernetesVersion", o.kubernetesVersion, "1.33");
    if (!/^1\.\d{2}$/.test(kubernetesVersion)) {
        throw new ConfigError("eks.kubernetesVersion", `${show(kubernetesVersion)} is not a minor version such as 1.33`);
    }
    const vpcRaw = asObject("eks.vpc", o.vpc);
    rejectUnknownKeys("eks.vpc", vpcRaw, ["cidr", "azCount", "existingVpcId", "subnetIds"]);
    let vpc: EksConfig["vpc"];
    if (vpcRaw.existingVpcId !== undefined || vpcRaw.subnetIds !== undefined) {
        const existingVpcId = optString("eks.vpc.existingVpcId", vpcRaw.existingVpcId);
        const subnetIds = stringList("eks.vpc.subnetIds", vpcRaw.subnetIds, [], /^subnet-[0-9a-f]+$/);
        if (existingVpcId === undefined || !/^vpc-[0-9a-f]+$/.test(existingVpcId) || subnetIds.length < 2) {
            throw new ConfigError(
                "eks.vpc",
                "an existing VPC needs existingVpcId (vpc-...) and at least two subnetIds (subnet-...) in different AZs",
            );
        }
        if (vpcRaw.cidr !== undefined || vpcRaw.azCount !== undefined) {
            throw new ConfigError("eks.vpc", "cidr/azCount describe a VPC to create; they cannot be combined with existingVpcId");
        }
        vpc = { existingVpcId, subnetIds };
    } else {
        vpc = {
            cidr: cidr("eks.vpc.cidr", vpcRaw.cidr, "10.0.0.0/16"),
            azCount: int("eks.vpc.azCount", vpcRaw.azCount, 2, 2, 6),
        };
    }
    const efsRaw = asObject("eks.efs", o.efs);
    rejectUnknownKeys("eks.efs", efsRaw, ["performanceMode", "throughputMode", "provisionedThroughputMibps", "protect"]);
    const throughputMode = oneOf(
        "eks.efs.throughputMode",
        efsRaw.throughputMode,
        ["elastic", "bursting", "provisioned"] as const,
        "elastic",
    );
    const performanceMode = oneOf(
        "eks.efs.performanceMode",
        efsRaw.performanceMode,
        ["generalPurpose", "maxIO"] as const,
        "generalPurpose",
    );
    if (performanceMode === "maxIO" && throughputMode === "elastic") {
        throw new ConfigError("eks.efs.performanceMode", "maxIO cannot be used with throughputMode elastic; use bursting or provisioned");
    }
    const provisioned = efsRaw.provisionedThroughputMibps;
    if ((throughputMode === "provisioned") !== (provisioned !== undefined)) {
        throw new ConfigError(
            "eks.efs.provisionedThroughputMibps",
            "is required with throughputMode provisioned, and only then",
        );
    }
    const addons = asObject("eks.addonVersions", o.addonVersions);
    rejectUnknownKeys("eks.addonVersions", addons, ["efsCsiDriver", "podIdentityAgent"]);
    return {
        region,
        kubernetesVersion,
        nodeCount: int("eks.nodeCount", o.nodeCount, 2, 1, 100),
        instanceTypes: stringList("eks.instanceTypes", o.instanceTypes, ["t3.medium"], /^[a-z0-9-]+\.[a-z0-9]+$/),
        capacityType: oneOf("eks.capacityType", o.capacityType, ["ON_DEMAND", "SPOT"] as const, "ON_DEMAND"),
        vpc,
        efs: {
            performanceMode,
            throughputMode,
            provisionedThroughputMibps:
                provisioned === undefined ? undefined : int("eks.efs.provisionedThroughputMibps", provisioned, 1, 1, 10240),
            protect: bool("eks.efs.protect", efsRaw.protect, true),
        },
        addonVersions: {
            efsCsiDriver: optString("eks.addonVersions.efsCsiDriver", addons.efsCsiDriver),
            podIdentityAgent: optString("eks.addonVersions.podIdentityAgent", addons.podIdentityAgent),
        },
        adminPrincipalArns: stringList("eks.adminPrincipalArns", o.adminPrincipalArns, [], IAM_PRINCIPAL),
    };
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function parseKind(raw: RawConfig): KindConfig {
    const o = asObject("kind", raw.kind);
    rejectUnknownKeys("kind", o, ["context", "kubeconfig", "rwxBackend"]);
    const rwxBackend = str("kind.rwxBackend", o.rwxBackend, "nfs");
    if (!(KIND_RWX_BACKENDS as readonly string[]).includes(rwxBackend) && !DNS_SUBDOMAIN.test(rwxBackend)) {
        throw new ConfigError(
            "kind.rwxBackend",
            `${show(rwxBackend)} is not one of ${KIND_RWX_BACKENDS.join(", ")} nor the name of an existing StorageClass`,
        );
    }
    return {
        context: str("kind.context", o.context, "kind-kind"),
        kubeconfig: optString("kind.kubeconfig", o.kubeconfig),
        rwxBackend,
    };
}

// ---------------------------------------------------------------------------------------------
// Demos and student settings

function parseDemos(value: unknown, hasRwx: boolean, rwxReason: string): DemosConfig {
    const o = asObject("demos", value);
    rejectUnknownKeys("demos", o, ["distinctUpdater", "sideUpdater", "chatroulette", "story", "accessModes"]);
    const du = asObject("demos.distinctUpdater", o.distinctUpdater);
    rejectUnknownKeys("demos.distinctUpdater", du, ["enabled", "mode", "replicas"]);
    const su = asObject("demos.sideUpdater", o.sideUpdater);
    rejectUnknownKeys("demos.sideUpdater", su, ["enabled"]);
    const cr = asObject("demos.chatroulette", o.chatroulette);
    rejectUnknownKeys("demos.chatroulette", cr, ["enabled", "frontImage", "backImage", "backReplicas"]);
    const st = asObject("demos.story", o.story);
    rejectUnknownKeys("demos.story", st, ["enabled", "volume", "replicas", "image"]);
    const am = asObject("demos.accessModes", o.accessModes);
    rejectUnknownKeys("demos.accessModes", am, ["enabled", "mode", "writers", "readers"]);

    const demos: DemosConfig = {
        distinctUpdater: {
            enabled: bool("demos.distinctUpdater.enabled", du.enabled, true),
            mode: oneOf("demos.distinctUpdater.mode", du.mode, DISTINCT_UPDATER_MODES, "affinity"),
            replicas: int("demos.distinctUpdater.replicas", du.replicas, 5, 1, 50),
        },
        sideUpdater: { enabled: bool("demos.sideUpdater.enabled", su.enabled, true) },
        chatroulette: {
            // Chatroulette's backend needs a ReadWriteMany claim: off by default where there is none.
            enabled: bool("demos.chatroulette.enabled", cr.enabled, hasRwx),
            frontImage: optString("demos.chatroulette.frontImage", cr.frontImage),
            backImage: optString("demos.chatroulette.backImage", cr.backImage),
            backReplicas: int("demos.chatroulette.backReplicas", cr.backReplicas, 1, 1, 10),
        },
        story: {
            enabled: bool("demos.story.enabled", st.enabled, true),
            volume: oneOf("demos.story.volume", st.volume, STORY_VOLUMES, hasRwx ? "claim" : "hostPath"),
            replicas: int("demos.story.replicas", st.replicas, 2, 1, 20),
            image: optString("demos.story.image", st.image),
        },
        accessModes: {
            enabled: bool("demos.accessModes.enabled", am.enabled, true),
            mode: oneOf("demos.accessModes.mode", am.mode, ACCESS_MODES_MODES, "colocated"),
            writers: int("demos.accessModes.writers", am.writers, 2, 0, 20),
            readers: int("demos.accessModes.readers", am.readers, 2, 0, 20),
        },
    };
    const am2 = demos.accessModes;
    if (am2.enabled && (am2.mode === "readersOnly" ? am2.readers : am2.writers + am2.readers) === 0) {
        throw new ConfigError("demos.accessModes", `mode ${am2.mode} with these writers/readers counts starts no pod; raise readers or writers`);
    }
    if (!hasRwx) {
        const needRwx: [boolean, string][] = [
            [demos.distinctUpdater.enabled && demos.distinctUpdater.mode === "rwx", "demos.distinctUpdater.mode"],
            [demos.chatroulette.enabled, "demos.chatroulette.enabled"],
            [demos.story.enabled && demos.story.volume === "claim", "demos.story.volume"],
        ];
        for (const [needs, key] of needRwx) {
            if (needs) {
                throw new ConfigError(key, `needs a ReadWriteMany storage class, and ${rwxReason}`);
            }
        }
    }
    return demos;
}

function parseQuota(value: unknown): StudentQuotaConfig {
    const o = asObject("quota", value);
    const keys = [
        "cpu",
        "memory",
        "pods",
        "claims",
        "storage",
        "homeSize",
        "defaultCpuRequest",
        "defaultMemoryRequest",
        "defaultCpuLimit",
        "defaultMemoryLimit",
    ] as const;
    rejectUnknownKeys("quota", o, keys);
    return {
        cpu: quantity("quota.cpu", o.cpu, "2"),
        memory: quantity("quota.memory", o.memory, "4Gi"),
        pods: int("quota.pods", o.pods, 20, 1, 1000),
        claims: int("quota.claims", o.claims, 5, 1, 100),
        storage: quantity("quota.storage", o.storage, "20Gi"),
        homeSize: quantity("quota.homeSize", o.homeSize, "5Gi"),
        defaultCpuRequest: quantity("quota.defaultCpuRequest", o.defaultCpuRequest, "50m"),
        defaultMemoryRequest: quantity("quota.defaultMemoryRequest", o.defaultMemoryRequest, "64Mi"),
        defaultCpuLimit: quantity("quota.defaultCpuLimit", o.defaultCpuLimit, "500m"),
        defaultMemoryLimit: quantity("quota.defaultMemoryLimit", o.defaultMemoryLimit, "256Mi"),
    };
}

/** Validates raw configuration; throws `ConfigError` on the first bad value. Pure. */
export function parseConfig(raw: RawConfig): LabConfig {
    if (raw.platform === undefined || raw.platform === null) {
        throw new ConfigError(
            "platform",
            `is not set; set it in the stack file to one of ${PLATFORMS.join(", ")} (pulumi config set platform gke)`,
        );
    }
    const platform = oneOf("platform", raw.platform, PLATFORMS, "gke");
    const gke = platform === "gke" ? parseGke(raw) : undefined;
    const eks = platform === "eks" ? parseEks(raw) : undefined;
    const kind = platform === "kind" ? parseKind(raw) : undefined;
    const hasRwx = kind === undefined || kind.rwxBackend !== "none";
    return {
        platform,
        students: parseStudents(raw.students, platform),
        studentApps: bool("studentApps", raw.studentApps, true),
        quota: parseQuota(raw.quota),
        demos: parseDemos(raw.demos, hasRwx, "kind.rwxBackend is none (set it to nfs, longhorn or a class name)"),
        gke,
        eks,
        kind,
    };
}

/** Reads the stack's configuration through Pulumi, then validates it with `parseConfig`. */
export function readConfig(): LabConfig {
    const cfg = new pulumi.Config();
    const gcp = new pulumi.Config("gcp");
    const aws = new pulumi.Config("aws");
    const obj = (key: string): unknown => cfg.getObject<unknown>(key);
    return parseConfig({
        platform: cfg.get("platform"),
        students: obj("students"),
        studentApps: obj("studentApps"),
        quota: obj("quota"),
        demos: obj("demos"),
        gke: obj("gke"),
        eks: obj("eks"),
        kind: obj("kind"),
        gcpProject: gcp.get("project"),
        gcpRegion: gcp.get("region"),
        gcpZone: gcp.get("zone"),
        awsRegion: aws.get("region"),
    });
}
