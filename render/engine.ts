/**
 * Runs the real program (index.ts) under Pulumi's mock engine and records every resource it
 * registers, with the inputs it passed. Shared by the tests, `npm run render` and the benchmarks.
 *
 * Cloud outputs the program reads back (cluster endpoints, file system ids, IP addresses) get
 * deterministic placeholder values derived from the resource's name, so the same input always
 * gives the same record. Any invoke not listed in INVOKES throws, so a new one cannot pass silently.
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
    "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
        names: ["mock-region-1a", "mock-region-1b", "mock-region-1c"],
        zoneIds: ["mrz1-az1", "mrz1-az2", "mrz1-az3"],
        id: "mock-region-1",
        state: "available",
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

/** Kubernetes objects come back as the API server would return their identity. */
function kubernetesState(inputs: Record<string, any>, name: string): Record<string, any> {
    const metadata = { ...(inputs.metadata ?? {}) };
    if (metadata.name === undefined && metadata.generateName === undefined) {
        metadata.name = `${name}-${AUTONAME_SUFFIX}`;
    }
    return { ...inputs, metadata };
}

class Recorder implements pulumi.runtime.Mocks {
    resources: Omit<RecordedResource, "urn" | "parent" | "dependencies">[] = [];

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
        this.resources.push({
            type: args.type,
            name: args.name,
            inputs: unwrapSecrets(args.inputs),
            custom: args.custom ?? true,
            provider: args.provider,
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

type RegisterRequest = { getType(): string; getName(): string; getParent(): string; getDependenciesList(): string[] };
type MockMonitor = {
    resources: Map<string, { urn: string }>;
    registerResource(req: RegisterRequest, callback: unknown): Promise<void>;
};
/** Parent and dependency URNs of each registration, keyed by `type::name` (the mock API does not pass them on). */
const parents = new Map<string, string>();
const dependencies = new Map<string, string[]>();
function monitor(): MockMonitor {
    return (pulumi.runtime as unknown as { getMonitor(): MockMonitor }).getMonitor();
}

/** Installs Pulumi's mocks once per process (test/setup.ts, the render and bench commands). */
export async function installMocks(stack = "test"): Promise<void> {
    if (!installed) {
        await pulumi.runtime.setMocks(recorder, PROJECT, stack, false);
        const m = monitor();
        const register = m.registerResource.bind(m);
        m.registerResource = (req, callback) => {
            parents.set(`${req.getType()}::${req.getName()}`, req.getParent());
            dependencies.set(`${req.getType()}::${req.getName()}`, req.getDependenciesList());
            return register(req, callback);
        };
        installed = true;
    }
}

/** Resources registered since the last run started (for specs that build components directly). */
export function recorded(): Omit<RecordedResource, "urn" | "parent" | "dependencies">[] {
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
    parents.clear();
    dependencies.clear();
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

/** How `runProgram` and `runRegistrations` run. */
export interface RunOptions {
    /**
     * Keep the SDK's per-resource and per-promise stack captures as `pulumi up` pays for them
     * (source-mapped under ts-node). Default false: the captures are skipped, since nothing here
     * reads them; benchmarks set true to measure what users pay.
     */
    realStackTraces?: boolean;
}

/** The SDK's base classes, made concrete for type tokens no SDK class is found for. */
class RawResource extends pulumi.CustomResource {}
class RawProvider extends pulumi.ProviderResource {}

type SdkClass = new (name: string, args: any, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

/** Kubernetes API groups as the SDK names its modules. */
const KUBE_GROUPS: Record<string, string> = {
    "storage.k8s.io": "storage",
    "rbac.authorization.k8s.io": "rbac",
    "networking.k8s.io": "networking",
    "helm.sh": "helm",
};

/** The SDK class of a type token (`aws:efs/accessPoint:AccessPoint` → aws.efs.AccessPoint). */
export function sdkClass(type: string): SdkClass | undefined {
    try {
        if (type === "pulumi:providers:kubernetes") {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            return require("@pulumi/kubernetes").Provider;
        }
        const [pkg, module, name] = type.split(":");
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        let node: any = require(`@pulumi/${pkg}`);
        const parts = pkg === "kubernetes" ? module.split("/").map((p) => KUBE_GROUPS[p] ?? p) : [module.split("/")[0]];
        for (const part of [...parts, name]) {
            node = node?.[part];
        }
        return typeof node === "function" ? (node as SdkClass) : undefined;
    } catch {
        return undefined;
    }
}

/**
 * Registers, with no program logic, resources of the same types (the same SDK classes), names, inputs,
 * parents, providers and dependencies as `resources`, in their registration order: the SDK's own cost
 * floor for that stack (bench/). Components are plain ComponentResources with the same type tokens.
 */
export async function runRegistrations(resources: readonly RecordedResource[], options: RunOptions = {}): Promise<ProgramRun> {
    await installMocks();
    resetRecording();
    return capture(() => {
        const made = new Map<string, pulumi.Resource>();
        for (const r of resources) {
            const parent = r.parent ? made.get(r.parent) : undefined;
            const provider = r.provider ? (made.get(r.provider.split("::").slice(0, -1).join("::")) as pulumi.ProviderResource) : undefined;
            const dependsOn = r.dependencies.map((u) => made.get(u)).filter((d): d is pulumi.Resource => d !== undefined);
            let res: pulumi.Resource;
            const Sdk = r.custom ? sdkClass(r.type) : undefined;
            if (Sdk) {
                res = new Sdk(r.name, r.inputs, { parent, provider, dependsOn });
            } else if (r.type.startsWith("pulumi:providers:")) {
                res = new RawProvider(r.type.split(":")[2], r.name, r.inputs, { parent, dependsOn });
            } else if (r.custom) {
                res = new RawResource(r.type, r.name, r.inputs, { parent, provider, dependsOn });
            } else {
                res = new pulumi.ComponentResource(r.type, r.name, {}, { parent, dependsOn });
            }
            made.set(r.urn, res);
        }
        return {};
    }, options);
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
    let outputs: Record<string, any>;
    try {
        outputs =
            (await pulumi.runtime.runInPulumiStack(async () => ({ ...program() }))) ?? {};
        await settle();
    } finally {
        Error.prepareStackTrace = prepareStackTrace;
        Error.stackTraceLimit = stackTraceLimit;
        log.warn = warn;
        log.info = info;
    }
    const urns = new Map<string, string>();
    for (const { urn } of monitor().resources.values()) {
        const parts = urn.split("::");
        urns.set(`${parts[2].split("$").pop()}::${parts.slice(3).join("::")}`, urn);
    }
    const resources = recorder.resources
        .filter((r) => r.type !== "pulumi:pulumi:Stack")
        .map((r) => {
            const parent = parents.get(`${r.type}::${r.name}`) ?? "";
            return {
                ...r,
                urn: urns.get(`${r.type}::${r.name}`) ?? "",
                parent: parent.includes("::pulumi:pulumi:Stack::") ? "" : parent,
                dependencies: dependencies.get(`${r.type}::${r.name}`) ?? [],
            };
        });
    return { resources, outputs: unwrapSecrets(outputs), warnings, notes };
}

/** Stack outputs with secrets shown (the engine's own `--show-secrets`). */
function unwrapSecrets(value: any): any {
    if (Array.isArray(value)) {
        return value.map(unwrapSecrets);
    }
    if (value && typeof value === "object") {
        if (value["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") {
            return unwrapSecrets(value.value);
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}
