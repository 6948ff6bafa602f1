/**
 * Runs the real program (index.ts) under Pulumi's mock engine and records every resource it
 * registers, with the inputs it passed. Shared by the tests, `npm run render` and the benchmarks.
 *
 * Cloud outputs the program reads back (cluster endpoints, file system ids, IP addresses) get
 * deterministic placeholder values derived from the resource's name, so the same input always
 * gives the same record. Any invoke not listed in INVOKES throws, so a new one cannot pass silently.
 * Every record is keyed by the URN the mock monitor gave the registration, never by type and name:
 * two components may each own a child of the same type and name (a student named `story` and the
 * StoryApp demo both own a `story-ns` Namespace).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

export const PROJECT = "kube-volume-lab";
/** Where the program's modules are: the repository, or bin/ when running precompiled. */
export const PROGRAM_DIR = path.resolve(__dirname, "..");
/** The repository (package.json, Pulumi.yaml and the stack files): PROGRAM_DIR or its parent for bin/. */
export const ROOT = fs.existsSync(path.join(PROGRAM_DIR, "package.json")) ? PROGRAM_DIR : path.resolve(PROGRAM_DIR, "..");

/** One registered resource. */
export interface RecordedResource {
    type: string;
    name: string;
    /** URN as the mock monitor computed it (parent type chain + type + name). */
    urn: string;
    /** Inputs as the program passed them (resolved, secrets unwrapped). */
    inputs: Record<string, any>;
    custom: boolean;
    provider?: string;
    /** URN of the parent resource ("" for the stack's direct children). */
    parent: string;
    /** URNs this resource waits for (explicit dependsOn and dependencies of its inputs). */
    dependencies: string[];
    /** Resource options the registration carried (only those set). */
    options: RecordedOptions;
}

/** Resource options as the SDK sends them to the engine (RegisterResourceRequest), only those set. */
export interface RecordedOptions {
    protect?: boolean;
    retainOnDelete?: boolean;
    deleteBeforeReplace?: boolean;
    ignoreChanges?: string[];
    replaceOnChanges?: string[];
    additionalSecretOutputs?: string[];
    /** URN of the resource whose deletion deletes this one. */
    deletedWith?: string;
    /** How long the engine awaits create/update/delete ("30m"). */
    customTimeouts?: { create?: string; update?: string; delete?: string };
}

export interface ProgramRun {
    resources: RecordedResource[];
    /** Stack outputs, resolved. */
    outputs: Record<string, any>;
    /** Messages the program logged with pulumi.log.warn. */
    warnings: string[];
    /** Messages the program logged with pulumi.log.info. */
    notes: string[];
}

/** A short, stable hex tag of a text. */
export function tag(text: string, length = 8): string {
    return crypto.createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** Placeholder suffix for objects the Kubernetes provider would auto-name. */
export const AUTONAME_SUFFIX = "xxxxxxxx";

/** Invokes the program may call, with deterministic answers. */
const INVOKES: Record<string, (inputs: any) => Record<string, any>> = {
    // A region with three Availability Zones and an opted-in Local Zone, listed second as
    // DescribeAvailabilityZones would unless a filter on opt-in-status leaves it out (AZs always have
    // opt-in-not-required; Local Zones opted-in or not-opted-in).
    "aws:index/getAvailabilityZones:getAvailabilityZones": (inputs) => {
        const zones = [
            ["mock-region-1a", "mrz1-az1", "opt-in-not-required"],
            ["mock-region-1-lcl-1a", "mrz1-lcl1-az1", "opted-in"],
            ["mock-region-1b", "mrz1-az2", "opt-in-not-required"],
            ["mock-region-1c", "mrz1-az3", "opt-in-not-required"],
        ].filter(([, , optIn]) =>
            ((inputs?.filters ?? []) as { name: string; values: string[] }[]).every(
                (f) => f.name !== "opt-in-status" || f.values.includes(optIn),
            ),
        );
        return { names: zones.map((z) => z[0]), zoneIds: zones.map((z) => z[1]), id: "mock-region-1", state: "available" };
    },
    // An existing VPC (eks.vpc.existingVpcId) on a range outside RFC 1918 (RFC 2544 benchmarking space,
    // used privately by some networks): the student egress rule must except it by the VPC's own range.
    "aws:ec2/getVpc:getVpc": (inputs) => ({ id: inputs?.id, cidrBlock: "198.18.0.0/16", state: "available" }),
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
        accountId: "123456789012",
        arn: "arn:aws:sts::123456789012:assumed-role/kvl-deployer/pulumi-session",
        id: "123456789012",
        userId: "AROAMOCKDEPLOYER:pulumi-session",
    }),
};

/** Output values the program reads back from cloud resources, keyed by type token. */
function cloudState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    const h = tag(`${type}/${name}`);
    switch (type) {
        case "gcp:container/cluster:Cluster":
            return {
                name: inputs.name ?? `${name}-${h}`,
                endpoint: `203.0.113.${parseInt(h.slice(0, 2), 16) % 250}`,
                masterAuth: { clusterCaCertificate: Buffer.from(`mock-ca-${h}`).toString("base64") },
            };
        case "gcp:filestore/instance:Instance":
            return {
                name: inputs.name ?? `${name}-${h}`,
                networks: (inputs.networks ?? []).map((n: any) => ({ ...n, ipAddresses: ["10.99.0.2"] })),
            };
        case "gcp:compute/disk:Disk":
        case "gcp:compute/network:Network":
        case "gcp:compute/subnetwork:Subnetwork":
            return { name: inputs.name ?? `${name}-${h}` };
        case "gcp:serviceaccount/account:Account":
            return { email: `${inputs.accountId}@${inputs.project}.iam.gserviceaccount.com` };
        case "aws:eks/cluster:Cluster":
            return {
                name: inputs.name ?? `${name}-${h}`,
                arn: `arn:aws:eks:mock-region-1:123456789012:cluster/${name}-${h}`,
                endpoint: `https://${h.toUpperCase()}.gr7.mock-region-1.eks.amazonaws.com`,
                certificateAuthority: { data: Buffer.from(`mock-ca-${h}`).toString("base64") },
                vpcConfig: { ...inputs.vpcConfig, clusterSecurityGroupId: `sg-cluster${h}` },
            };
        case "aws:iam/role:Role":
            return { name: `${name}-${h}`, arn: `arn:aws:iam::123456789012:role/${name}-${h}` };
        case "aws:efs/fileSystem:FileSystem":
            return { id: `fs-${h}`, arn: `arn:aws:elasticfilesystem:mock-region-1:123456789012:file-system/fs-${h}` };
        default:
            return {};
    }
}

function resourceId(type: string, name: string): string {
    const h = tag(`${type}/${name}`);
    const prefixes: Record<string, string> = {
        "aws:efs/fileSystem:FileSystem": "fs-",
        "aws:efs/accessPoint:AccessPoint": "fsap-",
        "aws:ec2/vpc:Vpc": "vpc-",
        "aws:ec2/subnet:Subnet": "subnet-",
        "aws:ec2/securityGroup:SecurityGroup": "sg-",
        "aws:efs/mountTarget:MountTarget": "fsmt-",
    };
    return `${prefixes[type] ?? `${name}-id-`}${h}`;
}

/** Base64, as Secret data comes back from the API server. */
const b64 = (text: string): string => Buffer.from(text).toString("base64");

/**
 * Kubernetes objects come back as the API server would return their identity. A Secret of type
 * kubernetes.io/service-account-token comes back with the data the token controller adds: `token`,
 * `ca.crt` and `namespace` (kubernetes pkg/controller/serviceaccount/tokens_controller.go;
 * https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#token-controller),
 * so a kubeconfig built from it can be checked. The token is a placeholder derived from the Secret.
 */
function kubernetesState(inputs: Record<string, any>, name: string): Record<string, any> {
    const metadata = { ...(inputs.metadata ?? {}) };
    if (metadata.name === undefined && metadata.generateName === undefined) {
        metadata.name = `${name}-${AUTONAME_SUFFIX}`;
    }
    const state: Record<string, any> = { ...inputs, metadata };
    if (inputs.kind === "Secret" && inputs.type === "kubernetes.io/service-account-token") {
        const namespace = metadata.namespace ?? "default";
        state.data = {
            ...(inputs.data ?? {}),
            token: b64(mockServiceAccountToken(namespace, metadata.name)),
            "ca.crt": b64(`mock-cluster-ca-${tag(namespace)}`),
            namespace: b64(namespace),
        };
    }
    return state;
}

/** The placeholder token the mock's token controller puts in a service-account-token Secret. */
export function mockServiceAccountToken(namespace: string, secretName: string): string {
    return `mock-sa-token-${tag(`${namespace}/${secretName}`, 16)}`;
}

/** What the SDK sent with a registration: read from the request before the mock engine sees it. */
interface Registration {
    type: string;
    name: string;
    urn: string;
    parent: string;
    dependencies: string[];
    options: RecordedOptions;
}

class Recorder implements pulumi.runtime.Mocks {
    resources: RecordedResource[] = [];
    /**
     * The registration the mock monitor is handling. Its registerResource calls newResource before its
     * first await (@pulumi/pulumi runtime/mocks.js MockMonitor.registerResource), so the wrapper in
     * installMocks sets this synchronously around that call and newResource reads it.
     */
    pending: Registration | undefined;

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
        const reg = this.pending;
        if (reg === undefined || reg.type !== args.type || reg.name !== args.name) {
            throw new Error(
                `render/engine: ${args.type} ${args.name} reached the mocks without its registration ` +
                    "(a read or an SDK change in MockMonitor.registerResource); the recorder cannot key it by URN",
            );
        }
        this.resources.push({
            type: args.type,
            name: args.name,
            urn: reg.urn,
            inputs: unwrapSecrets(args.inputs),
            custom: args.custom ?? true,
            provider: args.provider || undefined,
            parent: reg.parent,
            dependencies: reg.dependencies,
            options: reg.options,
        });
        const isKube = args.type.startsWith("kubernetes:") && !args.type.startsWith("pulumi:providers:");
        const state = isKube
            ? kubernetesState(args.inputs, args.name)
            : { ...args.inputs, ...cloudState(args.type, args.name, args.inputs) };
        return { id: state.id ?? resourceId(args.type, args.name), state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        const answer = INVOKES[args.token];
        if (!answer) {
            throw new Error(`unmocked invoke ${args.token}: add it to render/engine.ts INVOKES deliberately`);
        }
        return answer(args.inputs);
    }
}

/** Reads Pulumi.yaml's project defaults and Pulumi.<stack>.yaml into `project:key` → value. */
export function stackConfig(stack: string, dir = ROOT): Record<string, unknown> {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        const stacks = fs
            .readdirSync(dir)
            .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
            .filter((s): s is string => !!s)
            .sort();
        throw new Error(`no stack file Pulumi.${stack}.yaml; stacks are: ${stacks.join(", ")}`);
    }
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        config[key.includes(":") ? key : `${PROJECT}:${key}`] = value;
    }
    return config;
}

/** Sets `project:key`-style configuration the way the Pulumi CLI hands it to the program. */
function applyConfig(config: Record<string, unknown>): void {
    const flat: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        if (value === undefined) {
            continue;
        }
        const full = key.includes(":") ? key : `${PROJECT}:${key}`;
        flat[full] = typeof value === "string" ? value : JSON.stringify(value);
    }
    pulumi.runtime.setAllConfig(flat);
}

/** Drops the project's own modules from the require cache so the program runs afresh. */
function forgetProgram(): void {
    for (const id of Object.keys(require.cache)) {
        if (
            id.startsWith(PROGRAM_DIR) &&
            !id.includes(`${path.sep}node_modules${path.sep}`) &&
            !id.includes(`${path.sep}render${path.sep}`) &&
            !id.includes(`${path.sep}policy${path.sep}`)
        ) {
            delete require.cache[id];
        }
    }
}

/** The one recorder behind the mocks; `runProgram` empties it before each run. */
const recorder = new Recorder();
let installed = false;

type RegisterRequest = {
    getType(): string;
    getName(): string;
    getParent(): string;
    getDependenciesList(): string[];
    hasProtect(): boolean;
    getProtect(): boolean | undefined;
    hasRetainondelete(): boolean;
    getRetainondelete(): boolean | undefined;
    getDeletebeforereplacedefined(): boolean;
    getDeletebeforereplace(): boolean;
    getIgnorechangesList(): string[];
    getReplaceonchangesList(): string[];
    getAdditionalsecretoutputsList(): string[];
    getDeletedwith(): string;
    getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
};
type MockMonitor = {
    resources: Map<string, { urn: string }>;
    newUrn(parent: string, type: string, name: string): string;
    registerResource(req: RegisterRequest, callback: unknown): Promise<void>;
};
function monitor(): MockMonitor {
    return (pulumi.runtime as unknown as { getMonitor(): MockMonitor }).getMonitor();
}

/** The options of a registration that are set (proto3 getters return "" / [] / false when unset). */
function optionsOf(req: RegisterRequest): RecordedOptions {
    const o: RecordedOptions = {};
    if (req.hasProtect()) o.protect = req.getProtect();
    if (req.hasRetainondelete()) o.retainOnDelete = req.getRetainondelete();
    if (req.getDeletebeforereplacedefined()) o.deleteBeforeReplace = req.getDeletebeforereplace();
    if (req.getIgnorechangesList().length > 0) o.ignoreChanges = req.getIgnorechangesList();
    if (req.getReplaceonchangesList().length > 0) o.replaceOnChanges = req.getReplaceonchangesList();
    if (req.getAdditionalsecretoutputsList().length > 0) o.additionalSecretOutputs = req.getAdditionalsecretoutputsList();
    if (req.getDeletedwith() !== "") o.deletedWith = req.getDeletedwith();
    const t = req.getCustomtimeouts();
    if (t !== undefined && (t.getCreate() || t.getUpdate() || t.getDelete())) {
        o.customTimeouts = Object.fromEntries(
            (["create", "update", "delete"] as const)
                .map((k) => [k, k === "create" ? t.getCreate() : k === "update" ? t.getUpdate() : t.getDelete()] as const)
                .filter(([, v]) => v !== ""),
        );
    }
    return o;
}

/** Installs Pulumi's mocks once per process (test/setup.ts, the render and bench commands). */
export async function installMocks(stack = "test"): Promise<void> {
    if (!installed) {
        await pulumi.runtime.setMocks(recorder, PROJECT, stack, false);
        const m = monitor();
        const register = m.registerResource.bind(m);
        m.registerResource = (req, callback) => {
            // The URN the mock monitor is about to give this registration (MockMonitor.newUrn).
            recorder.pending = {
                type: req.getType(),
                name: req.getName(),
                urn: m.newUrn(req.getParent(), req.getType(), req.getName()),
                parent: req.getParent(),
                dependencies: req.getDependenciesList(),
                options: optionsOf(req),
            };
            try {
                return register(req, callback);
            } finally {
                recorder.pending = undefined;
            }
        };
        installed = true;
    }
}

/** Resources registered since the last run started (for specs that build components directly). */
export function recorded(): RecordedResource[] {
    return recorder.resources;
}

/** Waits until every registration started so far has reached the mock engine. */
export async function settle(): Promise<void> {
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

/** Forgets everything recorded so far. */
export function resetRecording(): void {
    recorder.resources = [];
    monitor().resources.clear();
}

/**
 * Runs index.ts with `config` (keys `key` or `namespace:key`) under mocks and returns what it registered.
 * Throws what the program throws (a ConfigError for bad configuration).
 */
export async function runProgram(config: Record<string, unknown>, options: RunOptions = {}): Promise<ProgramRun> {
    await installMocks();
    resetRecording();
    applyConfig(config);
    forgetProgram();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return capture(() => require(path.join(PROGRAM_DIR, "index")), options);
}

/**
 * Runs `program` (any function registering resources) as a stack under the mocks and returns what it
 * registered: the building block of `runProgram`, and of the benchmark's SDK floor (bench/floor.ts).
 */
export async function runUnderMocks(program: () => Record<string, unknown>, options: RunOptions = {}): Promise<ProgramRun> {
    await installMocks();
    resetRecording();
    return capture(program, options);
}

/** How `runProgram` and `runUnderMocks` run. */
export interface RunOptions {
    /**
     * Keep the SDK's per-resource and per-promise stack captures as `pulumi up` pays for them
     * (source-mapped under ts-node). Default false: the captures are skipped, since nothing here
     * reads them; benchmarks set true to measure what users pay.
     */
    realStackTraces?: boolean;
}

async function capture(program: () => Record<string, unknown>, options: RunOptions): Promise<ProgramRun> {
    const warnings: string[] = [];
    const notes: string[] = [];
    const log = pulumi.log as { warn: (msg: string) => void; info: (msg: string) => void };
    const { warn, info } = log;
    log.warn = (msg: string) => {
        warnings.push(msg);
    };
    log.info = (msg: string) => {
        notes.push(msg);
    };
    // The SDK captures a stack trace for every resource (its source position, shown by the CLI) and
    // every promise (leak diagnostics); under ts-node each capture is source-mapped, milliseconds
    // each. No engine reads them here, so during the run traces are not formatted at all.
    const { prepareStackTrace, stackTraceLimit } = Error;
    if (!options.realStackTraces) {
        Error.prepareStackTrace = () => "";
        Error.stackTraceLimit = 0;
    }
    // The Pulumi language host fails the program on any unhandled rejection (@pulumi/pulumi
    // cmd/run/run.js: process.on("unhandledRejection", uncaughtHandler)), such as an error thrown in an
    // apply that no resource waits on; so does this engine, instead of dropping it.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => {
        unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    let outputs: Record<string, any>;
    try {
        outputs =
            (await pulumi.runtime.runInPulumiStack(async () => ({ ...program() }))) ?? {};
        await settle();
        // Rejections are reported after the microtask queue drains.
        await new Promise((resolve) => setImmediate(resolve));
        if (unhandled.length > 0) {
            throw unhandled[0] instanceof Error ? unhandled[0] : new Error(String(unhandled[0]));
        }
    } finally {
        process.off("unhandledRejection", onUnhandled);
        Error.prepareStackTrace = prepareStackTrace;
        Error.stackTraceLimit = stackTraceLimit;
        log.warn = warn;
        log.info = info;
    }
    const resources = recorder.resources
        .filter((r) => r.type !== "pulumi:pulumi:Stack")
        .map((r) => ({ ...r, parent: r.parent.includes("::pulumi:pulumi:Stack::") ? "" : r.parent }));
    return { resources, outputs: unwrapSecrets(outputs), warnings, notes };
}

/** Stack outputs with secrets shown (the engine's own `--show-secrets`). */
function unwrapSecrets(value: any): any {
    if (Array.isArray(value)) {
        return value.map(unwrapSecrets);
    }
    if (value && typeof value === "object") {
        // The SDK's own marker of a serialized secret (@pulumi/pulumi runtime/rpc.d.ts).
        if (value[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) {
            return unwrapSecrets(value.value);
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}
