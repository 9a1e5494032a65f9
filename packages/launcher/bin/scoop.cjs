#!/usr/bin/env node
// Committed shim, so the bin exists before the first build (pnpm links bins at install time).
// CommonJS: Node 20's ES loader costs the launcher ~20 ms before its first spawn (resolving, linking and wrapping each
// module and builtin), and no code of the user's runs in this process, so no second copy of a package can appear.
require("../dist/cli.cjs");
