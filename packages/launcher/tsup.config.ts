import { packageBuild } from "../../tsup.base.js";

// internal: the building blocks, for the repository's tests and benchmarks.
export default packageBuild("src/index.ts", "src/internal.ts", "src/cli.ts");
