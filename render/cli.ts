/**
 * npm run render -- --stack <gke|eks|kind> [--out DIR] [--set key=value]...
 *
 * Writes DIR/kubernetes/<component>.yaml, DIR/cloud-resources.md and DIR/policy-findings.txt (DIR
 * defaults to render-out/<stack>), and DIR/.kube-volume-lab-render.json listing them with their sha256.
 * It never empties DIR: it writes only its own files, and on a re-render replaces or removes only the
 * files the previous render's list names, while they still hold what it wrote, never through a link.
 * A DIR that is not empty and holds no such list (a checkout, `--out .`, a folder of the user's) is
 * refused. Exit codes: 0 rendered and no mandatory finding, 1 rendered with a mandatory
 * finding, 2 bad arguments, a refused DIR, bad configuration or a program error.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parseArgs as parseNodeArgs } from "util";

import { hasMandatory } from "../policy/core";
import { installMocks } from "./engine";
import { RenderInputError, renderStack } from "./render";

export const USAGE = `usage: npm run render -- --stack <gke|eks|kind> [--out DIR] [--set key=value]...
  --stack NAME       the stack file to render: Pulumi.<NAME>.yaml
  --out DIR          where to write (default render-out/<stack>); a new or empty directory, or a
                     previous render's (only that render's own files are replaced)
  --set key=value    override a config value as \`pulumi config set --path key value\` would
                     (repeatable): gke.nodeCount=3, students[0].name=zoe, students=["ada","bob"]
  --help, -h         print this help
exit: 0 no mandatory finding, 1 mandatory finding(s), 2 bad arguments, refused DIR or program error`;

/** The file a render writes into DIR listing its own files; nothing else in DIR is ever touched. */
export const MARKER = ".kube-volume-lab-render.json";

export interface Args {
    stack: string;
    out: string;
    sets: string[];
}

/** Parses the arguments (node's util.parseArgs, strict). Returns "help" for --help. @throws RenderInputError */
export function parseArgs(argv: readonly string[]): Args | "help" {
    let values: { stack?: string; out?: string; set?: string[]; help?: boolean };
    try {
        ({ values } = parseNodeArgs({
            args: [...argv],
            options: {
                stack: { type: "string" },
                out: { type: "string" },
                set: { type: "string", multiple: true },
                help: { type: "boolean", short: "h" },
            },
            strict: true,
            allowPositionals: false,
        }));
    } catch (e) {
        const err = e as Error & { code?: string };
        const option = /'(?:-\w, )?(-[^' ,]+)/.exec(err.message)?.[1];
        const message =
            err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option
                ? `unknown option ${option}`
                : err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option
                  ? `${option} needs a value`
                  : err.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL"
                    ? `${err.message.split(".")[0]}: every value follows its option (--stack NAME, --out DIR, --set key=value)`
                    : err.message;
        throw new RenderInputError(`${message}\n${USAGE}`);
    }
    if (values.help) {
        return "help";
    }
    if (!values.stack) {
        throw new RenderInputError(`--stack is required\n${USAGE}`);
    }
    if (values.out === "") {
        throw new RenderInputError(`--out needs a directory\n${USAGE}`);
    }
    return { stack: values.stack, out: values.out ?? path.join("render-out", values.stack), sets: values.set ?? [] };
}

/**
 * What a render wrote into DIR, as its marker lists it: the files and the sha256 of each as written.
 * `pending` holds the checksums of a render that was writing when it stopped (crash, Ctrl-C): a file
 * may then hold either the old or the new content.
 */
interface MarkerFile {
    generator: "kube-volume-lab render";
    stack: string;
    files: string[];
    sha256: Record<string, string>;
    pending?: Record<string, string>;
}

/** The previous render in DIR: its files and, per file, the checksums its content may have. */
export interface PreviousRender {
    files: string[];
    checksums: ReadonlyMap<string, readonly string[]>;
}

const NO_PREVIOUS: PreviousRender = { files: [], checksums: new Map() };

/** A relative path that stays inside DIR (no absolute path, no `..`). */
function isOwnPath(file: unknown): file is string {
    return (
        typeof file === "string" &&
        file !== "" &&
        !path.isAbsolute(file) &&
        !file.split(/[\\/]/).some((part) => part === ".." || part === "")
    );
}

function isChecksumMap(value: unknown): value is Record<string, string> {
    return (
        typeof value === "object" &&
        value !== null &&
        !Array.isArray(value) &&
        Object.values(value).every((v) => typeof v === "string" && /^[0-9a-f]{64}$/.test(v))
    );
}

function sha256(content: string | Buffer): string {
    return createHash("sha256").update(content).digest("hex");
}

/** lstat, or undefined when nothing is there. */
function lstatOrUndefined(p: string): fs.Stats | undefined {
    try {
        return fs.lstatSync(p);
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw e;
    }
}

/**
 * Checks DIR before anything is rendered or written: missing, empty, or a previous render's.
 * @returns the files the previous render wrote (to be replaced) and their checksums; none for a new or empty DIR
 * @throws RenderInputError for a non-directory, or a non-empty DIR that holds no valid render marker
 */
export function previousRenderFiles(out: string): PreviousRender {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(out);
    } catch {
        return NO_PREVIOUS;
    }
    if (!stat.isDirectory()) {
        throw new RenderInputError(`--out ${out}: exists and is not a directory; nothing was written`);
    }
    const entries = fs.readdirSync(out);
    if (entries.length === 0) {
        return NO_PREVIOUS;
    }
    const markerPath = path.join(out, MARKER);
    if (!entries.includes(MARKER)) {
        throw new RenderInputError(
            `--out ${out}: the directory is not empty and is not a previous render (it has no ${MARKER}); ` +
                `refusing to write into it, nothing was changed. Choose a new or empty directory, e.g. --out render-out/<stack>`,
        );
    }
    if (!fs.lstatSync(markerPath).isFile()) {
        throw new RenderInputError(`--out ${out}: ${MARKER} is not a regular file (a link or a directory); nothing was changed`);
    }
    let marker: Partial<MarkerFile>;
    try {
        marker = JSON.parse(fs.readFileSync(markerPath, "utf8")) as Partial<MarkerFile>;
    } catch (e) {
        throw new RenderInputError(`--out ${out}: ${MARKER} is not valid JSON (${(e as Error).message}); nothing was changed`);
    }
    if (
        marker.generator !== "kube-volume-lab render" ||
        !Array.isArray(marker.files) ||
        !marker.files.every(isOwnPath) ||
        marker.files.includes(MARKER) ||
        !isChecksumMap(marker.sha256) ||
        (marker.pending !== undefined && !isChecksumMap(marker.pending)) ||
        !marker.files.every((f) => Object.hasOwn(marker.sha256 ?? {}, f) || Object.hasOwn(marker.pending ?? {}, f))
    ) {
        throw new RenderInputError(
            `--out ${out}: ${MARKER} was not written by this render (expected generator "kube-volume-lab render", ` +
                "a list of relative files and the sha256 of each); nothing was changed. Delete the directory's " +
                "rendered files and the marker yourself, or choose a new directory",
        );
    }
    const checksums = new Map<string, string[]>();
    for (const f of marker.files) {
        checksums.set(
            f,
            [marker.sha256, marker.pending ?? {}].filter((m) => Object.hasOwn(m, f)).map((m) => m[f]),
        );
    }
    return { files: marker.files, checksums };
}

/**
 * Every check before a write, so that a refusal changes nothing: no directory on the way is a link
 * (nothing is written or removed through one), a previous file still holds what a render wrote
 * (an edit of yours is never replaced), a new file does not exist unless the previous render wrote it.
 * @returns the sha256 of each previous file still present
 */
function checkWritable(out: string, files: ReadonlyMap<string, string>, previous: PreviousRender): Map<string, string> {
    const present = new Map<string, string>();
    const own = new Set(previous.files);
    const refuse = (what: string): never => {
        throw new RenderInputError(`--out ${out}: ${what}; nothing was changed`);
    };
    for (const file of new Set([...previous.files, ...files.keys()])) {
        const parts = file.split(/[\\/]/);
        for (let i = 1; i < parts.length; i++) {
            const dir = parts.slice(0, i).join("/");
            const st = lstatOrUndefined(path.join(out, dir));
            if (st === undefined) break;
            if (!st.isDirectory()) {
                refuse(`${dir} is ${st.isSymbolicLink() ? "a symbolic link" : "not a directory"}; the render writes and removes only inside ${out}, never through links`);
            }
        }
        const st = lstatOrUndefined(path.join(out, file));
        if (st === undefined) continue;
        if (!own.has(file)) {
            refuse(`${file} exists and was not written by the previous render; refusing to overwrite it`);
        }
        if (!st.isFile()) {
            refuse(`${file} is no longer the file the previous render wrote (it is a ${st.isSymbolicLink() ? "symbolic link" : "directory"}); move it away`);
        }
        const actual = sha256(fs.readFileSync(path.join(out, file)));
        if (!(previous.checksums.get(file) ?? []).includes(actual)) {
            refuse(`${file} was changed since the previous render wrote it; move your edits elsewhere or delete the file, then render again`);
        }
        present.set(file, actual);
    }
    return present;
}

/**
 * Writes a render's files into DIR, replacing only the previous render's own files, and only while
 * they are as the render wrote them.
 * @param previous what `previousRenderFiles` returned for DIR
 * @throws RenderInputError, before changing anything, when a file in the way is not the previous render's
 */
export function writeRender(out: string, stack: string, files: ReadonlyMap<string, string>, previous: PreviousRender): void {
    for (const file of files.keys()) {
        if (!isOwnPath(file) || file === MARKER) {
            throw new Error(`render produced a file name it may not write: ${file}`);
        }
    }
    const present = checkWritable(out, files, previous);
    const checksums = new Map([...files].map(([file, content]) => [file, sha256(content)] as const));
    const writeMarker = (marker: MarkerFile): void =>
        fs.writeFileSync(path.join(out, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
    fs.mkdirSync(out, { recursive: true });
    // First a marker naming every file this write may leave behind, old or new, so that a render
    // stopped half-way (crash, Ctrl-C) leaves a directory the next render still recognises.
    writeMarker({
        generator: "kube-volume-lab render",
        stack,
        files: [...new Set([...present.keys(), ...files.keys()])].sort(),
        sha256: Object.fromEntries([...present].sort()),
        pending: Object.fromEntries([...checksums].sort()),
    });
    // The previous render's files this render does not write, then the directories they leave empty.
    for (const file of previous.files.filter((f) => !files.has(f))) {
        fs.rmSync(path.join(out, file), { force: true });
        for (let dir = path.dirname(file); dir !== "."; dir = path.dirname(dir)) {
            const full = path.join(out, dir);
            if (fs.existsSync(full) && fs.readdirSync(full).length === 0) {
                fs.rmdirSync(full);
            } else {
                break;
            }
        }
    }
    for (const [file, content] of files) {
        const target = path.join(out, file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, content);
    }
    writeMarker({ generator: "kube-volume-lab render", stack, files: [...files.keys()].sort(), sha256: Object.fromEntries([...checksums].sort()) });
}

/** Where the CLI writes; injectable for tests. */
export interface RenderIO {
    stdout(text: string): void;
    stderr(text: string): void;
}

const processIO: RenderIO = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
};

export async function main(argv: readonly string[], io: RenderIO = processIO): Promise<number> {
    try {
        const args = parseArgs(argv);
        if (args === "help") {
            io.stdout(`${USAGE}\n`);
            return 0;
        }
        // Refuse a bad DIR before spending the render's time, and again (writeRender) before writing.
        previousRenderFiles(args.out);
        await installMocks(args.stack);
        const started = Date.now();
        const render = await renderStack(args.stack, args.sets);
        writeRender(args.out, args.stack, render.files, previousRenderFiles(args.out));
        const mandatory = render.findings.filter((f) => f.enforcementLevel === "mandatory").length;
        io.stderr(
            `rendered stack ${args.stack} to ${args.out}: ${render.kubernetesObjects} Kubernetes objects, ` +
                `${render.cloudResources} cloud resources, ${render.findings.length} policy findings ` +
                `(${mandatory} mandatory) in ${Date.now() - started} ms\n`,
        );
        if (hasMandatory(render.findings)) {
            io.stderr(render.files.get("policy-findings.txt") ?? "");
            return 1;
        }
        return 0;
    } catch (e) {
        const err = e as Error;
        const prefix = err instanceof RenderInputError ? "render: " : `render failed: ${err.name === "Error" ? "" : `${err.name}: `}`;
        io.stderr(`${prefix}${err.message}\n`);
        return 2;
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`render failed: ${String(e)}\n`);
            process.exit(2);
        },
    );
}
