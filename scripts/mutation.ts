/**
 * Mutation testing: proof that the suite fails when a behaviour that matters breaks.
 *
 * Each mutation below is one exact text replacement in one source file: a real change of behaviour
 * (a uid that moves, a rule that no longer refuses, a protection that is gone). For each, this script
 * copies the repository (tracked and untracked-not-ignored files, `git ls-files -co --exclude-standard`)
 * into a temporary directory, applies the mutation there, runs the test files that should catch it
 * with the project's .mocharc, and records `caught` (mocha failed) or `SURVIVED` (every test passed).
 * The work tree is never modified. Exit status 1 when a mutation survived, 2 when the anchors or the
 * unmutated baseline are broken.
 *
 * An anchor that is no longer found exactly once fails the run loudly ("mutation X no longer applies:
 * the anchor text is gone"): when the code moves, move the anchor with it, so the list cannot rot.
 *
 *   npm run mutation                  # every mutation (a few minutes: one mocha run each)
 *   npm run mutation -- --only NAME   # one mutation (repeat --only for several)
 *   npm run mutation -- --list        # names, files, tests, and whether each anchor still applies
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";

const ROOT = path.resolve(__dirname, "..");

export interface Mutation {
    /** Short kebab-case name, for --only. */
    name: string;
    /** The behaviour the mutation breaks. */
    what: string;
    /** File, relative to the repository root. */
    file: string;
    /** Exact text that must occur exactly once in `file`. */
    anchor: string;
    replacement: string;
    /** The narrowest test files expected to catch it. */
    tests: string[];
}

/** Joins source lines, so multi-line anchors keep their indentation visible. */
const lines = (...ls: string[]): string => ls.join("\n");

const CONFIG_TESTS = ["test/config.test.ts"];

export const MUTATIONS: Mutation[] = [
    // --- uid derivation: a change would re-own every home and replace every access point.
    {
        name: "uid-fnv-offset-basis",
        what: "deriveUid: FNV-1a offset basis changed",
        file: "config.ts",
        anchor: "let h = 0x811c9dc5;",
        replacement: "let h = 0x811c9dc6;",
        tests: CONFIG_TESTS,
    },
    {
        name: "uid-fnv-prime",
        what: "deriveUid: FNV-1a prime changed",
        file: "config.ts",
        anchor: "h = Math.imul(h, 0x01000193) >>> 0;",
        replacement: "h = Math.imul(h, 0x01000197) >>> 0;",
        tests: CONFIG_TESTS,
    },
    // --- the program's wiring.
    {
        name: "students-swap-uids",
        what: "index.ts: student i gets student i+1's uid (URNs unchanged)",
        file: "index.ts",
        anchor: lines(
            "const studentEnvs = config.students.map(",
            "    (student) =>",
            "        [",
            "            student.name,",
            "            new StudentEnvironment(",
            "                student.name,",
            "                {",
            "                    studentName: student.name,",
            "                    uid: student.uid,",
        ),
        replacement: lines(
            "const studentEnvs = config.students.map(",
            "    (student, i, all) =>",
            "        [",
            "            student.name,",
            "            new StudentEnvironment(",
            "                student.name,",
            "                {",
            "                    studentName: student.name,",
            "                    uid: all[(i + 1) % all.length].uid,",
        ),
        tests: ["test/students.test.ts"],
    },
    {
        name: "provider-dropped",
        what: "index.ts: the explicit Kubernetes provider is no longer passed to the components",
        file: "index.ts",
        anchor: "    providers: { kubernetes: platform.provider },\n",
        replacement: "",
        tests: ["test/program.test.ts"],
    },
    // --- protection of the file systems holding students' data.
    {
        name: "eks-efs-protect-dropped",
        what: "platforms/eks.ts: the EFS file system loses protect",
        file: "platforms/eks.ts",
        anchor: "{ parent: this, protect: cfg.efs.protect },",
        replacement: "{ parent: this },",
        tests: ["test/program.test.ts"],
    },
    {
        name: "gke-homes-protect-dropped",
        what: "platforms/gke.ts: the homes Filestore instance loses protect",
        file: "platforms/gke.ts",
        anchor: "{ parent: this, dependsOn: apis, protect: cfg.studentFilestore.protect },",
        replacement: "{ parent: this, dependsOn: apis },",
        tests: ["test/program.test.ts"],
    },
    {
        name: "eks-home-pv-delete",
        what: "platforms/eks.ts: a student's home PV is Delete instead of Retain",
        file: "platforms/eks.ts",
        anchor: lines('                            persistentVolumeReclaimPolicy: "Retain",', "                            storageClassName: EFS_STATIC_CLASS,"),
        replacement: lines('                            persistentVolumeReclaimPolicy: "Delete",', "                            storageClassName: EFS_STATIC_CLASS,"),
        tests: ["test/students.test.ts"],
    },
    {
        name: "gke-home-pv-delete",
        what: "platforms/gke.ts: a student's home PV is Delete instead of Retain",
        file: "platforms/gke.ts",
        anchor: lines('                            persistentVolumeReclaimPolicy: "Retain",', '                            storageClassName: "",'),
        replacement: lines('                            persistentVolumeReclaimPolicy: "Delete",', '                            storageClassName: "",'),
        tests: ["test/students.test.ts"],
    },
    // --- cross-field configuration rules (config.ts).
    {
        name: "config-efs-maxio-elastic",
        what: "eks.efs: maxIO with elastic throughput accepted",
        file: "config.ts",
        anchor: 'if (efs.performanceMode === "maxIO" && efs.throughputMode === "elastic") {',
        replacement: "if (false) {",
        tests: CONFIG_TESTS,
    },
    {
        name: "config-efs-provisioned-needs-mibps",
        what: "eks.efs: throughputMode provisioned without provisionedThroughputMibps accepted",
        file: "config.ts",
        anchor: 'if ((efs.throughputMode === "provisioned") !== (efs.provisionedThroughputMibps !== undefined)) {',
        replacement: 'if (efs.throughputMode !== "provisioned" && efs.provisionedThroughputMibps !== undefined) {',
        tests: CONFIG_TESTS,
    },
    {
        name: "config-efs-mibps-only-provisioned",
        what: "eks.efs: provisionedThroughputMibps without throughputMode provisioned accepted",
        file: "config.ts",
        anchor: 'if ((efs.throughputMode === "provisioned") !== (efs.provisionedThroughputMibps !== undefined)) {',
        replacement: 'if (efs.throughputMode === "provisioned" && efs.provisionedThroughputMibps === undefined) {',
        tests: CONFIG_TESTS,
    },
    {
        name: "config-vpc-cidr-with-existing",
        what: "eks.vpc: cidr combined with existingVpcId accepted",
        file: "config.ts",
        anchor: "if (v.cidr !== undefined || v.azCount !== undefined) {",
        replacement: "if (v.azCount !== undefined) {",
        tests: CONFIG_TESTS,
    },
    {
        name: "config-vpc-azcount-with-existing",
        what: "eks.vpc: azCount combined with existingVpcId accepted",
        file: "config.ts",
        anchor: "if (v.cidr !== undefined || v.azCount !== undefined) {",
        replacement: "if (v.cidr !== undefined) {",
        tests: CONFIG_TESTS,
    },
    {
        name: "config-vpc-cidr-min-prefix",
        what: "eks.vpc.cidr: a prefix shorter than /16 accepted",
        file: "config.ts",
        anchor: "if (bits < 16 || bits > 20) {",
        replacement: "if (bits > 20) {",
        tests: CONFIG_TESTS,
    },
    {
        name: "config-vpc-cidr-max-prefix",
        what: "eks.vpc.cidr: a prefix longer than /20 accepted",
        file: "config.ts",
        anchor: "if (bits < 16 || bits > 20) {",
        replacement: "if (bits < 16) {",
        tests: CONFIG_TESTS,
    },
    {
        name: "config-gke-ranges-overlap",
        what: "gke.network: overlapping ranges accepted",
        file: "config.ts",
        anchor: "if (cidrsOverlap(net[a], net[b])) {",
        replacement: "if (false) {",
        tests: CONFIG_TESTS,
    },
    {
        name: "config-gke-filestore-overlap",
        what: "gke.network.filestoreCidr: left out of the overlap check",
        file: "config.ts",
        anchor: 'const ranges = ["subnetCidr", "podsCidr", "servicesCidr", "filestoreCidr"] as const;',
        replacement: 'const ranges = ["subnetCidr", "podsCidr", "servicesCidr"] as const;',
        tests: CONFIG_TESTS,
    },
    {
        name: "config-gke-zone-of-region",
        what: "gke.location: a zone of another region accepted",
        file: "config.ts",
        anchor: "if (GCP_ZONE.test(location) && !location.startsWith(`${region}-`)) {",
        replacement: "if (false) {",
        tests: CONFIG_TESTS,
    },
    {
        name: "config-gke-other-region",
        what: "gke.location: a region other than gcp:region accepted",
        file: "config.ts",
        anchor: "if (!(GCP_ZONE.test(location) || location === region)) {",
        replacement: "if (!(GCP_ZONE.test(location) || GCP_REGION.test(location))) {",
        tests: CONFIG_TESTS,
    },
    {
        name: "config-kind-existing-needs-class",
        what: "kind: rwxBackend existing without rwxStorageClass accepted",
        file: "config.ts",
        anchor: 'if ((k.rwxBackend === "existing") !== (k.rwxStorageClass !== undefined)) {',
        replacement: 'if (k.rwxBackend !== "existing" && k.rwxStorageClass !== undefined) {',
        tests: CONFIG_TESTS,
    },
    {
        name: "config-kind-class-only-existing",
        what: "kind: rwxStorageClass with a backend other than existing accepted (and ignored)",
        file: "config.ts",
        anchor: 'if ((k.rwxBackend === "existing") !== (k.rwxStorageClass !== undefined)) {',
        replacement: 'if (k.rwxBackend === "existing" && k.rwxStorageClass === undefined) {',
        tests: CONFIG_TESTS,
    },
    {
        name: "config-chatroulette-needs-images",
        what: "demos.chatroulette.enabled without images accepted (the demo silently stays off)",
        file: "config.ts",
        anchor: '[cr.enabled, "demos.chatroulette.enabled"],',
        replacement: "",
        tests: CONFIG_TESTS,
    },
    {
        name: "config-student-apps-need-images",
        what: "studentApps without chatroulette images accepted (no app deployed)",
        file: "config.ts",
        anchor: '[studentApps, "studentApps"],',
        replacement: "",
        tests: CONFIG_TESTS,
    },
    {
        name: "config-duplicate-identity",
        what: "students: two students with one identity accepted",
        file: "config.ts",
        anchor: lines("const other = byIdentity.get(entry.identity);", "            if (other !== undefined) {"),
        replacement: lines("const other = byIdentity.get(entry.identity);", "            if (other !== undefined && false) {"),
        tests: CONFIG_TESTS,
    },
    {
        name: "config-identity-is-admin",
        what: "students: a student identity that is also an EKS admin principal accepted",
        file: "config.ts",
        anchor: "if (adminPrincipals.includes(entry.identity)) {",
        replacement: "if (false) {",
        tests: CONFIG_TESTS,
    },
    // --- the policy pack.
    {
        name: "placement-self-affinity-with-others",
        what: "policy/placement.ts: self-affinity alongside other anchors accepted without a closed group",
        file: "policy/placement.ts",
        anchor: "if (closedGroup(anchors)) {",
        replacement: "if (true) {",
        tests: ["test/policy/placement.test.ts"],
    },
    {
        name: "policy-attachable-rule-advisory",
        what: "rwo-shared-without-colocation (attachable disks, Multi-Attach) downgraded to advisory",
        file: "policy/rules/rwo-shared-without-colocation.ts",
        anchor: lines('  "attachable-block",', '  "mandatory",'),
        replacement: lines('  "attachable-block",', '  "advisory",'),
        tests: ["test/policy/rules.test.ts"],
    },
    // --- student isolation.
    {
        name: "student-kubeconfig-empty-token",
        what: "components/studentEnvironment.ts: the student's kubeconfig carries an empty token",
        file: "components/studentEnvironment.ts",
        anchor: 'user: { token: Buffer.from(data?.token ?? "", "base64").toString("utf8") },',
        replacement: 'user: { token: "" },',
        tests: ["test/program.test.ts"],
    },
    {
        name: "egress-metadata-allowed",
        what: "components/studentPolicies.ts: 169.254.0.0/16 (node metadata) missing from the egress except list",
        file: "components/studentPolicies.ts",
        anchor: lines('    "169.254.0.0/16",', "] as const;"),
        replacement: "] as const;",
        tests: ["test/attacks.test.ts"],
    },
    {
        name: "psa-enforce-baseline",
        what: "components/podSecurity.ts: student namespaces enforce baseline instead of restricted",
        file: "components/podSecurity.ts",
        anchor: '"pod-security.kubernetes.io/enforce": STUDENT_POD_SECURITY_LEVEL,',
        replacement: '"pod-security.kubernetes.io/enforce": "baseline",',
        tests: ["test/students.test.ts"],
    },
    // --- platform storage.
    {
        name: "efs-policy-tls-dropped",
        what: "platforms/eks.ts: the EFS file system policy's Allow no longer requires aws:SecureTransport",
        file: "platforms/eks.ts",
        anchor: 'Bool: { "elasticfilesystem:AccessedViaMountTarget": "true", "aws:SecureTransport": "true" },',
        replacement: 'Bool: { "elasticfilesystem:AccessedViaMountTarget": "true" },',
        tests: ["test/platforms/eks.test.ts"],
    },
    {
        name: "gke-filestore-class-network-dropped",
        what: "platforms/gke.ts: the Filestore StorageClass loses its network parameter (driver default: \"default\")",
        file: "platforms/gke.ts",
        anchor: lines("                    network,", '                    "reserved-ipv4-cidr": filestore.classCidr,'),
        replacement: '                    "reserved-ipv4-cidr": filestore.classCidr,',
        tests: ["test/platforms/gke.test.ts"],
    },
    {
        name: "access-modes-pv-readonly-dropped",
        what: "components/accessModesDemo.ts: the readers-only PV loses csi.readOnly (attached read-write)",
        file: "components/accessModesDemo.ts",
        anchor: "                              readOnly: readersOnly,\n",
        replacement: "",
        tests: ["test/components/accessModesDemo.test.ts"],
    },
    {
        name: "nfs-inline-volumes-enabled",
        what: "platforms/kind.ts: csi-driver-nfs no longer sets feature.enableInlineVolume false",
        file: "platforms/kind.ts",
        anchor: "feature: { enableInlineVolume: false, enableFSGroupPolicy: true },",
        replacement: "feature: { enableFSGroupPolicy: true },",
        tests: ["test/platforms/kind.test.ts"],
    },
    {
        name: "distinct-updater-affinity-preferred",
        what: "components/distinctUpdater.ts: the loop and servers' podAffinity is preferred, not required",
        file: "components/distinctUpdater.ts",
        anchor: lines(
            "                          requiredDuringSchedulingIgnoredDuringExecution: [",
            "                              {",
            "                                  labelSelector: { matchLabels: group },",
            '                                  topologyKey: "kubernetes.io/hostname",',
            "                              },",
            "                          ],",
        ),
        replacement: lines(
            "                          preferredDuringSchedulingIgnoredDuringExecution: [",
            "                              {",
            "                                  weight: 100,",
            '                                  podAffinityTerm: { labelSelector: { matchLabels: group }, topologyKey: "kubernetes.io/hostname" },',
            "                              },",
            "                          ],",
        ),
        tests: ["test/components/distinctUpdater.test.ts"],
    },
];

// ---------------------------------------------------------------------------------------------

function occurrences(text: string, anchor: string): number {
    let n = 0;
    for (let i = text.indexOf(anchor); i !== -1; i = text.indexOf(anchor, i + 1)) {
        n++;
    }
    return n;
}

/** The mutated text of `m.file` under `root`; throws when the anchor is not there exactly once. */
export function applyMutation(m: Mutation, root: string): string {
    const text = fs.readFileSync(path.join(root, m.file), "utf8");
    const n = occurrences(text, m.anchor);
    if (n !== 1) {
        throw new Error(
            `mutation ${m.name} no longer applies: the anchor text is gone (found ${n} times in ${m.file}, expected exactly once)`,
        );
    }
    const i = text.indexOf(m.anchor);
    return text.slice(0, i) + m.replacement + text.slice(i + m.anchor.length);
}

/** A temporary copy of the repository (tracked + untracked-not-ignored files), node_modules linked. */
function copyRepository(): string {
    const ls = spawnSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: ROOT, encoding: "utf8" });
    if (ls.status !== 0) {
        throw new Error(`git ls-files failed: ${ls.stderr}`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvl-mutation-"));
    for (const rel of new Set(ls.stdout.split("\0").filter((f) => f !== ""))) {
        const src = path.join(ROOT, rel);
        const stat = fs.lstatSync(src, { throwIfNoEntry: false });
        if (stat === undefined || !(stat.isFile() || stat.isSymbolicLink())) {
            continue; // tracked but deleted in the work tree
        }
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.cpSync(src, path.join(dir, rel), { verbatimSymlinks: true });
    }
    for (const nm of ["node_modules", "policy/node_modules"]) {
        if (fs.existsSync(path.join(ROOT, nm))) {
            fs.symlinkSync(path.join(ROOT, nm), path.join(dir, nm), "dir");
        }
    }
    return dir;
}

interface MochaRun {
    ok: boolean;
    /** Failing tests mocha reported (0 when it crashed before reporting). */
    failing: number;
    /** Title of the first failing test, or the first error line. */
    first: string;
    seconds: number;
    output: string;
}

const MOCHA_TIMEOUT_MS = 15 * 60 * 1000;

function runMocha(dir: string, tests: string[], bail: boolean): MochaRun {
    const start = Date.now();
    const mocha = path.join(dir, "node_modules", "mocha", "bin", "mocha.js");
    const r = spawnSync(process.execPath, [mocha, "--reporter", "dot", ...(bail ? ["--bail"] : []), ...tests], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
        maxBuffer: 256 * 1024 * 1024,
        timeout: MOCHA_TIMEOUT_MS,
    });
    const output = `${r.stdout ?? ""}${r.stderr ?? ""}`;
    const failing = Number(/(\d+) failing/.exec(output)?.[1] ?? 0);
    const title = /\n\s+1\) ([\s\S]*?):\n/.exec(output)?.[1];
    const firstError = output.split("\n").find((l) => /Error|error/.test(l));
    return {
        ok: r.status === 0,
        failing,
        first: (title ?? firstError ?? (r.error ? r.error.message : `exit ${r.status ?? r.signal}`)).replace(/\s+/g, " ").trim(),
        seconds: (Date.now() - start) / 1000,
        output,
    };
}

type Outcome = "caught" | "SURVIVED" | "ERROR";

interface Result {
    mutation: Mutation;
    outcome: Outcome;
    run: MochaRun;
}

function runOne(m: Mutation): Result {
    const dir = copyRepository();
    try {
        fs.writeFileSync(path.join(dir, m.file), applyMutation(m, dir));
        const run = runMocha(dir, m.tests, true);
        // A non-zero exit with no failing test is a crash (a syntax error in the mutation, a
        // timeout): it proves nothing about the tests, so it is reported as an error.
        const outcome: Outcome = run.ok ? "SURVIVED" : run.failing > 0 ? "caught" : "ERROR";
        return { mutation: m, outcome, run };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function table(results: Result[]): string {
    const rows = results.map((r) => [
        r.mutation.name,
        r.outcome,
        `${r.run.seconds.toFixed(0)} s`,
        r.mutation.tests.join(" "),
        r.outcome === "caught" ? r.run.first : r.outcome === "ERROR" ? r.run.first : "",
    ]);
    const header = ["mutation", "result", "time", "tests run", "first failing test"];
    const out = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
    for (const row of rows) {
        out.push(`| ${row.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`);
    }
    return out.join("\n");
}

const USAGE = `usage: npm run mutation [-- options]
  (no option)      run every mutation: copy the repository, apply it, run its test files
  --only NAME      run only this mutation (repeatable)
  --list           list the mutations, their files and tests, and whether each anchor applies
  --skip-baseline  do not first run the selected test files on an unmutated copy
  --help, -h       print this help
Exit status: 0 every mutation caught, 1 one survived (or crashed), 2 bad usage, a stale anchor or a red baseline.`;

export function main(argv: string[]): number {
    let values: { only?: string[]; list?: boolean; help?: boolean; "skip-baseline"?: boolean };
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                only: { type: "string", multiple: true },
                list: { type: "boolean" },
                "skip-baseline": { type: "boolean" },
                help: { type: "boolean", short: "h" },
            },
            strict: true,
            allowPositionals: false,
        }));
    } catch (e) {
        console.error(`mutation: ${(e as Error).message}\n${USAGE}`);
        return 2;
    }
    if (values.help) {
        console.log(USAGE);
        return 0;
    }
    const names = new Set(MUTATIONS.map((m) => m.name));
    const unknown = (values.only ?? []).filter((n) => !names.has(n));
    if (unknown.length > 0) {
        console.error(`mutation: unknown mutation ${unknown.join(", ")}; run with --list to see the names`);
        return 2;
    }
    const selected = values.only ? MUTATIONS.filter((m) => values.only!.includes(m.name)) : MUTATIONS;

    // Every anchor first: a stale one fails the run before minutes are spent on the others.
    const stale: string[] = [];
    for (const m of selected) {
        try {
            applyMutation(m, ROOT);
        } catch (e) {
            stale.push((e as Error).message);
        }
    }
    if (values.list) {
        for (const m of selected) {
            const gone = stale.some((s) => s.startsWith(`mutation ${m.name} `));
            console.log(`${m.name}${gone ? "  [ANCHOR GONE]" : ""}\n    ${m.what}\n    ${m.file} → ${m.tests.join(" ")}`);
        }
        return stale.length === 0 ? 0 : 2;
    }
    if (stale.length > 0) {
        stale.forEach((s) => console.error(s));
        return 2;
    }

    const started = Date.now();
    if (!values["skip-baseline"]) {
        const tests = [...new Set(selected.flatMap((m) => m.tests))].sort();
        console.log(`baseline: ${tests.join(" ")} on an unmutated copy...`);
        const dir = copyRepository();
        let base: MochaRun;
        try {
            base = runMocha(dir, tests, false);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        if (!base.ok) {
            console.error(base.output);
            console.error(`mutation: the unmutated suite is red (${base.failing} failing: ${base.first}); a mutation it "catches" proves nothing. Fix it first.`);
            return 2;
        }
        console.log(`baseline: green (${base.seconds.toFixed(0)} s)`);
    }

    // Ctrl-C reaches mocha too (same process group); stop after it, with the copy removed.
    let interrupted = false;
    process.on("SIGINT", () => {
        interrupted = true;
    });
    const results: Result[] = [];
    for (const m of selected) {
        if (interrupted) {
            console.error("mutation: interrupted");
            return 130;
        }
        const r = runOne(m);
        results.push(r);
        console.log(`${r.outcome.padEnd(8)} ${m.name} (${r.run.seconds.toFixed(0)} s)${r.outcome === "caught" ? "" : `: ${r.run.first}`}`);
    }
    console.log(`\n${table(results)}\n`);
    const bad = results.filter((r) => r.outcome !== "caught");
    console.log(
        `${results.length - bad.length} of ${results.length} mutations caught in ${((Date.now() - started) / 1000).toFixed(0)} s` +
            (bad.length > 0 ? `; not caught: ${bad.map((r) => `${r.mutation.name} (${r.outcome})`).join(", ")}` : ""),
    );
    return bad.length === 0 ? 0 : 1;
}

if (require.main === module) {
    process.exit(main(process.argv.slice(2)));
}
