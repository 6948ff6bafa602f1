/**
 * The Pulumi front end: one stack-validation policy per rule, over every plain Kubernetes resource
 * of the stack, so multi-resource rules (a claim and the workloads using it) see the whole stack.
 *
 * `index.ts` serves these policies as a PolicyPack; this module has no side effects so tests and
 * other code can import it. `simulate.ts` (not loaded by the pack) runs them the way the Pulumi
 * policy server does, for tests and the benchmark.
 */
import {
  PolicyConfigSchema,
  StackValidationPolicy,
  UnknownValueError,
} from "@pulumi/policy";
import { checkObjects } from "./core";
import {
  KubeObject,
  ResourceRef,
  asRecord,
  isClusterScoped,
  objectProblem,
  refOf,
} from "./model";
import { RULES } from "./rules";
import {
  ACCESS_CAPABILITIES,
  BACKING_KINDS,
  StorageClassTableConfig,
} from "./storageClasses";
import { Rule } from "./types";

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
  const m = /^kubernetes:([a-z0-9.-]+)\/([a-z0-9]+):([A-Z][A-Za-z0-9]*)$/.exec(
    type,
  );
  if (m === null) return undefined;
  const [, group, version, kind] = m;
  if (
    NON_OBJECT_GROUPS.has(group) ||
    kind.endsWith("Patch") ||
    kind.endsWith("List")
  )
    return undefined;
  return {
    apiVersion: group === "core" ? version : `${group}/${version}`,
    kind,
  };
}

function isUnknownError(e: unknown): boolean {
  return (
    e instanceof UnknownValueError ||
    (e as Error | undefined)?.name === "UnknownValueError"
  );
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
export function kubeObjectOf(
  resource: StackResourceLike,
): KubeObject | undefined {
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

const refKey = (r: ResourceRef): string =>
  `${r.kind}\u0000${r.namespace}\u0000${r.name}`;

/** Converts the stack's resources, keeping the URN of each object. */
export function stackObjects(
  resources: readonly StackResourceLike[],
): StackObjects {
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

/** One table entry in the config schema: a backing kind (or old capability word), or a list. */
const TABLE_ENTRY_SCHEMA: PolicyConfigSchema["properties"][string] = {
  type: ["string", "array"],
  // `pattern` applies to strings only, `items` / `minItems` to arrays only (JSON Schema).
  pattern: `^(${ACCESS_CAPABILITIES.join("|")})$`,
  items: { type: "string", enum: [...BACKING_KINDS] },
  minItems: 1,
};

/** The config schema of the storage-class policy: the user's additions to the class table. */
export const CLASS_TABLE_SCHEMA: PolicyConfigSchema = {
  properties: {
    provisioners: {
      type: "object",
      description:
        "Provisioner (or CSI driver) name → backing kind: attachable-block | node-local | " +
        "host-path | network-fs | multi-attach-block (single-node = attachable-block, " +
        "multi-node = network-fs), merged over the built-in table.",
      additionalProperties: TABLE_ENTRY_SCHEMA,
    },
    classes: {
      type: "object",
      description:
        "Storage class name → backing kind (or a list of plausible kinds), for classes not " +
        "defined in the stack.",
      additionalProperties: TABLE_ENTRY_SCHEMA,
    },
  },
};

/** The Pulumi policy for one rule. */
export function policyFor(rule: Rule): StackValidationPolicy {
  // Pulumi gives each policy its own config only, so every rule that reads the class table takes
  // it as its config (the checker merges the tables of every entry into one).
  const takesClasses = rule.usesClassTable === true;
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: rule.defaultEnforcement,
    ...(takesClasses ? { configSchema: CLASS_TABLE_SCHEMA } : {}),
    validateStack: (args, reportViolation) => {
      const { objects, urnOf } = stackObjects(args.resources);
      const classes = takesClasses
        ? args.getConfig<StorageClassTableConfig>()
        : undefined;
      for (const f of checkObjects(objects, { rules: [rule], classes })) {
        reportViolation(f.message, urnOf(f.resource));
      }
    },
  };
}

/** One stack-validation policy per rule, in rule order. */
export const policies: StackValidationPolicy[] = RULES.map(policyFor);
