/**
 * `@scoop/launcher`: the `scoop` command (its main surface), and the same run from code: `runProgram` (what `scoop`
 * does, as a function), `startCluster` (the local cluster behind `@scoop/core`'s `start()`), their options and the
 * errors they throw. The building blocks (plans, host lists, worker processes, SSH, schedulers, views) are in
 * `@scoop/launcher/internal`, for the repository's tests and benchmarks.
 */
export { main } from "./main.js";
export { runProgram } from "./run.js";
export { RUN_DEFAULTS, CLUSTER_DEFAULTS } from "./options.js";
export type { RunOptions, ClusterOptions } from "./options.js";
export type { LauncherKind } from "./plan.js";
export type { SshOptions } from "./ssh-workers.js";
export { startCluster } from "./cluster.js";
export type { LocalCluster } from "./cluster.js";
export { ScoopError, InvalidOptionError } from "@scoop/protocol";
export type { ScoopErrorCode } from "@scoop/protocol";
