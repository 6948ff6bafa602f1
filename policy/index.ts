/**
 * The kube-volume-lab volume-safety policy pack:
 *
 *   pulumi preview --policy-pack ./policy [--policy-pack-config policy-config.json]
 *
 * One stack-validation policy per rule (see README.md); the rules live in `rules/`, the
 * conversion from Pulumi resources in `pack.ts`. Importing this file starts the policy server, so
 * tests import `pack.ts` instead.
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./pack";

new PolicyPack(PACK_NAME, {
    description:
        "Volume safety for Kubernetes: ReadWriteOnce sharing, storage class access modes, hostPath " +
        "replicas, unbound PersistentVolumes.",
    policies,
});
