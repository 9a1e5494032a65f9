/**
 * A task must not end the process that runs it: on the origin that would end
 * `main` (the run "succeeds" with main unfinished), on a worker it kills the
 * worker and every task it holds. Inside a task, `process.exit()` throws
 * instead, so the task fails with a clear error and the process goes on.
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
      `task "${task.name}" called process.exit(${code ?? ""}) on worker ${task.workerId}: a task must not end the process that runs it (on the origin that ends main, elsewhere it kills a worker); throw an error instead`,
      { taskName: task.name, workerId: task.workerId },
    );
  }) as typeof process.exit;
}
