/**
 * What each backing kind really does, per kind a failing and a passing case, with verdicts written
 * by hand. The manifests follow the shape of public Multi-Attach reports and their fixes (a
 * Deployment scaled to 2 on EKS gp2/gp3, a local-path StatefulSet, an NFS PV declared RWO, EBS io2
 * multi-attach as in aws-ebs-csi-driver docs/multi-attach.md).
 */
import { strict as assert } from "assert";
import { CheckOptions, KubeObject, checkObjects } from "../../policy/core";
import { parseQuantity } from "../../policy/backing";
import {
  DEFAULT_STORAGE_CLASS_TABLE,
  provisionerEntry,
} from "../../policy/storageClasses";
import {
  claim,
  courseObjects,
  daemonSet,
  deployment,
  runCli,
  statefulSet,
  summary,
} from "./helpers";

const check = (objects: KubeObject[], o: CheckOptions = {}): string[] =>
  summary(checkObjects(objects, o));
const messageOf = (objects: KubeObject[], policy: string): string => {
  const f = checkObjects(objects).find((x) => x.policy === policy);
  assert.ok(f, `no ${policy} finding`);
  return f.message;
};

function sc(
  name: string,
  provisioner: string,
  o: { parameters?: Record<string, string>; isDefault?: boolean } = {},
): KubeObject {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name,
      ...(o.isDefault
        ? {
            annotations: {
              "storageclass.kubernetes.io/is-default-class": "true",
            },
          }
        : {}),
    },
    provisioner,
    ...(o.parameters ? { parameters: o.parameters } : {}),
    volumeBindingMode: "WaitForFirstConsumer",
  };
}

function pv(
  name: string,
  source: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  modes = ["ReadWriteOnce"],
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: {
      capacity: { storage: "5Gi" },
      accessModes: modes,
      claimRef: { namespace: "default", name: "data" },
      ...source,
      ...extra,
    },
  };
}

const nodeAffinity = (node: string) => ({
  nodeAffinity: {
    required: {
      nodeSelectorTerms: [
        {
          matchExpressions: [
            { key: "kubernetes.io/hostname", operator: "In", values: [node] },
          ],
        },
      ],
    },
  },
});

const staticClaim = (modes = ["ReadWriteOnce"]) =>
  claim("data", modes, { storageClassName: "" });
const web = (replicas: number, extra: Parameters<typeof deployment>[1] = {}) =>
  deployment("web", { replicas, claims: ["data"], ...extra });

describe("backing kinds: what Kubernetes really does", () => {
  describe("attachable block (EBS gp3, a Deployment scaled to 2)", () => {
    const gp3 = sc("gp3", "ebs.csi.aws.com", {
      parameters: { type: "gp3" },
      isDefault: true,
    });
    it("rejects 2 replicas: Multi-Attach", () => {
      const objects = [
        gp3,
        claim("data", ["ReadWriteOnce"], { storageClassName: "gp3" }),
        web(2),
      ];
      assert.deepEqual(check(objects), [
        "mandatory rwo-shared-without-colocation PersistentVolumeClaim/default/data",
      ]);
      const m = messageOf(objects, "rwo-shared-without-colocation");
      assert.match(
        m,
        /On StorageClass gp3 \(provisioner ebs\.csi\.aws\.com\), the disk attaches to one node at a time/,
      );
      assert.match(m, /Multi-Attach error and never start\. Fix: /);
      assert.doesNotMatch(m, /node-local|network file system/);
    });
    it("rejects the same through the default class (no storageClassName)", () => {
      assert.deepEqual(check([gp3, claim("data", ["ReadWriteOnce"]), web(2)]), [
        "mandatory rwo-shared-without-colocation PersistentVolumeClaim/default/data",
      ]);
    });
    it("accepts the usual fix: 1 replica, strategy Recreate", () => {
      assert.deepEqual(
        check([
          gp3,
          claim("data", ["ReadWriteOnce"]),
          web(1, { strategy: { type: "Recreate" } }),
        ]),
        [],
      );
    });
    it("warns about a 1-replica RollingUpdate (the surge pod hits Multi-Attach)", () => {
      assert.deepEqual(check([gp3, claim("data", ["ReadWriteOnce"]), web(1)]), [
        "advisory rwo-rolling-update-surge Deployment/default/web",
      ]);
    });
    it("an in-tree gcePersistentDisk PV pre-bound to the claim is attachable too", () => {
      const objects = [
        pv("disk", { gcePersistentDisk: { pdName: "d", fsType: "ext4" } }),
        staticClaim(),
        web(2),
      ];
      assert.deepEqual(check(objects), [
        "mandatory rwo-shared-without-colocation PersistentVolumeClaim/default/data",
      ]);
      assert.match(
        messageOf(objects, "rwo-shared-without-colocation"),
        /On PersistentVolume disk \(gcePersistentDisk\)/,
      );
    });
  });

  describe("node-local (local-path / kind's standard)", () => {
    const localPath = sc("local-path", "rancher.io/local-path", {
      isDefault: true,
    });
    it("explains a shared claim as node-pinned, advisory, not Multi-Attach", () => {
      const objects = [localPath, claim("data", ["ReadWriteOnce"]), web(3)];
      assert.deepEqual(check(objects), [
        "advisory rwo-shared-node-local PersistentVolumeClaim/default/data",
      ]);
      const m = messageOf(objects, "rwo-shared-node-local");
      assert.match(
        m,
        /node affinity makes the scheduler put every pod of the claim on that node/,
      );
      assert.match(m, /those that do not fit stay Pending/);
      assert.doesNotMatch(m, /Multi-Attach/);
    });
    it("no surge warning: the new pod follows the PV's node affinity", () => {
      assert.deepEqual(
        check([localPath, claim("data", ["ReadWriteOnce"]), web(1)]),
        [],
      );
    });
    it("a StatefulSet's volumeClaimTemplate replaces the template volume of the same name", () => {
      const set = statefulSet("db", {
        replicas: 3,
        volumeClaimTemplates: ["data"],
      });
      const spec = (set.spec as { template: { spec: Record<string, unknown> } })
        .template.spec;
      spec.volumes = [
        { name: "data", persistentVolumeClaim: { claimName: "db-shared" } },
      ];
      // Neither a shared claim nor a missing one: each pod gets data-db-N.
      assert.deepEqual(check([localPath, set]), []);
    });
    it("a template volume with another name is still a shared claim", () => {
      const set = statefulSet("db", {
        replicas: 3,
        volumeClaimTemplates: ["data"],
        claims: ["shared"],
      });
      assert.deepEqual(
        check([localPath, claim("shared", ["ReadWriteOnce"]), set]),
        ["advisory rwo-shared-node-local PersistentVolumeClaim/default/shared"],
      );
    });
    it("a `local` PV with node affinity names its node", () => {
      const objects = [
        pv(
          "local-1",
          { local: { path: "/mnt/disks/1" } },
          nodeAffinity("worker-2"),
        ),
        staticClaim(),
        web(2),
      ];
      assert.deepEqual(check(objects), [
        "advisory rwo-shared-node-local PersistentVolumeClaim/default/data",
      ]);
      assert.match(
        messageOf(objects, "rwo-shared-node-local"),
        /on that node \(worker-2\)/,
      );
    });
    it("RWX on local-path fails to provision...", () => {
      assert.deepEqual(check([localPath, claim("data", ["ReadWriteMany"])]), [
        "mandatory access-mode-unsupported-by-class PersistentVolumeClaim/default/data",
      ]);
    });
    it("...unless its ConfigMap makes the class a shared file system", () => {
      const config: KubeObject = {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: "local-path-config",
          namespace: "local-path-storage",
        },
        data: {
          "config.json": JSON.stringify({
            nodePathMap: [],
            sharedFileSystemPath: "/mnt/nfs",
          }),
        },
      };
      assert.deepEqual(
        check([localPath, config, claim("data", ["ReadWriteMany"]), web(3)]),
        [],
      );
      // ReadWriteOnce on that class: a file system every node mounts.
      assert.deepEqual(
        check([localPath, config, claim("data", ["ReadWriteOnce"]), web(3)]),
        ["advisory rwo-shared-network-fs PersistentVolumeClaim/default/data"],
      );
    });
  });

  describe("hostPath PV", () => {
    it("warns that the data is silently split per node", () => {
      const objects = [
        pv("host", { hostPath: { path: "/srv/data" } }),
        staticClaim(),
        web(2),
      ];
      assert.deepEqual(check(objects), [
        "advisory rwo-shared-hostpath-pv PersistentVolumeClaim/default/data",
      ]);
      assert.match(
        messageOf(objects, "rwo-shared-hostpath-pv"),
        /each reading and writing its own node's directory: the data is silently split/,
      );
    });
    it("with node affinity to one node it is node-local instead", () => {
      const objects = [
        pv("host", { hostPath: { path: "/srv/data" } }, nodeAffinity("n1")),
        staticClaim(),
        web(2),
      ];
      assert.deepEqual(check(objects), [
        "advisory rwo-shared-node-local PersistentVolumeClaim/default/data",
      ]);
    });
    it("accepts pods pinned to one node", () => {
      const pinned = web(2, { podSpec: { nodeName: "n1" } });
      assert.deepEqual(
        check([
          pv("host", { hostPath: { path: "/srv/data" } }),
          staticClaim(),
          pinned,
        ]),
        [],
      );
    });
  });

  describe("network file system declared ReadWriteOnce (NFS PV)", () => {
    const nfs = pv("nfs", { nfs: { server: "10.0.0.2", path: "/exports" } });
    it("advisory only: the pods run, RWO is not enforced", () => {
      const objects = [nfs, staticClaim(), web(3)];
      assert.deepEqual(check(objects), [
        "advisory rwo-shared-network-fs PersistentVolumeClaim/default/data",
      ]);
      assert.match(
        messageOf(objects, "rwo-shared-network-fs"),
        /Fix: ask for ReadWriteMany/,
      );
    });
    it("accepts the same share asked ReadWriteMany", () => {
      const rwx = pv(
        "nfs",
        { nfs: { server: "10.0.0.2", path: "/exports" } },
        {},
        ["ReadWriteMany"],
      );
      assert.deepEqual(
        check([rwx, staticClaim(["ReadWriteMany"]), web(3)]),
        [],
      );
    });
    it("an EFS class in the input is a network file system too", () => {
      assert.deepEqual(
        check([
          sc("efs", "efs.csi.aws.com"),
          claim("data", ["ReadWriteOnce"], { storageClassName: "efs" }),
          web(2),
        ]),
        ["advisory rwo-shared-network-fs PersistentVolumeClaim/default/data"],
      );
    });
  });

  describe("multi-attach block (EBS io2, volumeMode Block, ReadWriteMany)", () => {
    const io2 = sc("ebs-io2", "ebs.csi.aws.com", {
      parameters: { type: "io2", iops: "1000" },
    });
    const blockClaim = (
      modes: string[],
      volumeMode: string,
      className = "ebs-io2",
    ): KubeObject => {
      const c = claim("block-claim", modes, { storageClassName: className });
      (c.spec as Record<string, unknown>).volumeMode = volumeMode;
      return c;
    };
    it("accepts io2 Block RWX on a DaemonSet", () => {
      assert.deepEqual(
        check([
          io2,
          blockClaim(["ReadWriteMany"], "Block"),
          daemonSet("app", { claims: ["block-claim"] }),
        ]),
        [],
      );
    });
    it("rejects RWX on io2 in Filesystem mode", () => {
      assert.deepEqual(
        check([io2, blockClaim(["ReadWriteMany"], "Filesystem")]),
        [
          "mandatory access-mode-unsupported-by-class PersistentVolumeClaim/default/block-claim",
        ],
      );
    });
    it("rejects RWX Block on gp3", () => {
      const gp3 = sc("gp3", "ebs.csi.aws.com", { parameters: { type: "gp3" } });
      const objects = [gp3, blockClaim(["ReadWriteMany"], "Block", "gp3")];
      assert.deepEqual(check(objects), [
        "mandatory access-mode-unsupported-by-class PersistentVolumeClaim/default/block-claim",
      ]);
      assert.match(
        messageOf(objects, "access-mode-unsupported-by-class"),
        /EBS multi-attach needs an io2 class and volumeMode: Block/,
      );
    });
  });

  describe("unknown backing", () => {
    it("a class in neither the input nor the table: mandatory, each plausible backing spelt out", () => {
      const objects = [
        claim("data", ["ReadWriteOnce"], { storageClassName: "mystery" }),
        web(2),
      ];
      assert.deepEqual(check(objects), [
        "mandatory rwo-shared-without-colocation PersistentVolumeClaim/default/data",
      ]);
      const m = messageOf(objects, "rwo-shared-without-colocation");
      assert.match(m, /class mystery \(not in the input nor the table\)/);
      assert.match(
        m,
        /on an attachable disk .*; on a node-local volume .*; on a network file system /,
      );
    });
    it("policy config can say what the class is", () => {
      const objects = [
        claim("data", ["ReadWriteOnce"], { storageClassName: "mystery" }),
        web(2),
      ];
      assert.deepEqual(
        check(objects, { classes: { classes: { mystery: "network-fs" } } }),
        ["advisory rwo-shared-network-fs PersistentVolumeClaim/default/data"],
      );
    });
    it("the ambiguous name `standard` (GKE PD or kind local-path) is still rejected", () => {
      const m = messageOf(
        [
          claim("data", ["ReadWriteOnce"], { storageClassName: "standard" }),
          web(2),
        ],
        "rwo-shared-without-colocation",
      );
      assert.match(
        m,
        /on an attachable disk .*Multi-Attach.*; on a node-local volume /,
      );
      assert.doesNotMatch(m, /network file system/);
    });
  });

  describe("rox-claim-mounted-writable, worded by what happens", () => {
    const rox = ["ReadOnlyMany"];
    it("an NFS PV: nothing enforces read-only", () => {
      const objects = [
        pv("nfs", { nfs: { server: "s", path: "/e" } }, {}, rox),
        staticClaim(rox),
        web(1),
      ];
      assert.match(
        messageOf(objects, "rox-claim-mounted-writable"),
        /does not enforce ReadOnlyMany on a network file system: the mount is writable/,
      );
    });
    it("a GCE PD: writes fail", () => {
      const objects = [
        pv("pd", { gcePersistentDisk: { pdName: "d" } }, {}, rox),
        staticClaim(rox),
        web(1),
      ];
      assert.match(
        messageOf(objects, "rox-claim-mounted-writable"),
        /MULTI_NODE_READER_ONLY and attached read-only, so any write fails with "Read-only file system"/,
      );
    });
  });

  describe("the course's distinct-updater base, per platform", () => {
    const base = () => courseObjects("distinct-updater-base.yaml");
    it("on GKE's standard-rwo: rejected (Multi-Attach)", () => {
      const objects = [
        sc("standard-rwo", "pd.csi.storage.gke.io", { isDefault: true }),
        ...base(),
      ];
      assert.deepEqual(check(objects), [
        "advisory rwo-rolling-update-surge Deployment/default/distinct-updater-loop",
        "mandatory rwo-shared-without-colocation PersistentVolumeClaim/default/distinct-updater-pvc",
      ]);
    });
    it("on kind's standard (rancher.io/local-path): explained as node-pinned", () => {
      const objects = [
        sc("standard", "rancher.io/local-path", { isDefault: true }),
        ...base(),
      ];
      assert.deepEqual(check(objects), [
        "advisory rwo-shared-node-local PersistentVolumeClaim/default/distinct-updater-pvc",
      ]);
      assert.match(
        messageOf(objects, "rwo-shared-node-local"),
        /6 pods from Deployment default\/distinct-updater-loop \(1 pod, read-write\), Deployment default\/distinct-updater-server \(5 pods, read-write\)/,
      );
    });
  });
});

describe("a claim that is not pre-bound binds a matching PV of the input (FindMatchingVolume)", () => {
  /** A PV nobody pre-bound (no claimRef), 5Gi, class "" unless given. */
  const freePv = (
    name: string,
    source: Record<string, unknown>,
    o: {
      modes?: string[];
      capacity?: string;
      labels?: Record<string, string>;
      extra?: Record<string, unknown>;
    } = {},
  ): KubeObject => ({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name, ...(o.labels ? { labels: o.labels } : {}) },
    spec: {
      capacity: { storage: o.capacity ?? "5Gi" },
      accessModes: o.modes ?? ["ReadWriteOnce"],
      ...source,
      ...(o.extra ?? {}),
    },
  });
  const nfsSource = { nfs: { server: "10.0.0.2", path: "/exports" } };
  const pdSource = { gcePersistentDisk: { pdName: "d", fsType: "ext4" } };
  /** The claim `data`: storageClassName "" and 1Gi (helpers.claim), plus spec fields. */
  const freeClaim = (
    modes = ["ReadWriteOnce"],
    spec: Record<string, unknown> = {},
  ): KubeObject => {
    const c = claim("data", modes, { storageClassName: "" });
    Object.assign(c.spec as Record<string, unknown>, spec);
    return c;
  };
  const RWO_RULE = "rwo-shared-without-colocation";
  const UNKNOWN_NO_MATCH =
    /Its backing cannot be known from the input \(a statically bound PersistentVolume: none in the input matches the claim\): on an attachable disk/;

  it("an NFS PV and a 2-replica Deployment (kubernetes#60903): advisory only, exit 0", async () => {
    const objects = [freePv("nfs", nfsSource), freeClaim(), web(2)];
    assert.deepEqual(check(objects), [
      "advisory pv-without-claimref PersistentVolume//nfs",
      "advisory rwo-shared-network-fs PersistentVolumeClaim/default/data",
    ]);
    const m = messageOf(objects, "rwo-shared-network-fs");
    assert.match(
      m,
      /On PersistentVolume nfs \(nfs\), the only PersistentVolume in the input the claim can bind \(it is not pre-bound, so it binds this one unless the cluster holds another matching PersistentVolume\), nothing is attached: every node mounts the file system/,
    );
    assert.doesNotMatch(m, /Multi-Attach/);
    // The checker as users run it: JSON documents are YAML.
    const r = await runCli(
      ["--format", "json", "-"],
      objects.map((o) => JSON.stringify(o)).join("\n---\n"),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      (
        JSON.parse(r.stdout) as { enforcementLevel: string; policy: string }[]
      ).map((f) => `${f.enforcementLevel} ${f.policy}`),
      ["advisory pv-without-claimref", "advisory rwo-shared-network-fs"],
    );
  });

  it("a GCE PD PV: mandatory, Multi-Attach", () => {
    const objects = [freePv("disk", pdSource), freeClaim(), web(2)];
    assert.deepEqual(check(objects), [
      "advisory pv-without-claimref PersistentVolume//disk",
      `mandatory ${RWO_RULE} PersistentVolumeClaim/default/data`,
    ]);
    assert.match(
      messageOf(objects, RWO_RULE),
      /On PersistentVolume disk \(gcePersistentDisk\), the only PersistentVolume in the input the claim can bind .*the disk attaches to one node at a time, so pods scheduled on a second node will stay in ContainerCreating with a Multi-Attach error/,
    );
  });

  it("a selector that excludes the only PV: unknown, mandatory (as without the PV)", () => {
    const nfs = freePv("nfs", nfsSource, { labels: { tier: "slow" } });
    const objects = [
      nfs,
      freeClaim(["ReadWriteOnce"], {
        selector: { matchLabels: { tier: "fast" } },
      }),
      web(2),
    ];
    assert.deepEqual(check(objects), [
      "advisory pv-without-claimref PersistentVolume//nfs",
      `mandatory ${RWO_RULE} PersistentVolumeClaim/default/data`,
    ]);
    assert.match(messageOf(objects, RWO_RULE), UNKNOWN_NO_MATCH);
    // matchExpressions are evaluated too: NotIn [fast] keeps the slow PV, In [fast] does not.
    const expr = (operator: string) =>
      check([
        nfs,
        freeClaim(["ReadWriteOnce"], {
          selector: {
            matchExpressions: [{ key: "tier", operator, values: ["fast"] }],
          },
        }),
        web(2),
      ]);
    assert.deepEqual(expr("NotIn"), [
      "advisory pv-without-claimref PersistentVolume//nfs",
      "advisory rwo-shared-network-fs PersistentVolumeClaim/default/data",
    ]);
    assert.deepEqual(expr("In"), [
      "advisory pv-without-claimref PersistentVolume//nfs",
      `mandatory ${RWO_RULE} PersistentVolumeClaim/default/data`,
    ]);
  });

  it("a PV smaller than the request is not a candidate; an equal one is", () => {
    const verdict = (capacity: string) =>
      check([freePv("nfs", nfsSource, { capacity }), freeClaim(), web(2)]);
    assert.deepEqual(verdict("500Mi"), [
      "advisory pv-without-claimref PersistentVolume//nfs",
      `mandatory ${RWO_RULE} PersistentVolumeClaim/default/data`,
    ]);
    // 1024Mi = 1Gi (the claim's request): capacity >= request.
    assert.deepEqual(verdict("1024Mi"), [
      "advisory pv-without-claimref PersistentVolume//nfs",
      "advisory rwo-shared-network-fs PersistentVolumeClaim/default/data",
    ]);
    // 1G (10^9) < 1Gi (2^30).
    assert.deepEqual(verdict("1G"), [
      "advisory pv-without-claimref PersistentVolume//nfs",
      `mandatory ${RWO_RULE} PersistentVolumeClaim/default/data`,
    ]);
  });

  it("a PV lacking one of the claim's access modes is not a candidate; a superset is", () => {
    const objects = [
      freePv("nfs", nfsSource, { modes: ["ReadWriteOnce"] }),
      freeClaim(["ReadWriteOnce", "ReadOnlyMany"]),
      web(2),
    ];
    assert.deepEqual(check(objects), [
      "advisory pv-without-claimref PersistentVolume//nfs",
      `mandatory ${RWO_RULE} PersistentVolumeClaim/default/data`,
    ]);
    assert.match(messageOf(objects, RWO_RULE), UNKNOWN_NO_MATCH);
    assert.deepEqual(
      check([
        freePv("nfs", nfsSource, { modes: ["ReadWriteMany", "ReadWriteOnce"] }),
        freeClaim(["ReadWriteOnce"]),
        web(2),
      ]),
      [
        "advisory pv-without-claimref PersistentVolume//nfs",
        "advisory rwo-shared-network-fs PersistentVolumeClaim/default/data",
      ],
    );
  });

  it("another class, another volumeMode or a claimRef to another claim: not a candidate", () => {
    const unknown = [
      "advisory pv-without-claimref PersistentVolume//nfs",
      `mandatory ${RWO_RULE} PersistentVolumeClaim/default/data`,
    ];
    assert.deepEqual(
      check([
        freePv("nfs", nfsSource, { extra: { storageClassName: "manual" } }),
        freeClaim(),
        web(2),
      ]),
      unknown,
    );
    assert.deepEqual(
      check([
        freePv("nfs", nfsSource, { extra: { volumeMode: "Block" } }),
        freeClaim(),
        web(2),
      ]),
      unknown,
    );
    assert.deepEqual(
      check([
        freePv("nfs", nfsSource, {
          extra: { claimRef: { namespace: "default", name: "other" } },
        }),
        freeClaim(),
        web(2),
      ]),
      [`mandatory ${RWO_RULE} PersistentVolumeClaim/default/data`],
    );
  });

  it("a class used only by static PVs: the claim binds the PV of that class", () => {
    const objects = [
      freePv("nfs", nfsSource, { extra: { storageClassName: "manual" } }),
      claim("data", ["ReadWriteOnce"], { storageClassName: "manual" }),
      web(2),
    ];
    assert.deepEqual(check(objects), [
      "advisory pv-without-claimref PersistentVolume//nfs",
      "advisory rwo-shared-network-fs PersistentVolumeClaim/default/data",
    ]);
  });

  it("no storageClassName and no default class in the input: the PV is not assumed", () => {
    // Such a claim gets the cluster's default class, which may provision a disk instead.
    const objects = [
      freePv("nfs", nfsSource),
      claim("data", ["ReadWriteOnce"]),
      web(2),
    ];
    assert.deepEqual(check(objects), [
      "advisory pv-without-claimref PersistentVolume//nfs",
      `mandatory ${RWO_RULE} PersistentVolumeClaim/default/data`,
    ]);
    assert.match(
      messageOf(objects, RWO_RULE),
      /the cluster's default StorageClass \(not in the input\)/,
    );
  });

  it("two matching PVs of one kind: judged by that kind, both named", () => {
    const objects = [
      freePv("nfs-a", nfsSource),
      freePv("nfs-b", { nfs: { server: "10.0.0.3", path: "/b" } }),
      freeClaim(),
      web(2),
    ];
    assert.deepEqual(check(objects), [
      "advisory pv-without-claimref PersistentVolume//nfs-a",
      "advisory pv-without-claimref PersistentVolume//nfs-b",
      "advisory rwo-shared-network-fs PersistentVolumeClaim/default/data",
    ]);
    assert.match(
      messageOf(objects, "rwo-shared-network-fs"),
      /On PersistentVolume nfs-a \(nfs\) or PersistentVolume nfs-b \(nfs\): the claim is not pre-bound and can bind any of these, or another matching PersistentVolume the cluster holds, nothing is attached/,
    );
  });

  it("two same-named PVs of different kinds (alternative files): mandatory, each kind spelt out", () => {
    const objects = [
      freePv("shared", nfsSource),
      freePv("shared", pdSource),
      freeClaim(),
      web(2),
    ];
    // The later definition is "the" PV for pv-without-claimref; both are binding candidates.
    assert.deepEqual(check(objects), [
      "advisory pv-without-claimref PersistentVolume//shared",
      `mandatory ${RWO_RULE} PersistentVolumeClaim/default/data`,
    ]);
    const m = messageOf(objects, RWO_RULE);
    assert.match(
      m,
      /Its backing depends on the PersistentVolume it binds \(PersistentVolume shared \(nfs\) or PersistentVolume shared \(gcePersistentDisk\): .*the input defines one PersistentVolume more than once, differently/,
    );
    assert.match(
      m,
      /on PersistentVolume shared \(gcePersistentDisk\), the disk attaches to one node at a time.*Multi-Attach error/,
    );
    assert.match(
      m,
      /on PersistentVolume shared \(nfs\), nothing is attached: every node mounts the file system/,
    );
    // In either order.
    assert.deepEqual(
      check([
        freePv("shared", pdSource),
        freePv("shared", nfsSource),
        freeClaim(),
        web(2),
      ]),
      [
        "advisory pv-without-claimref PersistentVolume//shared",
        `mandatory ${RWO_RULE} PersistentVolumeClaim/default/data`,
      ],
    );
  });

  it("a matching static PV is bound before anything is provisioned: no access-mode rejection", () => {
    // standard-rwo (a PD class) cannot provision ReadWriteMany, but an NFS PV of that class
    // in the input matches the claim and is bound instead.
    const rwxClaim = claim("data", ["ReadWriteMany"], {
      storageClassName: "standard-rwo",
    });
    assert.deepEqual(check([rwxClaim]), [
      "mandatory access-mode-unsupported-by-class PersistentVolumeClaim/default/data",
    ]);
    assert.deepEqual(
      check([
        freePv("nfs", nfsSource, {
          modes: ["ReadWriteMany"],
          extra: { storageClassName: "standard-rwo" },
        }),
        rwxClaim,
      ]),
      ["advisory pv-without-claimref PersistentVolume//nfs"],
    );
  });

  it("parses Kubernetes quantities", () => {
    assert.equal(parseQuantity("1Gi"), 1073741824);
    assert.equal(parseQuantity("500Mi"), 524288000);
    assert.equal(parseQuantity("1.5Gi"), 1610612736);
    assert.equal(parseQuantity("200M"), 200000000);
    assert.equal(parseQuantity("1e3"), 1000);
    assert.equal(parseQuantity("10"), 10);
    assert.equal(parseQuantity("1Gb"), undefined);
    assert.equal(parseQuantity("lots"), undefined);
  });
});

describe("storage class table: names users really have", () => {
  it("Ceph-CSI provisioners prefixed with their namespace (Rook) take the bare driver's entry", () => {
    const table = DEFAULT_STORAGE_CLASS_TABLE;
    assert.equal(
      provisionerEntry(table, "rook-ceph.rbd.csi.ceph.com"),
      "attachable-block",
    );
    assert.equal(
      provisionerEntry(table, "rook-ceph.cephfs.csi.ceph.com"),
      "network-fs",
    );
    assert.equal(
      provisionerEntry(table, "storage.cephfs.csi.ceph.com"),
      "network-fs",
    );
    // Only a whole dotted suffix counts.
    assert.equal(
      provisionerEntry(table, "notcephfs.csi.ceph.com.evil"),
      undefined,
    );
    assert.equal(provisionerEntry(table, "xrbd.csi.ceph.com"), undefined);
  });

  it("AKS' in-tree era class names", () => {
    assert.equal(
      DEFAULT_STORAGE_CLASS_TABLE.classes["managed-premium"],
      "attachable-block",
    );
    assert.equal(DEFAULT_STORAGE_CLASS_TABLE.classes.azurefile, "network-fs");
  });
});
