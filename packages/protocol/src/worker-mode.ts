/**
 * Worker mode: how a process knows it is a SCOOP worker before the user's
 * script runs. The launcher puts `SCOOP_WORKER=1` in the environment of every
 * worker it starts (local process, SSH, a batch scheduler's tool), and
 * `startWorker()` sets it in its own process before it loads any module. It is
 * an environment variable, not a module flag, so that every copy of
 * `@scoop/core` in the process sees it (the script's copy may not be the
 * worker's). In worker mode core never auto-runs the script's `main` (only the
 * origin worker runs it, when the broker says so) and refuses tasks the script
 * submits while it loads (`SCOOP_TOP_LEVEL_TASKS`).
 */

/** The environment variable that marks a worker process. */
export const WORKER_MODE_ENV = "SCOOP_WORKER";

/** True if `env` marks a worker process (see {@link WORKER_MODE_ENV}). */
export function isWorkerMode(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env[WORKER_MODE_ENV]);
}

/** Mark this process (or `env`, for a process about to start) as a worker. */
export function enterWorkerMode(env: NodeJS.ProcessEnv = process.env): void {
  env[WORKER_MODE_ENV] = "1";
}
