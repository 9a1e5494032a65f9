import { packageBuild } from "../../tsup.base.js";

// internal: the sibling packages' entry (see tsup.base.ts: both entries share their chunks).
export default packageBuild("src/index.ts", "src/internal.ts");
