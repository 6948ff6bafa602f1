/**
 * The Pulumi front end: one stack-validation policy per rule, over every plain Kubernetes resource
 * of the stack, so multi-resource rules (a claim and the workloads using it) see the whole stack.
 *
 * `index.ts` serves these policies as a PolicyPack; this module has no side effects so tests and
 * other code can import it, and {@link runStackValidation} runs the policies the way the Pulumi
 * policy server does.
 */
import {
    EnforcementLevel as PulumiEnforcementLevel,
    PolicyConfigSchema,
    PolicyPackConfig,
    PolicyProviderResource,
    PolicyResource,
    StackValidationArgs,
    StackValidationPolicy,
    UnknownValueError,
    unknownCheckingProxy,
} from "@pulumi/policy";
import { checkObjects } from "./core";
import { CLASS_TABLE_POLICY } from "./config";
import { KubeObject, ResourceRef, asRecord, isClusterScoped, objectProblem, refOf } from "./model";
import { RULES } from "./rules";
import { ACCESS_CAPABILITIES, StorageClassTableConfig } from "./storageClasses";
import { EnforcementLevel, Rule } from "./types";

/** The policy pack's name. */
export const PACK_NAME = "kube-volume-lab-volume-safety";

/** Groups whose resources are not plain Kubernetes objects (Helm releases, YAML/kustomize groups). */
const NON_OBJECT_GROUPS = new Set(["helm.sh", "yaml", "kustomize"]);

/**
 * Parses a Pulumi Kubernetes type token (`kubernetes:apps/v1:Deployment`,
 * `kubernetes:core/v1:PersistentVolumeClaim`) into apiVersion and kind; undefined for providers,
 * Helm releases, YAML ConfigGroups, kustomize Directories, `*Patch` and `*List` types.
 */
export function parseKubernetesType(
    type: string,
): { apiVersion: string; kind: string } | undefined {
    const m = /^kubernetes:([a-z0-9.-]+)\/([a-z0-9]+):([A-Z][A-Za-z0-9]*)$/.exec(type);
    if (m === null) return undefined;
    const [, group, version, kind] = m;
    if (NON_OBJECT_GROUPS.has(group) || kind.endsWith("Patch") || kind.endsWith("List"))
        return undefined;
    return { apiVersion: group === "core" ? version : `${group}/${version}`, kind };
}

function isUnknownError(e: unknown): boolean {
    return e instanceof UnknownValueError || (e as Error | undefined)?.name === "UnknownValueError";
}

/**
 * Copies resource properties into plain data. Values not known yet (during preview) are left out:
 * the rules treat them as absent.
 */
export function plainCopy(value: unknown): unknown {
    if (Array.isArray(value)) {
        const out: unknown[] = [];
        for (let i = 0; i < value.length; i++) {
            try {
                out.push(plainCopy(value[i]));
            } catch (e) {
                if (!isUnknownError(e)) throw e;
            }
        }
        return out;
    }
    if (typeof value === "object" && value !== null) {
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(value)) {
            try {
                out[key] = plainCopy((value as Record<string, unknown>)[key]);
            } catch (e) {
                if (!isUnknownError(e)) throw e;
            }
        }
        return out;
    }
    return value;
}

/** The part of a Pulumi resource the conversion reads. */
export interface StackResourceLike {
    readonly type: string;
    readonly urn: string;
    readonly props: Record<string, unknown>;
    readonly provider?: { readonly props?: Record<string, unknown> };
}

/**
 * Converts a Pulumi resource into a Kubernetes object, or undefined when it is not a plain object
 * type or lacks a kind/name. apiVersion and kind come from the props, else from the type token;
 * a namespaced object without namespace gets its provider's `namespace`, if any.
 */
export function kubeObjectOf(resource: StackResourceLike): KubeObject | undefined {
    const parsed = parseKubernetesType(resource.type);
    if (parsed === undefined) return undefined;
    const props = (asRecord(plainCopy(resource.props)) ?? {}) as KubeObject;
    const obj: KubeObject = {
        ...props,
        apiVersion: props.apiVersion ?? parsed.apiVersion,
        kind: props.kind ?? parsed.kind,
    };
    const meta = asRecord(obj.metadata);
    const providerNs = resource.provider?.props?.namespace;
    if (
        meta !== undefined &&
        meta.namespace === undefined &&
        typeof providerNs === "string" &&
        providerNs !== "" &&
        !isClusterScoped(obj.kind ?? "")
    ) {
        obj.metadata = { ...meta, namespace: providerNs };
    }
    return objectProblem(obj) === undefined ? obj : undefined;
}

/** Kubernetes objects of a stack, and a way back from a finding's resource to its URN. */
export interface StackObjects {
    readonly objects: KubeObject[];
    urnOf(ref: ResourceRef): string | undefined;
}

const refKey = (r: ResourceRef): string => `${r.kind}\u0000${r.namespace}\u0000${r.name}`;

/** Converts the stack's resources, keeping the URN of each object. */
export function stackObjects(resources: readonly StackResourceLike[]): StackObjects {
    const objects: KubeObject[] = [];
    const urns = new Map<string, string>();
    for (const r of resources) {
        const obj = kubeObjectOf(r);
        if (obj === undefined) continue;
        objects.push(obj);
        const key = refKey(refOf(obj, "default"));
        urns.set(key, r.urn); // the later object of an identity wins, as in the core
    }
    return { objects, urnOf: (ref) => urns.get(refKey(ref)) };
}

/** The config schema of the storage-class policy: the user's additions to the class table. */
export const CLASS_TABLE_SCHEMA: PolicyConfigSchema = {
    properties: {
        provisioners: {
            type: "object",
            description:
                "Provisioner name → single-node | multi-node (merged over the built-in table).",
            additionalProperties: { type: "string", enum: [...ACCESS_CAPABILITIES] },
        },
        classes: {
            type: "object",
            description:
                "Storage class name → single-node | multi-node, for classes not defined in the stack.",
            additionalProperties: { type: "string", enum: [...ACCESS_CAPABILITIES] },
        },
    },
};

/** The Pulumi policy for one rule. */
export function policyFor(rule: Rule): StackValidationPolicy {
    const takesClasses = rule.name === CLASS_TABLE_POLICY;
    return {
        name: rule.name,
        description: rule.description,
        enforcementLevel: rule.defaultEnforcement,
        ...(takesClasses ? { configSchema: CLASS_TABLE_SCHEMA } : {}),
        validateStack: (args, reportViolation) => {
            const { objects, urnOf } = stackObjects(args.resources);
            const classes = takesClasses ? args.getConfig<StorageClassTableConfig>() : undefined;
            for (const f of checkObjects(objects, { rules: [rule], classes })) {
                reportViolation(f.message, urnOf(f.resource));
            }
        },
    };
}

/** One stack-validation policy per rule, in rule order. */
export const policies: StackValidationPolicy[] = RULES.map(policyFor);

/** A resource as tests and tools describe it, shaped like Pulumi's `PolicyResource`. */
export interface SimulatedResource {
    /** e.g. `kubernetes:apps/v1:Deployment`. */
    readonly type: string;
    /** The Pulumi logical name. */
    readonly name: string;
    /** Default: `urn:pulumi:test::kube-volume-lab::<type>::<name>`. */
    readonly urn?: string;
    readonly props: Record<string, unknown>;
    readonly provider?: PolicyProviderResource;
}

/** A violation as the Pulumi engine would record it. */
export interface Violation {
    readonly policyName: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly message: string;
    readonly urn: string | undefined;
}

/** The URN a {@link SimulatedResource} gets when it has none. */
export function defaultUrn(type: string, name: string): string {
    return `urn:pulumi:test::kube-volume-lab::${type}::${name}`;
}

function levelOf(config: PolicyPackConfig, policy: StackValidationPolicy): PulumiEnforcementLevel {
    const c = config[policy.name] as unknown;
    const fromConfig =
        typeof c === "string"
            ? c
            : (asRecord(c)?.enforcementLevel as PulumiEnforcementLevel | undefined);
    const all = config.all as unknown;
    const fromAll =
        typeof all === "string"
            ? all
            : (asRecord(all)?.enforcementLevel as PulumiEnforcementLevel | undefined);
    return (fromConfig ??
        fromAll ??
        policy.enforcementLevel ??
        "advisory") as PulumiEnforcementLevel;
}

/**
 * Runs stack-validation policies over simulated resources the way the Pulumi policy server does:
 * per policy, enforcement from `config` (Pulumi's policy config format) or the policy's own, skipped
 * when disabled, "remediate" treated as mandatory; props wrapped in the unknown-checking proxy;
 * `getConfig` returning the policy's config without `enforcementLevel`.
 */
export async function runStackValidation(
    resources: readonly SimulatedResource[],
    config: PolicyPackConfig = {},
    policyList: readonly StackValidationPolicy[] = policies,
): Promise<Violation[]> {
    const policyResources: PolicyResource[] = resources.map((r) => {
        const props = unknownCheckingProxy(r.props) as Record<string, unknown>;
        const matches = (cls: unknown): boolean =>
            (cls as { __pulumiType?: string } | undefined)?.__pulumiType === r.type;
        const resource: PolicyResource = {
            type: r.type,
            name: r.name,
            urn: r.urn ?? defaultUrn(r.type, r.name),
            props,
            opts: {
                protect: false,
                ignoreChanges: [],
                aliases: [],
                customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
                additionalSecretOutputs: [],
            },
            provider: r.provider,
            dependencies: [],
            propertyDependencies: {},
            isType: (cls) => matches(cls),
            asType: ((cls: unknown) =>
                matches(cls) ? props : undefined) as PolicyResource["asType"],
        };
        return resource;
    });
    const violations: Violation[] = [];
    for (const policy of policyList) {
        let level = levelOf(config, policy);
        if (level === "disabled") continue;
        if (level === "remediate") level = "mandatory";
        const entry = asRecord(config[policy.name] as unknown) ?? {};
        const { enforcementLevel: _ignored, ...policyConfig } = entry;
        void _ignored;
        const args: StackValidationArgs = {
            resources: policyResources,
            stackTags: new Map(),
            getConfig: <T extends object>() => policyConfig as T,
            notApplicable: (reason?: string): never => {
                throw new Error(`policy ${policy.name} not applicable: ${reason ?? ""}`);
            },
        };
        const finalLevel = level;
        await policy.validateStack(args, (message, urn) => {
            violations.push({
                policyName: policy.name,
                enforcementLevel: finalLevel,
                message,
                urn,
            });
        });
    }
    return violations;
}
