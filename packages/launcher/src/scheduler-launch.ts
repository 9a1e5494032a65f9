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
import { workerShellCommand, type ShellCommandOptions, type WorkerSpec } from "./worker-spec.js";

/** Launchers that are a batch scheduler's remote-exec tool. */
export type SchedulerLauncher = Extract<LauncherKind, "srun" | "pbsdsh" | "blaunch" | "qrsh">;

/** True if `kind` is a batch scheduler's remote-exec tool. */
export function isSchedulerLauncher(kind: LauncherKind): kind is SchedulerLauncher {
  return kind === "srun" || kind === "pbsdsh" || kind === "blaunch" || kind === "qrsh";
}

/**
 * The command line that runs `shellCommand` (a POSIX shell command, see
 * {@link workerShellCommand}) on `host` inside the current allocation.
 *
 * - `srun --nodes=1 --ntasks=1 --nodelist=HOST --overlap --mem=0 --kill-on-bad-exit=0 --quiet /bin/sh -c CMD`:
 *   one job step per worker; `--overlap` (SLURM ≥ 20.11) lets the steps share
 *   the allocation's CPUs, `--mem=0` its memory.
 * - `pbsdsh -h HOST /bin/sh -c CMD` (PBS/Torque; no standard input).
 * - `blaunch HOST /bin/sh -c CMD` (LSF).
 * - `qrsh -inherit HOST /bin/sh -c CMD` (SGE; `-nostdin` when nothing is sent on standard input).
 */
export function schedulerCommand(kind: SchedulerLauncher, host: string, shellCommand: string, options: { stdin?: boolean } = {}): string[] {
  const sh = ["/bin/sh", "-c", shellCommand];
  switch (kind) {
    case "srun":
      return [
        "srun",
        "--nodes=1",
        "--ntasks=1",
        `--nodelist=${host}`,
        "--overlap",
        "--mem=0",
        "--kill-on-bad-exit=0",
        "--quiet",
        ...(options.stdin ? [] : ["--input=none"]),
        ...sh,
      ];
    case "pbsdsh":
      return ["pbsdsh", "-h", host, ...sh];
    case "blaunch":
      return ["blaunch", host, ...sh];
    case "qrsh":
      return ["qrsh", "-inherit", ...(options.stdin ? [] : ["-nostdin"]), host, ...sh];
  }
}

/** Launchers that can pass secrets on a worker's standard input. */
export const STDIN_CAPABLE: ReadonlySet<SchedulerLauncher> = new Set(["srun", "blaunch", "qrsh"]);

/**
 * Start one worker on `host` with the scheduler's tool. `stdin` (secrets) is
 * written to its standard input where the tool forwards it.
 * @throws {ScoopError} `SCOOP_LAUNCH_FAILED` when `stdin` is given to a tool that cannot forward it.
 */
export function spawnSchedulerWorker(kind: SchedulerLauncher, host: string, spec: WorkerSpec, binPath: string, shell: ShellCommandOptions, log: Logger, stdin?: string): LocalWorker {
  if (stdin !== undefined && !STDIN_CAPABLE.has(kind)) {
    throw new ScoopError("SCOOP_LAUNCH_FAILED", `${kind} does not forward standard input, so it cannot hand CURVE keys to workers: use --insecure inside the allocation's private network, or --launcher ssh`);
  }
  const argv = schedulerCommand(kind, host, workerShellCommand(spec, binPath, shell), { stdin: stdin !== undefined });
  log.debug({ host, worker: spec.id, argv }, "starting a worker with the scheduler");
  return spawnWorkerCommand(argv, { ...spec, host }, log, stdin);
}
