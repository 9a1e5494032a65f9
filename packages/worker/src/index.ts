export { startWorker } from "./worker.js";
export type { WorkerOptions, ScoopWorker } from "./worker.js";
export { TaskRunner } from "./runner.js";
export type { TaskRunnerOptions } from "./runner.js";
export { loadModule, exportedFunctions } from "./load-module.js";
export { main } from "./main.js";
