import { strict as assert } from "assert";
import { buildIndex } from "../../policy/model";
import { placementOf } from "../../policy/placement";
import { deployment, podAffinity } from "./helpers";

describe("placement: self-affinity", () => {
  const groupOfServer = (
    serverLabels: Record<string, string>,
    selector: Record<string, string>,
  ) => {
    const index = buildIndex([
      deployment("loop", { labels: { app: "loop", tier: "data" } }),
      deployment("server", {
        replicas: 3,
        labels: serverLabels,
        podSpec: podAffinity({ matchLabels: selector }),
      }),
    ]);
    const server = index.podSources.find((s) => s.ref.name === "server");
    assert.ok(server);
    return placementOf(index).groupOf(server);
  };

  it("a term selecting only the workload's own pods puts them on one node", () => {
    assert.deepEqual(groupOfServer({ app: "server" }, { app: "server" }), {
      group: "source:1",
      reason: "self-affinity",
      detail: "required podAffinity to its own pods",
    });
  });

  it("a term selecting its own pods and another anchor proves nothing", () => {
    assert.equal(
      groupOfServer({ app: "server", tier: "data" }, { tier: "data" }),
      undefined,
    );
  });

  it("a term selecting only the 1-replica anchor follows it", () => {
    assert.deepEqual(groupOfServer({ app: "server" }, { app: "loop" }), {
      group: "source:0",
      reason: "affinity",
      detail:
        "required podAffinity (kubernetes.io/hostname) to Deployment default/loop",
    });
  });

  it("a closed group (every member requires affinity to exactly the group) shares one node", () => {
    const group = { matchLabels: { "kube-volume-lab/volume-group": "data" } };
    const labels = (app: string) => ({
      app,
      "kube-volume-lab/volume-group": "data",
    });
    const index = buildIndex([
      deployment("loop", {
        labels: labels("loop"),
        podSpec: podAffinity(group),
      }),
      deployment("server", {
        replicas: 5,
        labels: labels("server"),
        podSpec: podAffinity(group),
      }),
    ]);
    const p = placementOf(index);
    const [loop, server] = index.podSources;
    const g = p.groupOf(server);
    assert.equal(g?.group, "group:0,1");
    assert.equal(p.groupOf(loop)?.group, "group:0,1");
  });

  it("a group is not closed when one member lacks the affinity (issue 15 mutation)", () => {
    const group = { matchLabels: { "kube-volume-lab/volume-group": "data" } };
    const labels = (app: string) => ({
      app,
      "kube-volume-lab/volume-group": "data",
    });
    const index = buildIndex([
      deployment("loop", { labels: labels("loop") }),
      deployment("server", {
        replicas: 5,
        labels: labels("server"),
        podSpec: podAffinity(group),
      }),
    ]);
    assert.equal(placementOf(index).groupOf(index.podSources[1]), undefined);
  });
});
