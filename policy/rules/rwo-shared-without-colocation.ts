/**
 * Rule 1: a single-node claim (ReadWriteOnce, or ReadWriteOnce+ReadOnlyMany with a read-write use)
 * used by more than one pod that nothing forces onto one node.
 */
import {
    ClaimUse,
    HOSTNAME_KEY,
    describeCount,
    describeRef,
    effectiveAccess,
    keyOf,
    totalPods,
} from "../model";
import { commonGroup, placementOf } from "../placement";
import { Finding, Rule } from "../types";

/** Describes how many pods a total is. */
export function podCount(n: number): string {
    return n === Number.POSITIVE_INFINITY ? "an unbounded number of pods" : `${n} pods`;
}

export const rwoSharedWithoutColocation: Rule = {
    name: "rwo-shared-without-colocation",
    description:
        "A ReadWriteOnce claim used by several pods must have all of them forced onto one node " +
        "(same nodeName, hostname nodeSelector or node affinity, or required hostname podAffinity " +
        "to an anchor on one node); otherwise pods on a second node never start (Multi-Attach).",
    defaultEnforcement: "mandatory",
    check(index) {
        const placement = placementOf(index);
        const findings: Finding[] = [];
        for (const [key, uses] of index.claimUses) {
            const claim = index.claims.get(key);
            if (claim === undefined || effectiveAccess(claim, uses) !== "single-node") continue;
            const active = uses.filter((u) => u.source.replicas > 0);
            const pods = totalPods(active);
            if (pods <= 1) continue;
            const groups = active.map((u) => placement.groupOf(u.source));
            if (commonGroup(groups) !== undefined) continue;

            const describeUse = (u: ClaimUse, i: number): string => {
                const g = groups[i];
                const where = g !== undefined && g.reason !== "single-pod" ? `; ${g.detail}` : "";
                const access = u.readOnly ? "read-only" : "read-write";
                return `${describeRef(u.source.ref)} (${describeCount(u.source)}, ${access}${where})`;
            };
            const writers = active.filter((u) => !u.readOnly);
            const modes = claim.accessModes.join("+");
            const why = claim.accessModes.includes("ReadOnlyMany")
                ? `is ${modes} and ${writers.map((u) => describeRef(u.source.ref)).join(", ")} ` +
                  "mount(s) it read-write (no persistentVolumeClaim.readOnly: true), which attaches the " +
                  "volume read-write to one node; readers and writers on any other node"
                : `is ${modes}: the volume attaches to one node at a time, so pods scheduled on a second node`;
            findings.push({
                policy: rwoSharedWithoutColocation.name,
                enforcementLevel: rwoSharedWithoutColocation.defaultEnforcement,
                resource: claim.ref,
                message:
                    `Claim ${keyOf(claim.ref.namespace, claim.ref.name)} is used by ${podCount(pods)} ` +
                    `from ${active.map(describeUse).join(", ")} and nothing forces them onto one node. ` +
                    `The claim ${why} will stay in ContainerCreating with a Multi-Attach error. ` +
                    "Fix: use a ReadWriteMany storage class, or put every pod on one node (required " +
                    `podAffinity with topologyKey ${HOSTNAME_KEY} to a single-pod anchor, or the same ` +
                    `nodeName / ${HOSTNAME_KEY} nodeSelector), or run a single pod.`,
            });
        }
        return findings;
    },
};
