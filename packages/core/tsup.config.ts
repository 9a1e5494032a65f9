import { defineConfig } from "tsup";

export default defineConfig({
  // internal: the sibling packages' entry. Both entries share their modules' chunks (splitting, also for CJS),
  // so a process that loads both has one copy of each class and of the runtime.
  entry: ["src/index.ts", "src/internal.ts"],
  format: ["esm", "cjs"],
  splitting: true,
  dts: true,
  sourcemap: true,
  clean: true,
  shims: true,
  target: "node20",
});
