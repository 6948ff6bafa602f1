/**
 * Offline render: the exact Kubernetes objects a stack would apply, its cloud resources and the
 * policy pack's findings, computed under the mock engine with no cloud credentials. Deterministic:
 * the same stack and overrides give byte-identical files, so CI can diff a branch against main.
 */
import * as YAML from "yaml";

import { checkObjects, type Finding } from "../policy/core";
import { formatFinding } from "../policy/cli";
import { AUTONAME_SUFFIX, type ProgramRun, type RecordedResource, runProgram, stackConfig } from "./engine";

/** Raised for a bad `--stack` or `--set`: the CLI prints the message and exits 2. */
export class RenderInputError extends Error {}

/** One segment of a property path: a map key or an array index. */
type PathSegment = string | number;

/**
 * Parses a config key's path as `pulumi config set --path` does: `name`, `.name`, `[index]` and
 * `["quoted key"]` segments (pulumi/pulumi sdk/go/common/resource/properties_path.go,
 * parsePropertyPath, read loosely as ParsePropertyPath does).
 */
export function parsePropertyPath(path: string): PathSegment[] {
    const out: PathSegment[] = [];
    let rest = path;
    if (rest.startsWith(".")) {
        throw new Error("expected property path to start with a name or index");
    }
    while (rest.length > 0) {
        if (rest[0] === ".") {
            rest = rest.slice(1);
            if (rest.length === 0) {
                throw new Error("expected property path to end with a name or index");
            }
        } else if (rest[0] === "[") {
            if (rest[1] === '"') {
                let key = "";
                let i = 2;
                for (;;) {
                    if (i >= rest.length) {
                        throw new Error("missing closing quote in property name");
                    } else if (rest[i] === '"') {
                        i++;
                        break;
                    } else if (rest[i] === "\\" && rest[i + 1] === '"') {
                        key += '"';
                        i += 2;
                    } else {
                        key += rest[i++];
                    }
                }
                if (rest[i] !== "]") {
                    throw new Error("missing closing bracket in property access");
                }
                out.push(key);
                rest = rest.slice(i + 1);
            } else {
                const close = rest.indexOf("]");
                if (close < 0) {
                    throw new Error("missing closing bracket in array index");
                }
                const index = rest.slice(1, close);
                if (!/^[+-]?[0-9]+$/.test(index)) {
                    throw new Error(`invalid array index: ${JSON.stringify(index)}`);
                }
                out.push(Number(index));
                rest = rest.slice(close + 1);
            }
        } else {
            let i = 0;
            while (i < rest.length && rest[i] !== "." && rest[i] !== "[") i++;
            out.push(rest.slice(0, i));
            rest = rest.slice(i);
        }
    }
    return out;
}

/** `students[0].name`, as Pulumi prints a property path in its errors. */
function formatPath(path: readonly PathSegment[]): string {
    return path
        .map((p, i) =>
            typeof p === "number" ? `[${p}]` : /^[A-Za-z0-9_]+$/.test(p) ? `${i === 0 ? "" : "."}${p}` : `[${JSON.stringify(p)}]`,
        )
        .join("");
}

/**
 * A value set at a nested path: "true" and "false" become booleans, base-10 integers (not starting
 * with 0 unless "0") become numbers, anything else stays a string — pulumi/pulumi
 * sdk/go/common/resource/config/map.go, adjustObjectValue (strconv.Atoi: an optional sign, then digits).
 */
export function pathValue(text: string): string | number | boolean {
    if (text === "true") return true;
    if (text === "false") return false;
    if (text.length > 1 && text[0] === "0") return text;
    if (/^[+-]?[0-9]+$/.test(text)) {
        const n = Number(text);
        // Atoi parses 64-bit integers; beyond 2^53 a JavaScript number would silently round, so keep the text.
        return Number.isSafeInteger(n) ? n : text;
    }
    return text;
}

/** A new container for the segment that will index it: an array long enough for the index, or a map. */
function newContainer(segment: PathSegment): unknown[] | Record<string, unknown> {
    return typeof segment === "number" ? Array.from({ length: segment + 1 }, () => null) : {};
}

/** pulumi/pulumi sdk/go/common/resource/config/object.go, object.Set, on plain JSON values. */
function setAt(holder: { value: unknown }, prefix: PathSegment[], path: readonly PathSegment[], value: unknown): void {
    if (path.length === 0) {
        holder.value = value;
        return;
    }
    const [head, ...rest] = path;
    const isContainer = Array.isArray(holder.value) || (typeof holder.value === "object" && holder.value !== null);
    if (!isContainer) {
        if (holder.value === null || holder.value === undefined || prefix.length === 1) {
            // A missing value, or (Pulumi's COMPAT rule) a scalar directly under the key, becomes a container.
            holder.value = newContainer(head);
        } else {
            throw new Error(`${formatPath(prefix)}: expected ${typeof head === "number" ? "an array" : "a map"}`);
        }
    }
    const here = [...prefix, head];
    if (Array.isArray(holder.value)) {
        const list = holder.value;
        if (typeof head !== "number") {
            throw new Error(`${formatPath(here)}: key for an array must be an int`);
        }
        if (head < 0 || head > list.length) {
            throw new Error(`${formatPath(here)}: array index out of range (the list has ${list.length} item(s))`);
        }
        if (head === list.length) list.push(null);
        const child = { value: list[head] };
        setAt(child, here, rest, value);
        list[head] = child.value;
    } else {
        const map = holder.value as Record<string, unknown>;
        if (typeof head !== "string") {
            throw new Error(`${formatPath(here)}: key for a map must be a string`);
        }
        const child = { value: map[head] };
        setAt(child, here, rest, value);
        map[head] = child.value;
    }
}

/**
 * Applies `key=value` overrides to a stack's config (keys `project:key`) as
 * `pulumi config set --path key value` would (pulumi/pulumi pkg/cmd/pulumi/config/config.go calls
 * `ps.Config.Set(key, config.NewValue(value), path)`; sdk/go/common/resource/config/map.go Map.Set):
 * - a key without a namespace is the project's (`gcp:project` keeps its own);
 * - a single segment (`studentApps=true`, `students=["ada","bob"]`) stores the text as given, which the
 *   program then reads as Pulumi config (`getBoolean`, `getObject` parse it);
 * - a path (`eks.kubernetesVersion=1.30`, `students[0].name=zoe`, `students[2]=carol`) sets one value
 *   inside the object, creating maps and lists on the way, with `true`/`false` and integers converted
 *   and everything else (1.30, 007) kept a string; an index may be at most the list's length (append).
 */
export function applySets(config: Record<string, unknown>, sets: readonly string[], project: string): Record<string, unknown> {
    const out: Record<string, unknown> = structuredClone(config);
    for (const set of sets) {
        const eq = set.indexOf("=");
        if (eq <= 0) {
            throw new RenderInputError(`--set ${set}: expected key=value, e.g. --set demos.distinctUpdater.mode=rwo`);
        }
        const key = set.slice(0, eq);
        const text = set.slice(eq + 1);
        const firstSep = key.search(/[.[]/);
        const colon = key.indexOf(":");
        const namespaced = colon > 0 && (firstSep < 0 || colon < firstSep);
        const namespace = namespaced ? key.slice(0, colon) : project;
        let path: PathSegment[];
        try {
            path = parsePropertyPath(namespaced ? key.slice(colon + 1) : key);
        } catch (e) {
            throw new RenderInputError(`--set ${set}: invalid config key path: ${(e as Error).message}`);
        }
        if (path.length === 0 || typeof path[0] !== "string" || path[0] === "") {
            throw new RenderInputError(`--set ${set}: the key must start with a name, e.g. students[0] or gke.nodeCount`);
        }
        const full = `${namespace}:${path[0]}`;
        if (path.length === 1) {
            out[full] = text;
            continue;
        }
        const root = { value: out[full] };
        try {
            setAt(root, [path[0]], path.slice(1), pathValue(text));
        } catch (e) {
            throw new RenderInputError(`--set ${set}: ${(e as Error).message}`);
        }
        out[full] = root.value;
    }
    return out;
}

/** Order of kinds in a file: what must exist first comes first, as `kubectl apply` would want it. */
const KIND_ORDER = [
    "Namespace",
    "StorageClass",
    "PersistentVolume",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "ResourceQuota",
    "LimitRange",
    "NetworkPolicy",
    "Role",
    "RoleBinding",
    "PersistentVolumeClaim",
    "Service",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "Pod",
];

function kindRank(kind: string): number {
    const i = KIND_ORDER.indexOf(kind);
    return i < 0 ? KIND_ORDER.length : i;
}

/** Key inputs shown in the cloud table, per type; other types show their scalar inputs. */
const KEY_INPUTS: Record<string, string[]> = {
    "gcp:container/cluster:Cluster": ["location", "networkingMode", "datapathProvider", "releaseChannel.channel", "deletionProtection"],
    "gcp:container/nodePool:NodePool": ["location", "nodeCount", "nodeConfig.machineType", "nodeConfig.serviceAccount"],
    "gcp:filestore/instance:Instance": ["location", "tier", "fileShares.capacityGb", "deletionProtectionEnabled"],
    "aws:eks/cluster:Cluster": ["version", "accessConfig.authenticationMode"],
    "aws:eks/nodeGroup:NodeGroup": ["instanceTypes", "capacityType", "scalingConfig.desiredSize"],
    "aws:eks/addon:Addon": ["addonName", "addonVersion"],
    "aws:efs/fileSystem:FileSystem": ["encrypted", "performanceMode", "throughputMode"],
    "aws:efs/accessPoint:AccessPoint": ["rootDirectory.path", "posixUser.uid"],
    "kubernetes:helm.sh/v3:Release": ["chart", "version", "namespace"],
    "pulumi:providers:kubernetes": ["context"],
};

function pick(obj: Record<string, any>, path: string): unknown {
    return path.split(".").reduce<any>((o, k) => (o === undefined || o === null ? undefined : o[k]), obj);
}

function keyInputs(r: RecordedResource): string {
    const paths =
        KEY_INPUTS[r.type] ??
        Object.keys(r.inputs)
            .filter((k) => ["string", "number", "boolean"].includes(typeof r.inputs[k]) && !/policy|kubeconfig/i.test(k))
            .sort()
            .slice(0, 4);
    return paths
        .map((p) => [p, pick(r.inputs, p)] as const)
        .filter(([, v]) => v !== undefined)
        .map(([p, v]) => `${p}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(", ");
}

/** The top-level component a resource belongs to, as a file stem: `<Type>-<name>` or `stack`. */
function groupOf(r: RecordedResource, byUrn: Map<string, RecordedResource>): string {
    let top: RecordedResource | undefined;
    for (let cur: RecordedResource | undefined = r; cur; cur = cur.parent ? byUrn.get(cur.parent) : undefined) {
        if (!cur.custom) {
            top = cur;
        }
    }
    return top ? `${top.type.split(":").pop()}-${top.name}` : "stack";
}

/** What a render produces: files by relative path, the findings, and counts. */
export interface Render {
    files: Map<string, string>;
    findings: Finding[];
    kubernetesObjects: number;
    cloudResources: number;
}

/** Turns a program run into render files. Pure. */
export function renderRun(run: ProgramRun, stack: string): Render {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const groups = new Map<string, Record<string, unknown>[]>();
    const cloud: RecordedResource[] = [];
    const objects: Record<string, unknown>[] = [];
    for (const r of run.resources) {
        const isObject = r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v3:Release";
        if (!isObject) {
            if (r.custom) {
                cloud.push(r);
            }
            continue;
        }
        const obj = structuredClone(r.inputs) as Record<string, any>;
        obj.metadata = { ...(obj.metadata ?? {}) };
        if (obj.metadata.name === undefined && obj.metadata.generateName === undefined) {
            obj.metadata.name = `${r.name}-${AUTONAME_SUFFIX}`;
        }
        objects.push(obj);
        const group = groupOf(r, byUrn);
        groups.set(group, [...(groups.get(group) ?? []), obj]);
    }

    const files = new Map<string, string>();
    for (const group of [...groups.keys()].sort()) {
        const list = groups.get(group)!.sort((a: any, b: any) => {
            const ka = [kindRank(a.kind), a.metadata.namespace ?? "", a.metadata.name ?? a.metadata.generateName];
            const kb = [kindRank(b.kind), b.metadata.namespace ?? "", b.metadata.name ?? b.metadata.generateName];
            return ka[0] !== kb[0] ? (ka[0] as number) - (kb[0] as number) : String(ka.slice(1)).localeCompare(String(kb.slice(1)));
        });
        files.set(`kubernetes/${group}.yaml`, list.map((o) => YAML.stringify(o, { sortMapEntries: false })).join("---\n"));
    }

    const rows = cloud
        .map((r) => [r.type, r.name, keyInputs(r).replace(/\|/g, "\\|")])
        .sort((a, b) => (a[0] + a[1]).localeCompare(b[0] + b[1]));
    files.set(
        "cloud-resources.md",
        [
            `# Cloud and provider resources of stack ${stack} (${rows.length})`,
            "",
            "| type | name | key inputs |",
            "| --- | --- | --- |",
            ...rows.map((row) => `| ${row.join(" | ")} |`),
            "",
        ].join("\n"),
    );

    const findings = checkObjects(objects);
    files.set(
        "policy-findings.txt",
        findings.length === 0 ? "no findings\n" : `${findings.map(formatFinding).join("\n")}\n`,
    );
    return { files, findings, kubernetesObjects: objects.length, cloudResources: cloud.length };
}

/** Runs the stack's program under mocks with overrides and renders it. */
export async function renderStack(stack: string, sets: readonly string[] = []): Promise<Render> {
    let config: Record<string, unknown>;
    try {
        config = stackConfig(stack);
    } catch (e) {
        throw new RenderInputError((e as Error).message);
    }
    const run = await runProgram(applySets(config, sets, "kube-volume-lab"));
    return renderRun(run, stack);
}
