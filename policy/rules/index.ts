/** The volume-safety rules, in reporting order. */
import { Rule } from "../types";
import { accessModeUnsupportedByClass } from "./access-mode-unsupported-by-class";
import { claimNotInInput } from "./claim-not-in-input";
import { hostPathMultipleReplicas } from "./hostpath-multiple-replicas";
import { pvWithoutClaimRef } from "./pv-without-claimref";
import { roxClaimMountedWritable } from "./rox-claim-mounted-writable";
import { rwoRollingUpdateSurge } from "./rwo-rolling-update-surge";
import {
  rwoSharedHostPathPv,
  rwoSharedNetworkFs,
  rwoSharedNodeLocal,
  rwoSharedWithoutColocation,
} from "./rwo-shared-without-colocation";
import { rwopSharedByPods } from "./rwop-shared-by-pods";

/** Every rule, each a Pulumi policy of the same name. */
export const RULES: readonly Rule[] = [
  rwoSharedWithoutColocation,
  rwoSharedNodeLocal,
  rwoSharedHostPathPv,
  rwoSharedNetworkFs,
  rwopSharedByPods,
  rwoRollingUpdateSurge,
  accessModeUnsupportedByClass,
  hostPathMultipleReplicas,
  pvWithoutClaimRef,
  roxClaimMountedWritable,
  claimNotInInput,
];

export {
  accessModeUnsupportedByClass,
  claimNotInInput,
  hostPathMultipleReplicas,
  pvWithoutClaimRef,
  roxClaimMountedWritable,
  rwoRollingUpdateSurge,
  rwoSharedHostPathPv,
  rwoSharedNetworkFs,
  rwoSharedNodeLocal,
  rwoSharedWithoutColocation,
  rwopSharedByPods,
};
