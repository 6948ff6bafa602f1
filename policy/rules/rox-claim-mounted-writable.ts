/** Rule 7: a ReadOnlyMany-only claim mounted writable. */
import { describeRef, keyOf } from "../model";
import { Finding, Rule } from "../types";

const WRITABLE_MODES = ["ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod"];

export const roxClaimMountedWritable: Rule = {
    name: "rox-claim-mounted-writable",
    description:
        "A ReadOnlyMany claim is attached read-only; mounting it writable makes writes fail with " +
        '"Read-only file system".',
    defaultEnforcement: "advisory",
    check(index) {
        const findings: Finding[] = [];
        for (const [key, uses] of index.claimUses) {
            const claim = index.claims.get(key);
            if (claim === undefined || !claim.accessModes.includes("ReadOnlyMany")) continue;
            if (claim.accessModes.some((m) => WRITABLE_MODES.includes(m))) continue;
            for (const u of uses) {
                if (!u.writable) continue;
                findings.push({
                    policy: roxClaimMountedWritable.name,
                    enforcementLevel: roxClaimMountedWritable.defaultEnforcement,
                    resource: u.source.ref,
                    message:
                        `${describeRef(u.source.ref)} mounts claim ${keyOf(claim.ref.namespace, claim.ref.name)}, ` +
                        "which is ReadOnlyMany only, as writable: the volume is attached read-only, so any " +
                        'write fails with "Read-only file system". Fix: set persistentVolumeClaim.readOnly: ' +
                        "true on the volume and readOnly: true on its volumeMounts, or ask for a writable " +
                        "access mode.",
                });
            }
        }
        return findings;
    },
};
