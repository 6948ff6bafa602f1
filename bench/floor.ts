/**
 * The SDK's cost floor for a stack (benchmark only): registers, with no program logic, resources of the
 * same types (the same SDK classes), names, inputs, parents, providers and dependencies as a recorded
 * run, in its registration order. Components are plain ComponentResources with the same type tokens.
 */
import * as pulumi from "@pulumi/pulumi";

import { type ProgramRun, type RecordedResource, type RunOptions, runUnderMocks } from "../render/engine";

/** The SDK's base classes, made concrete for type tokens no SDK class is found for. */
class RawResource extends pulumi.CustomResource {}
class RawProvider extends pulumi.ProviderResource {}

type SdkClass = new (name: string, args: any, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

/** Kubernetes API groups as the SDK names its modules. */
const KUBE_GROUPS: Record<string, string> = {
    "storage.k8s.io": "storage",
    "rbac.authorization.k8s.io": "rbac",
    "networking.k8s.io": "networking",
    "helm.sh": "helm",
    "admissionregistration.k8s.io": "admissionregistration",
};

/** The SDK class of a type token (`aws:efs/accessPoint:AccessPoint` → aws.efs.AccessPoint). */
export function sdkClass(type: string): SdkClass | undefined {
    try {
        if (type === "pulumi:providers:kubernetes") {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            return require("@pulumi/kubernetes").Provider;
        }
        const [pkg, module, name] = type.split(":");
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        let node: any = require(`@pulumi/${pkg}`);
        const parts = pkg === "kubernetes" ? module.split("/").map((p) => KUBE_GROUPS[p] ?? p) : [module.split("/")[0]];
        for (const part of [...parts, name]) {
            node = node?.[part];
        }
        return typeof node === "function" ? (node as SdkClass) : undefined;
    } catch {
        return undefined;
    }
}

/** Registers `resources` again with no program logic (see the file comment). */
export function runRegistrations(resources: readonly RecordedResource[], options: RunOptions = {}): Promise<ProgramRun> {
    return runUnderMocks(() => {
        const made = new Map<string, pulumi.Resource>();
        for (const r of resources) {
            const parent = r.parent ? made.get(r.parent) : undefined;
            const provider = r.provider ? (made.get(r.provider.split("::").slice(0, -1).join("::")) as pulumi.ProviderResource) : undefined;
            const dependsOn = r.dependencies.map((u) => made.get(u)).filter((d): d is pulumi.Resource => d !== undefined);
            let res: pulumi.Resource;
            const Sdk = r.custom ? sdkClass(r.type) : undefined;
            if (Sdk) {
                res = new Sdk(r.name, r.inputs, { parent, provider, dependsOn });
            } else if (r.type.startsWith("pulumi:providers:")) {
                res = new RawProvider(r.type.split(":")[2], r.name, r.inputs, { parent, dependsOn });
            } else if (r.custom) {
                res = new RawResource(r.type, r.name, r.inputs, { parent, provider, dependsOn });
            } else {
                res = new pulumi.ComponentResource(r.type, r.name, {}, { parent, dependsOn });
            }
            made.set(r.urn, res);
        }
        return {};
    }, options);
}

