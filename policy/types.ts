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
    /** Returns the rule's findings, at its default enforcement level. */
    check(index: ClusterIndex, config: RuleConfig): Finding[];
}
