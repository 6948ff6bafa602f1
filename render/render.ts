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

/** Applies `key=value` overrides (dotted paths into objects, values parsed as YAML) to a stack's config. */
export function applySets(config: Record<string, unknown>, sets: readonly string[], project: string): Record<string, unknown> {
    const out: Record<string, unknown> = structuredClone(config);
    for (const set of sets) {
        const eq = set.indexOf("=");
        if (eq <= 0) {
            throw new RenderInputError(`--set ${set}: expected key=value, e.g. --set demos.distinctUpdater.mode=rwo`);
        }
        const path = set.slice(0, eq);
        let value: unknown;
        try {
            value = YAML.parse(set.slice(eq + 1));
        } catch (e) {
            throw new RenderInputError(`--set ${set}: the value is not valid YAML: ${(e as Error).message}`);
        }
        const [head, ...rest] = path.split(".");
        const key = head.includes(":") ? head : `${project}:${head}`;
        if (rest.length === 0) {
            out[key] = value;
            continue;
        }
        let node = (out[key] ??= {}) as Record<string, unknown>;
        for (const [i, part] of rest.entries()) {
            if (typeof node !== "object" || node === null || Array.isArray(node)) {
                throw new RenderInputError(`--set ${set}: ${[head, ...rest.slice(0, i)].join(".")} is not an object`);
            }
            if (i === rest.length - 1) {
                node[part] = value;
            } else {
                node = (node[part] ??= {}) as Record<string, unknown>;
            }
        }
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
