/**
 * Workers started with a batch scheduler's own remote-exec tool inside its
 * allocation: SLURM `srun`, PBS/Torque `pbsdsh`, LSF `blaunch`, SGE
 * `qrsh -inherit`. The command lines are built by a pure function (unit
 * tested); the tool runs as a child process of the launcher, which forwards its
 * output and stops it on every end.
 */
import type { Logger } from "pino";
import { ScoopError } from "@scoop/protocol";
import { spawnWorkerCommand, type LocalWorker } from "./local-workers.js";
import type { LauncherKind } from "./plan.js";
import { schedulerOfLauncher, type SchedulerLauncher } from "./schedulers/registry.js";
import { workerShellCommand, type ShellCommandOptions, type WorkerSpec } from "./worker-spec.js";

export type { SchedulerLauncher } from "./schedulers/registry.js";

/** True if `kind` is a batch scheduler's remote-exec tool. */
export function isSchedulerLauncher(kind: LauncherKind): kind is SchedulerLauncher {
  return schedulerOfLauncher(kind) !== undefined;
}

/**
 * The command line that runs `shellCommand` (a POSIX shell command, see
 * {@link workerShellCommand}) on `host` inside the current allocation, as
 * each scheduler's adapter builds it (schedulers/*.ts), e.g.
 * `srun --nodes=1 --ntasks=1 --nodelist=HOST --overlap … /bin/sh -c CMD`,
 * `pbsdsh -h HOST /bin/sh -c CMD`, `blaunch HOST /bin/sh -c CMD`,
 * `qrsh -inherit [-nostdin] HOST /bin/sh -c CMD`.
 */
export function schedulerCommand(kind: SchedulerLauncher, host: string, shellCommand: string, options: { stdin?: boolean } = {}): string[] {
  return schedulerOfLauncher(kind)!.command(host, shellCommand, { stdin: options.stdin ?? false });
}

/**
 * Start one worker on `host` with the scheduler's tool. `stdin` (secrets) is
 * written to its standard input where the tool forwards it.
 * @throws {ScoopError} `SCOOP_LAUNCH_FAILED` when `stdin` is given to a tool that cannot forward it.
 */
export function spawnSchedulerWorker(kind: SchedulerLauncher, host: string, spec: WorkerSpec, binPath: string, shell: ShellCommandOptions, log: Logger, stdin?: string): LocalWorker {
  if (stdin !== undefined && !schedulerOfLauncher(kind)!.forwardsStdin) {
    throw new ScoopError("SCOOP_LAUNCH_FAILED", `${kind} does not forward standard input, so it cannot hand CURVE keys to workers: use --insecure inside the allocation's private network, or --launcher ssh`);
  }
  const argv = schedulerCommand(kind, host, workerShellCommand(spec, binPath, shell), { stdin: stdin !== undefined });
  log.debug({ host, worker: spec.id, argv }, "starting a worker with the scheduler");
  return spawnWorkerCommand(argv, { ...spec, host }, log, stdin);
}
