/**
 * zeromq, required rather than imported. zeromq.js is a CommonJS package: an
 * ES `import` of it (what this package's ES build would do) makes Node parse
 * its entry again with cjs-module-lexer and build an ES facade, ~8-10 ms of
 * CPU at every process start (measured: `import("zeromq")` against
 * `require("zeromq")` from an ES module, 8 alternations).
 */
import { createRequire } from "node:module";

export type * as Zmq from "zeromq";

/** zeromq.js, loaded once. */
export const zmq = createRequire(__filename)("zeromq") as typeof import("zeromq");
