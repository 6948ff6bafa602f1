/** A claim a pod names that is not in the input: reported plainly, never judged. */
import { describeRef, keyOf } from "../model";
import { Finding, Rule } from "../types";

export const claimNotInInput: Rule = {
    name: "claim-not-in-input",
    description:
        "A pod uses a claim that is not among the inputs; the checker cannot judge its access modes, " +
        "class or sharing.",
    defaultEnforcement: "advisory",
    check(index) {
        const findings: Finding[] = [];
        for (const [key, uses] of index.claimUses) {
            if (index.claims.has(key)) continue;
            for (const u of uses) {
                const elsewhere = (index.claimNamespacesByName.get(u.claimName) ?? []).filter(
                    (ns) => ns !== u.claimNamespace,
                );
                const hint =
                    elsewhere.length === 0
                        ? ""
                        : ` A claim named ${u.claimName} exists in namespace ${elsewhere.join(", ")}, but ` +
                          `claims are namespaced: a pod in ${u.claimNamespace} only sees claims of ` +
                          `${u.claimNamespace}, so it would stay Pending waiting for ` +
                          `${keyOf(u.claimNamespace, u.claimName)}.`;
                findings.push({
                    policy: claimNotInInput.name,
                    enforcementLevel: claimNotInInput.defaultEnforcement,
                    resource: u.source.ref,
                    message:
                        `${describeRef(u.source.ref)} uses claim ${keyOf(u.claimNamespace, u.claimName)}, ` +
                        "which is not among the inputs, so the checker could not judge it (access modes, " +
                        `class, sharing).${hint} Fix: add the claim to the input (or check it exists in the ` +
                        "cluster), and keep the claim and its pods in the same namespace.",
                });
            }
        }
        return findings;
    },
};
