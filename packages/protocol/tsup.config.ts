import { packageBuild } from "../../tsup.base.js";

// internal: the sibling packages' entry. @msgpack/msgpack is bundled in: its
// 14 CommonJS files cost every process a resolve, a read and an ESM-interop
// parse each at start; its ESM build bundled is one chunk, only what is used.
export default { ...packageBuild("src/index.ts", "src/internal.ts"), noExternal: ["@msgpack/msgpack"] };
