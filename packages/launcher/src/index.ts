export { runProgram, resolveRunOptions } from "./run.js";
export type { RunOptions } from "./run.js";
export { spawnLocalWorker, stopLocalWorkers, workerBinPath } from "./local-workers.js";
export type { LocalWorker, LocalWorkerSpec } from "./local-workers.js";
export { main } from "./main.js";
