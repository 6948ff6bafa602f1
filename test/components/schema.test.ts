import * as assert from "assert";

import { build } from "./helpers";
import {
    KNOWN_KINDS,
    KubernetesSchemaError,
    unknownKeyProblems,
    validateKubernetesObject,
} from "./k8sSchema";
import { VARIANTS } from "./variants";

const GOOD_DEPLOYMENT = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "demo" },
    spec: {
        selector: { matchLabels: { app: "web" } },
        template: {
            metadata: { labels: { app: "web" } },
            spec: {
                containers: [
                    {
                        name: "web",
                        image: "nginx:1.27",
                        volumeMounts: [{ name: "d", mountPath: "/d" }],
                    },
                ],
                volumes: [{ name: "d", emptyDir: {} }],
            },
        },
    },
};

function copy<T>(v: T): any {
    return JSON.parse(JSON.stringify(v));
}

function rejects(obj: unknown, ...fragments: string[]): void {
    assert.throws(
        () => validateKubernetesObject(obj),
        (e: unknown) => {
            assert.ok(e instanceof KubernetesSchemaError, String(e));
            for (const f of fragments)
                assert.ok(e.message.includes(f), `"${e.message}" lacks "${f}"`);
            return true;
        },
    );
}

describe("k8sSchema.validateKubernetesObject", () => {
    it("accepts a valid object", () => {
        validateKubernetesObject(GOOD_DEPLOYMENT);
    });

    it("knows every kind the project may emit", () => {
        for (const k of [
            "v1/Namespace",
            "v1/PersistentVolume",
            "apps/v1/Deployment",
            "storage.k8s.io/v1/StorageClass",
            "rbac.authorization.k8s.io/v1/ClusterRoleBinding",
            "networking.k8s.io/v1/NetworkPolicy",
            "batch/v1/CronJob",
            "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy",
            "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding",
        ]) {
            assert.ok(KNOWN_KINDS.includes(k), k);
        }
        assert.strictEqual(KNOWN_KINDS.length, 23);
    });

    it("rejects a wrong type, naming the object and the schema path", () => {
        const bad = copy(GOOD_DEPLOYMENT);
        bad.spec.template.spec.containers[0].ports = [{ containerPort: "8080" }];
        rejects(
            bad,
            "Deployment demo/web",
            "/spec/template/spec/containers/0/ports/0/containerPort",
            "must be integer",
        );
    });

    it("rejects a missing required field", () => {
        const bad = copy(GOOD_DEPLOYMENT);
        delete bad.spec.selector;
        rejects(bad, "Deployment demo/web", "selector");
    });

    it("rejects an unknown apiVersion/kind", () => {
        rejects(
            { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } },
            "Widget w",
            '"example.com/v1/Widget" is not known',
        );
        rejects(
            { apiVersion: "extensions/v1beta1", kind: "Deployment", metadata: { name: "old" } },
            "is not known",
        );
    });

    it("rejects unknown keys the schemas let through", () => {
        const bad = copy(GOOD_DEPLOYMENT);
        bad.spec.template.spec.volume = [];
        bad.spec.template.spec.containers[0].volumeMounts[0].readonly = true;
        bad.spec.replica = 2;
        rejects(
            bad,
            "/spec/replica: unknown property",
            "/spec/template/spec/volume: unknown property",
            "/spec/template/spec/containers/0/volumeMounts/0/readonly: unknown property",
        );
        assert.deepStrictEqual(
            unknownKeyProblems({
                apiVersion: "v1",
                kind: "PersistentVolumeClaim",
                metadata: { name: "c" },
                spec: { accesModes: ["ReadWriteOnce"] },
            }),
            ["/spec/accesModes: unknown property"],
        );
        assert.deepStrictEqual(
            unknownKeyProblems({
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { name: "c" },
                spec: {},
            }),
            ["/spec: unknown property"],
        );
    });
});

describe("every object every component emits is valid", () => {
    for (const [variant, make] of Object.entries(VARIANTS)) {
        it(variant, async () => {
            const { objects } = await build(make);
            assert.ok(objects.length >= 3, `${variant}: only ${objects.length} objects`);
            for (const o of objects) validateKubernetesObject(o);
        });
    }
});
