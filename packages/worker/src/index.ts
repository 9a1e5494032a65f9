export { startWorker } from "./worker.js";
export type { ScoopWorker } from "./worker.js";
export { WORKER_DEFAULTS, RECONNECT_DEFAULTS } from "./options.js";
export type { WorkerOptions, ReconnectOptions } from "./options.js";
export { parseSecrets } from "./curve.js";
/** CURVE client options for a broker public key, with a fresh client keypair (`curveClientOptions` of `@scoop/protocol`). */
export { curveClientOptions as curveClient, readServerKey, curveKeyPair } from "@scoop/protocol";
export type { CurveClientOptions } from "@scoop/protocol";
export { TaskRunner } from "./runner.js";
export type { TaskRunnerOptions } from "./runner.js";
export { loadModule, exportedFunctions } from "./load-module.js";
export { main } from "./main.js";
