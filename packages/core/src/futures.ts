/**
 * The `futures` API: submit tasks and combine their results. Everything here
 * goes through the installed executor (a cluster, or the serial fallback).
 */
import { InvalidOptionError, ScoopError } from "@scoop/protocol";
import type { Executor, TaskCall, TaskSink } from "./executor.js";
import { AbortedError, TimeoutError } from "./errors.js";
import { Future, waitFor, type DoneFuture } from "./future.js";
import { SerialExecutor } from "./serial-executor.js";
import { currentTask, defineTask, requireTaskName, runtime, taskByName, taskName } from "./runtime.js";

/** Options of one task. */
export interface CallOptions {
  /** Deadline of the task: past it the future rejects with `SCOOP_TIMEOUT` and the task is cancelled. @default none */
  timeoutMs?: number;
  /** How many times the task is run again when the worker running it is lost. @default 3 */
  retries?: number;
  /** Cancels the task when it aborts (the future rejects with `SCOOP_ABORTED`). */
  signal?: AbortSignal;
}

/** Options of `map`, `mapAsCompleted`, `mapReduce` and `mapScan` (passed as the last argument). */
export interface MapOptions extends CallOptions {
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

/** When {@link wait} returns. */
export type ReturnWhen = "FIRST_COMPLETED" | "FIRST_EXCEPTION" | "ALL_COMPLETED";
/** Return as soon as any future is done. */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/** Return as soon as any future fails, or when all are done. */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/** Return when every future is done. */
export const ALL_COMPLETED = "ALL_COMPLETED";

/** What a map returns: await it for the array of results, or iterate it as they come. */
export interface MapResult<R> extends PromiseLike<R[]>, AsyncIterable<R> {
  /** Cancel the tasks not yet finished and stop reading the input. */
  cancel(): void;
}

type Fn = (...args: any[]) => unknown;
type Result<F extends Fn> = Awaited<ReturnType<F>>;
type Inputs = Array<Iterable<unknown> | AsyncIterable<unknown>>;

const DEFAULT_WINDOW = 4096;
const SUBMIT_BATCH = 512;

/** The installed executor, or the serial fallback (with its one warning) if none is. */
function executor(): Executor {
  if (runtime.executor) return runtime.executor;
  if (process.env.SCOOP_WORKER) {
    throw new ScoopError("SCOOP_TOP_LEVEL_TASKS", "the script submitted tasks while the worker was still loading it (at its top level, or by calling main() itself): move that code into an exported main() and let scoop call it, once, on the origin worker");
  }
  // One line, as promised: process.emitWarning would add a second ("Use node --trace-warnings").
  if (!process.env.NODE_NO_WARNINGS) {
    process.stderr.write("scoop: warning: not launched by scoop, so tasks run one at a time in this process; run `scoop script.ts` (or call connect()/start()) to use every core\n");
  }
  return (runtime.executor = new SerialExecutor());
}

interface ResolvedCallOptions {
  timeoutMs?: number;
  retries: number;
  signal?: AbortSignal;
}

function resolveCallOptions(options: CallOptions, where: string): ResolvedCallOptions {
  if (typeof options !== "object" || options === null) throw new InvalidOptionError(`${where}: options must be an object (got ${options === null ? "null" : typeof options})`);
  const { timeoutMs, retries = 3, signal } = options;
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    throw new InvalidOptionError(`${where}: options.timeoutMs must be a positive number of milliseconds (got ${String(timeoutMs)})`);
  }
  if (!Number.isInteger(retries) || retries < 0) throw new InvalidOptionError(`${where}: options.retries must be a non-negative integer (got ${String(retries)})`);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidOptionError(`${where}: options.signal must be an AbortSignal`);
  return { timeoutMs, retries, signal };
}

/**
 * The task name of `fn`. The serial fallback also accepts a named function
 * that is not registered yet: a script that calls its own main() at the top
 * level submits its exports before anyone could register them.
 */
function taskNameFor(fn: unknown, exec: Executor): string {
  if (exec.kind === "serial" && !runtime.managed && typeof fn === "function" && fn.name && taskName(fn as Fn) === undefined && taskByName(fn.name) === undefined) {
    defineTask(fn.name, fn as Fn);
  }
  return requireTaskName(fn);
}

/** Make the future and executor entry of one task; arms its deadline, signal and parent link once submitted. */
function prepare<R>(fn: Fn, name: string, args: unknown[], options: ResolvedCallOptions, exec: Executor) {
  if (!runtime.managed) runtime.usedEarly = true;
  const id = runtime.nextTaskId++;
  const future = new Future<R>(id, name);
  const call: TaskCall = { id, name, fn, args, options: { timeoutMs: options.timeoutMs, retries: options.retries } };
  future.bindCancel(() => exec.cancel(id));
  const arm = () => {
    const { timeoutMs, signal } = options;
    const parent = currentTask()?.signal;
    if (timeoutMs === undefined && signal === undefined && parent === undefined) return;
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => future.abandon(new TimeoutError(`task "${name}" did not finish within ${timeoutMs} ms (its timeoutMs); it was cancelled`, { taskName: name })), timeoutMs);
    const onAbort = () => future.abandon(new AbortedError(`task "${name}" was aborted by its signal`, { taskName: name, cause: signal?.reason }));
    // A task's children are cancelled with it.
    const onParentAbort = () => future.cancel();
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    parent?.addEventListener("abort", onParentAbort, { once: true });
    future.addDoneCallback(() => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      parent?.removeEventListener("abort", onParentAbort);
    });
  };
  return { future, entry: { call, sink: future.sink() as TaskSink }, arm };
}

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
  return submitWith({}, fn, ...args);
}

/** {@link submit} with options (`timeoutMs`, `retries`, `signal`). */
export function submitWith<F extends Fn>(options: CallOptions, fn: F, ...args: Parameters<F>): Future<Result<F>> {
  const exec = executor();
  const name = taskNameFor(fn, exec);
  const resolved = resolveCallOptions(options, "submit");
  const { future, entry, arm } = prepare<Result<F>>(fn, name, args, resolved, exec);
  exec.submit([entry]);
  arm();
  return future;
}

/** True for a trailing options object (plain object, not iterable). */
function isOptions(value: unknown): value is MapOptions {
  return (
    typeof value === "object" &&
    value !== null &&
    !(Symbol.iterator in value) &&
    !(Symbol.asyncIterator in value) &&
    (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)
  );
}

function splitOptions<O extends MapOptions>(rest: unknown[], where: string): { inputs: Inputs; options: O } {
  const options = (rest.length > 0 && isOptions(rest[rest.length - 1]) ? rest.pop() : {}) as O;
  rest.forEach((input, i) => {
    if (input == null || (typeof (input as Iterable<unknown>)[Symbol.iterator] !== "function" && typeof (input as AsyncIterable<unknown>)[Symbol.asyncIterator] !== "function")) {
      throw new InvalidOptionError(`${where}: argument ${i + 2} must be an iterable or async iterable of inputs (got ${input === null ? "null" : typeof input})`);
    }
  });
  if (rest.length === 0) throw new InvalidOptionError(`${where}: give at least one iterable of inputs`);
  return { inputs: rest as Inputs, options };
}

/** Zip several (async) iterables into argument tuples, stopping at the shortest, like SCOOP's map. */
function zip(inputs: Inputs): { sync: Iterator<unknown[]> } | { async: AsyncIterator<unknown[]> } {
  if (inputs.every((i) => typeof (i as Iterable<unknown>)[Symbol.iterator] === "function")) {
    const its = inputs.map((i) => (i as Iterable<unknown>)[Symbol.iterator]());
    return {
      sync: {
        next() {
          const tuple: unknown[] = [];
          for (const it of its) {
            const r = it.next();
            if (r.done) return { done: true, value: undefined };
            tuple.push(r.value);
          }
          return { done: false, value: tuple };
        },
        return() {
          for (const it of its) it.return?.();
          return { done: true, value: undefined };
        },
      },
    };
  }
  const its = inputs.map((i) =>
    typeof (i as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function"
      ? (i as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      : (i as Iterable<unknown>)[Symbol.iterator](),
  );
  return {
    async: {
      async next() {
        const rs = await Promise.all(its.map((it) => it.next()));
        if (rs.some((r) => r.done)) return { done: true, value: undefined };
        return { done: false, value: rs.map((r) => r.value) };
      },
      async return() {
        await Promise.all(its.map((it) => it.return?.()));
        return { done: true, value: undefined };
      },
    },
  };
}

/**
 * One map over its input: reads inputs while fewer than `window` tasks are
 * outstanding, and hands results out in input order (or as they complete).
 */
class MapRun<R> implements MapResult<R> {
  private readonly source: ReturnType<typeof zip>;
  private readonly outstanding: Array<Future<R> | undefined> = [];
  private head = 0;
  private readonly completed: Array<Future<R>> = [];
  private count = 0;
  private exhausted = false;
  private reading = false;
  private failure?: { error: unknown };
  private wake?: () => void;
  private consumed = false;
  private all?: Promise<R[]>;
  private readonly name: string;
  private readonly options: ResolvedCallOptions;
  private readonly window: number;
  private readonly exec: Executor;
  private readonly onAbort = () => this.fail(new AbortedError(`map of task "${this.name}" was aborted by its signal`, { taskName: this.name, cause: this.options.signal?.reason }));

  constructor(
    private readonly fn: Fn,
    inputs: Inputs,
    options: MapOptions,
    private readonly ordered: boolean,
    where: string,
  ) {
    this.exec = executor();
    this.name = taskNameFor(fn, this.exec);
    this.options = resolveCallOptions(options, where);
    const window = options.window ?? DEFAULT_WINDOW;
    if (!Number.isInteger(window) || window < 1) throw new InvalidOptionError(`${where}: options.window must be a positive integer (got ${String(window)})`);
    this.window = window;
    this.source = zip(inputs);
    this.options.signal?.addEventListener("abort", this.onAbort, { once: true });
    if (this.options.signal?.aborted) this.onAbort();
    this.fill();
  }

  then<R1 = R[], R2 = never>(onFulfilled?: ((value: R[]) => R1 | PromiseLike<R1>) | null, onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null): Promise<R1 | R2> {
    this.all ??= (async () => {
      const out: R[] = [];
      for await (const value of this) out.push(value);
      return out;
    })();
    return this.all.then(onFulfilled, onRejected);
  }

  [Symbol.asyncIterator](): AsyncIterator<R> {
    if (this.consumed) throw new ScoopError("SCOOP_MAP_CONSUMED", `this map of task "${this.name}" is already being consumed: await it or iterate it, once`);
    this.consumed = true;
    return {
      next: () => this.next(),
      return: async () => {
        this.cancel();
        return { done: true, value: undefined };
      },
    };
  }

  cancel(): void {
    this.fail(undefined);
  }

  /** Stop: cancel outstanding tasks, close the input, remember why (undefined: quietly). */
  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    this.options.signal?.removeEventListener("abort", this.onAbort);
    for (let i = this.head; i < this.outstanding.length; i++) this.outstanding[i]?.cancel();
    for (const f of this.completed) f.cancel();
    this.outstanding.length = 0;
    this.completed.length = 0;
    if (!this.exhausted) {
      this.exhausted = true;
      if ("sync" in this.source) this.source.sync.return?.();
      else void this.source.async.return?.()?.catch(() => undefined);
    }
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private track(future: Future<R>): void {
    this.count++;
    if (this.ordered) this.outstanding.push(future);
    future.addDoneCallback((f) => {
      if (!this.ordered && !this.failure) this.completed.push(f);
      this.notify();
    });
  }

  /** Submit tasks until the window is full or the input ends. */
  private fill(): void {
    if (this.reading || this.exhausted || this.failure) return;
    if ("sync" in this.source) {
      const it = this.source.sync;
      while (this.count < this.window && !this.exhausted) {
        const batch: Array<ReturnType<typeof prepare<R>>> = [];
        while (batch.length < SUBMIT_BATCH && this.count + batch.length < this.window) {
          let r: IteratorResult<unknown[]>;
          try {
            r = it.next();
          } catch (error) {
            this.exhausted = true;
            this.submitBatch(batch);
            this.fail(error);
            return;
          }
          if (r.done) {
            this.exhausted = true;
            break;
          }
          batch.push(prepare<R>(this.fn, this.name, r.value, this.options, this.exec));
        }
        if (!this.submitBatch(batch)) return;
      }
      this.notify();
      return;
    }
    this.reading = true;
    void this.readAsync(this.source.async);
  }

  private async readAsync(it: AsyncIterator<unknown[]>): Promise<void> {
    try {
      while (this.count < this.window && !this.exhausted && !this.failure) {
        const r = await it.next();
        if (this.failure) return;
        if (r.done) {
          this.exhausted = true;
          break;
        }
        if (!this.submitBatch([prepare<R>(this.fn, this.name, r.value, this.options, this.exec)])) return;
      }
    } catch (error) {
      this.exhausted = true;
      this.fail(error);
    } finally {
      this.reading = false;
      this.notify();
    }
  }

  private submitBatch(batch: Array<ReturnType<typeof prepare<R>>>): boolean {
    if (batch.length === 0) return true;
    try {
      this.exec.submit(batch.map((b) => b.entry));
    } catch (error) {
      this.fail(error);
      return false;
    }
    for (const b of batch) {
      this.track(b.future);
      b.arm();
    }
    return true;
  }

  private async next(): Promise<IteratorResult<R>> {
    for (;;) {
      if (this.failure) {
        if (this.failure.error !== undefined) {
          const { error } = this.failure;
          this.failure.error = undefined; // thrown once
          throw error;
        }
        return { done: true, value: undefined };
      }
      const ready = this.take();
      if (ready) {
        this.count--;
        this.fill();
        if (ready.cancelled()) continue;
        try {
          return { done: false, value: await ready };
        } catch (error) {
          this.fail(error);
          continue;
        }
      }
      if (this.count === 0 && this.exhausted) return { done: true, value: undefined };
      if (!this.reading) this.fill();
      if (this.count === 0 && this.exhausted) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** The next future to hand out, if it is done. */
  private take(): Future<R> | undefined {
    if (!this.ordered) return this.completed.shift();
    const head = this.outstanding[this.head];
    if (head === undefined || !head.done()) return undefined;
    this.outstanding[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.outstanding.length) {
      this.outstanding.splice(0, this.head);
      this.head = 0;
    }
    return head;
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
export function map<F extends Fn>(fn: F, ...inputs: [...Inputs, MapOptions] | Inputs): MapResult<Result<F>> {
  const { inputs: its, options } = splitOptions<MapOptions>([...inputs], "map");
  return new MapRun<Result<F>>(fn, its, options, true, "map");
}

/**
 * Like {@link map}, but results come in the order tasks finish.
 * The first failure rejects and cancels the rest.
 */
export function mapAsCompleted<F extends Fn>(fn: F, ...inputs: [...Inputs, MapOptions] | Inputs): MapResult<Result<F>> {
  const { inputs: its, options } = splitOptions<MapOptions>([...inputs], "mapAsCompleted");
  return new MapRun<Result<F>>(fn, its, options, false, "mapAsCompleted");
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
export async function mapReduce<F extends Fn, A = Result<F>>(fn: F, op: (acc: A, value: Result<F>) => A, ...inputs: [...Inputs, ReduceOptions<A>] | Inputs): Promise<A> {
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
export async function mapScan<F extends Fn, A = Result<F>>(fn: F, op: (acc: A, value: Result<F>) => A, ...inputs: [...Inputs, ReduceOptions<A>] | Inputs): Promise<A[]> {
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

/** Options of {@link asCompleted} and {@link wait}. */
export interface WaitManyOptions {
  /** Give up waiting after this long. @default none */
  timeoutMs?: number;
  /** Give up waiting when this aborts. */
  signal?: AbortSignal;
}

function checkFutures<T>(fs: Iterable<Future<T>>, where: string): Future<T>[] {
  const list = [...fs];
  list.forEach((f, i) => {
    if (!(f instanceof Future) && typeof (f as Future<T>)?.addDoneCallback !== "function") throw new InvalidOptionError(`${where}: item ${i} is not a Future (got ${typeof f})`);
  });
  return [...new Set(list)];
}

/**
 * Yield the futures themselves (not their values) as they finish, failed
 * ones included. Throws `SCOOP_TIMEOUT` if they are not all done in `timeoutMs`.
 *
 * ```ts
 * for await (const f of futures.asCompleted(fs)) console.log(await f.exception() ?? await f.result());
 * ```
 */
export function asCompleted<T>(fs: Iterable<Future<T>>, options: WaitManyOptions = {}): AsyncIterableIterator<DoneFuture<T>> {
  const list = checkFutures(fs, "asCompleted");
  const ready: Future<T>[] = [];
  let remaining = list.length;
  let wake: (() => void) | undefined;
  for (const f of list) {
    f.addDoneCallback(() => {
      ready.push(f);
      const w = wake;
      wake = undefined;
      w?.();
    });
  }
  const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
  // Hand-written on purpose: an async generator would await the (thenable)
  // futures it yields and hand out their values instead.
  const iterator: AsyncIterableIterator<DoneFuture<T>> = {
    async next() {
      if (ready.length === 0 && remaining > 0) {
        try {
          await waitFor((w) => (wake = w), deadline === undefined ? undefined : Math.max(0, deadline - Date.now()), options.signal, `${remaining} of ${list.length} futures`);
        } catch (error) {
          wake = undefined;
          throw error;
        }
      }
      const f = ready.shift();
      if (f === undefined) return { done: true, value: undefined };
      remaining--;
      return { done: false, value: f };
    },
    async return() {
      remaining = 0;
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** What {@link wait} returns. */
export interface WaitResult<T> {
  done: Set<Future<T>>;
  notDone: Set<Future<T>>;
}

/**
 * Wait until `returnWhen` holds or `timeoutMs` passes, then report which
 * futures are done. Never throws for failed futures (inspect them).
 * @throws {AbortedError} if `signal` aborts.
 */
export async function wait<T>(fs: Iterable<Future<T>>, options: WaitManyOptions & { returnWhen?: ReturnWhen } = {}): Promise<WaitResult<T>> {
  const list = checkFutures(fs, "wait");
  const returnWhen = options.returnWhen ?? ALL_COMPLETED;
  if (![FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED].includes(returnWhen)) {
    throw new InvalidOptionError(`wait: options.returnWhen must be "FIRST_COMPLETED", "FIRST_EXCEPTION" or "ALL_COMPLETED" (got ${JSON.stringify(returnWhen)})`);
  }
  const failed = (f: Future<T>) => f.done() && !f.cancelled() && f.failedNow();
  const satisfied = () =>
    returnWhen === FIRST_COMPLETED
      ? list.some((f) => f.done()) || list.length === 0
      : returnWhen === FIRST_EXCEPTION
        ? list.some(failed) || list.every((f) => f.done())
        : list.every((f) => f.done());
  if (!satisfied()) {
    let wake: (() => void) | undefined;
    for (const f of list) f.addDoneCallback(() => satisfied() && wake?.());
    try {
      await waitFor((w) => (wake = w), options.timeoutMs, options.signal, "futures");
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
    } finally {
      wake = undefined;
    }
  }
  const done = new Set(list.filter((f) => f.done()));
  return { done, notDone: new Set(list.filter((f) => !done.has(f))) };
}

/**
 * Stop this process's executor. With `wait` (default), resolve once every
 * submitted task is done.
 */
export async function shutdown(wait = true): Promise<void> {
  await runtime.executor?.shutdown(wait);
}
