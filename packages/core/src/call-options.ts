/**
 * Options of task calls and maps: their types, defaults and validation, and
 * how a map's trailing options object is told apart from its inputs.
 */
import { InvalidOptionError, MAX_PRIORITY } from "@scoop/protocol";
import { resolveRetryOnError, type RetryOnError, type RetryPolicy } from "./retry-on-error.js";
import type { Inputs } from "./zip.js";

/** Options of one task. */
export interface CallOptions {
  /** Deadline of the task: past it the future rejects with `SCOOP_TIMEOUT` and the task is cancelled. @default none */
  timeoutMs?: number;
  /** How many times the task is run again when the worker running it is lost. @default 3 */
  retries?: number;
  /** Cancels the task when it aborts (the future rejects with `SCOOP_ABORTED`). */
  signal?: AbortSignal;
  /**
   * Run the task again when it throws: a count of re-runs, a predicate
   * `(error, attempt) => boolean`, or `{ retries, when, initialDelayMs,
   * maxDelayMs }`; exponential backoff with jitter between runs. Counted
   * apart from `retries` (lost workers). @default no retry
   */
  retryOnError?: RetryOnError;
  /**
   * Higher is dispatched first by the broker; FIFO within one priority; a
   * waiting task ages (one level per 10 s) so nothing starves. An integer,
   * |priority| ≤ 1,000,000. @default 0
   */
  priority?: number;
}

/** A map's progress, as {@link MapOptions.onProgress} gets it. */
export interface MapProgress {
  /** Tasks finished (ok or failed). */
  done: number;
  /** Number of tasks, when the inputs know their size (arrays, typed arrays, Sets, Maps) or once they are exhausted. */
  total?: number;
  /** Tasks that failed. */
  failed: number;
}

/** Options of `map`, `mapAsCompleted`, `mapReduce` and `mapScan` (passed as the last argument). */
export interface MapOptions extends CallOptions {
  /**
   * Called each time one of the map's tasks finishes (in this process, on the
   * event loop: keep it quick). A throwing callback is logged and ignored.
   * @default none
   */
  onProgress?: (progress: MapProgress) => void;
  /**
   * Most tasks submitted and not yet consumed. Bounds memory on huge or
   * endless inputs: the input is read only as results are taken.
   * @default 4096
   */
  window?: number;
}

/** Options of `mapReduce` and `mapScan`. */
export interface ReduceOptions<A> extends MapOptions {
  /** Starting value of the reduction (required for an empty input). */
  initial?: A;
}

/** Default {@link MapOptions.window}. */
export const DEFAULT_WINDOW = 4096;

export interface ResolvedCallOptions {
  timeoutMs?: number;
  retries: number;
  signal?: AbortSignal;
  retryOnError?: RetryPolicy;
  priority: number;
}

/** The options of a call made without any (shared: most calls have none). */
export const DEFAULT_CALL_OPTIONS: Readonly<ResolvedCallOptions> = Object.freeze({ retries: 3, priority: 0 });

export function resolveCallOptions(options: CallOptions, where: string): ResolvedCallOptions {
  if (typeof options !== "object" || options === null) throw new InvalidOptionError(`${where}: options must be an object (got ${options === null ? "null" : typeof options})`);
  const { timeoutMs, retries = 3, signal, priority = 0 } = options;
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    throw new InvalidOptionError(`${where}: options.timeoutMs must be a positive number of milliseconds (got ${String(timeoutMs)})`);
  }
  if (!Number.isInteger(retries) || retries < 0) throw new InvalidOptionError(`${where}: options.retries must be a non-negative integer (got ${String(retries)})`);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidOptionError(`${where}: options.signal must be an AbortSignal`);
  if (!Number.isInteger(priority) || Math.abs(priority) > MAX_PRIORITY) throw new InvalidOptionError(`${where}: options.priority must be an integer from -${MAX_PRIORITY} to ${MAX_PRIORITY} (got ${String(priority)})`);
  return { timeoutMs, retries, signal, retryOnError: resolveRetryOnError(options.retryOnError, where), priority };
}

/** A map's `window` option, checked. */
export function resolveWindow(window: unknown, where: string): number {
  const value = window ?? DEFAULT_WINDOW;
  if (!Number.isInteger(value) || (value as number) < 1) throw new InvalidOptionError(`${where}: options.window must be a positive integer (got ${String(value)})`);
  return value as number;
}

/** True for a trailing options object (plain object, not iterable). */
export function isOptions(value: unknown): value is MapOptions {
  return (
    typeof value === "object" &&
    value !== null &&
    !(Symbol.iterator in value) &&
    !(Symbol.asyncIterator in value) &&
    (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)
  );
}

export function splitOptions<O extends MapOptions>(rest: unknown[], where: string): { inputs: Inputs; options: O } {
  const options = (rest.length > 0 && isOptions(rest[rest.length - 1]) ? rest.pop() : {}) as O;
  rest.forEach((input, i) => {
    if (input == null || (typeof (input as Iterable<unknown>)[Symbol.iterator] !== "function" && typeof (input as AsyncIterable<unknown>)[Symbol.asyncIterator] !== "function")) {
      throw new InvalidOptionError(`${where}: argument ${i + 2} must be an iterable or async iterable of inputs (got ${input === null ? "null" : typeof input})`);
    }
  });
  if (rest.length === 0) throw new InvalidOptionError(`${where}: give at least one iterable of inputs`);
  return { inputs: rest as Inputs, options };
}

