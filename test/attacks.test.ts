/**
 * The attack catalogue (issue 9): each thing a student with `edit` in their namespace and kubectl could try,
 * the control that must stop it, and proof — read from the rendered objects of every stack — that the control
 * is deployed and would apply to that attack. README "Security model" is the prose version of this table.
 *
 * Independent evaluators, written here from the API documents rather than taken from the code under test:
 * - NetworkPolicy (https://kubernetes.io/docs/concepts/services-networking/network-policies/): a pod no
 *   policy selects for a direction is unrestricted; once selected, traffic is allowed iff some rule of some
 *   selecting policy matches. An empty or absent `to`/`from` matches every peer; a peer with only
 *   podSelector means pods of the policy's namespace; only namespaceSelector, every pod of matching
 *   namespaces; both, matching pods in matching namespaces; ipBlock, addresses in `cidr` and not in `except`.
 *   Absent `ports` match every port; a port entry's protocol defaults to TCP.
 * - Label selectors (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors):
 *   matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist) are ANDed; an empty selector matches all.
 * - The ValidatingAdmissionPolicy volume rule: the variable `volumes` must be exactly the expression written
 *   here (POD_VOLUMES_CEL: the pod's or the pod template's volumes per resource), and the validation only the
 *   exact shape `variables.volumes.all(v, !has(v.A) && !has(v.B) ...)` (anything else fails the test),
 *   evaluated with CEL's semantics for it: has() is field presence, all() is true for an empty list.
 *   (https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/, "Variable
 *   composition"; https://github.com/google/cel-spec/blob/master/doc/langdef.md, "Macros".)
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

import { podSecurityRestrictedViolations } from "../components/podSecurity";
import type { ProgramRun } from "../render/engine";
import { kobj, kubeObjects, ofType, runStack } from "./helpers";

const STACKS = ["gke", "eks", "kind"] as const;
type Stack = (typeof STACKS)[number];
const APPS = {
    studentApps: true,
    demos: { chatroulette: { frontImage: "registry.example/front:1.0", backImage: "registry.example/back:1.0" } },
};

// ---------------------------------------------------------------------------------------------
// Evaluators

type Labels = Record<string, string>;
interface Selector {
    matchLabels?: Labels;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

function selects(sel: Selector | undefined, labels: Labels): boolean {
    if (sel === undefined) {
        return true;
    }
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
        if (labels[k] !== v) {
            return false;
        }
    }
    for (const e of sel.matchExpressions ?? []) {
        const has = e.key in labels;
        const ok =
            e.operator === "Exists" ? has
            : e.operator === "DoesNotExist" ? !has
            : e.operator === "In" ? has && (e.values ?? []).includes(labels[e.key])
            : e.operator === "NotIn" ? !has || !(e.values ?? []).includes(labels[e.key])
            : assert.fail(`unknown selector operator ${e.operator}`);
        if (!ok) {
            return false;
        }
    }
    return true;
}

function ipToNumber(ip: string): number {
    return ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
}
function inCidr(ip: string, cidr: string): boolean {
    const [base, bits] = cidr.split("/");
    const size = 2 ** (32 - Number(bits));
    const start = ipToNumber(base) - (ipToNumber(base) % size);
    const n = ipToNumber(ip);
    return n >= start && n < start + size;
}

/** One end of a connection: a pod (namespace + labels + IP) or an address outside the cluster. */
interface Endpoint {
    ip: string;
    pod?: { namespace: string; namespaceLabels: Labels; labels: Labels };
}

function peerMatches(peer: Record<string, any>, policyNamespace: string, other: Endpoint): boolean {
    if (peer.ipBlock) {
        if (peer.ipBlock.cidr.includes(":")) {
            return false; // an IPv6 block never matches the IPv4 endpoints used here
        }
        // Conservative: ipBlock is applied to pod addresses too (implementations may or may not).
        return inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c: string) => inCidr(other.ip, c));
    }
    if (!other.pod) {
        return false;
    }
    const nsOk = peer.namespaceSelector
        ? selects(peer.namespaceSelector, other.pod.namespaceLabels)
        : other.pod.namespace === policyNamespace;
    return nsOk && selects(peer.podSelector, other.pod.labels);
}

/**
 * A rule's ports: absent or empty matches every port; protocol defaults to TCP; `port` absent matches every
 * port of the protocol, `endPort` makes it a range, and a named port (a string) may be any number: counted
 * as matching (so a wrong policy that names ports is never taken for a denying one).
 */
function portMatches(ports: { protocol?: string; port?: number | string; endPort?: number }[] | undefined, port: number, protocol: string): boolean {
    return (
        !ports ||
        ports.length === 0 ||
        ports.some(
            (p) =>
                (p.protocol ?? "TCP") === protocol &&
                (p.port === undefined ||
                    typeof p.port === "string" ||
                    (p.endPort === undefined ? p.port === port : port >= p.port && port <= p.endPort)),
        )
    );
}

/** policyTypes, or its default: Ingress always, Egress when the policy has egress rules (API reference). */
function policyTypes(spec: Record<string, any>): string[] {
    return spec.policyTypes ?? ["Ingress", ...(spec.egress ? ["Egress"] : [])];
}

/** Whether `policies` (all NetworkPolicies of the cluster) let `from` open `port/protocol` to `to`. */
function allowed(policies: Record<string, any>[], from: Endpoint, to: Endpoint, port: number, protocol = "TCP"): boolean {
    const direction = (self: Endpoint, other: Endpoint, type: "Egress" | "Ingress"): boolean => {
        if (!self.pod) {
            return true; // not a pod: no NetworkPolicy applies to it
        }
        const selecting = policies.filter(
            (p) =>
                p.metadata.namespace === self.pod!.namespace &&
                selects(p.spec.podSelector, self.pod!.labels) &&
                policyTypes(p.spec).includes(type),
        );
        if (selecting.length === 0) {
            return true;
        }
        const rulesKey = type === "Egress" ? "egress" : "ingress";
        const peersKey = type === "Egress" ? "to" : "from";
        return selecting.some((p) =>
            (p.spec[rulesKey] ?? []).some(
                (rule: any) =>
                    portMatches(rule.ports, port, protocol) &&
                    (!rule[peersKey] || rule[peersKey].length === 0 || rule[peersKey].some((peer: any) => peerMatches(peer, p.metadata.namespace, other))),
            ),
        );
    };
    return direction(from, to, "Egress") && direction(to, from, "Ingress");
}

/** The denied volume fields of the rendered policy, or a failure if the CEL is not of the one known shape. */
function celDeniedVolumeFields(expression: string): string[] {
    const m = /^variables\.volumes\.all\(v, (.+)\)$/.exec(expression);
    assert.ok(m, `unexpected CEL shape: ${expression}`);
    return m[1].split(" && ").map((term) => {
        const t = /^!has\(v\.([A-Za-z]+)\)$/.exec(term);
        assert.ok(t, `unexpected CEL term: ${term}`);
        return t[1];
    });
}

/**
 * The variable `volumes` the policy must define, written out here: the pod's volumes for pods, the job
 * template's pod template's for cronjobs, the pod template's for every other workload.
 */
const POD_VOLUMES_CEL =
    "request.resource.resource == 'pods' ? (has(object.spec.volumes) ? object.spec.volumes : []) : " +
    "request.resource.resource == 'cronjobs' ? " +
    "(has(object.spec.jobTemplate.spec.template.spec.volumes) ? object.spec.jobTemplate.spec.template.spec.volumes : []) : " +
    "(has(object.spec.template.spec.volumes) ? object.spec.template.spec.volumes : [])";

/** Every workload `edit` may create (kubernetes bootstrappolicy testdata/cluster-roles.yaml, system:aggregate-to-edit). */
const WORKLOADS: Record<string, { group: string; resource: string; podSpec: (o: Record<string, any>) => Record<string, any> }> = {
    Pod: { group: "", resource: "pods", podSpec: (o) => o.spec },
    ReplicationController: { group: "", resource: "replicationcontrollers", podSpec: (o) => o.spec.template.spec },
    Deployment: { group: "apps", resource: "deployments", podSpec: (o) => o.spec.template.spec },
    ReplicaSet: { group: "apps", resource: "replicasets", podSpec: (o) => o.spec.template.spec },
    StatefulSet: { group: "apps", resource: "statefulsets", podSpec: (o) => o.spec.template.spec },
    DaemonSet: { group: "apps", resource: "daemonsets", podSpec: (o) => o.spec.template.spec },
    Job: { group: "batch", resource: "jobs", podSpec: (o) => o.spec.template.spec },
    CronJob: { group: "batch", resource: "cronjobs", podSpec: (o) => o.spec.jobTemplate.spec.template.spec },
};

/** `kind` wrapping a pod spec the way that workload holds it. */
function wrap(kind: string, podSpec: Record<string, any>): Record<string, any> {
    const template = { template: { spec: podSpec } };
    return kind === "Pod" ? { spec: podSpec } : kind === "CronJob" ? { spec: { jobTemplate: { spec: template } } } : { spec: template };
}

/** CEL evaluation of that rule on a pod spec. */
function volumeRuleAdmits(expression: string, podSpec: Record<string, any>): boolean {
    const denied = celDeniedVolumeFields(expression);
    return (podSpec.volumes ?? []).every((v: Record<string, unknown>) => denied.every((f) => !(f in v)));
}

// ---------------------------------------------------------------------------------------------
// Fixtures written down here

/** Volume sources a student may use (issue 9): data of their own namespace, or scratch. */
const SAFE = ["configMap", "secret", "downwardAPI", "projected", "emptyDir", "persistentVolumeClaim", "ephemeral"];

/** Every volume source of core/v1 Volume, read from @pulumi/kubernetes's generated types. */
function apiVolumeSources(): string[] {
    const file = path.join(require.resolve("@pulumi/kubernetes/package.json"), "..", "types", "input.d.ts");
    const text = fs.readFileSync(file, "utf8");
    const start = text.indexOf("        interface Volume {");
    assert.ok(start > 0);
    const body = text.slice(start, text.indexOf("\n        }", start));
    const fields = [...body.matchAll(/^ {12}([A-Za-z]+)\??:/gm)].map((m) => m[1]).filter((f) => f !== "name");
    assert.ok(fields.includes("persistentVolumeClaim") && fields.includes("nfs"), "parsed the core/v1 Volume type");
    return fields;
}

/** A pod the student might submit, compliant with restricted except for what `patch` changes. */
function hostile(patch: (spec: Record<string, any>) => void): Record<string, any> {
    const spec: Record<string, any> = {
        securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
            { name: "x", image: "busybox:1.37.0", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } },
        ],
        volumes: [{ name: "scratch", emptyDir: {} }],
    };
    patch(spec);
    return spec;
}

// ---------------------------------------------------------------------------------------------
// The checker itself, against hostile specs (one rule each) and a compliant one.

describe("podSecurityRestrictedViolations (Pod Security Standards, restricted)", () => {
    const cases: [string, (s: Record<string, any>) => void, string][] = [
        ["inline nfs volume", (s) => s.volumes.push({ name: "n", nfs: { server: "10.0.0.2", path: "/" } }), "restrictedVolumes"],
        ["hostPath volume", (s) => s.volumes.push({ name: "h", hostPath: { path: "/" } }), "hostPathVolumes"],
        ["privileged container", (s) => (s.containers[0].securityContext.privileged = true), "privileged"],
        ["hostNetwork", (s) => (s.hostNetwork = true), "hostNamespaces"],
        ["hostPID", (s) => (s.hostPID = true), "hostNamespaces"],
        ["hostPort", (s) => (s.containers[0].ports = [{ containerPort: 80, hostPort: 80 }]), "hostPorts"],
        ["runAsUser 0", (s) => (s.securityContext.runAsUser = 0), "runAsUser"],
        ["runAsNonRoot false on a container", (s) => (s.containers[0].securityContext.runAsNonRoot = false), "runAsNonRoot"],
        ["no runAsNonRoot anywhere", (s) => delete s.securityContext.runAsNonRoot, "runAsNonRoot"],
        ["privilege escalation unset", (s) => delete s.containers[0].securityContext.allowPrivilegeEscalation, "allowPrivilegeEscalation"],
        ["capabilities not dropped", (s) => delete s.containers[0].securityContext.capabilities, "capabilities"],
        ["SYS_ADMIN added", (s) => (s.containers[0].securityContext.capabilities.add = ["SYS_ADMIN"]), "capabilities"],
        ["seccomp Unconfined", (s) => (s.securityContext.seccompProfile = { type: "Unconfined" }), "seccompProfile"],
        ["no seccomp", (s) => delete s.securityContext.seccompProfile, "seccompProfile"],
        ["unsafe sysctl", (s) => (s.securityContext.sysctls = [{ name: "kernel.msgmax", value: "1" }]), "sysctls"],
        ["procMount Unmasked", (s) => (s.containers[0].securityContext.procMount = "Unmasked"), "procMount"],
        ["AppArmor Unconfined", (s) => (s.securityContext.appArmorProfile = { type: "Unconfined" }), "appArmorProfile"],
        ["SELinux custom user", (s) => (s.securityContext.seLinuxOptions = { user: "system_u" }), "seLinuxOptions"],
        ["root init container", (s) => (s.initContainers = [{ ...s.containers[0], name: "i", securityContext: { ...s.containers[0].securityContext, runAsUser: 0 } }]), "runAsUser"],
    ];
    it("admits the compliant pod", () => {
        assert.deepStrictEqual(podSecurityRestrictedViolations(hostile(() => undefined)), []);
    });
    for (const [what, patch, check] of cases) {
        it(`refuses: ${what} (${check})`, () => {
            const checks = podSecurityRestrictedViolations(hostile(patch)).map((v) => v.check);
            assert.ok(checks.includes(check), `${what}: got ${JSON.stringify(checks)}`);
        });
    }
    it("admits an inline csi volume (restricted allows csi: the admission policy must refuse it)", () => {
        const spec = hostile((s) => s.volumes.push({ name: "c", csi: { driver: "nfs.csi.k8s.io", volumeAttributes: { server: "x", share: "/" } } }));
        assert.deepStrictEqual(podSecurityRestrictedViolations(spec), []);
    });
});

// ---------------------------------------------------------------------------------------------
// The catalogue, per stack.

interface Ctx {
    stack: Stack;
    run: ProgramRun;
    policies: Record<string, any>[];
    /** A pod of the student's own app, in student-ada. */
    ada: Endpoint;
    bob: Endpoint;
}

function nsLabels(run: ProgramRun, ns: string): Labels {
    const found = kubeObjects(run).find((o) => o.kind === "Namespace" && o.metadata.name === ns);
    // Every namespace carries kubernetes.io/metadata.name (set by the API server since 1.22).
    return { ...(found?.metadata.labels ?? {}), "kubernetes.io/metadata.name": ns };
}

function studentPod(run: ProgramRun, student: string, ip: string): Endpoint {
    const ns = `student-${student}`;
    const back = kobj(run, "Deployment", "back", ns);
    return { ip, pod: { namespace: ns, namespaceLabels: nsLabels(run, ns), labels: back.spec.template.metadata.labels } };
}

function vap(run: ProgramRun, name: string): { policy: Record<string, any>; binding: Record<string, any> } {
    return {
        policy: kobj(run, "ValidatingAdmissionPolicy", name),
        binding: kobj(run, "ValidatingAdmissionPolicyBinding", name),
    };
}

/** Whether a policy's resourceRules match a CREATE of `group/resource` (v1). */
function matchesCreate(policy: Record<string, any>, group: string, resource: string, operation = "CREATE"): boolean {
    return (policy.spec.matchConstraints.resourceRules as any[]).some(
        (r) =>
            r.apiGroups.includes(group) &&
            r.resources.includes(resource) &&
            (r.apiVersions.includes("v1") || r.apiVersions.includes("*")) &&
            (r.operations.includes(operation) || r.operations.includes("*")),
    );
}

/** Asserts a policy is bound to Deny in student-ada (not kube-system), fails closed, and has one validation. */
function boundToStudents(c: Ctx, name: string, ns = "student-ada"): Record<string, any> {
    const { policy, binding } = vap(c.run, name);
    assert.deepStrictEqual(binding.spec.policyName, policy.metadata.name);
    assert.deepStrictEqual(binding.spec.validationActions, ["Deny"]);
    assert.ok(selects(binding.spec.matchResources.namespaceSelector, nsLabels(c.run, ns)), "binding selects the student namespace");
    assert.ok(!selects(binding.spec.matchResources.namespaceSelector, nsLabels(c.run, "kube-system")), "and not system namespaces");
    assert.strictEqual(policy.spec.failurePolicy, "Fail");
    assert.strictEqual(policy.spec.validations.length, 1);
    return policy;
}

/**
 * Asserts the volume policy is bound to Deny in student-ada on pods and every workload's pod template
 * (CREATE and UPDATE), with exactly the `volumes` variable written here, and returns its validation CEL.
 */
function volumePolicyOn(c: Ctx, ns = "student-ada"): string {
    const policy = boundToStudents(c, "kvl-student-pod-volumes", ns);
    for (const w of Object.values(WORKLOADS)) {
        for (const op of ["CREATE", "UPDATE"]) {
            assert.ok(matchesCreate(policy, w.group, w.resource, op), `${op} ${w.group}/${w.resource}`);
        }
    }
    assert.deepStrictEqual(policy.spec.variables, [{ name: "volumes", expression: POD_VOLUMES_CEL }]);
    assert.strictEqual(policy.spec.matchConditions, undefined, "no condition lets a request skip the rule");
    return policy.spec.validations[0].expression;
}

function restrictedEnforced(c: Ctx, ns = "student-ada"): void {
    assert.strictEqual(nsLabels(c.run, ns)["pod-security.kubernetes.io/enforce"], "restricted");
}

function quota(c: Ctx, ns = "student-ada"): Record<string, string> {
    return kobj(c.run, "ResourceQuota", "student-quota", ns).spec.hard;
}

/**
 * Pod addresses per stack: GKE's default pods range (config gke.network.podsCidr 10.20.0.0/14), EKS pods take
 * VPC addresses (VPC CNI; default eks.vpc.cidr 10.0.0.0/16), kind's default pod subnet 10.244.0.0/16.
 */
const POD_IPS: Record<Stack, [string, string]> = {
    gke: ["10.20.1.5", "10.20.2.6"],
    eks: ["10.0.1.5", "10.0.2.6"],
    kind: ["10.244.1.5", "10.244.2.6"],
};

/** Classes each platform's students must not claim, at least (issue 9: the Filestore tiers on GKE). */
const EXPENSIVE: Record<Stack, string[]> = {
    gke: ["premium-rwx", "enterprise-rwx", "zonal-rwx"],
    eks: [],
    kind: [],
};

/** The address of the storage server holding every home, as the rendered stack gives it. */
function storageServer(c: Ctx): Endpoint {
    if (c.stack === "gke") {
        return { ip: kobj(c.run, "PersistentVolume", "kvl-home-ada").spec.nfs.server };
    }
    if (c.stack === "eks") {
        // A mount target holds an address of its subnet; take the first host of the first subnet.
        const subnet = ofType(c.run, "aws:ec2/subnet:Subnet")[0].inputs.cidrBlock as string;
        const [a, b, cc, d] = subnet.split("/")[0].split(".").map(Number);
        return { ip: `${a}.${b}.${cc}.${d + 10}` };
    }
    // kind: the in-cluster NFS server pod (kind's default pod subnet is 10.244.0.0/16, kind docs "Configuration").
    const server = kubeObjects(c.run).find((o) => o.kind === "Deployment" && o.metadata.name === "nfs-server");
    assert.ok(server, "the kind stack runs the in-cluster NFS server");
    const ns = server.metadata.namespace as string;
    return { ip: "10.244.1.7", pod: { namespace: ns, namespaceLabels: nsLabels(c.run, ns), labels: server.spec.template.metadata.labels } };
}

/**
 * ClusterIPs per stack (their defaults): kind's service subnet 10.96.0.0/16 (kubernetes-sigs/kind
 * pkg/apis/config/v1alpha4/default.go), GKE's configured services range (gke.network.servicesCidr default
 * 10.24.0.0/20), EKS's 10.100.0.0/16 or 172.20.0.0/16 (EKS API reference, serviceIpv4Cidr). The first is the
 * API server's `kubernetes` Service, the second another Service (the kind NFS server's, on kind).
 */
const SERVICE_IPS: Record<Stack, string[]> = {
    gke: ["10.24.0.1", "10.24.3.7"],
    eks: ["10.100.0.1", "172.20.0.1"],
    kind: ["10.96.0.1", "10.96.113.20"],
};

/** The two match conditions the NetworkPolicy rule must have, written out here. */
const NETWORK_POLICY_CONDITIONS = [
    {
        name: "not-an-admin",
        expression:
            "!authorizer.group('admissionregistration.k8s.io').resource('validatingadmissionpolicies')" +
            ".name('kvl-student-network-policies').check('delete').allowed()",
    },
    { name: "namespace-not-terminating", expression: "!has(namespaceObject.metadata.deletionTimestamp)" },
];

/** Thrown by a row whose control (owned by a platform) is not rendered yet: the row is reported pending. */
class Pending extends Error {}
function pending(why: string): never {
    throw new Pending(why);
}

/** Each row: the attack, the control that stops it, and the proof. */
interface Row {
    attack: string;
    control: string;
    prove: (c: Ctx) => void;
}

const ROWS: Row[] = [
    {
        attack: "pod with an inline nfs volume on the storage server's export",
        control: "Pod Security restricted (restrictedVolumes) and the kvl-student-pod-volumes admission policy",
        prove: (c) => {
            restrictedEnforced(c);
            const spec = hostile((s) => s.volumes.push({ name: "all", nfs: { server: storageServer(c).ip, path: "/" } }));
            assert.ok(podSecurityRestrictedViolations(spec).some((v) => v.check === "restrictedVolumes"));
            assert.strictEqual(volumeRuleAdmits(volumePolicyOn(c), spec), false);
        },
    },
    {
        attack: "pod with a hostPath volume of the node's /",
        control: "Pod Security restricted (hostPathVolumes) and the admission policy",
        prove: (c) => {
            restrictedEnforced(c);
            const spec = hostile((s) => s.volumes.push({ name: "root", hostPath: { path: "/" } }));
            assert.ok(podSecurityRestrictedViolations(spec).some((v) => v.check === "hostPathVolumes"));
            assert.strictEqual(volumeRuleAdmits(volumePolicyOn(c), spec), false);
        },
    },
    {
        attack: "pod with an inline csi volume (nfs.csi.k8s.io / efs.csi.aws.com / filestore) naming another export",
        control: "the kvl-student-pod-volumes admission policy (restricted admits csi)",
        prove: (c) => {
            for (const driver of ["nfs.csi.k8s.io", "efs.csi.aws.com", "filestore.csi.storage.gke.io"]) {
                const spec = hostile((s) => s.volumes.push({ name: "c", csi: { driver, volumeAttributes: { server: storageServer(c).ip, share: "/" } } }));
                assert.strictEqual(volumeRuleAdmits(volumePolicyOn(c), spec), false, driver);
            }
        },
    },
    {
        attack: "a Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job or CronJob whose pod template mounts an inline nfs or csi volume",
        control: "the kvl-student-pod-volumes admission policy reads every workload's pod template: refused at apply, not later by the controller",
        prove: (c) => {
            const expression = volumePolicyOn(c); // asserts CREATE and UPDATE of every workload are matched
            for (const [kind, w] of Object.entries(WORKLOADS)) {
                for (const volume of [
                    { name: "all", nfs: { server: storageServer(c).ip, path: "/" } },
                    { name: "all", csi: { driver: "nfs.csi.k8s.io", volumeAttributes: { server: storageServer(c).ip, share: "/" } } },
                ]) {
                    const spec = hostile((s) => s.volumes.push(volume));
                    assert.strictEqual(volumeRuleAdmits(expression, w.podSpec(wrap(kind, spec))), false, kind);
                }
            }
        },
    },
    {
        attack: "privileged pod",
        control: "Pod Security restricted (privileged)",
        prove: (c) => {
            restrictedEnforced(c);
            const spec = hostile((s) => (s.containers[0].securityContext.privileged = true));
            assert.ok(podSecurityRestrictedViolations(spec).some((v) => v.check === "privileged"));
        },
    },
    {
        attack: "root container (runAsUser 0, to read any home over a mounted share)",
        control: "Pod Security restricted (runAsNonRoot, runAsUser)",
        prove: (c) => {
            restrictedEnforced(c);
            const spec = hostile((s) => {
                s.securityContext.runAsUser = 0;
                s.securityContext.runAsNonRoot = false;
            });
            const checks = podSecurityRestrictedViolations(spec).map((v) => v.check);
            assert.ok(checks.includes("runAsUser") && checks.includes("runAsNonRoot"), JSON.stringify(checks));
        },
    },
    {
        attack: "Service with externalIPs (CVE-2020-8554, intercept another address's traffic)",
        control: "the kvl-student-service-external-ips admission policy",
        prove: (c) => {
            const { policy, binding } = vap(c.run, "kvl-student-service-external-ips");
            assert.deepStrictEqual(binding.spec.validationActions, ["Deny"]);
            assert.ok(selects(binding.spec.matchResources.namespaceSelector, nsLabels(c.run, "student-ada")));
            assert.deepStrictEqual(policy.spec.matchConstraints.resourceRules[0].resources, ["services"]);
            assert.strictEqual(policy.spec.validations[0].expression, "!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0");
        },
    },
    {
        attack: "Service of type LoadBalancer (a billed public load balancer)",
        control: "ResourceQuota services.loadbalancers: 0",
        prove: (c) => assert.strictEqual(quota(c)["services.loadbalancers"], "0"),
    },
    {
        attack: "Ingress (on GKE a billed, public HTTP(S) load balancer made by the built-in ingress controller)",
        control: "ResourceQuota count/ingresses.networking.k8s.io: 0",
        prove: (c) => assert.strictEqual(quota(c)["count/ingresses.networking.k8s.io"], "0"),
    },
    {
        attack: "fill the cluster's etcd with ConfigMaps, Secrets or Services (up to 1 MiB each)",
        control: "ResourceQuota object counts (configmaps, secrets, services)",
        prove: (c) => {
            const hard = quota(c);
            for (const key of ["configmaps", "secrets", "services"]) {
                assert.ok(Number(hard[key]) > 0 && Number(hard[key]) <= 100, `${key}: ${hard[key]}`);
            }
            // and no more than what the requests and limits already bound, for compute
            for (const key of ["requests.cpu", "limits.cpu", "requests.memory", "limits.memory", "pods"]) {
                assert.ok(hard[key] !== undefined, key);
            }
        },
    },
    {
        attack: "Service of type NodePort (a port on every node)",
        control: "ResourceQuota services.nodeports: 0",
        prove: (c) => assert.strictEqual(quota(c)["services.nodeports"], "0"),
    },
    {
        attack: "claim on an expensive class (GKE premium-rwx: a 2.5 TiB Filestore instance)",
        control: "ResourceQuota <class>.storageclass.storage.k8s.io/persistentvolumeclaims: 0 (the platform's studentDeniedStorageClasses)",
        prove: (c) => {
            const hard = quota(c);
            const missing = EXPENSIVE[c.stack].filter((cls) => hard[`${cls}.storageclass.storage.k8s.io/persistentvolumeclaims`] !== "0");
            if (missing.length > 0 && Object.keys(hard).every((k) => !k.includes(".storageclass."))) {
                pending("the platform has not filled studentDeniedStorageClasses yet");
            }
            assert.deepStrictEqual(missing, []);
        },
    },
    {
        attack: "egress to the storage server (a user-space NFS client)",
        control: "NetworkPolicy egress-dns-and-internet-only (private ranges excepted)",
        prove: (c) => {
            const server = storageServer(c);
            for (const port of [2049, 111]) {
                assert.strictEqual(allowed(c.policies, c.ada, server, port), false, `${server.ip}:${port}`);
                assert.strictEqual(allowed(c.policies, c.ada, server, port, "UDP"), false, `${server.ip}:${port}/UDP`);
            }
        },
    },
    {
        attack: "egress to the node metadata endpoint 169.254.169.254 (node credentials), GKE's metadata server 169.254.169.252:988, the EKS Pod Identity agent 169.254.170.23",
        control: "NetworkPolicy egress-dns-and-internet-only (169.254.0.0/16 excepted); IPv6 (EC2's fd00:ec2::254) matches no rule",
        prove: (c) => {
            assert.strictEqual(allowed(c.policies, c.ada, { ip: "169.254.169.254" }, 80), false);
            assert.strictEqual(allowed(c.policies, c.ada, { ip: "169.254.169.252" }, 988), false);
            assert.strictEqual(allowed(c.policies, c.ada, { ip: "169.254.170.23" }, 80), false);
            const egress = c.policies.find((p) => p.metadata.name === "egress-dns-and-internet-only" && p.metadata.namespace === "student-ada")!;
            const blocks = egress.spec.egress.flatMap((r: any) => (r.to ?? []).filter((t: any) => t.ipBlock).map((t: any) => t.ipBlock.cidr));
            assert.deepStrictEqual(blocks, ["0.0.0.0/0"], "no IPv6 block, so IPv6 egress is denied");
        },
    },
    {
        attack: "egress to a ClusterIP (the API server's, the kind NFS server's Service), before or after the Service's DNAT",
        control: "NetworkPolicy egress-dns-and-internet-only: the service range and the backend pods' range are both excepted",
        prove: (c) => {
            for (const ip of SERVICE_IPS[c.stack]) {
                for (const port of [443, 2049]) {
                    assert.strictEqual(allowed(c.policies, c.ada, { ip }, port), false, `${ip}:${port}`);
                }
            }
        },
    },
    {
        attack: "a NetworkPolicy of their own allowing all egress (policies add up), or deleting the namespace's policies",
        control:
            "the kvl-student-network-policies admission policy: NetworkPolicy CREATE, UPDATE and DELETE refused in student " +
            "namespaces unless the requester may delete that admission policy (admins, the namespace controller)",
        prove: (c) => {
            // Why it matters: with one more policy in ada's namespace, the metadata endpoint is reachable.
            const opened = [...c.policies, { metadata: { name: "mine", namespace: "student-ada" }, spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{}] } }];
            assert.strictEqual(allowed(opened, c.ada, { ip: "169.254.169.254" }, 80), true, "the evaluator sees the threat");
            const policy = boundToStudents(c, "kvl-student-network-policies");
            for (const op of ["CREATE", "UPDATE", "DELETE"]) {
                assert.ok(matchesCreate(policy, "networking.k8s.io", "networkpolicies", op), op);
            }
            assert.strictEqual(policy.spec.validations[0].expression, "false");
            assert.deepStrictEqual(policy.spec.matchConditions, NETWORK_POLICY_CONDITIONS);
        },
    },
    {
        attack: "cross-namespace traffic to another student's app",
        control: "NetworkPolicies deny-from-other-namespaces (ingress) and egress-dns-and-internet-only",
        prove: (c) => {
            assert.strictEqual(allowed(c.policies, c.bob, c.ada, 3000), false, "bob → ada");
            assert.strictEqual(allowed(c.policies, c.ada, c.bob, 3000), false, "ada → bob");
            // a pod of another (non-student) namespace cannot reach ada either
            const other: Endpoint = { ip: "10.20.9.9", pod: { namespace: "default", namespaceLabels: nsLabels(c.run, "default"), labels: {} } };
            assert.strictEqual(allowed(c.policies, other, c.ada, 3000), false, "default → ada");
        },
    },
    {
        attack: "claim pre-bound (volumeName) to another student's PersistentVolume",
        control:
            "every static home PV carries a claimRef naming its own student's namespace/home; the PV controller leaves a claim " +
            "naming a PV bound to a different claim Pending (kubernetes pkg/controller/volume/persistentvolume/pv_controller.go, " +
            "syncUnboundClaim: \"volume already bound to a different claim\"); students cannot create or edit PVs (cluster-scoped)",
        prove: (c) => {
            const pvs = kubeObjects(c.run).filter((o) => o.kind === "PersistentVolume" && o.metadata.name.startsWith("kvl-home-"));
            if (c.stack === "kind") {
                // dynamic claims: the provisioner creates each PV already bound to its claim
                assert.strictEqual(pvs.length, 0);
                assert.strictEqual(kobj(c.run, "PersistentVolumeClaim", "home", "student-ada").spec.volumeName, undefined);
                return;
            }
            assert.strictEqual(pvs.length, 2);
            for (const s of ["ada", "bob"]) {
                const pv = kobj(c.run, "PersistentVolume", `kvl-home-${s}`);
                assert.deepStrictEqual(pv.spec.claimRef, { namespace: `student-${s}`, name: "home" });
            }
        },
    },
    {
        attack: "edit the own namespace's labels (drop Pod Security or the student label the policies match)",
        control: "RBAC: `edit` is bound by a RoleBinding in the namespace; Namespace objects are cluster-scoped",
        prove: (c) => {
            assert.strictEqual(kubeObjects(c.run).filter((o) => o.kind === "ClusterRoleBinding").length, 0);
            const rb = kobj(c.run, "RoleBinding", "student-edit", "student-ada");
            assert.deepStrictEqual(rb.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" });
        },
    },
];

/** Storage locks the platform owners add; asserted when rendered, pending otherwise. */
const STORAGE_LOCKS: Record<Stack, Row> = {
    eks: {
        attack: "anonymous or pod-credential mount of the whole EFS file system",
        control: "EFS FileSystemPolicy (mount/write only for the node role, over TLS) and `iam` in the PV mount options",
        prove: (c) => {
            const policies = ofType(c.run, "aws:efs/fileSystemPolicy:FileSystemPolicy");
            if (policies.length === 0) {
                pending("no EFS FileSystemPolicy rendered yet (EKS platform)");
            }
            // Evaluated as IAM would for an anonymous client (a pod with no credentials of the node role): only
            // statements whose principal is "*" can apply to it, and none of those may Allow.
            const doc = JSON.parse(policies[0].inputs.policy);
            const statements: any[] = doc.Statement;
            const nodeRole = ofType(c.run, "aws:iam/role:Role").length > 0;
            assert.ok(nodeRole);
            for (const st of statements.filter((x) => x.Effect === "Allow")) {
                assert.notStrictEqual(st.Principal, "*", JSON.stringify(st));
                assert.notStrictEqual(st.Principal?.AWS, "*", JSON.stringify(st));
                assert.strictEqual(st.Condition?.Bool?.["aws:SecureTransport"], "true", JSON.stringify(st));
            }
            assert.ok(statements.some((x) => x.Effect === "Allow" && [x.Action].flat().includes("elasticfilesystem:ClientMount")));
            const pv = kobj(c.run, "PersistentVolume", "kvl-home-ada");
            assert.ok((pv.spec.mountOptions ?? []).includes("iam"), JSON.stringify(pv.spec.mountOptions));
        },
    },
    gke: {
        attack: "NFS mount of the homes Filestore share from a pod address",
        control: "Filestore nfsExportOptions: only the node subnet may mount",
        prove: (c) => {
            const homes = ofType(c.run, "gcp:filestore/instance:Instance").find((i) => i.name.endsWith("-homes"));
            assert.ok(homes, "the homes instance");
            const opts = homes.inputs.fileShares?.nfsExportOptions;
            if (opts === undefined) {
                pending("no nfsExportOptions on the homes instance yet (GKE platform)");
            }
            const pods = c.run.resources.find((r) => r.type === "gcp:compute/subnetwork:Subnetwork")?.inputs.secondaryIpRanges?.find((s: any) => s.rangeName === "pods")?.ipCidrRange;
            for (const o of opts) {
                assert.ok(!o.ipRanges.includes("0.0.0.0/0"), JSON.stringify(o));
                if (pods) {
                    assert.ok(!o.ipRanges.includes(pods), `the pods range ${pods} may not mount`);
                }
            }
        },
    },
    kind: {
        attack: "NFS mount of the in-cluster server's export from a student pod",
        control: "NetworkPolicy on the NFS server's namespace (and restricted exports)",
        prove: (c) => {
            const server = storageServer(c);
            const own = c.policies.filter((p) => p.metadata.namespace === server.pod!.namespace);
            if (own.length === 0) {
                pending("no NetworkPolicy on the NFS server's namespace yet (kind platform)");
            }
            assert.strictEqual(allowed(c.policies, { ip: c.ada.ip }, server, 2049), false, "a student pod address, whatever its own egress");
        },
    },
};

for (const stack of STACKS) {
    describe(`attack catalogue on ${stack}`, () => {
        const c = { stack } as Ctx;
        before(async function () {
            this.timeout(120_000);
            c.run = await runStack(stack, { students: ["ada", "bob"], ...APPS });
            c.policies = kubeObjects(c.run).filter((o) => o.kind === "NetworkPolicy");
            c.ada = studentPod(c.run, "ada", POD_IPS[stack][0]);
            c.bob = studentPod(c.run, "bob", POD_IPS[stack][1]);
        });

        it("the evaluators are not trivially denying: what a student legitimately needs is allowed", () => {
            const peer: Endpoint = { ip: "10.20.1.9", pod: { ...c.ada.pod!, labels: { app: "chatroulette-front" } } };
            assert.ok(allowed(c.policies, peer, c.ada, 3000), "same namespace");
            const dns: Endpoint = { ip: "10.20.0.10", pod: { namespace: "kube-system", namespaceLabels: nsLabels(c.run, "kube-system"), labels: { "k8s-app": "kube-dns" } } };
            assert.ok(allowed(c.policies, c.ada, dns, 53, "UDP") && allowed(c.policies, c.ada, dns, 53, "TCP"), "cluster DNS");
            assert.ok(!allowed(c.policies, c.ada, dns, 80), "DNS pods on another port");
            assert.ok(!allowed(c.policies, c.ada, { ...dns, pod: { ...dns.pod!, labels: { "k8s-app": "metrics-server" } } }, 53, "UDP"), "other kube-system pods");
            assert.ok(allowed(c.policies, c.ada, { ip: "140.82.112.3" }, 443), "the public internet");
            assert.ok(volumeRuleAdmits(volumePolicyOn(c), hostile((s) => s.volumes.push({ name: "home", persistentVolumeClaim: { claimName: "home" } }))));
        });

        it("the network evaluator is not trivially denying: known-wrong egress policies are seen as open", () => {
            const ns = "student-ada";
            const only = (spec: Record<string, any>) => [{ metadata: { name: "x", namespace: ns }, spec }];
            const meta: Endpoint = { ip: "169.254.169.254" };
            // 0.0.0.0/0 without except
            assert.ok(allowed(only({ podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] }), c.ada, meta, 80));
            // a port range covering 80
            assert.ok(allowed(only({ podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ port: 1, endPort: 65535 }] }] }), c.ada, meta, 80));
            // a named port
            assert.ok(allowed(only({ podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ port: "http" }] }] }), c.ada, meta, 80));
            // policyTypes omitted: egress rules still make it an Egress policy, and an empty rule allows all
            assert.ok(allowed(only({ podSelector: {}, egress: [{}] }), c.ada, meta, 80));
            assert.ok(!allowed(only({ podSelector: {}, egress: [{ to: [{ podSelector: {} }] }] }), c.ada, meta, 80));
            // namespaceSelector {} admits every namespace
            assert.ok(allowed(only({ podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: {} }] }] }), c.bob, c.ada, 3000));
            // a pod no policy selects is open
            assert.ok(allowed(only({ podSelector: { matchLabels: { app: "other" } }, policyTypes: ["Egress"] }), c.ada, meta, 80));
        });

        it("the volume policy denies exactly every non-safe volume source of the API (the exact CEL)", () => {
            const denied = apiVolumeSources().filter((f) => !SAFE.includes(f)).sort();
            assert.ok(denied.includes("csi") && denied.includes("nfs") && denied.includes("hostPath") && denied.includes("image"));
            assert.strictEqual(volumePolicyOn(c), `variables.volumes.all(v, ${denied.map((f) => `!has(v.${f})`).join(" && ")})`);
        });

        it("students' namespaces are created after the admission policies exist", () => {
            const bindings = ofType(c.run, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding").map((b) => b.urn);
            assert.strictEqual(bindings.length, 3);
            for (const s of ["ada", "bob"]) {
                const ns = c.run.resources.find((r) => r.type === "kubernetes:core/v1:Namespace" && r.name === `${s}-ns`)!;
                for (const b of bindings) {
                    assert.ok(ns.dependencies.includes(b), `namespace of ${s} waits for ${b}`);
                }
            }
        });

        it("every pod template in a student namespace passes restricted and the volume policy", () => {
            const studentNs = new Set(
                kubeObjects(c.run).filter((o) => o.kind === "Namespace" && o.metadata.labels?.["kube-volume-lab/student"]).map((o) => o.metadata.name),
            );
            const expression = volumePolicyOn(c);
            const specs = kubeObjects(c.run)
                .filter((o) => studentNs.has(o.metadata?.namespace))
                .map((o) => [o, o.kind === "Pod" ? o.spec : o.kind === "CronJob" ? o.spec.jobTemplate.spec.template.spec : o.spec?.template?.spec] as const)
                .filter(([, spec]) => spec !== undefined);
            assert.strictEqual(specs.length, 4, "front and back for ada and bob");
            for (const [o, spec] of specs) {
                assert.deepStrictEqual(podSecurityRestrictedViolations(spec), [], `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`);
                assert.ok(volumeRuleAdmits(expression, spec));
            }
        });

        for (const row of [...ROWS, STORAGE_LOCKS[stack]]) {
            it(`${row.attack} — stopped by ${row.control}`, function () {
                try {
                    row.prove(c);
                } catch (e) {
                    if (e instanceof Pending) {
                        console.log(`      PENDING: ${e.message}`);
                        this.skip();
                    }
                    throw e;
                }
            });
        }
    });
}

describe("attack: duplicate identities in config", () => {
    const identities: Record<Stack, string> = {
        gke: "ada@example.com",
        eks: "arn:aws:iam::123456789012:role/shared",
        kind: "ada",
    };
    for (const stack of STACKS) {
        it(`${stack}: two students with one identity is a config error naming both — stopped by config validation`, async () => {
            const id = identities[stack];
            await assert.rejects(
                runStack(stack, { students: [{ name: "ada", identity: id }, { name: "eve", identity: id }] }),
                (e: Error) => e.message.includes("students[0]") && e.message.includes("students[1]") && e.message.includes(id),
            );
        });
    }
});

describe("configured denied classes replace the platform's", () => {
    it("quota.deniedStorageClasses puts exactly those classes at 0", async () => {
        const run = await runStack("kind", { students: ["ada"], quota: { deniedStorageClasses: ["gold", "platinum"] } });
        const hard = kobj(run, "ResourceQuota", "student-quota", "student-ada").spec.hard;
        assert.deepStrictEqual(
            Object.keys(hard).filter((k) => k.includes(".storageclass.")).sort(),
            ["gold.storageclass.storage.k8s.io/persistentvolumeclaims", "platinum.storageclass.storage.k8s.io/persistentvolumeclaims"],
        );
        assert.strictEqual(hard["gold.storageclass.storage.k8s.io/persistentvolumeclaims"], "0");
    });
});

describe("the platform's own ranges reach every student's egress rule (Platform.clusterCidrs)", () => {
    const exceptOf = (run: ProgramRun) =>
        kobj(run, "NetworkPolicy", "egress-dns-and-internet-only", "student-ada").spec.egress[2].to[0].ipBlock.except as string[];
    const ALWAYS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"];

    it("eks with an existing VPC: the VPC's own range, read from EC2 (the mock answers 198.18.0.0/16), is excepted", async () => {
        const run = await runStack("eks", {
            students: ["ada"],
            eks: { vpc: { existingVpcId: "vpc-0abc", subnetIds: ["subnet-0a", "subnet-0b"] } },
        });
        assert.deepStrictEqual(exceptOf(run), [...ALWAYS, "198.18.0.0/16"]);
        const pod = studentPodAt(run, "198.18.4.5");
        assert.strictEqual(allowed(kubeObjects(run).filter((o) => o.kind === "NetworkPolicy"), pod, { ip: "198.18.0.10" }, 2049), false);
    });

    it("gke: configured ranges outside private space are excepted, and the homes instance by its address", async () => {
        const run = await runStack("gke", {
            students: ["ada"],
            gke: { network: { subnetCidr: "198.18.0.0/20", podsCidr: "198.19.0.0/16", servicesCidr: "198.18.16.0/20" } },
        });
        assert.deepStrictEqual(exceptOf(run), [...ALWAYS, "198.18.0.0/20", "198.19.0.0/16", "198.18.16.0/20"]);
    });
});

function studentPodAt(run: ProgramRun, ip: string): Endpoint {
    const ns = "student-ada";
    return { ip, pod: { namespace: ns, namespaceLabels: nsLabels(run, ns), labels: { app: "x" } } };
}
