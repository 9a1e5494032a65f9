/**
 * The executor choice, in one place: the installed executor, or the serial
 * fallback when this process was not launched by scoop (nor connected).
 */
import { ScoopError, isWorkerMode } from "@scoop/protocol";
import type { Executor } from "./executor.js";
import { runtime } from "./runtime.js";
import { SerialExecutor } from "./serial-executor.js";

/** The installed executor, or the serial fallback (with its one warning) if none is. */
export function executorForTasks(): Executor {
  if (runtime.executor) return runtime.executor;
  if (isWorkerMode()) {
    throw new ScoopError("SCOOP_TOP_LEVEL_TASKS", "the script submitted tasks while the worker was still loading it (at its top level, or by calling main() itself): move that code into an exported main() and let scoop call it, once, on the origin worker");
  }
  // One line, as promised: process.emitWarning would add a second ("Use node --trace-warnings").
  if (!process.env.NODE_NO_WARNINGS) {
    process.stderr.write("scoop: warning: not launched by scoop, so tasks run one at a time in this process; run `scoop script.ts` (or call connect()/start()) to use every core\n");
  }
  return (runtime.executor = new SerialExecutor());
}

/** The installed executor, or the serial fallback without a warning: constants alone do not deserve it (tasks will give it). */
export function executorForConstants(): Executor {
  return (runtime.executor ??= new SerialExecutor());
}
