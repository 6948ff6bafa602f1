/** Rule 5: a hostPath volume used by more than one replica (outside DaemonSets). */
import { PodSource, describeRef, describeSource } from "../model";
import { commonGroup, placementOf } from "../placement";
import { Finding, Rule } from "../types";

function normalisePath(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, "") : p;
}

export const hostPathMultipleReplicas: Rule = {
  name: "hostpath-multiple-replicas",
  description:
    "A hostPath volume shared by several replicas gives each node its own copy of the data; " +
    "replicas on different nodes answer with different data.",
  defaultEnforcement: "advisory",
  check(index) {
    const placement = placementOf(index);
    const byPath = new Map<string, PodSource[]>();
    for (const s of index.podSources) {
      // A DaemonSet's hostPath is per node by design (log agents, CSI node plugins).
      if (s.ref.kind === "DaemonSet" || s.replicas === 0) continue;
      const paths = new Set(
        s.volumes.flatMap((v) =>
          v.hostPath === undefined ? [] : [normalisePath(v.hostPath)],
        ),
      );
      for (const p of paths) byPath.set(p, [...(byPath.get(p) ?? []), s]);
    }
    const findings: Finding[] = [];
    for (const [path, sources] of byPath) {
      const pods = sources.reduce((n, s) => n + s.replicas, 0);
      if (pods <= 1) continue;
      const groups = sources.map((s) => placement.groupOf(s));
      if (commonGroup(groups) !== undefined) continue;
      for (const s of sources) {
        const others = sources
          .filter((o) => o !== s)
          .map((o) => describeRef(o.ref));
        const shared =
          others.length > 0 ? ` (also used by ${others.join(", ")})` : "";
        findings.push({
          policy: hostPathMultipleReplicas.name,
          enforcementLevel: hostPathMultipleReplicas.defaultEnforcement,
          resource: s.ref,
          message:
            `${describeSource(s)} keeps data in hostPath ${path}${shared}: each node has its own ` +
            `${path}, so replicas on different nodes read and write different data (requests ` +
            "answered by different pods return different results) and the data stays behind when " +
            "a pod moves to another node. Fix: use a PersistentVolumeClaim (ReadWriteMany to share " +
            "it between replicas), or run a single replica.",
          workloads: sources.map((o) => o.ref),
        });
      }
    }
    return findings;
  },
};
