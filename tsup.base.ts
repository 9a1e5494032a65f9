/**
 * The one build configuration of every package: `tsup.config.ts` in each package only names its entries.
 * Every package is built the same way: ESM + CJS for Node 20, with types and source maps; entries share their
 * modules' chunks (splitting, also for CJS), so a process that loads two entries of one package (`@scoop/x` and
 * `@scoop/x/internal`, or the CLI and the index) has one copy of each class. `__SCOOP_VERSION__` is the version of
 * the package being built (protocol's `SCOOP_VERSION` reads it; all packages share one version).
 */
import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

/** The build of the package in the current directory (tsup runs in the package's directory), from its entries. */
export function packageBuild(...entry: string[]) {
  const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
  return defineConfig({
    entry,
    format: ["esm", "cjs"],
    splitting: true,
    dts: true,
    sourcemap: true,
    clean: true,
    shims: true,
    target: "node20",
    define: { __SCOOP_VERSION__: JSON.stringify(version) },
  });
}
