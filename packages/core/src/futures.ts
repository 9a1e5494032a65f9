/**
 * The `futures` API: submit tasks and combine their results. Everything here
 * goes through the installed executor (a cluster, or the serial fallback).
 */
import { InvalidOptionError, ScoopError } from "@scoop/protocol";
import { executorForTasks } from "./active-executor.js";
import { atCaller } from "./error-format.js";
import { DEFAULT_CALL_OPTIONS, resolveCallOptions, splitOptions, type CallOptions, type MapOptions, type ReduceOptions, type ResolvedCallOptions } from "./call-options.js";
import type { Future } from "./future.js";
import { MapRun, type MapResult } from "./map-run.js";
import { requireTaskName, runtime } from "./runtime.js";
import { prepare, taskNameFor, type Fn, type Result } from "./task-call.js";
import type { InputsFor } from "./zip.js";

export type { CallOptions, MapOptions, MapProgress, ReduceOptions } from "./call-options.js";
export type { MapResult } from "./map-run.js";
export { ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, asCompleted, wait } from "./waiting.js";
export type { ReturnWhen, WaitManyOptions, WaitResult } from "./waiting.js";

/**
 * Run `fn(...args)` as a task; returns its {@link Future}.
 *
 * ```ts
 * const f = futures.submit(square, 7);
 * await f; // 49
 * ```
 * @throws {TaskNotRegisteredError} if `fn` is not a registered task (export it or use `defineTask`).
 * @throws {SerializationError} if an argument cannot be sent (the message names its path).
 */
export function submit<F extends Fn>(fn: F, ...args: Parameters<F>): Future<Result<F>> {
  return submitResolved(DEFAULT_CALL_OPTIONS, fn, args);
}

/** {@link submit} with options (`timeoutMs`, `retries`, `signal`). */
export function submitWith<F extends Fn>(options: CallOptions, fn: F, ...args: Parameters<F>): Future<Result<F>> {
  let resolved: ResolvedCallOptions;
  try {
    resolved = resolveCallOptions(options, "submit");
  } catch (error) {
    throw atCaller(error);
  }
  return submitResolved(resolved, fn, args);
}

function submitResolved<F extends Fn>(options: ResolvedCallOptions, fn: F, args: unknown[]): Future<Result<F>> {
  try {
    const exec = executorForTasks();
    const { future, entry, arm } = prepare<Result<F>>(fn, taskNameFor(fn, exec), args, options, exec);
    exec.submit([entry]);
    arm();
    return future;
  } catch (error) {
    throw atCaller(error);
  }
}

/**
 * Apply `fn` to every input (several iterables are zipped, shortest wins).
 * Await it for the array of results in input order, or iterate it with
 * `for await` to take them as they come (in order). Inputs may be arrays,
 * generators or async iterables; at most `window` tasks are outstanding.
 * A trailing plain object is {@link MapOptions}.
 *
 * ```ts
 * const squares = await futures.map(square, [1, 2, 3]);        // [1, 4, 9]
 * for await (const s of futures.map(square, numbers())) use(s); // streaming
 * ```
 * The first failure in input order rejects the map and cancels the rest.
 */
export function map<F extends Fn>(fn: F, ...inputs: [...InputsFor<Parameters<F>>, MapOptions] | InputsFor<Parameters<F>>): MapResult<Result<F>> {
  try {
    const { inputs: its, options } = splitOptions<MapOptions>([...inputs], "map");
    return new MapRun<Result<F>>(fn, its, options, true, "map");
  } catch (error) {
    throw atCaller(error);
  }
}

/**
 * Like {@link map}, but results come in the order tasks finish.
 * The first failure rejects and cancels the rest.
 */
export function mapAsCompleted<F extends Fn>(fn: F, ...inputs: [...InputsFor<Parameters<F>>, MapOptions] | InputsFor<Parameters<F>>): MapResult<Result<F>> {
  try {
    const { inputs: its, options } = splitOptions<MapOptions>([...inputs], "mapAsCompleted");
    return new MapRun<Result<F>>(fn, its, options, false, "mapAsCompleted");
  } catch (error) {
    throw atCaller(error);
  }
}

/**
 * Map `fn` over the inputs and fold the results with `op` in input order, as
 * they arrive, in this process: `op(op(r0, r1), r2)…`. With `initial`, the
 * fold starts from it (and an empty input gives `initial`).
 *
 * ```ts
 * const total = await futures.mapReduce(square, (a, b) => a + b, [1, 2, 3]); // 14
 * ```
 * @throws {ScoopError} `SCOOP_EMPTY_REDUCE` for an empty input without `initial`.
 */
export async function mapReduce<F extends Fn, A = Result<F>>(fn: F, op: (acc: A, value: Result<F>) => A, ...inputs: [...InputsFor<Parameters<F>>, ReduceOptions<A>] | InputsFor<Parameters<F>>): Promise<A> {
  let acc: { value: A } | undefined;
  for await (const value of folds(fn, op, inputs, "mapReduce")) acc = { value };
  if (acc !== undefined) return acc.value;
  const { options } = splitOptions<ReduceOptions<A>>([...inputs], "mapReduce");
  if ("initial" in options) return options.initial as A;
  throw new ScoopError("SCOOP_EMPTY_REDUCE", `mapReduce of task "${requireTaskName(fn)}" got no input, so there is nothing to reduce: pass { initial } to give the result of an empty input`);
}

/**
 * Inclusive prefix scan: map `fn`, then return every partial fold with `op`.
 * `mapScan(sq, add, [10, 20, 30])` is `[100, 500, 1400]`. With `initial`,
 * the first element is `op(initial, r0)`. An empty input gives `[]`.
 */
export async function mapScan<F extends Fn, A = Result<F>>(fn: F, op: (acc: A, value: Result<F>) => A, ...inputs: [...InputsFor<Parameters<F>>, ReduceOptions<A>] | InputsFor<Parameters<F>>): Promise<A[]> {
  const out: A[] = [];
  for await (const acc of folds(fn, op, inputs, "mapScan")) out.push(acc);
  return out;
}

/** Each partial fold of `op` over the ordered results of `fn` (from `initial` if given): what mapReduce and mapScan share. */
async function* folds<F extends Fn, A>(fn: F, op: (acc: A, value: Result<F>) => A, inputs: unknown[], where: string): AsyncGenerator<A> {
  const { inputs: its, options } = splitOptions<ReduceOptions<A>>([...inputs], where);
  if (typeof op !== "function") throw new InvalidOptionError(`${where}: the reduction operator must be a function (got ${typeof op})`);
  let acc = options.initial as A;
  let empty = !("initial" in options);
  for await (const value of new MapRun<Result<F>>(fn, its, options, true, where)) {
    if (empty) {
      acc = value as unknown as A;
      empty = false;
    } else acc = op(acc, value);
    yield acc;
  }
}

/**
 * Stop this process's executor. With `wait` (default), resolve once every
 * submitted task is done.
 */
export async function shutdown(wait = true): Promise<void> {
  await runtime.executor?.shutdown(wait);
}
