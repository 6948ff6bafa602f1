import { strict as assert } from "assert";
import * as path from "path";
import { Finding, checkObjects } from "../../policy/core";
import { COURSE_DIR, courseFiles, courseObjects, runCli, summary } from "./helpers";
import { SCENARIOS } from "./scenarios";

const RWO = "rwo-shared-without-colocation";

describe("course manifests (test/fixtures/course)", () => {
    it("has the files the scenarios name", async () => {
        assert.equal(courseFiles("kia-").length, 5);
        assert.equal(courseFiles("chatroulette-").length, 3);
    });

    describe("through checkObjects", () => {
        for (const s of SCENARIOS) {
            it(s.name, async () => {
                assert.deepEqual(summary(checkObjects(courseObjects(...s.files))), s.expected);
            });
        }

        it("kia: the rejection names the writer and the reader", async () => {
            const f = checkObjects(courseObjects(...courseFiles("kia-"))).find(
                (x) => x.policy === RWO,
            );
            assert.ok(f);
            assert.match(f.message, /Pod default\/data-writer-\* \(generateName[^)]*read-write\)/);
            assert.match(f.message, /Pod default\/data-reader-\* \(generateName[^)]*read-only\)/);
            assert.match(
                f.message,
                /readers and writers on any other node will stay in ContainerCreating/,
            );
        });

        it("chatroulette: the message says where the claim actually is", async () => {
            const [f] = checkObjects(courseObjects(...courseFiles("chatroulette-")));
            assert.match(f.message, /claim default\/chat-images, which is not among the inputs/);
            assert.match(f.message, /exists in namespace formation/);
        });

        it("chatroulette checked in namespace formation: accept, no finding", async () => {
            const findings = checkObjects(courseObjects(...courseFiles("chatroulette-")), {
                defaultNamespace: "formation",
            });
            assert.deepEqual(summary(findings), []);
        });
    });

    describe("through the CLI's JSON mode", () => {
        for (const s of SCENARIOS) {
            it(`${s.name} (exit ${s.exit})`, async () => {
                const r = await runCli([
                    "--format",
                    "json",
                    ...s.files.map((f) => path.join(COURSE_DIR, f)),
                ]);
                assert.equal(r.code, s.exit, r.stderr);
                const findings = JSON.parse(r.stdout) as Finding[];
                assert.deepEqual(summary(findings), s.expected);
                for (const f of findings) {
                    assert.deepEqual(Object.keys(f), [
                        "policy",
                        "enforcementLevel",
                        "resource",
                        "message",
                    ]);
                    assert.deepEqual(Object.keys(f.resource), ["kind", "namespace", "name"]);
                }
            });
        }

        it("checks the whole directory at once (sorted, recursive)", async () => {
            const r = await runCli(["--format=json", COURSE_DIR]);
            assert.equal(r.code, 1);
            const findings = JSON.parse(r.stdout) as Finding[];
            // Every scenario shares the default namespace here; an object given twice (same kind,
            // namespace and name) is replaced by the later one, as with kubectl apply: the nfs-rwx
            // overlay (ReadWriteMany) and story-hostpath win.
            assert.deepEqual(summary(findings), [
                "advisory pv-without-claimref PersistentVolume//other-data",
                "advisory claim-not-in-input Deployment/default/back",
                "advisory hostpath-multiple-replicas Deployment/default/story-deployment",
                `mandatory ${RWO} PersistentVolumeClaim/default/other-data`,
            ]);
        });
    });
});
