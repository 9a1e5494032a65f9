import { packageBuild } from "../../tsup.base.js";

// internal: the sibling packages' entry.
export default packageBuild("src/index.ts", "src/internal.ts");
