/**
 * npm run render -- --stack <gke|eks|kind> [--out DIR] [--set key=value]...
 *
 * Writes DIR/kubernetes/<component>.yaml, DIR/cloud-resources.md and DIR/policy-findings.txt
 * (DIR defaults to render-out/<stack>; it is emptied first). Exit codes: 0 rendered and no mandatory
 * finding, 1 rendered with a mandatory finding, 2 bad arguments, bad configuration or program error.
 */
import * as fs from "fs";
import * as path from "path";

import { hasMandatory } from "../policy/core";
import { installMocks } from "./engine";
import { RenderInputError, renderStack } from "./render";

const USAGE = "usage: npm run render -- --stack <gke|eks|kind> [--out DIR] [--set key=value]...";

interface Args {
    stack: string;
    out: string;
    sets: string[];
}

export function parseArgs(argv: readonly string[]): Args {
    let stack: string | undefined;
    let out: string | undefined;
    const sets: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = (): string => {
            const v = argv[++i];
            if (v === undefined) {
                throw new RenderInputError(`${a} needs a value\n${USAGE}`);
            }
            return v;
        };
        if (a === "--stack") {
            stack = value();
        } else if (a === "--out") {
            out = value();
        } else if (a === "--set") {
            sets.push(value());
        } else if (a === "--help" || a === "-h") {
            throw new RenderInputError(USAGE);
        } else {
            throw new RenderInputError(`unknown argument ${a}\n${USAGE}`);
        }
    }
    if (!stack) {
        throw new RenderInputError(`--stack is required\n${USAGE}`);
    }
    return { stack, out: out ?? path.join("render-out", stack), sets };
}

export async function main(argv: readonly string[]): Promise<number> {
    let args: Args;
    try {
        args = parseArgs(argv);
        await installMocks(args.stack);
        const started = Date.now();
        const render = await renderStack(args.stack, args.sets);
        fs.rmSync(args.out, { recursive: true, force: true });
        for (const [file, content] of render.files) {
            const target = path.join(args.out, file);
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.writeFileSync(target, content);
        }
        const mandatory = render.findings.filter((f) => f.enforcementLevel === "mandatory").length;
        process.stderr.write(
            `rendered stack ${args.stack} to ${args.out}: ${render.kubernetesObjects} Kubernetes objects, ` +
                `${render.cloudResources} cloud resources, ${render.findings.length} policy findings ` +
                `(${mandatory} mandatory) in ${Date.now() - started} ms\n`,
        );
        if (hasMandatory(render.findings)) {
            process.stderr.write(fs.readFileSync(path.join(args.out, "policy-findings.txt"), "utf8"));
            return 1;
        }
        return 0;
    } catch (e) {
        const err = e as Error;
        const prefix = err instanceof RenderInputError ? "" : `render failed: ${err.name === "Error" ? "" : `${err.name}: `}`;
        process.stderr.write(`${prefix}${err.message}\n`);
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
