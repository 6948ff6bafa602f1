/**
 * The manifest checker: runs the volume-safety rules over YAML manifests, as kube-linter or
 * kubeconform are run over a directory or a piped `kubectl kustomize`.
 *
 *   npm run check -- [--format text|json] [--namespace NS] [--enforce RULE=LEVEL]...
 *                    [--policy-config FILE] [--classes FILE] [--fail-if-no-objects] PATH...
 *
 * PATH is a file, a directory (every *.yaml / *.yml below it, sorted, skipping dot-directories and
 * node_modules) or `-` for standard input. A document that is not a Kubernetes object is reported and
 * skipped; the run goes on and exits 2 at the end. Each finding names its file and document.
 * Exit codes: 0 no mandatory finding, 1 at least one, 2 bad input or usage.
 */
import * as fs from "fs";
import * as path from "path";
import { isDeepStrictEqual, parseArgs as parseNodeArgs } from "util";
import * as YAML from "yaml";
import {
    CheckOptions,
    Finding,
    InputError,
    RULES,
    StorageClassTableConfig,
    checkObjects,
    compareFindings,
    hasMandatory,
} from "./core";
import { optionsFromPolicyConfig } from "./config";
import { KubeObject, asRecord, objectProblem, refOf } from "./model";
import { EnforcementOverride } from "./types";

/** Where the CLI reads and writes; injectable for tests. */
export interface CliIO {
    /** Reads all of standard input (called at most once). */
    readStdin(): Promise<string>;
    /** Writes to standard output. */
    stdout(text: string): void;
    /** Writes to standard error. */
    stderr(text: string): void;
}

/** A document loaded from a file, with where it came from. */
export interface LoadedObject {
    readonly object: unknown;
    /** e.g. `manifests/app.yaml: document 2` or `-: document 1, item 3`. */
    readonly origin: string;
    /** The file (`-` for standard input). */
    readonly file: string;
    /** 1-based index of the YAML document in the file. */
    readonly document: number;
    /** 1-based index in a `kind: List` document's items, when the object came from one. */
    readonly item?: number;
}

/** A finding with where its object came from: what the JSON output prints. */
export interface LocatedFinding extends Finding {
    /** The file of the object the finding is about (`-` for standard input; null if not found). */
    readonly file: string | null;
    /** 1-based document index in that file. */
    readonly document: number | null;
    /** 1-based item index when the object is an item of a `kind: List` document. */
    readonly item?: number;
    /** How to fix it, when the message carries a "Fix: ..." part (also left in `message`). */
    readonly remediation?: string;
}

/** Raised on bad usage or input; the CLI prints it and exits 2. */
export class UsageError extends Error {}

const USAGE = `usage: npm run check -- [options] PATH...
  PATH                   a YAML file, a directory (*.yaml/*.yml, recursive; dot-directories and
                         node_modules skipped) or - for stdin
  --format text|json     output format (default text)
  --namespace NS, -n NS  namespace of objects without one (default "default")
  --enforce RULE=LEVEL   set a rule to mandatory, advisory or disabled (repeatable)
  --policy-config FILE   Pulumi policy config (JSON or YAML): levels and the class table
  --classes FILE         storage class table {provisioners: {...}, classes: {...}} (JSON or YAML)
  --fail-if-no-objects   exit 2 when the input holds no Kubernetes object
  --list-rules           print the rules and their default levels
  --help, -h             print this help
exit: 0 no mandatory finding, 1 mandatory finding(s), 2 bad input or usage`;

interface ParsedArgs {
    format: "text" | "json";
    namespace: string | undefined;
    enforcement: Record<string, EnforcementOverride>;
    policyConfig: string | undefined;
    classesFile: string | undefined;
    listRules: boolean;
    help: boolean;
    failIfNoObjects: boolean;
    paths: string[];
}

/** node's util.parseArgs, strict; its errors reworded to name the option. */
function parseArgs(argv: readonly string[]): ParsedArgs {
    let parsed;
    try {
        parsed = parseNodeArgs({
            args: [...argv],
            options: {
                format: { type: "string" },
                namespace: { type: "string", short: "n" },
                enforce: { type: "string", multiple: true },
                "policy-config": { type: "string" },
                classes: { type: "string" },
                "list-rules": { type: "boolean" },
                "fail-if-no-objects": { type: "boolean" },
                help: { type: "boolean", short: "h" },
            },
            strict: true,
            allowPositionals: true,
        });
    } catch (e) {
        const err = e as Error & { code?: string };
        // "Option '-n, --namespace <value>' argument missing": name the long form, not "-n,".
        const option = /'(?:-\w, )?(-[^' ,]+)/.exec(err.message)?.[1];
        if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) {
            throw new UsageError(`unknown option ${option}`);
        }
        if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
            throw new UsageError(`${option} needs a value`);
        }
        throw new UsageError(err.message);
    }
    const v = parsed.values;
    const format = v.format ?? "text";
    if (format !== "text" && format !== "json") {
        throw new UsageError(`--format must be text or json, not "${format}"`);
    }
    const enforcement: Record<string, EnforcementOverride> = {};
    for (const spec of v.enforce ?? []) {
        const m = /^([a-z0-9-]+)=(mandatory|advisory|disabled)$/.exec(spec);
        if (m === null) {
            throw new UsageError(`--enforce expects RULE=mandatory|advisory|disabled, got "${spec}"`);
        }
        enforcement[m[1]] = m[2] as EnforcementOverride;
    }
    return {
        format,
        namespace: v.namespace,
        enforcement,
        policyConfig: v["policy-config"],
        classesFile: v.classes,
        listRules: v["list-rules"] ?? false,
        help: v.help ?? false,
        failIfNoObjects: v["fail-if-no-objects"] ?? false,
        paths: parsed.positionals,
    };
}

/** Directories a walk never enters: dot-directories (.git, .github...) and node_modules. */
function skippedDirectory(name: string): boolean {
    return name.startsWith(".") || name === "node_modules";
}

/** Every *.yaml / *.yml file under `dir`, recursively, sorted by path. */
function yamlFilesUnder(dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string): void => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, entry.name);
            if (entry.isDirectory()) {
                if (!skippedDirectory(entry.name)) walk(p);
            } else if (/\.ya?ml$/i.test(entry.name)) out.push(p);
        }
    };
    walk(dir);
    return out.sort();
}

/** Objects of a manifest text and the documents that are not Kubernetes objects. */
export interface ManifestLoad {
    objects: LoadedObject[];
    /** `FILE: document N: problem`, one per unusable document or item. */
    problems: string[];
}

/**
 * Parses a multi-document YAML text into objects: empty documents are skipped, `kind: List` (and any
 * `*List` with `items`) is expanded. A document that is not valid YAML or not a Kubernetes object is
 * reported in `problems` and skipped. Document numbers start at 1.
 */
export function loadManifests(text: string, file: string): ManifestLoad {
    const objects: LoadedObject[] = [];
    const problems: string[] = [];
    const docs = YAML.parseAllDocuments(text);
    docs.forEach((doc, i) => {
        const document = i + 1;
        const where = `${file}: document ${document}`;
        if (doc.errors.length > 0) {
            problems.push(`${where}: not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
            return;
        }
        let value: unknown;
        try {
            // toJS throws on what parsing lets through, e.g. an alias to an anchor of another
            // document (anchors are per document in YAML).
            value = doc.toJS();
        } catch (e) {
            problems.push(`${where}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
            return;
        }
        if (value === null || value === undefined) return;
        const rec = asRecord(value);
        const kind = rec?.kind;
        if (rec !== undefined && typeof kind === "string" && kind.endsWith("List") && Array.isArray(rec.items)) {
            rec.items.forEach((item, j) => {
                const itemWhere = `${where}, item ${j + 1}`;
                const problem = objectProblem(item);
                if (problem !== undefined) problems.push(`${itemWhere}: object ${problem}`);
                else objects.push({ object: item, origin: itemWhere, file, document, item: j + 1 });
            });
            return;
        }
        const problem = objectProblem(value);
        if (problem !== undefined) {
            problems.push(
                `${where}: ${rec === undefined ? "is not a Kubernetes object (a YAML mapping)" : `object ${problem}`}`,
            );
            return;
        }
        objects.push({ object: value, origin: where, file, document });
    });
    return { objects, problems };
}

/**
 * {@link loadManifests}, throwing on the first unusable document.
 * @throws UsageError naming the file and the document on a YAML error or an unusable object.
 */
export function parseManifests(text: string, file: string): LoadedObject[] {
    const { objects, problems } = loadManifests(text, file);
    if (problems.length > 0) throw new UsageError(problems[0]);
    return objects;
}

function readConfigFile(file: string): unknown {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
    }
    try {
        return YAML.parse(text) as unknown; // JSON is YAML
    } catch (e) {
        throw new UsageError(`${file}: not valid JSON/YAML: ${(e as Error).message.split("\n")[0]}`);
    }
}

const NOT_TEXT = "not UTF-8 text (nor UTF-16 with a byte-order mark); not read";

/**
 * A manifest's bytes as text: UTF-8 (a byte-order mark dropped), or UTF-16 when it starts with a
 * byte-order mark (what Windows PowerShell 5.1's `kubectl ... > file.yaml` writes: `>` is Out-File,
 * whose default there is "Unicode", UTF-16LE with a BOM; learn.microsoft.com/powershell/module/
 * microsoft.powershell.core/about/about_character_encoding?view=powershell-5.1).
 * @returns undefined for bytes that are not valid text in either
 */
export function decodeText(bytes: Uint8Array): string | undefined {
    const encoding =
        bytes[0] === 0xff && bytes[1] === 0xfe ? "utf-16le" : bytes[0] === 0xfe && bytes[1] === 0xff ? "utf-16be" : "utf-8";
    try {
        // The decoder drops a leading byte-order mark of its encoding (ignoreBOM: false).
        return new TextDecoder(encoding, { fatal: true }).decode(bytes);
    } catch {
        return undefined;
    }
}

/** Everything read from the PATHs: objects by file, in order, and the documents that were skipped. */
interface Input {
    files: { file: string; objects: LoadedObject[] }[];
    problems: string[];
}

async function loadPaths(paths: readonly string[], io: CliIO): Promise<Input> {
    const input: Input = { files: [], problems: [] };
    const seen = new Set<string>();
    const add = (text: string, file: string): void => {
        const { objects, problems } = loadManifests(text, file);
        input.problems.push(...problems);
        input.files.push({ file, objects });
    };
    for (const p of paths) {
        if (p === "-") {
            if (seen.has("-")) throw new UsageError("- (standard input) given twice");
            seen.add("-");
            add(await io.readStdin(), "-");
            continue;
        }
        let stat: fs.Stats;
        try {
            stat = fs.statSync(p);
        } catch {
            throw new UsageError(`${p}: no such file or directory`);
        }
        for (const f of stat.isDirectory() ? yamlFilesUnder(p) : [p]) {
            if (seen.has(path.resolve(f))) continue; // a file named twice (itself and its directory) is read once
            seen.add(path.resolve(f));
            let bytes: Buffer;
            try {
                bytes = fs.readFileSync(f);
            } catch (e) {
                input.problems.push(`${f}: cannot read: ${(e as Error).message}`);
                continue;
            }
            const text = decodeText(bytes);
            if (text === undefined) {
                input.problems.push(`${f}: ${NOT_TEXT}`);
                continue;
            }
            add(text, f);
        }
    }
    return input;
}

/** `Kind/namespace/name` (`Kind/name` for cluster-scoped objects). */
function refText(r: { kind: string; namespace: string; name: string }): string {
    return r.namespace === "" ? `${r.kind}/${r.name}` : `${r.kind}/${r.namespace}/${r.name}`;
}

/** A message's diagnosis and its "Fix: ..." remediation, when it has one. */
export function splitRemediation(message: string): { message: string; remediation?: string } {
    const i = message.indexOf(" Fix: ");
    return i < 0 ? { message } : { message: message.slice(0, i), remediation: message.slice(i + 1) };
}

/** The workloads a finding names in a field of their own (the policy core's `workloads`), as text. */
function workloadsOf(f: Finding): string[] | undefined {
    const w = (f as { workloads?: unknown }).workloads;
    if (!Array.isArray(w) || w.length === 0) return undefined;
    return w.map((x) => {
        const r = asRecord(x);
        return r !== undefined && typeof r.kind === "string" && typeof r.name === "string"
            ? refText({ kind: r.kind, namespace: typeof r.namespace === "string" ? r.namespace : "", name: r.name })
            : String(x);
    });
}

/**
 * `LEVEL rule Kind/namespace/name: message`, then the remediation on its own indented line and the
 * workloads involved (when the finding lists them) on another.
 */
export function formatFinding(f: Finding): string {
    const { message, remediation } = splitRemediation(f.message);
    const lines = [`${f.enforcementLevel.toUpperCase()} ${f.policy} ${refText(f.resource)}: ${message}`];
    if (remediation !== undefined) lines.push(`    ${remediation}`);
    const workloads = workloadsOf(f);
    if (workloads !== undefined) lines.push(`    Workloads: ${workloads.join(", ")}`);
    return lines.join("\n");
}

/** `FILE: LEVEL rule Kind/namespace/name: message` (JSON adds the document index). */
function formatLocated(f: LocatedFinding): string {
    const where = f.file === null ? "(input)" : f.file;
    return `${where}: ${formatFinding(f)}`;
}

/** The identity the core keys objects by (later wins within one input): kind, namespace, name. */
function identityOf(obj: unknown, defaultNamespace: string): string | undefined {
    const meta = asRecord(asRecord(obj)?.metadata);
    if (typeof meta?.name !== "string") return undefined; // generateName objects are all distinct
    return refText(refOf(obj as KubeObject, defaultNamespace));
}

/**
 * Splits the input into the sets of files checked together. Files that define the same object
 * differently (a base and its overlay, two variants of one demo) are alternatives, not one cluster:
 * the core would keep only the later definition and silently drop the other's findings. Each such
 * file is checked apart from the files it conflicts with, together with every file that conflicts
 * with none and one variant of every other contested object. Identical definitions are no conflict.
 * Every conflict is warned about on stderr.
 */
function checkGroups(input: Input, defaultNamespace: string, warn: (text: string) => void): LoadedObject[][] {
    const files = input.files;
    const definitions = new Map<string, { file: number; loaded: LoadedObject }[]>();
    files.forEach((f, i) => {
        for (const loaded of f.objects) {
            const id = identityOf(loaded.object, defaultNamespace);
            if (id === undefined) continue;
            const list = definitions.get(id) ?? [];
            list.push({ file: i, loaded });
            definitions.set(id, list);
        }
    });
    const conflicts = files.map(() => new Set<number>());
    for (const [id, defs] of definitions) {
        for (let a = 0; a < defs.length; a++) {
            for (let b = a + 1; b < defs.length; b++) {
                const x = defs[a];
                const y = defs[b];
                if (x.file === y.file) continue; // within one file the later wins, as with kubectl apply
                const same = isDeepStrictEqual(x.loaded.object, y.loaded.object);
                warn(
                    `check: warning: ${id} is defined in both ${x.loaded.origin} and ${y.loaded.origin}` +
                        (same
                            ? " (identically; checked once)\n"
                            : "; the definitions differ, so the two files are checked separately (each with the files that define neither)\n"),
                );
                if (!same) {
                    conflicts[x.file].add(y.file);
                    conflicts[y.file].add(x.file);
                }
            }
        }
    }
    const common = files.map((_, i) => i).filter((i) => conflicts[i].size === 0);
    const classes: number[][] = [];
    files.forEach((_, i) => {
        if (conflicts[i].size === 0) return;
        const fit = classes.find((c) => c.every((j) => !conflicts[i].has(j)));
        if (fit) fit.push(i);
        else classes.push([i]);
    });
    // Complete each set with a non-conflicting variant of every other contested object, so no set
    // checks a claim without the PersistentVolume (or a workload without the claim) the others define.
    const contested = files.map((_, i) => i).filter((i) => conflicts[i].size > 0);
    for (const c of classes) {
        for (const i of contested) {
            if (!c.includes(i) && c.every((j) => !conflicts[i].has(j))) c.push(i);
        }
    }
    const groups = classes.length === 0 ? [common] : classes.map((c) => [...common, ...c].sort((a, b) => a - b));
    return groups.map((g) => g.flatMap((i) => files[i].objects));
}

/** Runs the core over each group and names, for each finding, the file and document of its object. */
function checkLocated(groups: LoadedObject[][], options: CheckOptions): LocatedFinding[] {
    const defaultNamespace = options.defaultNamespace ?? "default";
    const out = new Map<string, LocatedFinding>();
    for (const group of groups) {
        // The object each finding is about: for a duplicate within a file, the later one (as the core keeps).
        const where = new Map<string, LoadedObject>();
        for (const l of group) {
            const ref = refText(refOf(l.object as KubeObject, defaultNamespace));
            if (!where.has(ref) || identityOf(l.object, defaultNamespace) !== undefined) where.set(ref, l);
        }
        for (const f of checkObjects(
            group.map((l) => l.object),
            options,
        )) {
            const loaded = where.get(refText(f.resource));
            const { remediation } = splitRemediation(f.message);
            const located: LocatedFinding = {
                file: loaded?.file ?? null,
                document: loaded?.document ?? null,
                ...(loaded?.item === undefined ? {} : { item: loaded.item }),
                ...f,
                ...(remediation === undefined ? {} : { remediation }),
            };
            out.set(JSON.stringify(located), located);
        }
    }
    return [...out.values()].sort(
        (a, b) =>
            compareFindings(a, b) ||
            String(a.file).localeCompare(String(b.file)) ||
            (a.document ?? 0) - (b.document ?? 0),
    );
}

/**
 * Runs the checker. Never throws and never exits the process: returns the exit code.
 * @param argv arguments after the script name
 */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
    try {
        const args = parseArgs(argv);
        if (args.help) {
            io.stdout(`${USAGE}\n`);
            return 0;
        }
        if (args.listRules) {
            for (const r of RULES) io.stdout(`${r.name} (${r.defaultEnforcement}): ${r.description}\n`);
            return 0;
        }
        if (args.paths.length === 0) throw new UsageError("no PATH given");
        const options: CheckOptions = { defaultNamespace: args.namespace };
        if (args.policyConfig !== undefined) {
            const fromConfig = optionsFromPolicyConfig(readConfigFile(args.policyConfig));
            options.enforcement = fromConfig.enforcement;
            options.classes = fromConfig.classes;
        }
        if (args.classesFile !== undefined) {
            const table = asRecord(readConfigFile(args.classesFile));
            if (table === undefined) throw new UsageError(`${args.classesFile}: expected an object`);
            options.classes = {
                provisioners: {
                    ...(options.classes?.provisioners ?? {}),
                    ...(asRecord(table.provisioners) ?? {}),
                },
                classes: {
                    ...(options.classes?.classes ?? {}),
                    ...(asRecord(table.classes) ?? {}),
                },
            } as StorageClassTableConfig;
        }
        options.enforcement = { ...(options.enforcement ?? {}), ...args.enforcement };

        const input = await loadPaths(args.paths, io);
        const objectCount = input.files.reduce((n, f) => n + f.objects.length, 0);
        for (const p of input.problems) io.stderr(`check: skipped ${p}\n`);
        if (objectCount === 0 && args.failIfNoObjects) {
            io.stderr(`check: no Kubernetes object found in ${args.paths.join(" ")} (--fail-if-no-objects)\n`);
            return 2;
        }
        const groups = checkGroups(input, args.namespace ?? "default", io.stderr);
        const findings = checkLocated(groups, options);
        if (args.format === "json") {
            io.stdout(`${JSON.stringify(findings, null, 2)}\n`);
        } else {
            for (const f of findings) io.stdout(`${formatLocated(f)}\n`);
        }
        const mandatory = findings.filter((f) => f.enforcementLevel === "mandatory").length;
        io.stderr(
            `${objectCount} object(s) checked in ${input.files.length} file(s)` +
                `${groups.length > 1 ? ` (${groups.length} separate sets, see the warnings)` : ""}: ` +
                `${findings.length} finding(s), ${mandatory} mandatory, ${findings.length - mandatory} advisory` +
                `${input.problems.length > 0 ? `; ${input.problems.length} document(s) skipped as not Kubernetes objects (exit 2)` : ""}\n`,
        );
        if (input.problems.length > 0) return 2;
        return hasMandatory(findings) ? 1 : 0;
    } catch (e) {
        if (e instanceof UsageError || e instanceof InputError) {
            io.stderr(`check: ${e.message}\n`);
            if (e instanceof UsageError && /^(unknown option|no PATH|--|-\w needs)/.test(e.message)) {
                io.stderr(`${USAGE}\n`);
            }
            return 2;
        }
        io.stderr(`check: internal error: ${(e as Error).stack ?? String(e)}\n`);
        return 2;
    }
}

/** Reads a whole stream. */
function readAll(stream: NodeJS.ReadableStream): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer | string) =>
            chunks.push(typeof c === "string" ? Buffer.from(c) : c),
        );
        stream.on("end", () => {
            const text = decodeText(Buffer.concat(chunks));
            if (text === undefined) reject(new UsageError(`-: ${NOT_TEXT}`));
            else resolve(text);
        });
        stream.on("error", reject);
    });
}

/** The process's own standard streams. */
export const processIO: CliIO = {
    readStdin: () => readAll(process.stdin),
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
};

if (require.main === module) {
    void main(process.argv.slice(2), processIO).then((code) => {
        process.exitCode = code;
    });
}
