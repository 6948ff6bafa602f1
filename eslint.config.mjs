// ESLint flat config: typescript-eslint's recommended rules with type information (so the Pulumi
// plugin can tell an Output in a template literal), plus @pulumi/eslint-plugin.
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/**", "bin/**", "policy/node_modules/**", "policy/bin/**", "render-out/**", ".scratch/**", "*.mjs"] },
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        languageOptions: { parserOptions: { project: "./tsconfig.json", tsconfigRootDir: import.meta.dirname } },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/prefer-nullish-coalescing": "off",
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
        },
    },
    {
        // Plain Node.js scripts run without a build step: CommonJS on purpose.
        files: ["scripts/**/*.js"],
        languageOptions: { sourceType: "commonjs", globals: { require: "readonly", __dirname: "readonly", console: "readonly" } },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    {
        files: ["test/**/*.ts"],
        rules: { "@typescript-eslint/no-non-null-assertion": "off" },
    },
);
