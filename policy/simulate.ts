/**
 * Runs the pack's stack-validation policies over simulated resources the way the Pulumi policy
 * server does. Test and benchmark support only: the pack itself (`index.ts`) never loads this file.
 */
import {
  EnforcementLevel as PulumiEnforcementLevel,
  PolicyPackConfig,
  PolicyProviderResource,
  PolicyResource,
  StackValidationArgs,
  StackValidationPolicy,
  unknownCheckingProxy,
} from "@pulumi/policy";
import { asRecord } from "./model";
import { policies } from "./pack";
import { EnforcementLevel } from "./types";

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

function levelOf(
  config: PolicyPackConfig,
  policy: StackValidationPolicy,
): PulumiEnforcementLevel {
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
        customTimeouts: {
          createSeconds: 0,
          updateSeconds: 0,
          deleteSeconds: 0,
        },
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
        throw new Error(
          `policy ${policy.name} not applicable: ${reason ?? ""}`,
        );
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
