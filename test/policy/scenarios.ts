/** The course scenarios of test/fixtures/course/README.md with their required verdicts. */
import { courseFiles } from "./helpers";

const RWO = "rwo-shared-without-colocation";
const SURGE = "rwo-rolling-update-surge";

/** A course scenario and the verdict the README requires. */
export interface Scenario {
    name: string;
    files: string[];
    expected: string[];
    /** CLI exit code: 1 when a mandatory finding is expected. */
    exit: 0 | 1;
}

/** Every course scenario. */
export const SCENARIOS: Scenario[] = [
    {
        name: "distinct-updater-base: reject",
        files: ["distinct-updater-base.yaml"],
        expected: [
            `advisory ${SURGE} Deployment/default/distinct-updater-loop`,
            `mandatory ${RWO} PersistentVolumeClaim/default/distinct-updater-pvc`,
        ],
        exit: 1,
    },
    {
        name: "distinct-updater-affinity: accept, warn about the loop's rolling update",
        files: ["distinct-updater-affinity.yaml"],
        expected: [`advisory ${SURGE} Deployment/default/distinct-updater-loop`],
        exit: 0,
    },
    ...["longhorn", "gke-rwx", "nfs-rwx"].map((overlay): Scenario => ({
        name: `distinct-updater-${overlay}: accept`,
        files: [`distinct-updater-${overlay}.yaml`],
        expected: [],
        exit: 0,
    })),
    {
        name: "kia (writer + reader + claim + both PVs): reject",
        files: courseFiles("kia-"),
        expected: [
            "advisory pv-without-claimref PersistentVolume//other-data",
            `mandatory ${RWO} PersistentVolumeClaim/default/other-data`,
        ],
        exit: 1,
    },
    {
        name: "kia readers alone, all persistentVolumeClaim.readOnly: accept",
        files: [
            "kia-pvc.other-data.yaml",
            "kia-pod.data-reader.yaml",
            "kia-pv.other-data.gcepd.yaml",
        ],
        expected: ["advisory pv-without-claimref PersistentVolume//other-data"],
        exit: 0,
    },
    {
        name: "kia writer alone (generateName: one pod per kubectl create): reject",
        files: ["kia-pvc.other-data.yaml", "kia-pod.data-writer.yaml"],
        expected: [`mandatory ${RWO} PersistentVolumeClaim/default/other-data`],
        exit: 1,
    },
    { name: "story-emptydir: accept", files: ["story-emptydir.yaml"], expected: [], exit: 0 },
    {
        name: "story-hostpath: warn",
        files: ["story-hostpath.yaml"],
        expected: ["advisory hostpath-multiple-replicas Deployment/default/story-deployment"],
        exit: 0,
    },
    {
        name: "chatroulette: accept, say the claim is not among the inputs",
        files: courseFiles("chatroulette-"),
        expected: ["advisory claim-not-in-input Deployment/default/back"],
        exit: 0,
    },
];
