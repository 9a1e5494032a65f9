import { resolve } from "node:path";
import pino from "pino";
import { readmeDefaults } from "@scoop/test-helpers";
import { CLUSTER_DEFAULTS, RUN_DEFAULTS, resolveClusterOptions, resolveRunOptions } from "../../src/options.js";

const readme = resolve(__dirname, "../../README.md");

test("the README's runProgram() and startCluster() defaults are the code's", () => {
  expect(readmeDefaults(readme, "### Options of `runProgram()`")).toEqual({ ...RUN_DEFAULTS });
  expect(readmeDefaults(readme, "### Options of `startCluster()`")).toEqual({ ...CLUSTER_DEFAULTS });
});

test("resolveRunOptions and resolveClusterOptions fill in the defaults", () => {
  const logger = pino({ level: "silent" });
  expect(resolveRunOptions({ script: resolve(__dirname, "../fixtures/exit-code.ts"), logger })).toMatchObject({ ...RUN_DEFAULTS, argv: [] });
  expect(resolveClusterOptions({ modules: [], logger })).toMatchObject({ ...CLUSTER_DEFAULTS, logger });
});
