/**
 * The volume-safety core: runs the rules over plain Kubernetes objects, applies enforcement
 * overrides and the storage-class table, and returns findings in a stable order. Both front ends
 * (the Pulumi policy pack and the manifest checker CLI) are thin layers over {@link checkObjects}.
 */
import { buildIndex, objectProblem } from "./model";
import { RULES } from "./rules";
import {
  StorageClassTableConfig,
  mergeStorageClassTable,
} from "./storageClasses";
import { EnforcementOverride, Finding, Rule } from "./types";

export * from "./types";
export { RULES } from "./rules";
export {
  DEFAULT_STORAGE_CLASS_TABLE,
  mergeStorageClassTable,
} from "./storageClasses";
export type {
  StorageClassTable,
  StorageClassTableConfig,
  AccessCapability,
  BackingKind,
  TableEntry,
} from "./storageClasses";
export { backingOf } from "./backing";
export type { Backing } from "./backing";
export type { KubeObject, ResourceRef } from "./model";

/** Options of {@link checkObjects}. */
export interface CheckOptions {
  /** Namespace of namespaced objects without one. Default "default". */
  defaultNamespace?: string;
  /** Per-rule enforcement: "mandatory", "advisory" or "disabled". Default: each rule's own. */
  enforcement?: Readonly<Record<string, EnforcementOverride>>;
  /** Storage-class table entries merged over the built-in table. */
  classes?: StorageClassTableConfig;
  /** The rules to run. Default: {@link RULES}. */
  rules?: readonly Rule[];
}

/** Raised for unusable input: an object without kind or name, an unknown rule or level. */
export class InputError extends Error {
  /** Index of the offending object in the input array, when the problem is an object. */
  readonly objectIndex: number | undefined;

  constructor(message: string, objectIndex?: number) {
    super(message);
    this.name = "InputError";
    this.objectIndex = objectIndex;
  }
}

const LEVELS: readonly EnforcementOverride[] = [
  "mandatory",
  "advisory",
  "disabled",
];

/** Orders findings by resource (namespace, kind, name), then policy, then message. */
export function compareFindings(a: Finding, b: Finding): number {
  const keys = (f: Finding): string[] => [
    f.resource.namespace,
    f.resource.kind,
    f.resource.name,
    f.policy,
    f.message,
  ];
  const ka = keys(a);
  const kb = keys(b);
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
  }
  return 0;
}

/** Validates enforcement overrides against the rules. @throws InputError */
export function validateEnforcement(
  enforcement: Readonly<Record<string, unknown>>,
  rules: readonly Rule[] = RULES,
): void {
  const names = new Set(rules.map((r) => r.name));
  for (const [name, level] of Object.entries(enforcement)) {
    if (!names.has(name)) {
      throw new InputError(
        `unknown rule "${name}"; known rules: ${[...names].join(", ")}`,
      );
    }
    if (!LEVELS.includes(level as EnforcementOverride)) {
      throw new InputError(
        `enforcement of "${name}" is ${JSON.stringify(level)}; expected ${LEVELS.join(", ")}`,
      );
    }
  }
}

/**
 * Runs the volume-safety rules over Kubernetes objects.
 *
 * @param objects plain objects `{apiVersion, kind, metadata, spec}`; each needs a kind and a
 *   metadata.name or generateName.
 * @returns findings, deduplicated, sorted by {@link compareFindings}, with enforcement applied
 *   (disabled rules produce none).
 * @throws InputError on an unusable object, an unknown rule or level, or a bad class table.
 */
export function checkObjects(
  objects: readonly unknown[],
  options: CheckOptions = {},
): Finding[] {
  const rules = options.rules ?? RULES;
  const enforcement = options.enforcement ?? {};
  validateEnforcement(enforcement, RULES);
  objects.forEach((o, i) => {
    const problem = objectProblem(o);
    if (problem !== undefined)
      throw new InputError(`object ${i} ${problem}`, i);
  });
  let classes;
  try {
    classes = mergeStorageClassTable(options.classes);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  const index = buildIndex(objects, {
    defaultNamespace: options.defaultNamespace,
  });
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const rule of rules) {
    const level = enforcement[rule.name] ?? rule.defaultEnforcement;
    if (level === "disabled") continue;
    for (const f of rule.check(index, { classes })) {
      // Field order is the JSON output's order.
      const finding: Finding = {
        policy: f.policy,
        enforcementLevel: level,
        resource: f.resource,
        message: f.message,
        workloads: f.workloads ?? [],
      };
      const key = JSON.stringify(finding);
      if (seen.has(key)) continue; // the same object given twice yields the same finding once
      seen.add(key);
      findings.push(finding);
    }
  }
  return findings.sort(compareFindings);
}

/** True when any finding is mandatory. */
export function hasMandatory(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.enforcementLevel === "mandatory");
}
