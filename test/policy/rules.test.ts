import { strict as assert } from "assert";
import {
  CheckOptions,
  InputError,
  KubeObject,
  checkObjects,
} from "../../policy/core";
import {
  claim,
  cronJob,
  daemonSet,
  deployment,
  job,
  namespace,
  persistentVolume,
  pod,
  podAffinity,
  replicaSet,
  statefulSet,
  storageClass,
  summary,
} from "./helpers";

/** Findings of one policy, summarised. */
function run(
  policy: string,
  objects: KubeObject[],
  options: CheckOptions = {},
): string[] {
  return summary(
    checkObjects(objects, options).filter((f) => f.policy === policy),
  );
}

const RWO = "rwo-shared-without-colocation";
const RWO_REJECT = [`mandatory ${RWO} PersistentVolumeClaim/default/data`];
const rwo = (o: Parameters<typeof claim>[2] = {}): KubeObject =>
  claim("data", ["ReadWriteOnce"], o);
const recreate = { type: "Recreate" };

describe("policy rule rwo-shared-without-colocation", () => {
  describe("replica counting per workload kind", () => {
    const cases: [string, KubeObject, boolean][] = [
      [
        "Deployment with 1 replica",
        deployment("web", { replicas: 1, claims: ["data"] }),
        false,
      ],
      [
        "Deployment with default replicas",
        deployment("web", { claims: ["data"] }),
        false,
      ],
      [
        "Deployment with 2 replicas",
        deployment("web", { replicas: 2, claims: ["data"] }),
        true,
      ],
      [
        "Deployment with 0 replicas",
        deployment("web", { replicas: 0, claims: ["data"] }),
        false,
      ],
      [
        "ReplicaSet with 3 replicas",
        replicaSet("web", { replicas: 3, claims: ["data"] }),
        true,
      ],
      [
        "StatefulSet with 2 replicas sharing a volume",
        statefulSet("db", { replicas: 2, claims: ["data"] }),
        true,
      ],
      [
        "StatefulSet with 1 replica",
        statefulSet("db", { replicas: 1, claims: ["data"] }),
        false,
      ],
      [
        "DaemonSet (one pod per node)",
        daemonSet("agent", { claims: ["data"] }),
        true,
      ],
      [
        "Job with parallelism 3",
        job("batch", { parallelism: 3, claims: ["data"] }),
        true,
      ],
      [
        "Job with default parallelism",
        job("batch", { claims: ["data"] }),
        false,
      ],
      [
        "Job with parallelism 4 but 1 completion",
        job("batch", { parallelism: 4, completions: 1, claims: ["data"] }),
        false,
      ],
      [
        "CronJob with parallelism 2",
        cronJob("nightly", { parallelism: 2, claims: ["data"] }),
        true,
      ],
      [
        "CronJob with default parallelism",
        cronJob("nightly", { claims: ["data"] }),
        false,
      ],
      ["a named Pod", pod("one", { claims: ["data"] }), false],
      [
        "a generateName Pod (one per kubectl create)",
        pod("gen", { generateName: true, claims: ["data"] }),
        true,
      ],
    ];
    for (const [what, workload, rejected] of cases) {
      it(`${rejected ? "rejects" : "accepts"} ${what}`, async () => {
        assert.deepEqual(
          run(RWO, [rwo(), workload]),
          rejected ? RWO_REJECT : [],
        );
      });
    }

    it("counts pods across kinds: a 1-replica Deployment and a Job share the claim", async () => {
      const objects = [
        rwo(),
        deployment("web", { claims: ["data"] }),
        job("backup", { claims: ["data"] }),
      ];
      assert.deepEqual(run(RWO, objects), RWO_REJECT);
    });

    it("does not count StatefulSet volumeClaimTemplates (one claim per pod)", async () => {
      const sts = statefulSet("db", {
        replicas: 3,
        volumeClaimTemplates: ["data"],
      });
      const findings = checkObjects([rwo(), sts]);
      assert.deepEqual(summary(findings), []);
    });
  });

  describe("node pinning", () => {
    it("accepts pods with the same nodeName", async () => {
      const objects = [
        rwo(),
        pod("a", { claims: ["data"], podSpec: { nodeName: "node-1" } }),
        pod("b", { claims: ["data"], podSpec: { nodeName: "node-1" } }),
      ];
      assert.deepEqual(run(RWO, objects), []);
    });

    it("never recommends nodeName, which leaves a WaitForFirstConsumer claim Pending", async () => {
      // kubernetes/kubernetes#89953: a pod with spec.nodeName bypasses the scheduler, so a
      // WaitForFirstConsumer claim is never given a node and stays Pending.
      const spread = checkObjects([
        rwo(),
        deployment("web", { replicas: 2, claims: ["data"], strategy: recreate }),
      ]).find((f) => f.policy === RWO);
      const surge = checkObjects([
        rwo(),
        deployment("web", { replicas: 1, claims: ["data"] }),
      ]).find((f) => f.policy === "rwo-rolling-update-surge");
      for (const f of [spread, surge]) {
        assert.ok(f, "expected a finding");
        assert.match(f.message, /kubernetes\.io\/hostname nodeSelector; not nodeName, which leaves a WaitForFirstConsumer claim Pending/);
        assert.doesNotMatch(f.message, /nodeName \//);
      }
    });

    it("rejects pods on different nodeNames", async () => {
      const objects = [
        rwo(),
        pod("a", { claims: ["data"], podSpec: { nodeName: "node-1" } }),
        pod("b", { claims: ["data"], podSpec: { nodeName: "node-2" } }),
      ];
      assert.deepEqual(run(RWO, objects), RWO_REJECT);
    });

    it("accepts replicas pinned by a kubernetes.io/hostname nodeSelector", async () => {
      const d = deployment("web", {
        replicas: 3,
        claims: ["data"],
        podSpec: { nodeSelector: { "kubernetes.io/hostname": "node-1" } },
      });
      assert.deepEqual(run(RWO, [rwo(), d]), []);
    });

    it("rejects replicas with only a zone nodeSelector", async () => {
      const d = deployment("web", {
        replicas: 3,
        claims: ["data"],
        podSpec: {
          nodeSelector: { "topology.kubernetes.io/zone": "europe-west1-b" },
        },
      });
      assert.deepEqual(run(RWO, [rwo(), d]), RWO_REJECT);
    });

    const nodeAffinity = (
      terms: unknown[],
      kind = "requiredDuringSchedulingIgnoredDuringExecution",
    ): Record<string, unknown> => ({
      affinity: {
        nodeAffinity: {
          [kind]:
            kind === "requiredDuringSchedulingIgnoredDuringExecution"
              ? { nodeSelectorTerms: terms }
              : terms.map((t) => ({ weight: 100, preference: t })),
        },
      },
    });
    const hostTerm = (...values: string[]): Record<string, unknown> => ({
      matchExpressions: [
        { key: "kubernetes.io/hostname", operator: "In", values },
      ],
    });

    it("accepts required node affinity to one hostname", async () => {
      const d = deployment("web", {
        replicas: 3,
        claims: ["data"],
        podSpec: nodeAffinity([hostTerm("node-1")]),
      });
      assert.deepEqual(run(RWO, [rwo(), d]), []);
    });

    it("accepts two node selector terms naming the same hostname", async () => {
      const d = deployment("web", {
        replicas: 3,
        claims: ["data"],
        podSpec: nodeAffinity([hostTerm("node-1"), hostTerm("node-1")]),
      });
      assert.deepEqual(run(RWO, [rwo(), d]), []);
    });

    it("rejects required node affinity allowing two hostnames", async () => {
      const d = deployment("web", {
        replicas: 3,
        claims: ["data"],
        podSpec: nodeAffinity([hostTerm("node-1", "node-2")]),
      });
      assert.deepEqual(run(RWO, [rwo(), d]), RWO_REJECT);
    });

    it("rejects preferred node affinity (it does not force anything)", async () => {
      const d = deployment("web", {
        replicas: 3,
        claims: ["data"],
        podSpec: nodeAffinity(
          [hostTerm("node-1")],
          "preferredDuringSchedulingIgnoredDuringExecution",
        ),
      });
      assert.deepEqual(run(RWO, [rwo(), d]), RWO_REJECT);
    });
  });

  describe("podAffinity to an anchor", () => {
    const anchor = (
      replicas: number,
      extra: Record<string, unknown> = {},
    ): KubeObject =>
      deployment("loop", {
        replicas,
        claims: ["data"],
        strategy: recreate,
        podSpec: extra,
      });
    const follower = (
      selector: Record<string, unknown>,
      extra: Record<string, unknown> = {},
      topologyKey?: string,
    ): KubeObject =>
      deployment("server", {
        replicas: 5,
        claims: ["data"],
        podSpec: podAffinity(selector, extra, topologyKey),
      });
    const toLoop = { matchLabels: { app: "loop" } };

    it("accepts followers of a 1-replica anchor", async () => {
      assert.deepEqual(run(RWO, [rwo(), anchor(1), follower(toLoop)]), []);
    });

    it("rejects followers of a 3-replica anchor that may spread", async () => {
      assert.deepEqual(
        run(RWO, [rwo(), anchor(3), follower(toLoop)]),
        RWO_REJECT,
      );
    });

    it("accepts followers of a 3-replica anchor pinned to one node", async () => {
      const pinned = anchor(3, { nodeName: "node-1" });
      assert.deepEqual(run(RWO, [rwo(), pinned, follower(toLoop)]), []);
    });

    it("accepts pods whose affinity selects only their own pods", async () => {
      const self = deployment("server", {
        replicas: 5,
        claims: ["data"],
        podSpec: podAffinity({ matchLabels: { app: "server" } }),
      });
      assert.deepEqual(run(RWO, [rwo(), self]), []);
    });

    it("rejects self-affinity when the term also selects another anchor (issue 15)", async () => {
      // The term matches the server's own pods AND the 1-replica loop. If the servers start
      // before the loop, the first server matches only itself, may land on any node, and the
      // loop may land on another: not proof (kubernetes pkg/scheduler/framework/plugins/
      // interpodaffinity/filtering.go satisfyPodAffinity: a pod matching its own term may
      // schedule anywhere when no other pod matches it).
      const loop = deployment("loop", {
        labels: { app: "loop", tier: "data" },
        claims: ["data"],
      });
      const server = deployment("server", {
        replicas: 3,
        labels: { app: "server", tier: "data" },
        claims: ["data"],
        podSpec: podAffinity({ matchLabels: { tier: "data" } }),
      });
      assert.deepEqual(run(RWO, [rwo(), loop, server]), RWO_REJECT);
    });

    it("rejects preferred podAffinity", async () => {
      const preferred = deployment("server", {
        replicas: 5,
        claims: ["data"],
        podSpec: {
          affinity: {
            podAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    labelSelector: toLoop,
                    topologyKey: "kubernetes.io/hostname",
                  },
                },
              ],
            },
          },
        },
      });
      assert.deepEqual(run(RWO, [rwo(), anchor(1), preferred]), RWO_REJECT);
    });

    it("rejects a zone topologyKey", async () => {
      const zone = follower(toLoop, {}, "topology.kubernetes.io/zone");
      assert.deepEqual(run(RWO, [rwo(), anchor(1), zone]), RWO_REJECT);
    });

    it("rejects an anchor selector that matches nothing in the input", async () => {
      assert.deepEqual(
        run(RWO, [
          rwo(),
          anchor(1),
          follower({ matchLabels: { app: "nobody" } }),
        ]),
        RWO_REJECT,
      );
    });

    it("evaluates matchExpressions In (the course's form)", async () => {
      const sel = {
        matchExpressions: [
          { key: "app", operator: "In", values: ["loop", "other"] },
        ],
      };
      assert.deepEqual(run(RWO, [rwo(), anchor(1), follower(sel)]), []);
    });

    describe("NotIn / Exists / DoesNotExist selectors", () => {
      const notServer = {
        matchExpressions: [
          { key: "app", operator: "NotIn", values: ["server"] },
        ],
      };

      it("NotIn selecting only the 1-replica anchor is accepted", async () => {
        assert.deepEqual(run(RWO, [rwo(), anchor(1), follower(notServer)]), []);
      });

      it("NotIn also selecting an unrelated 2-replica Deployment is rejected", async () => {
        const web = deployment("web", { replicas: 2 });
        assert.deepEqual(
          run(RWO, [rwo(), anchor(1), web, follower(notServer)]),
          RWO_REJECT,
        );
      });

      it("Exists selecting the anchor's tier label is accepted", async () => {
        const tiered = deployment("loop", {
          replicas: 1,
          claims: ["data"],
          strategy: recreate,
          labels: { app: "loop", tier: "writer" },
        });
        const sel = { matchExpressions: [{ key: "tier", operator: "Exists" }] };
        assert.deepEqual(run(RWO, [rwo(), tiered, follower(sel)]), []);
      });

      it("Exists matching no pod is rejected", async () => {
        const sel = { matchExpressions: [{ key: "tier", operator: "Exists" }] };
        assert.deepEqual(
          run(RWO, [rwo(), anchor(1), follower(sel)]),
          RWO_REJECT,
        );
      });

      it("DoesNotExist selecting only the anchor is accepted", async () => {
        const server = deployment("server", {
          replicas: 5,
          claims: ["data"],
          labels: { app: "server", follower: "yes" },
          podSpec: podAffinity({
            matchExpressions: [{ key: "follower", operator: "DoesNotExist" }],
          }),
        });
        assert.deepEqual(run(RWO, [rwo(), anchor(1), server]), []);
      });

      it("DoesNotExist also selecting the followers themselves is not proof", async () => {
        const server = deployment("server", {
          replicas: 5,
          claims: ["data"],
          podSpec: podAffinity({
            matchExpressions: [{ key: "follower", operator: "DoesNotExist" }],
          }),
        });
        assert.deepEqual(run(RWO, [rwo(), anchor(1), server]), RWO_REJECT);
      });
    });

    describe("namespaces", () => {
      const nsClaim = claim("data", ["ReadWriteOnce"], { namespace: "app" });
      const nsReject = [`mandatory ${RWO} PersistentVolumeClaim/app/data`];
      const loopIn = (ns: string): KubeObject =>
        deployment("loop", {
          namespace: ns,
          replicas: 1,
          strategy: recreate,
          claims: ns === "app" ? ["data"] : [],
        });
      const serverIn = (extra: Record<string, unknown>): KubeObject =>
        deployment("server", {
          namespace: "app",
          replicas: 3,
          claims: ["data"],
          podSpec: podAffinity({ matchLabels: { app: "loop" } }, extra),
        });

      it("matches anchors in the pod's own namespace by default", async () => {
        assert.deepEqual(run(RWO, [nsClaim, loopIn("app"), serverIn({})]), []);
      });

      it("does not match an anchor in another namespace by default", async () => {
        assert.deepEqual(
          run(RWO, [nsClaim, loopIn("other"), serverIn({})]),
          nsReject,
        );
      });

      it("matches an anchor in a namespace listed in `namespaces`", async () => {
        assert.deepEqual(
          run(RWO, [
            nsClaim,
            loopIn("other"),
            serverIn({ namespaces: ["other"] }),
          ]),
          [],
        );
      });

      it("matches an anchor in a namespace chosen by namespaceSelector", async () => {
        const objects = [
          nsClaim,
          namespace("other", { team: "storage" }),
          loopIn("other"),
          serverIn({ namespaceSelector: { matchLabels: { team: "storage" } } }),
        ];
        assert.deepEqual(run(RWO, objects), []);
      });

      it("an empty namespaceSelector selects every namespace", async () => {
        const objects = [
          nsClaim,
          loopIn("other"),
          loopIn("third"),
          serverIn({ namespaceSelector: {} }),
        ];
        // Two 1-replica anchors in two namespaces may sit on two nodes.
        assert.deepEqual(run(RWO, objects), nsReject);
      });
    });
  });

  describe("access modes", () => {
    const readers = (
      replicas: number,
      readOnly: boolean,
      mountReadOnly = false,
    ): KubeObject =>
      deployment("reader", {
        replicas,
        strategy: recreate,
        claims: [{ claim: "data", readOnly, mountReadOnly }],
      });
    const rwoRox = claim("data", ["ReadWriteOnce", "ReadOnlyMany"]);

    it("accepts RWO+ROX readers alone when every use is persistentVolumeClaim.readOnly", async () => {
      assert.deepEqual(run(RWO, [rwoRox, readers(3, true)]), []);
    });

    it("rejects RWO+ROX as soon as one use is read-write", async () => {
      const writer = pod("writer", { claims: ["data"] });
      assert.deepEqual(
        run(RWO, [rwoRox, readers(3, true), writer]),
        RWO_REJECT,
      );
    });

    it("a readOnly volumeMount alone does not make the use read-only", async () => {
      assert.deepEqual(run(RWO, [rwoRox, readers(3, false, true)]), RWO_REJECT);
    });

    it("never treats a claim with ReadWriteMany as single-node", async () => {
      const both = claim("data", ["ReadWriteOnce", "ReadWriteMany"]);
      assert.deepEqual(
        run(RWO, [both, deployment("web", { replicas: 5, claims: ["data"] })]),
        [],
      );
    });

    it("RWO-only stays single-node even when every use is readOnly", async () => {
      assert.deepEqual(run(RWO, [rwo(), readers(3, true)]), RWO_REJECT);
    });
  });

  describe("claim lookup", () => {
    it("looks the claim up in the workload's namespace", async () => {
      const objects = [
        claim("data", ["ReadWriteOnce"], { namespace: "a" }),
        deployment("web", { namespace: "a", replicas: 2, claims: ["data"] }),
      ];
      assert.deepEqual(run(RWO, objects), [
        `mandatory ${RWO} PersistentVolumeClaim/a/data`,
      ]);
    });

    it("does not use a claim of another namespace", async () => {
      const objects = [
        claim("data", ["ReadWriteOnce"], { namespace: "a" }),
        deployment("web", { namespace: "b", replicas: 2, claims: ["data"] }),
      ];
      assert.deepEqual(summary(checkObjects(objects)), [
        "advisory claim-not-in-input Deployment/b/web",
      ]);
    });

    it("puts objects without namespace in the default namespace option", async () => {
      const objects = [
        rwo(),
        deployment("web", { namespace: "team", replicas: 2, claims: ["data"] }),
      ];
      assert.deepEqual(run(RWO, objects, { defaultNamespace: "team" }), [
        `mandatory ${RWO} PersistentVolumeClaim/team/data`,
      ]);
    });
  });

  it("names the claim, the workloads and the failure in its message", async () => {
    const [f] = checkObjects([
      rwo(),
      deployment("web", { replicas: 2, claims: ["data"] }),
      pod("tool", { claims: ["data"] }),
    ]);
    assert.equal(f.policy, RWO);
    assert.match(
      f.message,
      /Claim default\/data \(ReadWriteOnce\) is used by 3 pods/,
    );
    assert.match(f.message, /Deployment default\/web \(2 pods, read-write\)/);
    assert.match(f.message, /Pod default\/tool \(1 pod, read-write\)/);
    // No class in the input: every plausible backing is spelt out.
    assert.match(
      f.message,
      /backing cannot be known from the input \(the cluster's default StorageClass/,
    );
    assert.match(
      f.message,
      /on an attachable disk [^;]*Multi-Attach error and never start;/,
    );
    assert.match(f.message, /on a node-local volume [^;]*stay Pending/);
    assert.match(f.message, /on a network file system [^.]*only a declaration/);
    assert.match(f.message, /Fix: use a ReadWriteMany storage class/);
    // The workloads are listed in their own field, not repeated at the end of the message,
    // which ends with its one fix sentence.
    assert.doesNotMatch(f.message, /Workloads to change/);
    assert.match(f.message, /\. Fix: .+\.$/);
    assert.deepEqual(f.workloads, [
      { kind: "Deployment", namespace: "default", name: "web" },
      { kind: "Pod", namespace: "default", name: "tool" },
    ]);
  });
});

describe("policy rule rwop-shared-by-pods", () => {
  const rwop = claim("data", ["ReadWriteOncePod"]);
  const RWOP = "rwop-shared-by-pods";

  it("accepts one pod", async () => {
    assert.deepEqual(run(RWOP, [rwop, pod("a", { claims: ["data"] })]), []);
  });

  it("rejects two pods even on the same node", async () => {
    const objects = [
      rwop,
      pod("a", { claims: ["data"], podSpec: { nodeName: "node-1" } }),
      pod("b", { claims: ["data"], podSpec: { nodeName: "node-1" } }),
    ];
    assert.deepEqual(run(RWOP, objects), [
      `mandatory ${RWOP} PersistentVolumeClaim/default/data`,
    ]);
    assert.deepEqual(run(RWO, objects), []);
  });

  it("rejects a 2-replica StatefulSet sharing it", async () => {
    const objects = [
      rwop,
      statefulSet("db", { replicas: 2, claims: ["data"] }),
    ];
    assert.deepEqual(run(RWOP, objects), [
      `mandatory ${RWOP} PersistentVolumeClaim/default/data`,
    ]);
  });
});

describe("policy rule rwo-rolling-update-surge", () => {
  const SURGE = "rwo-rolling-update-surge";
  const warn = [`advisory ${SURGE} Deployment/default/web`];

  it("warns about a 1-replica Deployment with the default strategy", async () => {
    assert.deepEqual(
      run(SURGE, [rwo(), deployment("web", { claims: ["data"] })]),
      warn,
    );
  });

  it("accepts strategy Recreate", async () => {
    assert.deepEqual(
      run(SURGE, [
        rwo(),
        deployment("web", { claims: ["data"], strategy: recreate }),
      ]),
      [],
    );
  });

  for (const maxSurge of [0, "0%"]) {
    it(`accepts maxSurge ${JSON.stringify(maxSurge)}`, async () => {
      const d = deployment("web", {
        claims: ["data"],
        strategy: {
          type: "RollingUpdate",
          rollingUpdate: { maxSurge, maxUnavailable: 1 },
        },
      });
      assert.deepEqual(run(SURGE, [rwo(), d]), []);
    });
  }

  it("accepts a Deployment pinned to one node", async () => {
    const d = deployment("web", {
      claims: ["data"],
      podSpec: { nodeName: "node-1" },
    });
    assert.deepEqual(run(SURGE, [rwo(), d]), []);
  });

  it("warns about the anchor, not about its podAffinity followers", async () => {
    const objects = [
      rwo(),
      deployment("loop", { claims: ["data"] }),
      deployment("server", {
        replicas: 1,
        claims: ["data"],
        podSpec: podAffinity({ matchLabels: { app: "loop" } }),
      }),
    ];
    assert.deepEqual(run(SURGE, objects), [
      `advisory ${SURGE} Deployment/default/loop`,
    ]);
  });

  it("ignores ReadWriteMany claims", async () => {
    const objects = [
      claim("data", ["ReadWriteMany"]),
      deployment("web", { claims: ["data"] }),
    ];
    assert.deepEqual(run(SURGE, objects), []);
  });

  it("warns about ReadWriteOncePod whatever the placement", async () => {
    const objects = [
      claim("data", ["ReadWriteOncePod"]),
      deployment("web", { claims: ["data"], podSpec: { nodeName: "node-1" } }),
    ];
    const findings = checkObjects(objects).filter((f) => f.policy === SURGE);
    assert.deepEqual(summary(findings), warn);
    assert.match(findings[0].message, /ReadWriteOncePod/);
  });
});

describe("policy rule access-mode-unsupported-by-class", () => {
  const CLASS = "access-mode-unsupported-by-class";
  const reject = [`mandatory ${CLASS} PersistentVolumeClaim/default/data`];
  const rwx = (
    storageClassName: string | null,
    volumeName?: string,
  ): KubeObject =>
    claim("data", ["ReadWriteMany"], { storageClassName, volumeName });

  const table: [string, boolean][] = [
    ["gp3", true],
    ["gp2", true],
    ["standard", true],
    ["standard-rwo", true],
    ["premium-rwo", true],
    ["standard-rwx", false],
    ["premium-rwx", false],
    ["enterprise-rwx", false],
    ["enterprise-multishare-rwx", false],
    ["zonal-rwx", false],
    ["longhorn", false],
    ["nfs", false],
    ["nfs-csi", false],
    ["mystery-class", false],
  ];
  for (const [cls, rejected] of table) {
    it(`${rejected ? "rejects" : "accepts"} ReadWriteMany on built-in class ${cls}`, async () => {
      assert.deepEqual(run(CLASS, [rwx(cls)]), rejected ? reject : []);
    });
  }

  it("rejects ReadOnlyMany on a block class", async () => {
    const rox = claim("data", ["ReadOnlyMany"], {
      storageClassName: "premium-rwo",
    });
    assert.deepEqual(run(CLASS, [rox]), reject);
  });

  it("accepts ReadWriteOnce on a block class", async () => {
    assert.deepEqual(
      run(CLASS, [
        claim("data", ["ReadWriteOnce"], { storageClassName: "gp3" }),
      ]),
      [],
    );
  });

  it("judges a StorageClass in the input by its provisioner", async () => {
    assert.deepEqual(
      run(CLASS, [storageClass("fast", "ebs.csi.aws.com"), rwx("fast")]),
      reject,
    );
    assert.deepEqual(
      run(CLASS, [storageClass("shared", "efs.csi.aws.com"), rwx("shared")]),
      [],
    );
  });

  it("lets a StorageClass in the input win over the table", async () => {
    // "standard" is single-node in the table; here it is Filestore.
    assert.deepEqual(
      run(CLASS, [
        storageClass("standard", "filestore.csi.storage.gke.io"),
        rwx("standard"),
      ]),
      [],
    );
    // "nfs" is RWX in the table; here it is a block provisioner.
    assert.deepEqual(
      run(CLASS, [storageClass("nfs", "pd.csi.storage.gke.io"), rwx("nfs")]),
      reject,
    );
  });

  it('does not judge static binding (storageClassName "" or volumeName)', async () => {
    assert.deepEqual(run(CLASS, [rwx("")]), []);
    assert.deepEqual(run(CLASS, [rwx("gp3", "pv-1")]), []);
  });

  it("uses the default class only when the input marks one", async () => {
    assert.deepEqual(run(CLASS, [rwx(null)]), []);
    assert.deepEqual(
      run(CLASS, [
        storageClass("block", "pd.csi.storage.gke.io", true),
        rwx(null),
      ]),
      reject,
    );
    assert.deepEqual(
      run(CLASS, [
        storageClass("block", "pd.csi.storage.gke.io", false),
        rwx(null),
      ]),
      [],
    );
  });

  it("takes class and provisioner entries from config", async () => {
    assert.deepEqual(
      run(CLASS, [rwx("gp3")], { classes: { classes: { gp3: "multi-node" } } }),
      [],
    );
    assert.deepEqual(
      run(CLASS, [rwx("mystery")], {
        classes: { classes: { mystery: "single-node" } },
      }),
      reject,
    );
    const sc = storageClass("in-house", "example.com/block");
    assert.deepEqual(run(CLASS, [sc, rwx("in-house")]), []);
    assert.deepEqual(
      run(CLASS, [sc, rwx("in-house")], {
        classes: { provisioners: { "example.com/block": "single-node" } },
      }),
      reject,
    );
  });

  it("rejects a bad capability in config", async () => {
    assert.throws(
      () =>
        checkObjects([rwx("gp3")], {
          classes: { classes: { gp3: "shared" as never } },
        }),
      (e: unknown) =>
        e instanceof InputError && /classes\["gp3"\]/.test(e.message),
    );
  });
});

describe("policy rule hostpath-multiple-replicas", () => {
  const HOST = "hostpath-multiple-replicas";

  it("warns about 2 replicas on one hostPath", async () => {
    assert.deepEqual(
      run(HOST, [deployment("web", { replicas: 2, hostPaths: ["/data"] })]),
      [`advisory ${HOST} Deployment/default/web`],
    );
  });

  it("accepts a single replica", async () => {
    assert.deepEqual(
      run(HOST, [deployment("web", { replicas: 1, hostPaths: ["/data"] })]),
      [],
    );
  });

  it("accepts DaemonSets (per-node data by design)", async () => {
    assert.deepEqual(
      run(HOST, [daemonSet("agent", { hostPaths: ["/var/log"] })]),
      [],
    );
  });

  it("accepts replicas pinned to one node", async () => {
    const d = deployment("web", {
      replicas: 2,
      hostPaths: ["/data"],
      podSpec: { nodeName: "node-1" },
    });
    assert.deepEqual(run(HOST, [d]), []);
  });

  it("warns about two 1-replica workloads sharing a path", async () => {
    const objects = [
      deployment("a", { hostPaths: ["/data/"] }),
      deployment("b", { hostPaths: ["/data"] }),
    ];
    assert.deepEqual(run(HOST, objects), [
      `advisory ${HOST} Deployment/default/a`,
      `advisory ${HOST} Deployment/default/b`,
    ]);
  });
});

describe("policy rule pv-without-claimref", () => {
  const PV = "pv-without-claimref";

  it("warns about a PersistentVolume without claimRef", async () => {
    assert.deepEqual(run(PV, [persistentVolume("pv-1")]), [
      `advisory ${PV} PersistentVolume//pv-1`,
    ]);
  });

  it("accepts a pre-bound PersistentVolume", async () => {
    const pv = persistentVolume("pv-1", {
      claimRef: { namespace: "alice", name: "data" },
    });
    assert.deepEqual(run(PV, [pv]), []);
  });

  it("can be made mandatory", async () => {
    assert.deepEqual(
      run(PV, [persistentVolume("pv-1")], {
        enforcement: { [PV]: "mandatory" },
      }),
      [`mandatory ${PV} PersistentVolume//pv-1`],
    );
  });
});

describe("policy rule rox-claim-mounted-writable", () => {
  const ROX = "rox-claim-mounted-writable";
  const rox = claim("data", ["ReadOnlyMany"]);

  it("warns about a writable mount of a ReadOnlyMany claim", async () => {
    assert.deepEqual(
      run(ROX, [rox, deployment("web", { replicas: 3, claims: ["data"] })]),
      [`advisory ${ROX} Deployment/default/web`],
    );
  });

  it("accepts persistentVolumeClaim.readOnly", async () => {
    const d = deployment("web", {
      claims: [{ claim: "data", readOnly: true }],
    });
    assert.deepEqual(run(ROX, [rox, d]), []);
  });

  it("accepts a readOnly volumeMount", async () => {
    const d = deployment("web", {
      claims: [{ claim: "data", mountReadOnly: true }],
    });
    assert.deepEqual(run(ROX, [rox, d]), []);
  });

  it("ignores claims that also allow writes", async () => {
    const d = deployment("web", { claims: ["data"], strategy: recreate });
    assert.deepEqual(
      run(ROX, [claim("data", ["ReadWriteOnce", "ReadOnlyMany"]), d]),
      [],
    );
  });
});

describe("policy rule claim-not-in-input", () => {
  it("reports a claim missing from the input, naming it", async () => {
    const findings = checkObjects([
      deployment("web", { replicas: 3, claims: ["ghost"] }),
    ]);
    assert.deepEqual(summary(findings), [
      "advisory claim-not-in-input Deployment/default/web",
    ]);
    assert.match(
      findings[0].message,
      /claim default\/ghost, which is not among the inputs/,
    );
    assert.match(findings[0].message, /could not judge its access modes, class or sharing/);
    // 3 unpinned replicas: what happens is said for each plausible backing, never guessed.
    assert.match(findings[0].message, /Its 3 pods may land on several nodes/);
    assert.match(findings[0].message, /network file system \(NFS, EFS, Filestore\), they run and share the data/);
    assert.match(findings[0].message, /attachable disk [^;]*Multi-Attach error;/);
    assert.match(findings[0].message, /node-local volume [^;]*stay Pending;/);
    assert.match(findings[0].message, /ReadWriteOncePod, all pods but one stay Pending\./);
  });

  it("one pod on a missing claim: nothing shared whatever the backing", async () => {
    const [f] = checkObjects([deployment("web", { claims: ["ghost"] })]);
    assert.match(f.message, /Used by one pod, it shares nothing whatever its backing/);
    assert.doesNotMatch(f.message, /Multi-Attach/);
  });

  it("pods of a missing claim pinned to one node: no Multi-Attach possible", async () => {
    const pinned = (name: string) =>
      pod(name, { claims: ["ghost"], podSpec: { nodeSelector: { "kubernetes.io/hostname": "n1" } } });
    const findings = checkObjects([pinned("a"), pinned("b")]);
    assert.equal(findings.length, 2);
    for (const f of findings) {
      assert.match(f.message, /Its 2 pods are forced onto one node/);
      assert.doesNotMatch(f.message, /Multi-Attach/);
    }
  });

  it("points at a claim of the same name in another namespace", async () => {
    const findings = checkObjects([
      claim("ghost", ["ReadWriteMany"], { namespace: "elsewhere" }),
      deployment("web", { claims: ["ghost"] }),
    ]);
    assert.deepEqual(summary(findings), [
      "advisory claim-not-in-input Deployment/default/web",
    ]);
    assert.match(findings[0].message, /exists in namespace elsewhere/);
  });
});

describe("checkObjects", () => {
  const unsafe = [
    rwo(),
    deployment("web", { replicas: 2, claims: ["data"] }),
    persistentVolume("pv-1"),
    deployment("cache", { replicas: 2, hostPaths: ["/cache"] }),
  ];

  it("applies enforcement overrides and disabled rules", async () => {
    const findings = checkObjects(unsafe, {
      enforcement: {
        [RWO]: "advisory",
        "pv-without-claimref": "disabled",
        "hostpath-multiple-replicas": "mandatory",
      },
    });
    assert.deepEqual(summary(findings), [
      "mandatory hostpath-multiple-replicas Deployment/default/cache",
      `advisory ${RWO} PersistentVolumeClaim/default/data`,
    ]);
  });

  it("rejects unknown rules and levels", async () => {
    assert.throws(
      () =>
        checkObjects(unsafe, { enforcement: { "no-such-rule": "advisory" } }),
      InputError,
    );
    assert.throws(
      () => checkObjects(unsafe, { enforcement: { [RWO]: "fatal" as never } }),
      InputError,
    );
  });

  it("rejects objects without kind or name, naming the index", async () => {
    assert.throws(
      () =>
        checkObjects([rwo(), { apiVersion: "v1", metadata: { name: "x" } }]),
      (e: unknown) =>
        e instanceof InputError &&
        e.objectIndex === 1 &&
        /no kind/.test(e.message),
    );
    assert.throws(
      () => checkObjects([{ apiVersion: "v1", kind: "Pod", metadata: {} }]),
      (e: unknown) => e instanceof InputError && e.objectIndex === 0,
    );
  });

  it("orders findings the same whatever the input order", async () => {
    const a = checkObjects(unsafe);
    const b = checkObjects([...unsafe].reverse());
    assert.deepEqual(a, b);
    assert.deepEqual(summary(a), [
      "advisory pv-without-claimref PersistentVolume//pv-1",
      "advisory hostpath-multiple-replicas Deployment/default/cache",
      `mandatory ${RWO} PersistentVolumeClaim/default/data`,
    ]);
  });
});
