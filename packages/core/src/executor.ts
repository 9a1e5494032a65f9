/**
 * The executor interface: what runs tasks for the `futures` API. Core ships
 * the in-process serial fallback; `@scoop/worker` installs the distributed
 * executor with {@link setExecutor}. Futures never know which one runs them.
 */

import type { StreamPosition } from "./runtime.js";

/**
 * Most tasks per SUBMIT message, and per `submit` call of a map: big maps go
 * out in steady batches.
 */
export const SUBMIT_BATCH = 4096;

/** Per-call options after validation. */
export interface TaskOptions {
  /** Give up (reject with a timeout error and cancel the task) after this long. `undefined`: never. */
  timeoutMs?: number;
  /** How many times a task lost with its worker is run again. @default 3 */
  retries: number;
  /** Higher is dispatched first (the broker orders its queue by it). @default 0 */
  priority?: number;
}

/** One task handed to an executor. */
export interface TaskCall {
  /** Unique within this process. */
  readonly id: number;
  /** Registered name of the task function. */
  readonly name: string;
  /** The local function (the serial executor calls it; others send `name`). */
  readonly fn: (...args: any[]) => unknown;
  /** Arguments, already checked to be serializable. */
  readonly args: readonly unknown[];
  /** The task's random stream: its id, or its position in the submission tree under the run's seed (the id worked out when it must travel). */
  readonly rng?: string | StreamPosition;
  readonly options: TaskOptions;
  /** The map it belongs to (ids unique per process), the map's size on its first task when known, and how many of its calls it carries (a chunk): the broker counts progress. */
  readonly map?: { readonly id: number; readonly total?: number; readonly calls?: number };
}

/** How an executor reports progress of one task. Calls after the first settle are ignored. */
export interface TaskSink {
  /** The task started running (PENDING → RUNNING). */
  started(): void;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** How a batch of tasks may travel. */
export interface SubmitOptions {
  /**
   * The calls of a map: an executor may run several in one wire task
   * (a chunk) and report an unserializable argument through the call's
   * future instead of throwing. @default false
   */
  map?: boolean;
}

/** Runs tasks. Implementations: the serial fallback (core) and the distributed executor (worker). */
export interface Executor {
  readonly kind: "serial" | "distributed";
  /**
   * Queue tasks. `submit` is called with several entries for large maps so the
   * executor can batch; a single submit must not be delayed waiting for more.
   */
  submit(entries: ReadonlyArray<{ call: TaskCall; sink: TaskSink }>, options?: SubmitOptions): void;
  /**
   * Cancel a task. Returns false if it can no longer be cancelled (already
   * running in-process, or settled). A running remote task is asked to abort.
   */
  cancel(id: number): boolean;
  /**
   * Someone awaits the future of task `id` (called once while it is
   * pending, and again after each retryOnError resubmit): an executor may
   * run it in this process now (work-first).
   */
  awaited?(id: number): void;
  /** Broadcast a read-only constant to every worker. */
  setConst(name: string, value: unknown): Promise<void>;
  /** Read a constant, waiting for it up to `timeoutMs` (or until `signal` aborts). */
  getConst(name: string, options: { timeoutMs?: number; signal?: AbortSignal }): Promise<unknown>;
  /** Stop accepting tasks; with `wait`, resolve when queued tasks are done. */
  shutdown(wait: boolean): Promise<void>;
}
