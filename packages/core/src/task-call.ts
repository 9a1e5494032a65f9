/**
 * One task call: its name, its future and executor entry, and the deadline,
 * signal and parent link armed once it is submitted.
 */
import type { Executor, TaskCall, TaskSink } from "./executor.js";
import { DEFAULT_CALL_OPTIONS, type ResolvedCallOptions } from "./call-options.js";
import { AbortedError, TimeoutError } from "./errors.js";
import { Future } from "./future.js";
import { RetriesExhaustedError, nextRetry, type RetryPolicy } from "./retry-on-error.js";
import { currentScope, defineTask, nextStreamPosition, requireTaskName, runtime, streamId, taskByName, taskName, type StreamPosition } from "./runtime.js";
import { followAbort } from "./abort-fanout.js";
import { addOwnDeadline } from "./own-deadlines.js";

/** Any task function. */
export type Fn = (...args: any[]) => unknown;
/** What a task of type `F` resolves to. */
export type Result<F extends Fn> = Awaited<ReturnType<F>>;

/**
 * The task name of `fn`. The serial fallback also accepts a named function
 * that is not registered yet, but only while the script's exports cannot be
 * registered (a script that calls its own main() at the top level submits its
 * exports during its own loading), and only if it is exported when that can
 * be told: a function that is not exported fails here as on a cluster, where
 * no worker could look it up.
 */
export function taskNameFor(fn: unknown, exec: Executor): string {
  if (
    exec.kind === "serial" &&
    !runtime.managed &&
    !runtime.exportsRegistered &&
    typeof fn === "function" &&
    fn.name &&
    taskName(fn as Fn) === undefined &&
    taskByName(fn.name) === undefined &&
    exportedByEntry(fn) !== false
  ) {
    defineTask(fn.name, fn as Fn);
  }
  return requireTaskName(fn);
}

/** Whether the entry script exports `fn`, when its exports can be read now (CommonJS); `undefined` if not. */
function exportedByEntry(fn: unknown): boolean | undefined {
  const exports = (process as { mainModule?: { exports?: unknown } }).mainModule?.exports;
  if (typeof exports !== "object" || exports === null) return undefined;
  return Object.values(exports).includes(fn);
}

/**
 * Make the future and executor entry of one task; arms its deadline, signal
 * and parent link once submitted.
 * @param rng id of the task's random stream: the next position of the
 * submitting task (or program) unless given (a map's items get their own)
 * @param map the map the task belongs to (the broker counts its progress)
 */
export function prepare<R>(fn: Fn, name: string, args: unknown[], options: ResolvedCallOptions, exec: Executor, rng: string | StreamPosition = nextStreamPosition(), map?: TaskCall["map"]) {
  if (!runtime.managed) runtime.usedEarly = true;
  const id = runtime.nextTaskId++;
  const future = new Future<R>(id, name);
  // Most calls have no options: they share one options object.
  const taskOptions = options === DEFAULT_CALL_OPTIONS ? DEFAULT_CALL_OPTIONS : { timeoutMs: options.timeoutMs, retries: options.retries, priority: options.priority };
  const call: TaskCall = { id, name, fn, args, rng, options: taskOptions, map };
  let sink = future.sink() as TaskSink;
  if (options.retryOnError === undefined) {
    // Someone waits for it: the executor may run it here (work-first).
    if (exec.awaited !== undefined) future.bindAwait(() => exec.awaited!(id));
    future.bindCancel(() => exec.cancel(id));
  } else {
    // The same, again on each retry.
    const waited = { yes: false };
    if (exec.awaited !== undefined) {
      future.bindAwait(() => {
        waited.yes = true;
        exec.awaited!(id);
      });
    }
    sink = retryingSink(call, sink, options.retryOnError, exec, future, waited);
  }
  const arm = () => {
    const { timeoutMs, signal } = options;
    // A task's children are cancelled with it: they follow its cancel scope (no listener per child).
    const parent = currentScope();
    if (parent !== undefined) future.follow(parent);
    if (timeoutMs === undefined && signal === undefined) return;
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => future.abandon(new TimeoutError(`task "${name}" did not finish within ${timeoutMs} ms (its timeoutMs); it was cancelled`, { taskName: name })), timeoutMs);
    // Where this process runs it itself, the timer cannot fire while it runs: the heartbeat thread watches the deadline.
    const forgetDeadline = timeoutMs === undefined ? undefined : addOwnDeadline(streamId(rng)!, Date.now() + timeoutMs);
    const onAbort = () => future.abandon(new AbortedError(`task "${name}" was aborted by its signal`, { taskName: name, cause: signal?.reason }));
    // One listener per signal fans out to every follower: a signal shared by 100,000 calls gets one listener.
    const unfollowSignal = signal === undefined ? undefined : followAbort(signal, onAbort);
    future.addDoneCallback(() => {
      if (timer !== undefined) clearTimeout(timer);
      forgetDeadline?.();
      unfollowSignal?.();
    });
  };
  return { future, entry: { call, sink }, arm };
}

/**
 * The sink of a task with `retryOnError`: a failure the policy accepts
 * submits the same call again (same id, same random stream) after a backoff;
 * the last failure rejects the future, with every attempt's failure when
 * there were several.
 */
function retryingSink<R>(call: TaskCall, sink: TaskSink, policy: RetryPolicy, exec: Executor, future: Future<R>, waited: { yes: boolean }): TaskSink {
  const failures: unknown[] = [];
  let backoff: NodeJS.Timeout | undefined;
  // Cancelling during a backoff stops the timer: the task is nowhere else.
  future.bindCancel(() => {
    if (backoff === undefined) return exec.cancel(call.id);
    clearTimeout(backoff);
    backoff = undefined;
    return true;
  });
  const retrying: TaskSink = {
    started: () => sink.started(),
    resolve: (value) => sink.resolve(value),
    reject: (error) => {
      failures.push(error);
      const delay = future.done() ? undefined : nextRetry(policy, error, failures.length);
      if (delay === undefined) {
        sink.reject(failures.length === 1 ? error : new RetriesExhaustedError(call.name, failures));
        return;
      }
      backoff = setTimeout(() => {
        backoff = undefined;
        if (future.done()) return;
        try {
          exec.submit([{ call, sink: retrying }]);
          if (waited.yes) exec.awaited?.(call.id);
        } catch (submitError) {
          sink.reject(submitError); // the executor closed meanwhile
        }
      }, delay);
    },
  };
  return retrying;
}

/** A prepared task call. */
export type Prepared<R> = ReturnType<typeof prepare<R>>;
