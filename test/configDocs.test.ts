/**
 * README's configuration tables and Pulumi.yaml's comment are generated from config.ts's schema; these
 * tests fail when either drifts (a key added to the schema and not documented, a default changed).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

import { configRows, main, markdownReference, README_MARKERS, YAML_MARKERS, yamlReference } from "../scripts/config-docs";

const root = path.resolve(__dirname, "..");
const read = (f: string) => fs.readFileSync(path.join(root, f), "utf8");

function block(text: string, [start, end]: readonly [string, string]): string {
    const i = text.indexOf(start);
    const j = text.indexOf(end);
    assert.ok(i >= 0 && j > i, `markers ${start} … ${end} missing`);
    return text.slice(i + start.length, j).trim();
}

describe("configuration reference", () => {
    it("npm run config-docs refuses an unknown option (a misspelt --check) without writing", () => {
        const before = [read("README.md"), read("Pulumi.yaml")];
        const errors: string[] = [];
        const original = console.error;
        console.error = (t: string) => errors.push(t);
        try {
            assert.strictEqual(main(["--chek"]), 2);
        } finally {
            console.error = original;
        }
        assert.match(errors.join("\n"), /Unknown option '--chek'/);
        assert.deepStrictEqual([read("README.md"), read("Pulumi.yaml")], before);
    });
    it("README's tables are the schema's (run npm run config-docs)", () => {
        assert.strictEqual(block(read("README.md"), README_MARKERS), markdownReference());
    });
    it("Pulumi.yaml's comment is the schema's (run npm run config-docs)", () => {
        assert.strictEqual(block(read("Pulumi.yaml"), YAML_MARKERS), yamlReference());
    });
    it("documents keys written down here by hand, with their defaults", () => {
        const rows = new Map(configRows().map((r) => [r.key, r]));
        const expected: [string, string][] = [
            // Without a value the program refuses to run: "required", never "unset".
            ["platform", "required"],
            ["students[].name", "required"],
            ["students[].identity", "unset"],
            ["studentApps", "false"],
            ["demos.chatroulette.enabled", "false"],
            ["demos.accessModes.mode", '"colocated"'],
            ["eks.kubernetesVersion", '"1.35"'],
            ["eks.upgradePolicy", '"STANDARD"'],
            ["eks.nodeCount", "unset"],
            ["gke.network.filestoreCidr", '"10.28.0.0/20"'],
            ["kind.rwxBackend", '"nfs"'],
            ["students[].uid", "unset"],
            ["quota.deniedStorageClasses", "unset"],
        ];
        for (const [key, def] of expected) {
            assert.ok(rows.has(key), `${key} is not documented`);
            assert.strictEqual(rows.get(key)!.default, def, key);
        }
        for (const r of rows.values()) {
            assert.notStrictEqual(r.description, "", `${r.key} has no description`);
        }
    });
    it("shows a required key as required in both files", () => {
        assert.match(block(read("README.md"), README_MARKERS), /^\| `platform` \| gke \\\| eks \\\| kind \| \*\*required\*\* \|/m);
        assert.match(block(read("Pulumi.yaml"), YAML_MARKERS), /^# {3}platform \(gke\|eks\|kind, required\):/m);
    });
    it("Pulumi.yaml's typed declarations agree with the schema", () => {
        const declared = parse(read("Pulumi.yaml")).config as Record<string, { type: string; default?: unknown }>;
        const rows = new Map(configRows().map((r) => [r.key, r]));
        for (const [key, decl] of Object.entries(declared)) {
            const row = rows.get(key);
            assert.ok(row, `Pulumi.yaml declares ${key}, which the schema does not know`);
            if (decl.default !== undefined) {
                assert.strictEqual(JSON.stringify(decl.default), row.default, `${key}: Pulumi.yaml default vs schema`);
            }
        }
    });
});
