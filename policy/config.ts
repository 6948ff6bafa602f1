/**
 * Reads Pulumi's standard policy config format (`--policy-pack-config policy-config.json`) into
 * {@link CheckOptions}, so the checker CLI and the policy pack share one configuration file:
 *
 * ```json
 * {
 *   "all": "advisory",
 *   "pv-without-claimref": "mandatory",
 *   "access-mode-unsupported-by-class": {
 *     "enforcementLevel": "mandatory",
 *     "classes": { "my-nfs": "network-fs" },
 *     "provisioners": { "example.com/block": "attachable-block" }
 *   }
 * }
 * ```
 */
import { CheckOptions, InputError, validateEnforcement } from "./core";
import { asRecord } from "./model";
import { RULES } from "./rules";
import { accessModeUnsupportedByClass } from "./rules/access-mode-unsupported-by-class";
import { StorageClassTableConfig } from "./storageClasses";
import { EnforcementOverride } from "./types";

/** The rule whose Pulumi policy config carries the storage-class table. */
export const CLASS_TABLE_POLICY = accessModeUnsupportedByClass.name;

function level(v: unknown, where: string): EnforcementOverride {
  // Pulumi treats "remediate" on stack policies as "mandatory".
  if (v === "remediate") return "mandatory";
  if (v === "mandatory" || v === "advisory" || v === "disabled") return v;
  throw new InputError(
    `${where}: enforcement level ${JSON.stringify(v)}; expected mandatory, advisory or disabled`,
  );
}

/**
 * Converts a Pulumi policy config object into check options.
 * @throws InputError on an unknown policy, a bad level or a malformed entry.
 */
export function optionsFromPolicyConfig(
  config: unknown,
): Required<Pick<CheckOptions, "enforcement">> & Pick<CheckOptions, "classes"> {
  const root = asRecord(config);
  if (root === undefined)
    throw new InputError("policy config must be a JSON/YAML object");
  const enforcement: Record<string, EnforcementOverride> = {};
  let classes: StorageClassTableConfig | undefined;
  const all = root.all;
  if (all !== undefined) {
    const l = level(
      typeof all === "string" ? all : asRecord(all)?.enforcementLevel,
      "all",
    );
    for (const r of RULES) enforcement[r.name] = l;
  }
  for (const [name, value] of Object.entries(root)) {
    if (name === "all") continue;
    if (typeof value === "string") {
      enforcement[name] = level(value, name);
      continue;
    }
    const entry = asRecord(value);
    if (entry === undefined)
      throw new InputError(`${name}: expected a level or an object`);
    if (entry.enforcementLevel !== undefined) {
      enforcement[name] = level(entry.enforcementLevel, name);
    }
    if (entry.provisioners !== undefined || entry.classes !== undefined) {
      // Every policy that reads the table may carry it (Pulumi gives each policy its own
      // config); the checker merges them, in file order. Values are validated (with messages
      // naming the entry) by mergeStorageClassTable in checkObjects.
      const p = asRecord(entry.provisioners);
      const c = asRecord(entry.classes);
      if (entry.provisioners !== undefined && p === undefined)
        throw new InputError(`${name}: "provisioners" must be an object`);
      if (entry.classes !== undefined && c === undefined)
        throw new InputError(`${name}: "classes" must be an object`);
      classes = {
        provisioners: {
          ...(classes?.provisioners ?? {}),
          ...(p ?? {}),
        } as StorageClassTableConfig["provisioners"],
        classes: {
          ...(classes?.classes ?? {}),
          ...(c ?? {}),
        } as StorageClassTableConfig["classes"],
      };
    }
  }
  validateEnforcement(enforcement);
  return { enforcement, classes };
}
