/**
 * A task must not end the process that runs `main`: on the origin (and in an
 * app that runs tasks work-first, or serially) `process.exit()` inside a task
 * would end the run with main unfinished. There it throws instead, so the
 * task fails with a clear error and main goes on. (On other workers the
 * process ends and the broker runs its tasks again elsewhere.)
 */
import { ScoopError } from "@scoop/protocol";
import { currentTask, runtime } from "./runtime.js";

/** Install the guard on `process.exit` (once per process, whatever the copies of core). */
export function guardProcessExit(): void {
  const state = runtime as { exitGuarded?: boolean };
  if (state.exitGuarded) return;
  state.exitGuarded = true;
  const exit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    const task = currentTask();
    if (task === undefined) return exit(code as number);
    throw new ScoopError(
      "SCOOP_TASK_EXIT",
      `task "${task.name}" called process.exit(${code ?? ""}) on worker ${task.workerId}: a task must not end the process that runs main; throw an error instead`,
      { taskName: task.name, workerId: task.workerId },
    );
  }) as typeof process.exit;
}
