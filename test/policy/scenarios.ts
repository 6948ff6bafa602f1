/**
 * The course scenarios of test/fixtures/course/README.md with their required verdicts, written down
 * by hand (file lists included: a fixture added or removed must not change what a scenario reads).
 */

const RWO = "rwo-shared-without-colocation";
const SURGE = "rwo-rolling-update-surge";

/**
 * Every kia file. The two PVs share a name (alternative definitions) and are not pre-bound: through
 * checkObjects the claim may bind either, so both kinds count (a GCE PD among them: mandatory); the
 * CLI checks the two PV files apart, so each alternative gets its own verdict.
 */
export const KIA = [
  "kia-pod.data-reader.yaml",
  "kia-pod.data-writer.yaml",
  "kia-pv.other-data.gcepd.yaml",
  "kia-pv.other-data.hostpath.yaml",
  "kia-pvc.other-data.yaml",
];
/** Every chatroulette file. */
export const CHATROULETTE = [
  "chatroulette-back.yaml",
  "chatroulette-env-config.yaml",
  "chatroulette-front.yaml",
];

/** A course scenario and the verdict the README requires. */
export interface Scenario {
  name: string;
  files: string[];
  expected: string[];
  /**
   * What the CLI reports when it differs from the core: it checks files that define the same
   * object differently separately and reports each (the core keeps the later one).
   */
  cliExpected?: string[];
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
    files: KIA,
    expected: [
      "advisory pv-without-claimref PersistentVolume//other-data",
      `mandatory ${RWO} PersistentVolumeClaim/default/other-data`,
    ],
    cliExpected: [
      "advisory pv-without-claimref PersistentVolume//other-data", // gcepd
      "advisory pv-without-claimref PersistentVolume//other-data", // hostpath
      // The hostPath alternative alone: the claim binds it, data split per node.
      "advisory rwo-shared-hostpath-pv PersistentVolumeClaim/default/other-data",
      // The GCE PD alternative alone: Multi-Attach.
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
  {
    name: "story-emptydir: accept",
    files: ["story-emptydir.yaml"],
    expected: [],
    exit: 0,
  },
  {
    name: "story-hostpath: warn",
    files: ["story-hostpath.yaml"],
    expected: [
      "advisory hostpath-multiple-replicas Deployment/default/story-deployment",
    ],
    exit: 0,
  },
  {
    name: "chatroulette: accept, say the claim is not among the inputs",
    files: CHATROULETTE,
    expected: ["advisory claim-not-in-input Deployment/default/back"],
    exit: 0,
  },
];
