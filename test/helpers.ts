/**
 * Shared helpers for specs that run the whole program (see render/engine.ts).
 */
import * as assert from "assert";

import { ProgramRun, RecordedResource, runProgram, stackConfig } from "../render/engine";

export { runProgram, stackConfig };

/** Runs a committed stack file, with overrides (keys `key` or `namespace:key`). */
export function runStack(stack: "gke" | "eks" | "kind", overrides: Record<string, unknown> = {}): Promise<ProgramRun> {
    const base = stackConfig(stack);
    const merged: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(overrides)) {
        merged[k.includes(":") ? k : `kube-volume-lab:${k}`] = v;
    }
    return runProgram(merged);
}

/** Resources of a type token, e.g. "gcp:container/cluster:Cluster". */
export function ofType(run: ProgramRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type);
}

/** The single resource with this type and logical name. */
export function one(run: ProgramRun, type: string, name?: string): RecordedResource {
    const found = ofType(run, type).filter((r) => name === undefined || r.name === name);
    assert.strictEqual(found.length, 1, `expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
    return found[0];
}

/** Kubernetes objects the run created, as manifests (apiVersion, kind, metadata, spec...). */
export function kubeObjects(run: ProgramRun): Record<string, any>[] {
    return run.resources
        .filter((r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v3:Release")
        .map((r) => r.inputs);
}

/** The Kubernetes object of `kind` named `name` (in `namespace` when given). */
export function kobj(run: ProgramRun, kind: string, name: string, namespace?: string): Record<string, any> {
    const found = kubeObjects(run).filter(
        (o) => o.kind === kind && o.metadata?.name === name && (namespace === undefined || o.metadata?.namespace === namespace),
    );
    assert.strictEqual(found.length, 1, `expected one ${kind} ${namespace ?? "*"}/${name}, found ${found.length}`);
    return found[0];
}

/** Generated student names: stable, valid DNS labels. */
export function studentNames(count: number, prefix = "s"): string[] {
    return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(3, "0")}`);
}
