// One jest project per package; unit and integration tests live side by side.
// Tests import workspace packages from source (no build needed for unit tests);
// integration tests that spawn real processes use the built bins in dist/.
// Sources import siblings as "./x.js" (NodeNext); jest must find "./x.ts".
const relativeJs = { "^(\\.{1,2}/.*)\\.js$": "$1" };
const packages = ["protocol", "core", "worker", "broker", "launcher"];
// Workspace packages by name, from source; test-helpers is the private package of shared test helpers.
const SCOOP = "^@scoop/(protocol|core|worker|broker|launcher|test-helpers)$";
// A package's entry for its siblings (`@scoop/core/internal`).
const INTERNAL = "^@scoop/(protocol|core|worker|broker|launcher)/internal$";
// Fails a test file whose run printed a Node warning (in jest or any process it started).
const noWarnings = require("node:path").join(__dirname, "test/setup/no-node-warnings.ts");

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    ...packages.map((name) => ({
      displayName: name,
      rootDir: `<rootDir>/packages/${name}`,
      testMatch: ["<rootDir>/test/**/*.test.ts"],
      transform: { "^.+\\.(t|j)sx?$": ["@swc/jest", { jsc: { target: "es2022" } }] },
      moduleNameMapper: { ...relativeJs, [SCOOP]: "<rootDir>/../$1/src/index.ts", [INTERNAL]: "<rootDir>/../$1/src/internal.ts" },
      testEnvironment: "node",
      setupFilesAfterEnv: [noWarnings],
    })),
    {
      displayName: "examples",
      rootDir: "<rootDir>/examples",
      testMatch: ["<rootDir>/test/**/*.test.ts"],
      transform: { "^.+\\.(t|j)sx?$": ["@swc/jest", { jsc: { target: "es2022" } }] },
      moduleNameMapper: { ...relativeJs, [SCOOP]: "<rootDir>/../packages/$1/src/index.ts", [INTERNAL]: "<rootDir>/../packages/$1/src/internal.ts" },
      testEnvironment: "node",
      setupFilesAfterEnv: [noWarnings],
    },
    {
      displayName: "repo",
      rootDir: "<rootDir>/test",
      testMatch: ["<rootDir>/**/*.test.ts"],
      transform: { "^.+\\.(t|j)sx?$": ["@swc/jest", { jsc: { target: "es2022" } }] },
      moduleNameMapper: { ...relativeJs, [SCOOP]: "<rootDir>/../packages/$1/src/index.ts", [INTERNAL]: "<rootDir>/../packages/$1/src/internal.ts" },
      testEnvironment: "node",
      setupFilesAfterEnv: [noWarnings],
    },
  ],
  testTimeout: 60000,
};
