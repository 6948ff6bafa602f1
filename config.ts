/**
 * The program's configuration: the only place that reads `pulumi.Config`.
 *
 * The configuration is described once, as zod schemas (`SCHEMA` below). The TypeScript types are
 * derived from them, and so are the `Pulumi.yaml` comment and README's configuration table
 * (`scripts/config-docs.ts` writes both; test/configDocs.test.ts fails when they drift).
 *
 * `readConfig()` gathers the raw values; `parseConfig()` is a pure function that validates them in
 * two steps: the schema (types, ranges, accepted values, unknown keys), then the rules that relate one
 * key to another (`resolve*` below). A bad value throws a `ConfigError` naming the key, the value and
 * what would be accepted, before any resource exists.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

import { DNS_LABEL } from "./components/common";
import { DISTINCT_UPDATER_MODES } from "./components/distinctUpdater";
import { STORY_VOLUMES } from "./components/storyApp";
import { capabilities } from "./platforms/capabilities";

export const PLATFORMS = ["gke", "eks", "kind"] as const;
export type PlatformName = (typeof PLATFORMS)[number];

export { DISTINCT_UPDATER_MODES, STORY_VOLUMES };
export type DistinctUpdaterMode = (typeof DISTINCT_UPDATER_MODES)[number];
export type StoryVolume = (typeof STORY_VOLUMES)[number];

export const ACCESS_MODES_MODES = ["colocated", "spread", "readersOnly"] as const;
export type AccessModesMode = (typeof ACCESS_MODES_MODES)[number];

export const KIND_RWX_BACKENDS = ["nfs", "longhorn", "existing", "none"] as const;
export type KindRwxBackend = (typeof KIND_RWX_BACKENDS)[number];

/**
 * EKS minor versions in standard support (Amazon EKS Kubernetes release calendar,
 * docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html). A version past standard support
 * moves the cluster to extended support, billed at $0.60 instead of $0.10 per cluster-hour.
 */
export const EKS_KUBERNETES_VERSIONS = ["1.35", "1.36"] as const;
export const EKS_DEFAULT_KUBERNETES_VERSION = "1.35";

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
// Building blocks: each carries the error message the user sees.

function show(value: unknown): string {
    return JSON.stringify(value) ?? String(value);
}

/** Levenshtein distance, for "did you mean" on near-miss names. */
export function editDistance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diagonal = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const above = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
            diagonal = above;
        }
    }
    return row[b.length];
}

/** The closest candidate within two edits (case-insensitive), if any. */
export function nearMiss(value: string, candidates: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = 3;
    for (const c of candidates) {
        const d = editDistance(value.toLowerCase(), c.toLowerCase());
        if (d < bestDistance) {
            best = c;
            bestDistance = d;
        }
    }
    return best;
}

function didYouMean(value: unknown, candidates: readonly string[]): string {
    const hit = typeof value === "string" ? nearMiss(value, candidates) : undefined;
    return hit === undefined ? "" : ` (did you mean ${show(hit)}?)`;
}

/** A map of settings that refuses keys it does not declare, listing the accepted ones. */
function section<S extends z.ZodRawShape>(shape: S, description: string, what = "a map of settings") {
    const accepted = Object.keys(shape);
    return z
        .strictObject(shape, {
            error: (iss) =>
                iss.code === "unrecognized_keys"
                    ? `unknown setting${didYouMean(iss.keys[0], accepted)}; accepted settings here are ${accepted.join(", ")}`
                    : `${show(iss.input)} is not ${what} (accepted settings: ${accepted.join(", ")})`,
        })
        .describe(description);
}

/**
 * How a value that should be text can arrive as a number:
 * - `pulumi config set --path k 123` stores the integer 123: "strings of base-10 digits that do not
 *   begin with '0' are coerced to int64" (pulumi/pulumi sdk/go/common/resource/config/object.go,
 *   `coerce`). Its digits are exactly what the user typed, so they are taken back as text.
 * - a YAML float in a stack file (`kubernetesVersion: 1.30`) reaches the program as the JSON number
 *   1.3 (object.go `unmarshalObject` keeps float64): its spelling is lost, so it is refused, asking
 *   for quotes, unless the caller can accept the number itself.
 */
function integerAsText(v: unknown): unknown {
    return typeof v === "number" && Number.isSafeInteger(v) ? String(v) : v;
}

/** "... is not X", with the quoting hint when a number stands where text belongs. */
function notA(input: unknown, what: string): string {
    return typeof input === "number" && !Number.isInteger(input)
        ? `${show(input)} is a number, not ${what}: quote the value in the stack file (YAML reads 1.30 as the number 1.3)`
        : input === undefined
          ? `is required: ${what}`
          : `${show(input)} is not ${what}`;
}

/** `pulumi config set --path x 3` stores 3; a stack file may hold "3". Both are accepted. */
function int(min: number, max: number) {
    const error = (iss: { input?: unknown }) => `${show(iss.input)} is not a whole number from ${min} to ${max}`;
    return z.preprocess(
        (v) => (typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : v),
        z.number({ error }).int({ error }).min(min, { error }).max(max, { error }),
    );
}

function bool() {
    return z.preprocess(
        (v) => (v === "true" ? true : v === "false" ? false : v),
        z.boolean({ error: (iss) => `${show(iss.input)} is not true or false` }),
    );
}

/**
 * One of `values`. A number is taken only when it prints as one of them (a stack file's
 * `kubernetesVersion: 1.35` arrives as 1.35); `1.30` arrives as 1.3 and is refused with the quoting hint.
 */
function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
    const accepted = `one of ${values.join(", ")}`;
    return z.preprocess(
        (v) => (typeof v === "number" && (values as readonly string[]).includes(String(v)) ? String(v) : v),
        z.enum(values, {
            error: (iss) => `${notA(iss.input, accepted)}${didYouMean(iss.input, values)}`,
        }),
    );
}

function text(what = "a non-empty string") {
    const error = (iss: { input?: unknown }) => notA(iss.input, what);
    return z.preprocess(integerAsText, z.string({ error }).regex(/\S/, { error }));
}

function matching(pattern: RegExp, what: string) {
    const error = (iss: { input?: unknown }) => notA(iss.input, what);
    return z.preprocess(integerAsText, z.string({ error }).regex(pattern, { error }));
}

const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/;
/** A quantity is a number: `quota.cpu: 2` or `0.5` in a stack file (or `--path quota.cpu 2`) means "2", "0.5". */
const quantity = () => {
    const what = "a Kubernetes quantity such as 500m, 2, 1Gi";
    const error = (iss: { input?: unknown }) => (iss.input === undefined ? `is required: ${what}` : `${show(iss.input)} is not ${what}`);
    return z.preprocess((v) => (typeof v === "number" && Number.isFinite(v) ? String(v) : v), z.string({ error }).regex(QUANTITY, { error }));
};

const CIDR = /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)\/(3[0-2]|[12]?\d)$/;
const cidr = () => matching(CIDR, "an IPv4 CIDR block such as 10.0.0.0/16");

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const storageClassName = () => matching(DNS_SUBDOMAIN, "a StorageClass name (lower-case DNS subdomain)");

function list<T extends z.ZodType>(item: T, what: string) {
    return z.array(item, { error: (iss) => `${show(iss.input)} is not a list of ${what}` });
}

// ---------------------------------------------------------------------------------------------
// The schema: every key, its type, default and meaning. Read by the docs generator too.

/** `student-` + name must fit in a 63-character namespace name. */
export const STUDENT_NAME_MAX = 63 - "student-".length;

const STUDENT_NAME_RULE =
    `a valid student name: use lowercase letters, digits and '-', starting and ending with a letter or digit, ` +
    `at most ${STUDENT_NAME_MAX} characters (the namespace is student-<name>)`;
const studentName = z.preprocess(
    integerAsText,
    z.string({ error: (iss) => notA(iss.input, STUDENT_NAME_RULE) }).refine((n) => DNS_LABEL.test(n) && n.length <= STUDENT_NAME_MAX, {
        error: (iss) => notA(iss.input, STUDENT_NAME_RULE),
    }),
);

const studentEntry = z.preprocess(
    // `pulumi config set --path 'students[0]' 123` stores the integer 123 (see integerAsText).
    (v) => (typeof v === "string" || (typeof v === "number" && Number.isSafeInteger(v)) ? { name: String(v) } : v),
    section(
        {
            name: studentName.describe("DNS label; the namespace is student-<name>."),
            uid: int(1000, 4_294_967_294)
                .optional()
                .describe("POSIX uid and gid of the student's files and pods; derived from the name when unset."),
            identity: text()
                .optional()
                .describe("Google account (gke), IAM user/role ARN (eks) or user name (kind) bound to edit in the namespace."),
        },
        "A student: a name, or {name, uid, identity}.",
        "a student name or a map {name, uid, identity}",
    ),
);

const gkeSchema = section(
    {
        location: text()
            .optional()
            .describe("Zone (or the region itself) of the cluster. Default: gcp:zone, else <gcp:region>-b."),
        nodeCount: int(1, 100).default(2).describe("Nodes in the node pool (per zone)."),
        machineType: text().default("e2-standard-2").describe("Node machine type."),
        diskSizeGb: int(10, 2000).default(50).describe("Node boot disk size."),
        releaseChannel: oneOf(["RAPID", "REGULAR", "STABLE", "EXTENDED", "UNSPECIFIED"] as const)
            .default("REGULAR")
            .describe("GKE release channel."),
        kubernetesVersion: text().optional().describe("Minimum master version; unset lets the release channel choose."),
        deletionProtection: bool().default(false).describe("GKE deletion protection on the cluster."),
        rwxStorageClass: storageClassName()
            .optional()
            .describe("Class for ReadWriteMany claims. Default: the Filestore class the stack creates on the cluster's network."),
        rwoStorageClass: storageClassName().default("standard-rwo").describe("Class for ReadWriteOnce claims."),
        network: section(
            {
                existingNetwork: text().optional().describe("Existing VPC network name; a dedicated VPC is created when unset."),
                existingSubnetwork: text().optional().describe("Existing subnetwork name (required with existingNetwork)."),
                subnetCidr: cidr().default("10.10.0.0/20").describe("Node subnet range."),
                podsCidr: cidr().default("10.20.0.0/14").describe("Pods secondary range."),
                servicesCidr: cidr().default("10.24.0.0/20").describe("Services secondary range."),
                filestoreCidr: cidr()
                    .default("10.28.0.0/20")
                    .describe(
                        "RFC 1918 range for Filestore, /28 or larger (/25 with a ZONAL homes tier): the lower half for the " +
                            "RWX class's instances, the start of the upper half for the homes instance. Must not overlap the others.",
                    ),
            },
            "Cluster networking.",
        ).prefault({}),
        studentFilestore: section(
            {
                tier: oneOf(["BASIC_HDD", "BASIC_SSD", "ZONAL"] as const)
                    .default("BASIC_HDD")
                    .describe("Tier of the Filestore instance holding every student's home."),
                capacityGb: int(1024, 102400)
                    .optional()
                    .describe("Its capacity. Default and minimum: 1024 (BASIC_HDD, ZONAL) or 2560 (BASIC_SSD)."),
                protect: bool().default(true).describe("Protect the instance from pulumi destroy and replacement."),
            },
            "The shared Filestore instance for student homes.",
        ).prefault({}),
    },
    "GKE stack settings.",
);

const eksSchema = section(
    {
        kubernetesVersion: oneOf(EKS_KUBERNETES_VERSIONS)
            .default(EKS_DEFAULT_KUBERNETES_VERSION)
            .describe("Kubernetes minor version; only versions in EKS standard support."),
        upgradePolicy: oneOf(["STANDARD", "EXTENDED"] as const)
            .default("STANDARD")
            .describe("EKS support type: STANDARD auto-upgrades at end of standard support; EXTENDED bills $0.60/h."),
        nodeCount: int(1, 100)
            .optional()
            .describe("Nodes in the node group. Default: sized from the pods the stack deploys."),
        instanceTypes: list(matching(/^[a-z0-9-]+\.[a-z0-9]+$/, "an EC2 instance type such as t3.medium"), "instance types")
            .min(1, { error: "needs at least one instance type" })
            .default(["t3.medium"])
            .describe("Node instance types."),
        capacityType: oneOf(["ON_DEMAND", "SPOT"] as const).default("ON_DEMAND").describe("Node capacity type."),
        vpc: section(
            {
                cidr: cidr().optional().describe("CIDR of the VPC to create, /16 to /20 (one public subnet per AZ, 4 bits smaller). Default 10.0.0.0/16."),
                azCount: int(2, 6).optional().describe("Availability zones of the VPC to create. Default 2."),
                existingVpcId: matching(/^vpc-[0-9a-f]+$/, "a VPC id such as vpc-0a1b2c").optional().describe("Use this VPC instead."),
                subnetIds: list(matching(/^subnet-[0-9a-f]+$/, "a subnet id such as subnet-0a1b"), "subnet ids")
                    .optional()
                    .describe("Subnets of existingVpcId, at least two, in different AZs."),
            },
            "A VPC to create {cidr, azCount} or an existing one {existingVpcId, subnetIds}.",
        ).prefault({}),
        efs: section(
            {
                performanceMode: oneOf(["generalPurpose", "maxIO"] as const).default("generalPurpose").describe("EFS performance mode."),
                throughputMode: oneOf(["elastic", "bursting", "provisioned"] as const).default("elastic").describe("EFS throughput mode."),
                provisionedThroughputMibps: int(1, 10240)
                    .optional()
                    .describe("Required with throughputMode provisioned, and only then."),
                protect: bool().default(true).describe("Protect the file system from pulumi destroy and replacement."),
            },
            "The EFS file system.",
        ).prefault({}),
        addonVersions: section(
            {
                efsCsiDriver: text().optional().describe("Pinned aws-efs-csi-driver add-on version."),
                podIdentityAgent: text().optional().describe("Pinned eks-pod-identity-agent add-on version."),
            },
            "Pinned add-on versions; unset uses the cluster's default version.",
        ).prefault({}),
        adminPrincipalArns: list(matching(IAM_PRINCIPAL_PATTERN(), "an IAM user or role ARN"), "IAM principal ARNs")
            .default([])
            .describe("IAM principals given cluster-admin through an access entry."),
    },
    "EKS stack settings.",
);

function IAM_PRINCIPAL_PATTERN(): RegExp {
    return /^arn:aws(-cn|-us-gov)?:iam::\d{12}:(user|role)\/[\w+=,.@/-]+$/;
}

const kindSchema = section(
    {
        context: text().default("kind-kind").describe("kube context of the existing cluster."),
        kubeconfig: text().optional().describe("Path to the kubeconfig file. Default: KUBECONFIG or ~/.kube/config."),
        rwxBackend: oneOf(KIND_RWX_BACKENDS)
            .default("nfs")
            .describe("ReadWriteMany backend: nfs (in-cluster server + csi-driver-nfs), longhorn, existing (kind.rwxStorageClass) or none."),
        rwxStorageClass: storageClassName()
            .optional()
            .describe("With rwxBackend existing: the ReadWriteMany class already in the cluster."),
    },
    "kind (or any existing local cluster) settings.",
);

const demosSchema = section(
    {
        distinctUpdater: section(
            {
                enabled: bool().default(true).describe("Deploy the distinct-updater demo."),
                mode: oneOf(DISTINCT_UPDATER_MODES).default("affinity").describe("rwo (the broken layout), affinity (the fix) or rwx."),
                replicas: int(1, 50).default(5).describe("nginx server replicas."),
            },
            "nginx + a loop writing index.html into one shared volume.",
        ).prefault({}),
        sideUpdater: section(
            { enabled: bool().default(true).describe("Deploy the side-updater demo (both containers in one pod).") },
            "The one-pod variant.",
        ).prefault({}),
        chatroulette: section(
            {
                enabled: bool().default(false).describe("Deploy Chatroulette; needs frontImage and backImage (the course's images are private)."),
                frontImage: text().optional().describe("Front-end image (port 8080)."),
                backImage: text().optional().describe("Back-end image (port 3000, /version)."),
                backReplicas: int(1, 10).default(1).describe("Back-end replicas sharing the /images claim."),
            },
            "Chatroulette: front and back, images on a ReadWriteMany claim.",
        ).prefault({}),
        story: section(
            {
                enabled: bool().default(true).describe("Deploy the story app."),
                volume: oneOf(STORY_VOLUMES)
                    .optional()
                    .describe("emptyDir, hostPath or claim. Default: claim where the platform has ReadWriteMany, else hostPath."),
                replicas: int(1, 20).default(2).describe("Replicas."),
                image: text().optional().describe("Image; default: the pinned public image in components/storyApp.ts."),
            },
            "The story app.",
        ).prefault({}),
        accessModes: section(
            {
                enabled: bool().default(true).describe("Deploy the access-modes demo (writer/reader pods on a pre-provisioned disk)."),
                mode: oneOf(ACCESS_MODES_MODES).default("colocated").describe("colocated, spread (the course's failure) or readersOnly."),
                writers: int(0, 20).default(2).describe("Writer pods."),
                readers: int(0, 20).default(2).describe("Reader pods."),
            },
            "ReadWriteOnce and ReadOnlyMany on one disk.",
        ).prefault({}),
    },
    "The course's demos.",
);

const quotaSchema = section(
    {
        cpu: quantity().default("2").describe("CPU requests per student namespace."),
        memory: quantity().default("4Gi").describe("Memory requests per student namespace."),
        pods: int(1, 1000).default(20).describe("Pods per student namespace."),
        claims: int(1, 100).default(5).describe("PersistentVolumeClaims per student namespace."),
        storage: quantity().default("20Gi").describe("Requested storage per student namespace."),
        homeSize: quantity().default("5Gi").describe("Size of each student's home volume."),
        defaultCpuRequest: quantity().default("50m").describe("LimitRange default CPU request."),
        defaultMemoryRequest: quantity().default("64Mi").describe("LimitRange default memory request."),
        defaultCpuLimit: quantity().default("500m").describe("LimitRange default CPU limit."),
        defaultMemoryLimit: quantity().default("256Mi").describe("LimitRange default memory limit."),
        deniedStorageClasses: list(storageClassName(), "StorageClass names")
            .optional()
            .describe("Classes students may not claim (quota 0). Default: the platform's list (Filestore tiers on GKE)."),
    },
    "Per-student namespace limits.",
);

/** Every key of this project's configuration namespace, with its schema. */
export const SCHEMA = {
    platform: oneOf(PLATFORMS).describe("Which cluster to build or use: gke, eks or kind. Each stack file sets it."),
    students: z
        .array(studentEntry, {
            error: (iss) =>
                `${show(iss.input)} is not a list of names or {name, uid, identity}; ` +
                "add one entry at a time with pulumi config set --path 'students[0]' ada",
        })
        .default([])
        .describe("The class: one isolated environment each."),
    studentApps: bool()
        .default(false)
        .describe("Deploy a Chatroulette in each student's namespace, on the student's home; needs demos.chatroulette images."),
    quota: quotaSchema.prefault({}),
    demos: demosSchema.prefault({}),
    gke: gkeSchema.prefault({}),
    eks: eksSchema.prefault({}),
    kind: kindSchema.prefault({}),
} as const;

export type ConfigKey = keyof typeof SCHEMA;
export const CONFIG_KEYS = Object.keys(SCHEMA) as ConfigKey[];

// ---------------------------------------------------------------------------------------------
// The resolved configuration: schema output, with defaults that depend on other keys filled in.

type GkeSection = z.output<typeof gkeSchema>;
type EksSection = z.output<typeof eksSchema>;

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

export type GkeConfig = Omit<GkeSection, "location" | "studentFilestore"> & {
    project: string;
    region: string;
    /** Zone (default) or region of the cluster. */
    location: string;
    studentFilestore: GkeSection["studentFilestore"] & { capacityGb: number };
};

export type EksConfig = Omit<EksSection, "vpc"> & {
    region: string;
    /** `aws:profile`, when Pulumi signs with a named profile: the kubeconfig's `aws eks get-token` uses it too. */
    awsProfile?: string;
    /** Created VPC (default) or existing subnets. */
    vpc: { cidr: string; azCount: number } | { existingVpcId: string; subnetIds: string[] };
};

export type KindConfig = z.output<typeof kindSchema>;
/** The Chatroulette images (the course's are private: the user builds and names them). */
export interface ChatrouletteImages {
    frontImage: string;
    backImage: string;
}
type ChatrouletteSection = z.output<typeof demosSchema>["chatroulette"];
/** On only with both images (checked once, in resolveDemos). */
export type ChatrouletteConfig =
    | (ChatrouletteSection & { enabled: false })
    | (Omit<ChatrouletteSection, "enabled" | "frontImage" | "backImage"> & { enabled: true } & ChatrouletteImages);
export type DemosConfig = Omit<z.output<typeof demosSchema>, "story" | "chatroulette"> & {
    chatroulette: ChatrouletteConfig;
    story: Omit<z.output<typeof demosSchema>["story"], "volume"> & { volume: StoryVolume };
};
export type StudentQuotaConfig = z.output<typeof quotaSchema>;

export interface LabConfig {
    platform: PlatformName;
    students: Student[];
    studentApps: boolean;
    /** The per-student app's images, set exactly when `studentApps` is on. */
    studentApp?: ChatrouletteImages;
    quota: StudentQuotaConfig;
    demos: DemosConfig;
    /** Only the selected platform's section is parsed and present. */
    gke?: GkeConfig;
    eks?: EksConfig;
    kind?: KindConfig;
}

/** What `parseConfig` reads: raw values as Pulumi hands them over (objects already JSON-parsed). */
export type RawConfig = { [K in ConfigKey]?: unknown } & {
    /** `gcp:project`, `gcp:region`, `gcp:zone`, `aws:region`. */
    gcpProject?: unknown;
    gcpRegion?: unknown;
    gcpZone?: unknown;
    awsRegion?: unknown;
    /** `aws:profile` (the AWS provider's named profile). */
    awsProfile?: unknown;
    /** Every key set in this project's namespace (without the `<project>:` prefix), to refuse typos. */
    setKeys?: string[];
};

// ---------------------------------------------------------------------------------------------
// Parsing

/** Pulumi treats `key: null` like an unset key; so does this program. */
function withoutNulls(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(withoutNulls);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value as Record<string, unknown>)
                .filter(([, v]) => v !== null)
                .map(([k, v]) => [k, withoutNulls(v)]),
        );
    }
    return value;
}

function issueKey(root: string, path: readonly PropertyKey[]): string {
    return path.reduce<string>(
        (key, p) => (typeof p === "number" ? `${key}[${p}]` : `${key}.${String(p)}`),
        root,
    );
}

/** Parses one top-level key with its schema, turning the first problem into a named ConfigError. */
function parseKey<K extends ConfigKey>(key: K, value: unknown): z.output<(typeof SCHEMA)[K]> {
    const result = (SCHEMA[key] as z.ZodType).safeParse(value === null ? undefined : withoutNulls(value));
    if (result.success) {
        return result.data as z.output<(typeof SCHEMA)[K]>;
    }
    const issue = result.error.issues[0];
    const at = issueKey(key, issue.path);
    if (issue.code === "unrecognized_keys") {
        throw new ConfigError(`${at}.${issue.keys[0]}`, issue.message);
    }
    throw new ConfigError(at, issue.message);
}

/** RFC 1123 label: what a namespace name segment must be. */
export { DNS_LABEL };
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

const IDENTITY_FORMS: Record<PlatformName, [RegExp, string]> = {
    gke: [/^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/, "a Google account e-mail such as ada@example.com"],
    eks: [IAM_PRINCIPAL_PATTERN(), "an IAM user or role ARN such as arn:aws:iam::123456789012:user/ada"],
    kind: [/^[^\s]+$/, "a Kubernetes user name without spaces"],
};

/** Validates the student list for `platform`; `adminPrincipals` are identities already given admin. */
export function parseStudents(value: unknown, platform: PlatformName, adminPrincipals: readonly string[] = []): Student[] {
    const entries = parseKey("students", value);
    const students: Student[] = [];
    const byName = new Map<string, number>();
    const byIdentity = new Map<string, number>();
    entries.forEach((entry, i) => {
        const key = `students[${i}]`;
        const first = byName.get(entry.name);
        if (first !== undefined) {
            throw new ConfigError(key, `student ${show(entry.name)} is listed twice (also students[${first}])`);
        }
        byName.set(entry.name, i);
        if (entry.identity !== undefined) {
            const [pattern, accepted] = IDENTITY_FORMS[platform];
            if (!pattern.test(entry.identity)) {
                throw new ConfigError(`${key}.identity`, `${show(entry.identity)} is not ${accepted} (platform ${platform})`);
            }
            // EKS refuses a second access entry for one principal; on every platform two students
            // with one identity would each reach the other's namespace.
            const other = byIdentity.get(entry.identity);
            if (other !== undefined) {
                throw new ConfigError(
                    `${key}.identity`,
                    `${show(entry.identity)} is also the identity of students[${other}] (${show(entries[other].name)}); ` +
                        "each student needs an identity of their own",
                );
            }
            byIdentity.set(entry.identity, i);
            if (adminPrincipals.includes(entry.identity)) {
                throw new ConfigError(
                    `${key}.identity`,
                    `${show(entry.identity)} is also listed in eks.adminPrincipalArns; an IAM principal can have only ` +
                        "one EKS access entry, and a student must not be cluster admin",
                );
            }
        }
        students.push({
            name: entry.name,
            uid: entry.uid ?? deriveUid(entry.name),
            uidExplicit: entry.uid !== undefined,
            identity: entry.identity,
        });
    });
    // uid collisions: checked after all explicit uids are known, in name order so the message is stable.
    const byUid = new Map<number, string>();
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
// Rules that relate keys to each other.

/** [first, last] addresses of an IPv4 CIDR block, as numbers. */
function cidrRange(block: string): [number, number] {
    const [addr, bits] = block.split("/");
    const base = addr.split(".").reduce((n, o) => n * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(bits));
    const first = base - (base % size);
    return [first, first + size - 1];
}

export function cidrsOverlap(a: string, b: string): boolean {
    const [a0, a1] = cidrRange(a);
    const [b0, b1] = cidrRange(b);
    return a0 <= b1 && b0 <= a1;
}

const GCP_REGION = /^[a-z]+-[a-z]+\d+$/;
const GCP_ZONE = /^[a-z]+-[a-z]+\d+-[a-z]$/;

function resolveGke(raw: RawConfig): GkeConfig {
    const g = parseKey("gke", raw.gke);
    const project = optionalText("gcp:project", raw.gcpProject);
    if (project === undefined) {
        throw new ConfigError("gcp:project", "is not set; the gke platform needs it: pulumi config set gcp:project <project-id>");
    }
    const region = optionalText("gcp:region", raw.gcpRegion) ?? "europe-west1";
    if (!GCP_REGION.test(region)) {
        throw new ConfigError("gcp:region", `${show(region)} is not a GCP region such as europe-west1`);
    }
    const zone = optionalText("gcp:zone", raw.gcpZone);
    const location = g.location ?? zone ?? `${region}-b`;
    if (!(GCP_ZONE.test(location) || location === region)) {
        throw new ConfigError("gke.location", `${show(location)} is neither a zone of ${region} (such as ${region}-b) nor the region itself`);
    }
    if (GCP_ZONE.test(location) && !location.startsWith(`${region}-`)) {
        throw new ConfigError("gke.location", `${show(location)} is not a zone of gcp:region ${region}`);
    }
    const net = g.network;
    if ((net.existingNetwork === undefined) !== (net.existingSubnetwork === undefined)) {
        throw new ConfigError("gke.network", "existingNetwork and existingSubnetwork go together: set both, or neither to create a VPC");
    }
    const ranges = ["subnetCidr", "podsCidr", "servicesCidr", "filestoreCidr"] as const;
    for (const [i, a] of ranges.entries()) {
        for (const b of ranges.slice(i + 1)) {
            if (cidrsOverlap(net[a], net[b])) {
                throw new ConfigError(`gke.network.${b}`, `${show(net[b])} overlaps gke.network.${a} ${show(net[a])}; the ranges must be disjoint`);
            }
        }
    }
    // Filestore minimum capacities: cloud.google.com/filestore/docs/service-tiers (Basic HDD 1 TiB,
    // Basic SSD 2.5 TiB, Zonal 1 TiB).
    const fs = g.studentFilestore;
    const minCapacity = { BASIC_HDD: 1024, BASIC_SSD: 2560, ZONAL: 1024 }[fs.tier];
    if (fs.capacityGb !== undefined && fs.capacityGb < minCapacity) {
        throw new ConfigError(
            "gke.studentFilestore.capacityGb",
            `${fs.capacityGb} is below the ${fs.tier} minimum of ${minCapacity} GB; use ${minCapacity} or more`,
        );
    }
    return { ...g, project, region, location, studentFilestore: { ...fs, capacityGb: fs.capacityGb ?? minCapacity } };
}

const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

function resolveEks(raw: RawConfig): EksConfig {
    const e = parseKey("eks", raw.eks);
    const region = optionalText("aws:region", raw.awsRegion);
    if (region === undefined) {
        throw new ConfigError("aws:region", "is not set; the eks platform needs it: pulumi config set aws:region eu-west-3");
    }
    if (!AWS_REGION.test(region)) {
        throw new ConfigError("aws:region", `${show(region)} is not an AWS region such as eu-west-3`);
    }
    const v = e.vpc;
    let vpc: EksConfig["vpc"];
    if (v.existingVpcId !== undefined || v.subnetIds !== undefined) {
        if (v.existingVpcId === undefined || (v.subnetIds ?? []).length < 2) {
            throw new ConfigError(
                "eks.vpc",
                "an existing VPC needs existingVpcId (vpc-...) and at least two subnetIds (subnet-...) in different AZs",
            );
        }
        if (v.cidr !== undefined || v.azCount !== undefined) {
            throw new ConfigError("eks.vpc", "cidr/azCount describe a VPC to create; they cannot be combined with existingVpcId");
        }
        vpc = { existingVpcId: v.existingVpcId, subnetIds: v.subnetIds! };
    } else {
        vpc = { cidr: v.cidr ?? "10.0.0.0/16", azCount: v.azCount ?? 2 };
        const bits = Number(vpc.cidr.split("/")[1]);
        // Amazon VPC allows IPv4 blocks from /16 to /28 (docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html);
        // platforms/eks.ts cuts one public subnet per AZ from it, of prefix + 4 (at most /28), and no
        // private subnets (no NAT gateway): 16 slots, room for the 6 AZs azCount allows. Every pod takes
        // a subnet address with the VPC CNI (a t3.medium takes up to 18: 3 ENIs × 6 addresses,
        // amazon-eks-ami nodeadm/internal/kubelet/eni_max_pods.go), and AWS reserves 5 per subnet
        // (vpc/latest/userguide/subnet-sizing.html): /20 → /24 subnets (251 usable) is the smallest kept.
        if (bits < 16 || bits > 20) {
            throw new ConfigError(
                "eks.vpc.cidr",
                `${show(vpc.cidr)} must have a prefix from /16 to /20 (each AZ's subnet is 4 bits smaller, and every pod takes one of its addresses)`,
            );
        }
    }
    const efs = e.efs;
    // EFS: "Elastic throughput is supported only with General Purpose performance mode"
    // (docs.aws.amazon.com/efs/latest/ug/performance.html).
    if (efs.performanceMode === "maxIO" && efs.throughputMode === "elastic") {
        throw new ConfigError("eks.efs.performanceMode", "maxIO cannot be used with throughputMode elastic; use bursting or provisioned");
    }
    if ((efs.throughputMode === "provisioned") !== (efs.provisionedThroughputMibps !== undefined)) {
        throw new ConfigError("eks.efs.provisionedThroughputMibps", "is required with throughputMode provisioned, and only then");
    }
    const admins = new Map<string, number>();
    e.adminPrincipalArns.forEach((arn, i) => {
        if (admins.has(arn)) {
            throw new ConfigError(`eks.adminPrincipalArns[${i}]`, `${show(arn)} is listed twice (also eks.adminPrincipalArns[${admins.get(arn)}])`);
        }
        admins.set(arn, i);
    });
    const awsProfile = optionalText("aws:profile", raw.awsProfile);
    return { ...e, region, vpc, ...(awsProfile !== undefined ? { awsProfile } : {}) };
}

function resolveKind(raw: RawConfig): KindConfig {
    const k = parseKey("kind", raw.kind);
    if ((k.rwxBackend === "existing") !== (k.rwxStorageClass !== undefined)) {
        throw new ConfigError(
            k.rwxBackend === "existing" ? "kind.rwxStorageClass" : "kind.rwxBackend",
            k.rwxBackend === "existing"
                ? "is required with kind.rwxBackend existing: the name of the ReadWriteMany class in your cluster"
                : `is ${show(k.rwxBackend)}, but kind.rwxStorageClass is set; set kind.rwxBackend to existing to use that class`,
        );
    }
    return k;
}

function optionalText(key: string, value: unknown): string | undefined {
    if (value === undefined || value === null) {
        return undefined;
    }
    if (typeof value !== "string" || value.trim() === "") {
        throw new ConfigError(key, `${show(value)} is not a non-empty string`);
    }
    return value;
}

function resolveDemos(
    raw: RawConfig,
    platform: PlatformName,
    section: GkeConfig | EksConfig | KindConfig,
    studentApps: boolean,
): { demos: DemosConfig; studentApp?: ChatrouletteImages } {
    const d = parseKey("demos", raw.demos);
    const caps = capabilities(platform, section);
    const story = { ...d.story, volume: d.story.volume ?? (caps.rwx.available ? "claim" : "hostPath") } as const;
    const am = d.accessModes;
    if (am.enabled && (am.mode === "readersOnly" ? am.readers : am.writers + am.readers) === 0) {
        throw new ConfigError("demos.accessModes", `mode ${am.mode} with these writers/readers counts starts no pod; raise readers or writers`);
    }
    if (!caps.rwx.available) {
        const needRwx: [boolean, string][] = [
            [d.distinctUpdater.enabled && d.distinctUpdater.mode === "rwx", "demos.distinctUpdater.mode"],
            [d.chatroulette.enabled, "demos.chatroulette.enabled"],
            [story.enabled && story.volume === "claim", "demos.story.volume"],
            [am.enabled && !caps.sharedDisk, "demos.accessModes.enabled"],
        ];
        for (const [needs, key] of needRwx) {
            if (needs) {
                throw new ConfigError(key, `needs a ReadWriteMany storage class, and ${caps.rwx.reason}`);
            }
        }
    }
    // The course's Chatroulette images are private: there is no default a user can pull.
    const cr = d.chatroulette;
    const images = cr.frontImage !== undefined && cr.backImage !== undefined ? { frontImage: cr.frontImage, backImage: cr.backImage } : undefined;
    for (const [on, key] of [
        [cr.enabled, "demos.chatroulette.enabled"],
        [studentApps, "studentApps"],
    ] as const) {
        if (on && images === undefined) {
            const missing = (["frontImage", "backImage"] as const).filter((k) => cr[k] === undefined);
            throw new ConfigError(
                key,
                `is true but demos.chatroulette.${missing.join(" and demos.chatroulette.")} ${missing.length > 1 ? "are" : "is"} not set; ` +
                    "the course's Chatroulette images are private: build them and set both images, or leave it false",
            );
        }
    }
    const chatroulette: ChatrouletteConfig =
        cr.enabled && images !== undefined ? { ...cr, enabled: true, ...images } : { ...cr, enabled: false };
    return { demos: { ...d, chatroulette, story }, studentApp: studentApps ? images : undefined };
}

/** Validates raw configuration; throws `ConfigError` on the first bad value. Pure. */
export function parseConfig(raw: RawConfig): LabConfig {
    for (const key of raw.setKeys ?? []) {
        if ((CONFIG_KEYS as string[]).includes(key)) {
            continue;
        }
        // `pulumi config set --path gke.nodeCount 3` stores a value inside the top-level key `gke`;
        // without --path the key is literally "gke.nodeCount", which nothing would read.
        const head = key.split(/[.[]/)[0];
        if (head !== key && (CONFIG_KEYS as string[]).includes(head)) {
            throw new ConfigError(
                key,
                `is set as one key named ${show(key)}, which this program never reads: a nested setting needs --path ` +
                    `(pulumi config rm '${key}' && pulumi config set --path '${key}' <value>)`,
            );
        }
        throw new ConfigError(key, `unknown key${didYouMean(key, CONFIG_KEYS)}; this project's keys are ${CONFIG_KEYS.join(", ")}`);
    }
    if (raw.platform === undefined || raw.platform === null) {
        throw new ConfigError("platform", `is not set; set it in the stack file to one of ${PLATFORMS.join(", ")} (pulumi config set platform gke)`);
    }
    const platform = parseKey("platform", raw.platform);
    const gke = platform === "gke" ? resolveGke(raw) : undefined;
    const eks = platform === "eks" ? resolveEks(raw) : undefined;
    const kind = platform === "kind" ? resolveKind(raw) : undefined;
    const studentApps = parseKey("studentApps", raw.studentApps);
    const { demos, studentApp } = resolveDemos(raw, platform, (gke ?? eks ?? kind)!, studentApps);
    return {
        platform,
        students: parseStudents(raw.students, platform, eks?.adminPrincipalArns),
        studentApps,
        studentApp,
        quota: parseKey("quota", raw.quota),
        demos,
        gke,
        eks,
        kind,
    };
}

/**
 * One top-level value as the program receives it. The engine hands every value over as text
 * (pulumi/pulumi sdk/go/common/resource/config/map.go `Decrypt`, secrets already decrypted): a
 * top-level scalar as written ("true", "3", "gke"; an empty YAML value as "null"), an object or list as
 * its JSON (object.go `MarshalString`). `Config.getObject` would throw Pulumi's own "is not a valid
 * JSON object" at a plain string such as `pulumi config set students ada`, before this program could
 * name the key and the accepted values: JSON is tried, and the text kept when it is not JSON.
 */
export function rawValue(text: string | undefined): unknown {
    if (text === undefined) {
        return undefined;
    }
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return text;
    }
}

/** Reads the stack's configuration through Pulumi, then validates it with `parseConfig`. */
export function readConfig(): LabConfig {
    const cfg = new pulumi.Config();
    const gcp = new pulumi.Config("gcp");
    const aws = new pulumi.Config("aws");
    const prefix = `${cfg.name}:`;
    return parseConfig({
        ...Object.fromEntries(CONFIG_KEYS.map((k) => [k, rawValue(cfg.get(k))])),
        gcpProject: gcp.get("project"),
        gcpRegion: gcp.get("region"),
        gcpZone: gcp.get("zone"),
        awsRegion: aws.get("region"),
        awsProfile: aws.get("profile"),
        setKeys: Object.keys(pulumi.runtime.allConfig())
            .filter((k) => k.startsWith(prefix))
            .map((k) => k.slice(prefix.length)),
    });
}
