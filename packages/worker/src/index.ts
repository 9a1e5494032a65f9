export { startWorker } from "./worker.js";
export type { WorkerOptions, ScoopWorker, ReconnectOptions } from "./worker.js";
export { curveClient, readServerKey, parseSecrets } from "./curve.js";
export { curveKeyPair } from "@scoop/protocol";
export type { CurveClientOptions } from "./curve.js";
export { TaskRunner } from "./runner.js";
export type { TaskRunnerOptions } from "./runner.js";
export { loadModule, exportedFunctions } from "./load-module.js";
export { main } from "./main.js";
