/** The SUBMIT record of a task, as the distributed executor sends it. */
import type { SubmittedTask } from "@scoop/protocol";
import type { TaskCall } from "./executor.js";
import type { Origin } from "./map-chunks.js";
import { streamId } from "./runtime.js";

/**
 * The SUBMIT entry of `call` (`frames` argument frames), sent by a peer of
 * app `ownApp` from `origin`; a chunk carries its calls' streams in its arguments.
 */
export function wireTask(call: TaskCall, frames: number, ownApp: string, origin: Origin, chunk = false): SubmittedTask {
  const task: SubmittedTask = { id: call.id, name: call.name, frames, retries: call.options.retries };
  if (call.options.priority) task.priority = call.options.priority;
  if (!chunk && call.rng !== undefined) task.rng = streamId(call.rng);
  // A subtask of another app's task belongs to that app (the broker routes its constants).
  if (origin.app !== ownApp) task.app = origin.app;
  // A deadline must fire on time: not on the thread that owns the future, nor beside main.
  if (call.options.timeoutMs !== undefined) task.elsewhere = true;
  // For progress and traces: the map it belongs to (how many of its calls it carries), and the task (broker key) that submitted it.
  const map = call.map;
  if (map !== undefined) {
    task.map = map.id;
    if (map.total !== undefined) task.total = map.total;
    if (map.calls !== undefined && map.calls > 1) task.calls = map.calls;
  }
  if (origin.parent !== undefined) task.parent = origin.parent;
  return task;
}
