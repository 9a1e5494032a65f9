export { runProgram, resolveRunOptions } from "./run.js";
export type { RunOptions } from "./run.js";
export { spawnLocalWorker, stopLocalWorkers, workerBinPath } from "./local-workers.js";
export type { LocalWorker } from "./local-workers.js";
export { workerArgs } from "./worker-spec.js";
export type { WorkerSpec, LaunchedWorker } from "./worker-spec.js";
export { SshHost, remoteWorkerCommand, shellQuote } from "./ssh-workers.js";
export type { SshOptions } from "./ssh-workers.js";
export {
  parseHostfile,
  parseHostList,
  parseSlurmNodelist,
  parseSlurmTasksPerNode,
  slurmHosts,
  pbsHosts,
  sgeHosts,
  lsfHosts,
  detectScheduler,
  schedulerHosts,
  distributeWorkers,
  mergeHosts,
} from "./hosts.js";
export type { HostSlots, HostPlan, HostPlanSource, Scheduler } from "./hosts.js";
export { main } from "./main.js";
export { startCluster } from "./cluster.js";
export type { ClusterOptions, LocalCluster } from "./cluster.js";
