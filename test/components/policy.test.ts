/**
 * Cross-check with the volume-safety checks (policy/core.ts): each component variant gets the
 * verdict the course README gives its scenario. SideUpdater and the fixed variants must produce no
 * finding at all; the deliberately broken ones must be rejected for the right reason.
 */
import * as assert from "assert";

import { checkObjects } from "../../policy/core";
import { build } from "./helpers";
import { VARIANTS } from "./variants";

/** Expected findings per variant, as `level policy Kind/name`. */
const EXPECTED: Record<string, string[]> = {
    "DistinctUpdater rwo": [
        "mandatory rwo-shared-without-colocation PersistentVolumeClaim/distinct-updater-pvc",
    ],
    // Loop and servers share one label and one required hostname podAffinity to it: every pod of
    // the group follows the first one, so the claim is used on one node.
    "DistinctUpdater affinity": [],
    "DistinctUpdater rwx": [],
    SideUpdater: [],
    "Chatroulette new claim": [],
    // The home claim is made by the StudentEnvironment, not by this component: the checker says so.
    "Chatroulette existing claim": ["advisory claim-not-in-input Deployment/back"],
    "StoryApp emptyDir": [],
    "StoryApp emptyDir, own image": [],
    "StoryApp hostPath": ["advisory hostpath-multiple-replicas Deployment/story"],
    "StoryApp claim": [],
    // Every pod follows the first writer's node: accepted.
    "AccessModesDemo preProvisioned (GCE PD) colocated": [],
    // The course's kia layout, deployed on purpose: rejected.
    "AccessModesDemo preProvisioned (GCE PD) spread": [
        "mandatory rwo-shared-without-colocation PersistentVolumeClaim/other-data",
    ],
    // A hostPath PV pre-bound to the claim: nothing is attached, each node keeps its own data.
    "AccessModesDemo preProvisioned (hostPath) spread": [
        "advisory rwo-shared-hostpath-pv PersistentVolumeClaim/other-data",
    ],
    "AccessModesDemo preProvisioned readers only": [],
    "AccessModesDemo rwx": [],
};

describe("components under the volume-safety checks", () => {
    it("covers every variant", () => {
        assert.deepStrictEqual(Object.keys(EXPECTED).sort(), Object.keys(VARIANTS).sort());
    });

    for (const [variant, make] of Object.entries(VARIANTS)) {
        it(`${variant}: ${EXPECTED[variant].length === 0 ? "no finding" : EXPECTED[variant].join("; ")}`, async () => {
            const { objects } = await build(make);
            const findings = checkObjects(objects).map(
                (f) => `${f.enforcementLevel} ${f.policy} ${f.resource.kind}/${f.resource.name}`,
            );
            assert.deepStrictEqual(findings, EXPECTED[variant]);
        });
    }
});
