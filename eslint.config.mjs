// ESLint: the TypeScript rules, Pulumi's rules against Outputs in template literals (they need
// type information), and the size limit that keeps components/ readable.
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/**", "bin/**", "test/fixtures/**"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { pulumi },
        rules: {
            "pulumi/no-output-in-template-literal": "error",
            "pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
        },
    },
    {
        files: ["index.ts", "components/**/*.ts"],
        rules: { "max-lines-per-function": ["error", { max: 80, skipBlankLines: true, skipComments: true }] },
    },
    {
        // Plain Node scripts: the harness's, this file, and the doctor the readiness check runs.
        files: ["**/*.mjs", "**/*.cjs"],
        languageOptions: {
            globals: { process: "readonly", console: "readonly", require: "readonly", module: "writable", URL: "readonly", Buffer: "readonly" },
        },
        // CommonJS is what `node -e` runs.
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    {
        // Mocks and fixtures handle the SDK's untyped wire formats.
        files: ["test/**/*.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
);
