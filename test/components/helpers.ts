/**
 * Helpers for the component specs: build a component under the mocks (test/setup.ts installs
 * them) and look up the Kubernetes objects it registered.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";

import { recorded, resetRecording, settle } from "../../render/engine";

/** A Kubernetes object as a component passed it (apiVersion, kind, metadata, spec...). */
export type KubeObject = Record<string, any> & {
    apiVersion: string;
    kind: string;
    metadata: Record<string, any>;
};

/** What one component registered. */
export interface Built<T> {
    component: T;
    /** Every registered resource, components included: type, logical name, inputs. */
    resources: ReturnType<typeof recorded>;
    /** The Kubernetes objects, as passed. */
    objects: KubeObject[];
}

/** Forgets earlier registrations, builds the component, waits until its children are registered. */
export async function build<T>(make: () => T): Promise<Built<T>> {
    resetRecording();
    const component = make();
    await settle();
    const resources = [...recorded()];
    const objects = resources
        .filter((r) => r.type.startsWith("kubernetes:") && r.custom)
        .map((r) => r.inputs as KubeObject);
    return { component, resources, objects };
}

/** Resolves an Output (the mocks resolve everything). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** The object of `kind` named `name`; fails listing what exists. */
export function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
    const found = objects.filter((o) => o.kind === kind && o.metadata?.name === name);
    assert.strictEqual(
        found.length,
        1,
        `expected one ${kind} ${name}; have: ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(", ")}`,
    );
    return found[0];
}

/** Every object of `kind`. */
export function ofKind(objects: readonly KubeObject[], kind: string): KubeObject[] {
    return objects.filter((o) => o.kind === kind);
}

/** `kind/name` of every object, sorted. */
export function inventory(objects: readonly KubeObject[]): string[] {
    return objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort();
}

/** The pod spec of a Pod or of a workload's template. */
export function podSpec(obj: KubeObject): Record<string, any> {
    return obj.kind === "Pod" ? obj.spec : obj.spec.template.spec;
}

/** The container `name` of a Pod or workload. */
export function container(obj: KubeObject, name: string): Record<string, any> {
    const c = (podSpec(obj).containers as any[]).find((x) => x.name === name);
    assert.ok(c, `${obj.kind} ${obj.metadata.name} has no container ${name}`);
    return c;
}

/** Every container of every Pod and workload. */
export function allContainers(
    objects: readonly KubeObject[],
): { owner: string; c: Record<string, any> }[] {
    return objects
        .filter((o) => o.kind === "Pod" || o.spec?.template?.spec !== undefined)
        .flatMap((o) =>
            (podSpec(o).containers as any[]).map((c) => ({
                owner: `${o.kind}/${o.metadata.name}`,
                c,
            })),
        );
}

/** The pod volume `name`. */
export function volume(obj: KubeObject, name: string): Record<string, any> {
    const v = ((podSpec(obj).volumes ?? []) as any[]).find((x) => x.name === name);
    assert.ok(v, `${obj.kind} ${obj.metadata.name} has no volume ${name}`);
    return v;
}

/** Asserts that `make` throws a pulumi.ResourceError whose message contains every fragment. */
export function assertResourceError(make: () => unknown, ...fragments: string[]): void {
    resetRecording();
    assert.throws(make, (e: unknown) => {
        assert.ok(pulumi.ResourceError.isInstance(e), `expected a ResourceError, got ${String(e)}`);
        for (const f of fragments) {
            assert.ok(
                (e as Error).message.includes(f),
                `message "${(e as Error).message}" lacks "${f}"`,
            );
        }
        return true;
    });
}

/** The logical names of the Kubernetes children, to check they derive from the component's name. */
export function logicalNames(built: Built<unknown>): string[] {
    return built.resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.name);
}

/** Pod Security labels every component namespace carries (enforce level aside). */
export function assertNamespace(
    objects: readonly KubeObject[],
    name: string,
    enforce = "baseline",
): void {
    const ns = find(objects, "Namespace", name);
    assert.deepStrictEqual(ns.metadata.labels, {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/warn": "restricted",
        "app.kubernetes.io/part-of": "kube-volume-lab",
    });
    for (const o of objects) {
        if (o.kind === "Namespace" || o.kind === "PersistentVolume") continue;
        assert.strictEqual(
            o.metadata.namespace,
            name,
            `${o.kind} ${o.metadata.name} is not in ${name}`,
        );
    }
}

/** Asserts every container has a pinned tag (no `latest`: no default image may float), requests and limits. */
export function assertContainersHardened(objects: readonly KubeObject[]): void {
    for (const { owner, c } of allContainers(objects)) {
        const image: string = c.image;
        const tag = /:([^/:@]+)$/.exec(image)?.[1];
        assert.ok(tag !== undefined && tag !== "latest", `${owner}/${c.name}: image ${image} is not pinned`);
        for (const k of ["requests", "limits"]) {
            assert.ok(
                c.resources?.[k]?.cpu && c.resources?.[k]?.memory,
                `${owner}/${c.name}: no ${k}`,
            );
        }
        assert.strictEqual(
            c.securityContext?.allowPrivilegeEscalation,
            false,
            `${owner}/${c.name}`,
        );
        assert.notStrictEqual(c.securityContext?.privileged, true, `${owner}/${c.name}`);
    }
}
