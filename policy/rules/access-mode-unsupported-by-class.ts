/**
 * Rule 4: ReadWriteMany or ReadOnlyMany requested on a dynamically provisioned claim whose class
 * only gives single-node (block) volumes.
 */
import { ClaimInfo, ClusterIndex, keyOf } from "../model";
import { AccessCapability, StorageClassTable } from "../storageClasses";
import { Finding, Rule } from "../types";

/** What the class of a claim can give, and where that knowledge comes from. */
export interface ClassVerdict {
    readonly className: string;
    readonly capability: AccessCapability;
    /** e.g. `StorageClass gp3 (provisioner ebs.csi.aws.com)` or `class standard-rwx (built-in table)`. */
    readonly source: string;
}

/**
 * Resolves the class a dynamically provisioned claim uses and its capability; undefined when the
 * claim binds statically (`storageClassName: ""` or `volumeName`), names no class and the input has
 * no single default class, or the class / provisioner is unknown.
 */
export function classOf(
    claim: ClaimInfo,
    index: ClusterIndex,
    table: StorageClassTable,
): ClassVerdict | undefined {
    if (claim.storageClassName === "" || claim.volumeName !== undefined) return undefined;
    const defaults = index.defaultStorageClasses;
    const className =
        claim.storageClassName ?? (defaults.length === 1 ? defaults[0].ref.name : undefined);
    if (className === undefined) return undefined;
    const viaDefault = claim.storageClassName === undefined ? "default " : "";
    const sc = index.storageClasses.get(className);
    if (sc !== undefined) {
        const provisioner = sc.provisioner;
        const capability = provisioner === undefined ? undefined : table.provisioners[provisioner];
        if (capability === undefined) return undefined;
        return {
            className,
            capability,
            source: `${viaDefault}StorageClass ${className} (provisioner ${provisioner})`,
        };
    }
    const capability = table.classes[className];
    return capability === undefined
        ? undefined
        : { className, capability, source: `class ${className} (storage class table)` };
}

export const accessModeUnsupportedByClass: Rule = {
    name: "access-mode-unsupported-by-class",
    description:
        "A claim must not ask for ReadWriteMany or ReadOnlyMany from a storage class whose provisioner " +
        "only makes single-node block volumes; provisioning fails and the claim stays Pending.",
    defaultEnforcement: "mandatory",
    check(index, config) {
        const findings: Finding[] = [];
        for (const claim of index.claims.values()) {
            const multi = claim.accessModes.filter(
                (m) => m === "ReadWriteMany" || m === "ReadOnlyMany",
            );
            if (multi.length === 0) continue;
            const verdict = classOf(claim, index, config.classes);
            if (verdict === undefined || verdict.capability !== "single-node") continue;
            findings.push({
                policy: accessModeUnsupportedByClass.name,
                enforcementLevel: accessModeUnsupportedByClass.defaultEnforcement,
                resource: claim.ref,
                message:
                    `Claim ${keyOf(claim.ref.namespace, claim.ref.name)} asks for ${multi.join(" and ")} ` +
                    `but ${verdict.source} only makes block volumes that attach to one node: provisioning ` +
                    "fails (ProvisioningFailed), the claim stays Pending and so does every pod using it. " +
                    "Fix: use a ReadWriteMany class (Filestore, EFS, NFS, Longhorn...), or ask for " +
                    "ReadWriteOnce and keep the pods on one node.",
            });
        }
        return findings;
    },
};
