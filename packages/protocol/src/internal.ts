/**
 * `@scoop/protocol/internal`: what the sibling packages share that is not protocol's public API (the public API is
 * `@scoop/protocol`, src/index.ts). May change in any release.
 */
export { parseCommandLine, quickParse, type FlagsEnd } from "./command-line.js";
export { retryInterrupted } from "./interrupted.js";
export { lazyPino, requirePino, syncDestination } from "./lazy-pino.js";
