/**
 * The component contract (CONVENTIONS.md "Components"), checked once over every demo variant in
 * variants.ts instead of a copy per component spec: type token, children parented to the
 * component, child names derived from the component's, explicit object names, registerOutputs
 * called last and with outputs, every object in the component's namespace, the shared labels, and
 * hardened, pinned containers.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";

import { Built, KubeObject, allContainers, build } from "./helpers";
import { VARIANTS } from "./variants";

/** What each variant must be, written down independently of the components. */
interface Contract {
    type: string;
    /** Logical name the variant gives the component (variants.ts). */
    name: string;
    namespace: string;
    /** Whether the component creates its namespace (and which Pod Security level it enforces). */
    createsNamespace: false | "baseline" | "privileged";
}

const CONTRACTS: Record<string, Contract> = {
    "DistinctUpdater rwo": { type: "kvl:apps:DistinctUpdater", name: "du", namespace: "distinct-updater", createsNamespace: "baseline" },
    "DistinctUpdater affinity": { type: "kvl:apps:DistinctUpdater", name: "du", namespace: "distinct-updater", createsNamespace: "baseline" },
    "DistinctUpdater rwx": { type: "kvl:apps:DistinctUpdater", name: "du", namespace: "distinct-updater", createsNamespace: "baseline" },
    SideUpdater: { type: "kvl:apps:SideUpdater", name: "su", namespace: "side-updater", createsNamespace: "baseline" },
    "Chatroulette new claim": { type: "kvl:apps:Chatroulette", name: "chat", namespace: "chatroulette", createsNamespace: "baseline" },
    "Chatroulette existing claim": { type: "kvl:apps:Chatroulette", name: "chat", namespace: "student-alice", createsNamespace: false },
    "StoryApp emptyDir": { type: "kvl:apps:StoryApp", name: "story", namespace: "story", createsNamespace: "baseline" },
    "StoryApp emptyDir, own image": { type: "kvl:apps:StoryApp", name: "story", namespace: "story", createsNamespace: "baseline" },
    // baseline forbids hostPath volumes: this variant's namespace alone is privileged.
    "StoryApp hostPath": { type: "kvl:apps:StoryApp", name: "story", namespace: "story", createsNamespace: "privileged" },
    "StoryApp claim": { type: "kvl:apps:StoryApp", name: "story", namespace: "story", createsNamespace: "baseline" },
};
/** Every AccessModesDemo variant, whatever its arguments (its spec owns what differs). */
const ACCESS_MODES: Contract = { type: "kvl:apps:AccessModesDemo", name: "am", namespace: "access-modes", createsNamespace: "baseline" };
const contractOf = (variant: string): Contract | undefined =>
    CONTRACTS[variant] ?? (variant.startsWith("AccessModesDemo") ? ACCESS_MODES : undefined);

/** Per component: how many children it had when it called registerOutputs, and with which outputs. */
interface OutputsCall {
    children: number;
    outputs: unknown;
}

/** Builds a variant while recording every component's first registerOutputs call. */
async function buildRecording(make: () => unknown): Promise<{ built: Built<unknown>; calls: Map<unknown, OutputsCall> }> {
    const calls = new Map<unknown, OutputsCall>();
    const proto = pulumi.ComponentResource.prototype as unknown as { registerOutputs(o?: unknown): void };
    const original = proto.registerOutputs;
    proto.registerOutputs = function (this: any, outputs?: unknown) {
        if (!calls.has(this)) calls.set(this, { children: this.__childResources?.size ?? 0, outputs });
        return original.call(this, outputs);
    };
    try {
        const built = await build(make);
        return { built, calls };
    } finally {
        proto.registerOutputs = original;
    }
}

const PART_OF = { "app.kubernetes.io/part-of": "kube-volume-lab" };

function podTemplateLabels(o: KubeObject): Record<string, string> | undefined {
    return o.kind === "Pod" ? o.metadata.labels : o.spec?.template?.metadata?.labels;
}

describe("component contract, every demo variant", () => {
    it("has a contract row for every variant in variants.ts", () => {
        const missing = Object.keys(VARIANTS).filter((v) => contractOf(v) === undefined);
        assert.deepStrictEqual(missing, []);
        assert.deepStrictEqual(
            Object.keys(CONTRACTS).filter((v) => !(v in VARIANTS)),
            [],
            "contract rows without a variant",
        );
    });

    for (const [variant, make] of Object.entries(VARIANTS)) {
        describe(variant, () => {
            const c = contractOf(variant);
            let built: Built<unknown>;
            let calls: Map<unknown, OutputsCall>;
            let component: any;
            before(async function () {
                if (c === undefined) this.skip();
                ({ built, calls } = await buildRecording(make));
                component = built.component;
            });

            it(`registers as ${c?.type}, a kvl:<module>:<PascalCase> token`, () => {
                const own = built.resources.filter((r) => !r.custom);
                assert.deepStrictEqual(own.map((r) => [r.type, r.name]), [[c!.type, c!.name]]);
                assert.match(c!.type, /^kvl:[a-z]+:[A-Z][A-Za-z]+$/);
            });

            it("parents every child to the component, named <component>-<child>", () => {
                const children = [...(component.__childResources ?? [])] as any[];
                const custom = built.resources.filter((r) => r.custom);
                assert.ok(custom.length >= 3, `only ${custom.length} children`);
                assert.deepStrictEqual(
                    children.map((ch) => `${ch.__pulumiType}::${ch.__name}`).sort(),
                    custom.map((r) => `${r.type}::${r.name}`).sort(),
                    "every registered resource is a direct child of the component",
                );
                for (const r of custom) {
                    assert.ok(r.name.startsWith(`${c!.name}-`), `${r.type} ${r.name} is not named ${c!.name}-…`);
                }
            });

            it("calls registerOutputs last, with its outputs", () => {
                const call = calls.get(component);
                assert.ok(call, "registerOutputs was never called");
                assert.strictEqual(call.children, component.__childResources.size, "children registered after registerOutputs");
                assert.ok(
                    call.outputs !== undefined && Object.keys(call.outputs as object).length > 0,
                    "registerOutputs called without outputs (only the SDK's implicit call)",
                );
                for (const key of ["namespace", "storageClassName"]) {
                    assert.ok(key in (call.outputs as object), `outputs lack ${key}`);
                }
            });

            it("names every object explicitly, in the component's namespace", () => {
                for (const o of built.objects) {
                    assert.ok(typeof o.metadata.name === "string" && o.metadata.name.length > 0, `${o.kind} has no explicit name`);
                    if (o.kind === "Namespace" || o.kind === "PersistentVolume") continue;
                    assert.strictEqual(o.metadata.namespace, c!.namespace, `${o.kind} ${o.metadata.name}`);
                }
                const namespaces = built.objects.filter((o) => o.kind === "Namespace");
                if (c!.createsNamespace === false) {
                    assert.deepStrictEqual(namespaces, []);
                } else {
                    assert.deepStrictEqual(namespaces.map((n) => [n.metadata.name, n.metadata.labels]), [
                        [
                            c!.namespace,
                            {
                                "pod-security.kubernetes.io/enforce": c!.createsNamespace,
                                "pod-security.kubernetes.io/warn": "restricted",
                                ...PART_OF,
                            },
                        ],
                    ]);
                }
            });

            it("labels every object part-of kube-volume-lab; selectors match their pods", () => {
                for (const o of built.objects) {
                    assert.strictEqual(o.metadata.labels?.["app.kubernetes.io/part-of"], "kube-volume-lab", `${o.kind} ${o.metadata.name}`);
                    if (o.kind !== "Namespace") {
                        assert.strictEqual(o.metadata.labels?.["app.kubernetes.io/instance"], c!.name, `${o.kind} ${o.metadata.name}`);
                    }
                    const pods = podTemplateLabels(o);
                    if (pods !== undefined) {
                        assert.strictEqual(pods["app.kubernetes.io/part-of"], "kube-volume-lab");
                        for (const [k, v] of Object.entries(o.spec?.selector?.matchLabels ?? {})) {
                            assert.strictEqual(pods[k], v, `${o.kind} ${o.metadata.name}: selector ${k}=${v} misses its pods`);
                        }
                    }
                }
                const podLabelSets = built.objects.map(podTemplateLabels).filter((l) => l !== undefined);
                for (const svc of built.objects.filter((o) => o.kind === "Service")) {
                    const sel = svc.spec.selector as Record<string, string>;
                    assert.ok(
                        podLabelSets.some((l) => Object.entries(sel).every(([k, v]) => l![k] === v)),
                        `Service ${svc.metadata.name} selects no pod`,
                    );
                }
            });

            it("runs pinned images (no latest) with requests, limits and no privilege", () => {
                const containers = allContainers(built.objects);
                assert.ok(containers.length > 0);
                for (const { owner, c: ct } of containers) {
                    const tag = /:([^/:@]+)$/.exec(ct.image)?.[1];
                    assert.ok(tag !== undefined && tag !== "latest", `${owner}/${ct.name}: image ${ct.image} is not pinned`);
                    for (const k of ["requests", "limits"]) {
                        assert.ok(ct.resources?.[k]?.cpu && ct.resources?.[k]?.memory, `${owner}/${ct.name}: no ${k}`);
                    }
                    assert.strictEqual(ct.securityContext?.allowPrivilegeEscalation, false, `${owner}/${ct.name}`);
                    assert.notStrictEqual(ct.securityContext?.privileged, true, `${owner}/${ct.name}`);
                }
            });
        });
    }
});
