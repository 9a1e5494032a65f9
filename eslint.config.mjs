// ESLint (flat config), run by `pnpm test`. It enforces the package
// boundaries of DESIGN.md: no import cycles, no deep imports into another
// package's src/ or dist/ (packages meet only at their public entry points),
// no floating promises, and source files small enough to find things in.
import tseslint from "typescript-eslint";
import { importX } from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

const PACKAGES = "protocol|core|worker|broker|launcher|test-helpers";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/coverage/**", "packages/launcher/test/fixtures/syntax-error.ts"] },
  {
    files: ["packages/*/src/**/*.ts", "packages/*/test/**/*.ts"],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "@typescript-eslint": tseslint.plugin, "import-x": importX },
    settings: {
      "import-x/extensions": [".ts", ".js"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: ["packages/*/tsconfig.json"], noWarnOnMultipleProjects: true })],
    },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: `^(@scoop/[^/]+|(\\.\\./)+(packages/)?(${PACKAGES}))/(src|dist)(/|$)`,
              message: "import another package through its public entry point (@scoop/x or @scoop/x/internal), never its src/ or dist/",
            },
          ],
        },
      ],
      "@typescript-eslint/no-floating-promises": "error",
    },
  },
  {
    files: ["packages/*/src/**/*.ts"],
    rules: { "max-lines": ["error", { max: 400 }], "import-x/no-relative-packages": "error" },
  },
);
