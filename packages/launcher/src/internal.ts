/**
 * `@scoop/launcher/internal`: the launcher's building blocks (plans, host lists and allocations, worker processes
 * and their command lines, SSH, scheduler tools, the progress view, the trace report) for the repository's tests
 * and benchmarks. Not the launcher's API (that is `@scoop/launcher`: the `scoop` CLI, `runProgram`, `startCluster`):
 * no stability promise beyond the SCOOP version it ships with.
 */
export { resolveRunOptions, resolveClusterOptions } from "./options.js";
export type { ResolvedRunOptions, ResolvedClusterOptions } from "./options.js";
export { spawnLocalWorker, spawnWorkerCommand, stopLocalWorkers, workerBinPath } from "./local-workers.js";
export type { LocalWorker } from "./local-workers.js";
export { workerArgs, workerShellCommand, shellQuote } from "./worker-spec.js";
export type { WorkerSpec, LaunchedWorker, ShellCommandOptions } from "./worker-spec.js";
export { SshHost, remoteWorkerCommand } from "./ssh-workers.js";
// Host lists and allocations: every name of hosts.ts (parsers, scheduler allocations, distributeWorkers, mergeHosts).
export * from "./hosts.js";
export { planRun, resolveHosts, chooseLauncher, isLocalHost, isLoopback, formatPlan, tcpEndpoint, LAUNCHERS, SCHEDULER_LAUNCHER } from "./plan.js";
export type { PlanInput, RunPlan, HostGroup, BrokerPlan } from "./plan.js";
export { schedulerCommand, spawnSchedulerWorker, isSchedulerLauncher } from "./scheduler-launch.js";
export type { SchedulerLauncher } from "./scheduler-launch.js";
export { expandHostsFlag } from "./main.js";
export { ProgressView, formatProgress, formatEta } from "./progress.js";
export type { ProgressOptions } from "./progress.js";
export { readTrace, summarizeTrace, traceReportHtml, writeTraceReport } from "./trace-report.js";
export type { TraceSummary } from "./trace-report.js";
