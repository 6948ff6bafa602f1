/**
 * The manifest checker: runs the volume-safety rules over YAML manifests.
 *
 *   npm run check -- [--format text|json] [--namespace NS] [--enforce RULE=LEVEL]...
 *                    [--policy-config FILE] [--classes FILE] PATH...
 *
 * PATH is a file, a directory (every *.yaml / *.yml below it, sorted) or `-` for standard input.
 * Exit codes: 0 no mandatory finding, 1 at least one, 2 bad input or usage.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import {
    CheckOptions,
    Finding,
    InputError,
    RULES,
    StorageClassTableConfig,
    checkObjects,
    hasMandatory,
} from "./core";
import { optionsFromPolicyConfig } from "./config";
import { asRecord, objectProblem } from "./model";
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
}

/** Raised on bad usage or input; the CLI prints it and exits 2. */
export class UsageError extends Error {}

const USAGE = `usage: npm run check -- [options] PATH...
  PATH                   a YAML file, a directory (*.yaml/*.yml, recursive) or - for stdin
  --format text|json     output format (default text)
  --namespace NS, -n NS  namespace of objects without one (default "default")
  --enforce RULE=LEVEL   set a rule to mandatory, advisory or disabled (repeatable)
  --policy-config FILE   Pulumi policy config (JSON or YAML): levels and the class table
  --classes FILE         storage class table {provisioners: {...}, classes: {...}} (JSON or YAML)
  --list-rules           print the rules and their default levels
exit: 0 no mandatory finding, 1 mandatory finding(s), 2 bad input or usage`;

interface ParsedArgs {
    format: "text" | "json";
    namespace: string | undefined;
    enforcement: Record<string, EnforcementOverride>;
    policyConfig: string | undefined;
    classesFile: string | undefined;
    listRules: boolean;
    help: boolean;
    paths: string[];
}

function parseArgs(argv: readonly string[]): ParsedArgs {
    const out: ParsedArgs = {
        format: "text",
        namespace: undefined,
        enforcement: {},
        policyConfig: undefined,
        classesFile: undefined,
        listRules: false,
        help: false,
        paths: [],
    };
    let i = 0;
    const value = (flag: string, inline: string | undefined): string => {
        if (inline !== undefined) return inline;
        const v = argv[++i];
        if (v === undefined) throw new UsageError(`${flag} needs a value`);
        return v;
    };
    for (; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--") {
            out.paths.push(...argv.slice(i + 1));
            break;
        }
        if (arg === "-" || !arg.startsWith("-")) {
            out.paths.push(arg);
            continue;
        }
        const eq = arg.indexOf("=");
        const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
        const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
        switch (flag) {
            case "--format": {
                const f = value(flag, inline);
                if (f !== "text" && f !== "json")
                    throw new UsageError(`--format must be text or json, not "${f}"`);
                out.format = f;
                break;
            }
            case "--namespace":
            case "-n":
                out.namespace = value(flag, inline);
                break;
            case "--enforce": {
                const spec = value(flag, inline);
                const m = /^([a-z0-9-]+)=(mandatory|advisory|disabled)$/.exec(spec);
                if (m === null) {
                    throw new UsageError(
                        `--enforce expects RULE=mandatory|advisory|disabled, got "${spec}"`,
                    );
                }
                out.enforcement[m[1]] = m[2] as EnforcementOverride;
                break;
            }
            case "--policy-config":
                out.policyConfig = value(flag, inline);
                break;
            case "--classes":
                out.classesFile = value(flag, inline);
                break;
            case "--list-rules":
                out.listRules = true;
                break;
            case "--help":
            case "-h":
                out.help = true;
                break;
            default:
                throw new UsageError(`unknown option ${arg}`);
        }
    }
    return out;
}

/** Every *.yaml / *.yml file under `dir`, recursively, sorted by path. */
function yamlFilesUnder(dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string): void => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, entry.name);
            if (entry.isDirectory()) walk(p);
            else if (/\.ya?ml$/i.test(entry.name)) out.push(p);
        }
    };
    walk(dir);
    return out.sort();
}

/**
 * Parses a multi-document YAML text into objects: empty documents are skipped, `kind: List` (and any
 * `*List` with `items`) is expanded. Document numbers in messages start at 1.
 * @throws UsageError naming the file and the document on a YAML error or an unusable object.
 */
export function parseManifests(text: string, file: string): LoadedObject[] {
    const out: LoadedObject[] = [];
    const docs = YAML.parseAllDocuments(text);
    docs.forEach((doc, i) => {
        const where = `${file}: document ${i + 1}`;
        if (doc.errors.length > 0) {
            throw new UsageError(
                `${where}: not valid YAML: ${doc.errors[0].message.split("\n")[0]}`,
            );
        }
        const value: unknown = doc.toJS();
        if (value === null || value === undefined) return;
        const rec = asRecord(value);
        const kind = rec?.kind;
        if (
            rec !== undefined &&
            typeof kind === "string" &&
            kind.endsWith("List") &&
            Array.isArray(rec.items)
        ) {
            rec.items.forEach((item, j) => {
                const itemWhere = `${where}, item ${j + 1}`;
                const problem = objectProblem(item);
                if (problem !== undefined) throw new UsageError(`${itemWhere}: object ${problem}`);
                out.push({ object: item, origin: itemWhere });
            });
            return;
        }
        const problem = objectProblem(value);
        if (problem !== undefined) {
            const what =
                rec === undefined
                    ? "is not a Kubernetes object (a YAML mapping)"
                    : `object ${problem}`;
            throw new UsageError(`${where}: ${what}`);
        }
        out.push({ object: value, origin: where });
    });
    return out;
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
        throw new UsageError(
            `${file}: not valid JSON/YAML: ${(e as Error).message.split("\n")[0]}`,
        );
    }
}

async function loadPaths(paths: readonly string[], io: CliIO): Promise<LoadedObject[]> {
    const out: LoadedObject[] = [];
    let stdinRead = false;
    for (const p of paths) {
        if (p === "-") {
            if (stdinRead) throw new UsageError("- (standard input) given twice");
            stdinRead = true;
            out.push(...parseManifests(await io.readStdin(), "-"));
            continue;
        }
        let stat: fs.Stats;
        try {
            stat = fs.statSync(p);
        } catch {
            throw new UsageError(`${p}: no such file or directory`);
        }
        const files = stat.isDirectory() ? yamlFilesUnder(p) : [p];
        for (const f of files) {
            let text: string;
            try {
                text = fs.readFileSync(f, "utf8");
            } catch (e) {
                throw new UsageError(`${f}: cannot read: ${(e as Error).message}`);
            }
            out.push(...parseManifests(text, f));
        }
    }
    return out;
}

/** `MANDATORY rule Kind/namespace/name: message` (`Kind/name` for cluster-scoped objects). */
export function formatFinding(f: Finding): string {
    const r = f.resource;
    const id = r.namespace === "" ? `${r.kind}/${r.name}` : `${r.kind}/${r.namespace}/${r.name}`;
    return `${f.enforcementLevel.toUpperCase()} ${f.policy} ${id}: ${f.message}`;
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
            for (const r of RULES)
                io.stdout(`${r.name} (${r.defaultEnforcement}): ${r.description}\n`);
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
            if (table === undefined)
                throw new UsageError(`${args.classesFile}: expected an object`);
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

        const loaded = await loadPaths(args.paths, io);
        const findings = checkObjects(
            loaded.map((l) => l.object),
            options,
        );
        if (args.format === "json") {
            io.stdout(`${JSON.stringify(findings, null, 2)}\n`);
        } else {
            for (const f of findings) io.stdout(`${formatFinding(f)}\n`);
        }
        const mandatory = findings.filter((f) => f.enforcementLevel === "mandatory").length;
        io.stderr(
            `${loaded.length} object(s) checked: ${findings.length} finding(s), ${mandatory} mandatory, ` +
                `${findings.length - mandatory} advisory\n`,
        );
        return hasMandatory(findings) ? 1 : 0;
    } catch (e) {
        if (e instanceof UsageError || e instanceof InputError) {
            io.stderr(`check: ${e.message}\n`);
            if (e instanceof UsageError && /^(unknown option|no PATH|--)/.test(e.message)) {
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
        stream.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
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
