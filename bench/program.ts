/**
 * Benchmark (not a test): the program under the mock engine with 30, 100 and 300 students, next to
 * the SDK's own floor — the same resources (types, names, inputs) registered with no program logic.
 *
 *   npm run bench                      ts-node, as `pulumi up` runs a TypeScript program
 *   npm run build && npm run bench:js  precompiled JavaScript (bin/), no source-map cost
 *   options: --stacks gke,eks,kind --sizes 30,100,300 --repeat 3
 *
 * Stack captures are kept as the CLI pays for them (realStackTraces), so ts-node's source-map cost
 * shows. Each figure is the median of --repeat runs after one warm-up run per stack.
 */
import { installMocks, runProgram, stackConfig } from "../render/engine";
import { runRegistrations } from "./floor";

function arg(name: string, fallback: string): string {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
    const start = process.hrtime.bigint();
    const result = await f();
    return [Number(process.hrtime.bigint() - start) / 1e6, result];
}

async function main(): Promise<void> {
    const stacks = arg("stacks", "gke,eks,kind").split(",");
    const sizes = arg("sizes", "30,100,300").split(",").map(Number);
    const repeat = Number(arg("repeat", "3"));
    const mode = __filename.endsWith(".js") ? "precompiled JavaScript" : "ts-node (transpile-only)";
    await installMocks();
    console.log(`# program vs SDK floor under mocks, ${mode}, median of ${repeat}`);
    console.log("| stack | students | resources | per student | program ms | ms/resource | floor ms/resource | ratio |");
    console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const stack of stacks) {
        const base = stackConfig(stack);
        const config = (n: number) => ({
            ...base,
            "kube-volume-lab:students": Array.from({ length: n }, (_, i) => `s${String(i).padStart(3, "0")}`),
        });
        const empty = await runProgram(config(0), { realStackTraces: true }); // warm-up, and the fixed part
        await runRegistrations(empty.resources, { realStackTraces: true });
        for (const n of sizes) {
            const programMs: number[] = [];
            const floorMs: number[] = [];
            let count = 0;
            for (let r = 0; r < repeat; r++) {
                const [ms, run] = await timed(() => runProgram(config(n), { realStackTraces: true }));
                programMs.push(ms);
                count = run.resources.length;
                const [floor] = await timed(() => runRegistrations(run.resources, { realStackTraces: true }));
                floorMs.push(floor);
            }
            const p = median(programMs);
            const f = median(floorMs);
            const perStudent = (count - empty.resources.length) / n;
            console.log(
                `| ${stack} | ${n} | ${count} | ${perStudent.toFixed(1)} | ${p.toFixed(0)} | ${(p / count).toFixed(3)} | ` +
                    `${(f / count).toFixed(3)} | ${(p / f).toFixed(2)} |`,
            );
        }
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
