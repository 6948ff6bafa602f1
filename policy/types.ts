/** Types shared by the rules, the core and the front ends. */
import type { ClusterIndex, ResourceRef } from "./model";
import type { StorageClassTable } from "./storageClasses";

/** How a finding is enforced: mandatory blocks (exit 1, Pulumi blocks the update). */
export type EnforcementLevel = "mandatory" | "advisory";

/** An enforcement override: a level, or "disabled" to switch a rule off. */
export type EnforcementOverride = EnforcementLevel | "disabled";

/** One problem found in the input. */
export interface Finding {
  /** The rule's name (kebab-case), also the Pulumi policy name. */
  readonly policy: string;
  readonly enforcementLevel: EnforcementLevel;
  /** The object to fix (a claim, a workload, a volume). */
  readonly resource: ResourceRef;
  /** What will happen on a cluster and how to fix it. */
  readonly message: string;
  /**
   * The workloads involved (for a finding about sharing: every workload using the claim or the
   * path; else the workload to fix), in input order, each once. Empty when no workload is
   * involved (a PersistentVolume without claimRef). Always set on findings from checkObjects.
   */
  readonly workloads?: readonly ResourceRef[];
}

/** Configuration every rule receives. */
export interface RuleConfig {
  /** Storage class capabilities (defaults merged with user config). */
  readonly classes: StorageClassTable;
}

/** A volume-safety rule: a pure function of the index. */
export interface Rule {
  /** kebab-case name, unique; the Pulumi policy name. */
  readonly name: string;
  readonly description: string;
  readonly defaultEnforcement: EnforcementLevel;
  /** True when the rule reads the storage-class table (its Pulumi policy takes it as config). */
  readonly usesClassTable?: boolean;
  /** Returns the rule's findings, at its default enforcement level. */
  check(index: ClusterIndex, config: RuleConfig): Finding[];
}
