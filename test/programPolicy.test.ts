/**
 * The whole program under mocks, fed through the policy pack's stack validation as `pulumi preview
 * --policy-pack ./policy` would: every stack, every demo mode.
 */
import * as assert from "assert";

import { runStackValidation, type Violation } from "../policy/simulate";
import type { ProgramRun } from "../render/engine";
import { runStack, studentNames } from "./helpers";

const STACKS = ["gke", "eks", "kind"] as const;

/** Runs the pack over every resource of a program run. */
function validate(run: ProgramRun): Promise<Violation[]> {
    return runStackValidation(run.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs })));
}

function mandatory(violations: Violation[]): string[] {
    return violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policyName} ${(v.urn ?? "").split("::").pop()}`);
}

for (const stack of STACKS) {
    describe(`policy pack over the ${stack} stack`, () => {
        it("rejects distinct-updater in rwo mode, on its claim, for the Multi-Attach reason", async () => {
            const run = await runStack(stack, { demos: { distinctUpdater: { mode: "rwo" } } });
            const violations = await validate(run);
            const rejected = violations.filter((v) => v.enforcementLevel === "mandatory");
            assert.deepStrictEqual(
                rejected.map((v) => [v.policyName, (v.urn ?? "").split("::").pop()]),
                [["rwo-shared-without-colocation", "distinct-updater-pvc"]],
            );
            assert.match(rejected[0].message, /Multi-Attach/);
        });

        for (const mode of ["affinity", "rwx"]) {
            it(`passes every mandatory rule with distinct-updater in ${mode} mode and every other demo on`, async () => {
                const run = await runStack(stack, { demos: { distinctUpdater: { mode } } });
                assert.deepStrictEqual(mandatory(await validate(run)), []);
            });
        }

        it("passes every mandatory rule with 30 students", async () => {
            const run = await runStack(stack, { students: studentNames(30) });
            assert.deepStrictEqual(mandatory(await validate(run)), []);
        });

        it("gives no advisory finding on the default stack but the ones listed here", async () => {
            const run = await runStack(stack);
            const advisory = (await validate(run)).filter((v) => v.enforcementLevel === "advisory").map((v) => v.policyName);
            // story in claim mode, affinity-mode distinct-updater (Recreate loop) and pre-bound volumes
            // give nothing to warn about.
            assert.deepStrictEqual(advisory, []);
        });
    });
}

describe("policy pack over the course's failing layouts, deployed on purpose", () => {
    it("rejects the access-modes demo with writers spread across nodes (the course's kia layout)", async () => {
        const run = await runStack("gke", { demos: { accessModes: { mode: "spread" } } });
        const rejected = mandatory(await validate(run));
        assert.deepStrictEqual(rejected, ["rwo-shared-without-colocation access-modes-pvc"]);
    });

    it("warns about the story app on hostPath with two replicas", async () => {
        const run = await runStack("kind", { demos: { story: { volume: "hostPath", replicas: 2 } } });
        const violations = await validate(run);
        assert.deepStrictEqual(mandatory(violations), []);
        assert.ok(violations.some((v) => v.policyName === "hostpath-multiple-replicas" && v.enforcementLevel === "advisory"));
    });
});
