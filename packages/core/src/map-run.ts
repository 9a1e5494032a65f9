/**
 * The map machinery: one map over its input, reading inputs as the window
 * allows and handing results out in input order or as they complete.
 */
import { InvalidOptionError, ScoopError } from "@scoop/protocol";
import { executorForTasks } from "./active-executor.js";
import { resolveCallOptions, resolveWindow, type MapOptions, type MapProgress, type ResolvedCallOptions } from "./call-options.js";
import { followAbort } from "./abort-fanout.js";
import { AbortedError } from "./errors.js";
import { captureCallSite, withCallSite } from "./error-format.js";
import type { Executor, TaskOptions } from "./executor.js";
import { FAILED, MapCall, MapItem, PENDING } from "./map-call.js";
import { currentScope, getLogger, nextStream, runtime } from "./runtime.js";
import { prepare, taskNameFor, type Fn } from "./task-call.js";
import { zip, zipLength, type Inputs } from "./zip.js";

/** What a map returns: await it for the array of results, or iterate it as they come. */
export interface MapResult<R> extends PromiseLike<R[]>, AsyncIterable<R> {
  /** Cancel the tasks not yet finished and stop reading the input. */
  cancel(): void;
}

const DONE: IteratorResult<never> = { done: true, value: undefined };

/** Calls read from a synchronous input per event-loop turn: the first ones go to work while the rest are read. */
const READ_BATCH = 1024;

/**
 * One map over its input: reads inputs while fewer than `window` calls are
 * outstanding, and hands results out in input order (or as they complete).
 */
export class MapRun<R> implements MapResult<R> {
  private readonly source: ReturnType<typeof zip>;
  /** Ordered: calls not yet handed out, in input order, from {@link head}. */
  private readonly outstanding: Array<MapItem | undefined> = [];
  private head = 0;
  /** Unordered: calls done and not handed out (from {@link completedHead}), and calls still running. */
  private completed: MapItem[] = [];
  private completedHead = 0;
  private readonly running = new Set<MapItem>();
  /** Calls submitted and not handed out. */
  private count = 0;
  private exhausted = false;
  /** A read of the input is under way: an async input's next item is awaited, or a sync input's next batch waits for the next turn. No second read starts meanwhile. */
  private reading = false;
  private failure?: { error: unknown };
  private wake?: () => void;
  private consumed = false;
  private all?: Promise<R[]>;
  private readonly name: string;
  private readonly options: ResolvedCallOptions;
  private readonly taskOptions: TaskOptions;
  /** Calls with a deadline or a retry policy need a full future each. */
  private readonly needsFutures: boolean;
  private readonly window: number;
  /** Free room in the window before the input is read again (fewer, larger submits). */
  private readonly refillStep: number;
  readonly exec: Executor;
  /** The map takes one position of its submitter; item i gets child i of it, however the input is read. */
  private readonly stream = nextStream();
  /** Items read (and calls submitted) so far. */
  private items = 0;
  /** This map's id in this process (the broker counts its progress by it). */
  private readonly mapId = runtime.nextMapId++;
  private readonly mapTag = { id: this.mapId };
  private readonly progress: MapProgress;
  private readonly onProgress?: (progress: MapProgress) => void;
  private readonly onAbort = () => this.fail(new AbortedError(`map of task "${this.name}" was aborted by its signal`, { taskName: this.name, cause: this.options.signal?.reason }));
  /** The task that made this map was cancelled: so is the map (as each of its calls would be). */
  private readonly parent = currentScope();
  /** Stop following the signals that could end the map. */
  private unfollow: () => void = () => undefined;
  /** Where the map was called (captured once; read only if the map fails). */
  private readonly site = captureCallSite();
  private readonly onParentAbort = () => this.fail(new AbortedError(`map of task "${this.name}" was cancelled with the task that made it`, { taskName: this.name }));

  constructor(
    private readonly fn: Fn,
    inputs: Inputs,
    options: MapOptions,
    private readonly ordered: boolean,
    private readonly where: string,
  ) {
    this.exec = executorForTasks();
    this.name = taskNameFor(fn, this.exec);
    this.options = resolveCallOptions(options, where);
    this.taskOptions = { timeoutMs: this.options.timeoutMs, retries: this.options.retries, priority: this.options.priority };
    this.needsFutures = this.options.timeoutMs !== undefined || this.options.retryOnError !== undefined;
    this.window = resolveWindow(options.window, where);
    this.refillStep = Math.max(1, Math.min(256, this.window >> 2));
    if (options.onProgress !== undefined && typeof options.onProgress !== "function") throw new InvalidOptionError(`${where}: options.onProgress must be a function`);
    this.onProgress = options.onProgress;
    this.progress = { done: 0, total: zipLength(inputs), failed: 0 };
    this.source = zip(inputs);
    const unfollowSignal = this.options.signal && followAbort(this.options.signal, this.onAbort);
    const parent = this.parent;
    const follower = { cancel: this.onParentAbort };
    parent?.follow(follower);
    this.unfollow = () => {
      unfollowSignal?.();
      parent?.unfollow(follower);
    };
    this.fill();
  }

  then<R1 = R[], R2 = never>(onFulfilled?: ((value: R[]) => R1 | PromiseLike<R1>) | null, onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null): Promise<R1 | R2> {
    this.all ??= this.collect();
    return this.all.then(onFulfilled, onRejected);
  }

  [Symbol.asyncIterator](): AsyncIterator<R> {
    this.consume();
    return {
      next: () => this.next(),
      return: async () => {
        this.cancel();
        return DONE;
      },
    };
  }

  cancel(): void {
    this.fail(undefined);
  }

  private consume(): void {
    if (this.consumed) throw new ScoopError("SCOOP_MAP_CONSUMED", `this map of task "${this.name}" is already being consumed: await it or iterate it, once`);
    this.consumed = true;
  }

  /** Stop: cancel outstanding calls, close the input, remember why (undefined: quietly). */
  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    this.unfollow();
    for (let i = this.head; i < this.outstanding.length; i++) this.outstanding[i]?.cancel();
    for (const item of this.running) item.cancel();
    this.outstanding.length = 0;
    this.running.clear();
    this.completed = [];
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

  /** Called by a call's record when it is done. */
  itemDone(item: MapItem): void {
    if (!this.ordered && !this.failure) {
      this.running.delete(item);
      this.completed.push(item);
    }
    if (this.onProgress) this.reportProgress(item.state === FAILED);
    if (this.failure === undefined) this.notify();
  }

  private reportProgress(failed: boolean): void {
    this.progress.done++;
    if (failed) this.progress.failed++;
    if (this.exhausted && this.progress.total === undefined) this.progress.total = this.items;
    try {
      this.onProgress!({ ...this.progress });
    } catch (error) {
      getLogger().error({ err: error, task: this.name }, "a map's onProgress callback threw; ignored");
    }
  }

  /** The map is over: stop listening to the signals that could end it. */
  private finished(): IteratorResult<R> {
    this.unfollow();
    return DONE;
  }

  /** One call of input item `args`: a plain record, or a full future when options need one. */
  private call(args: unknown[]): MapItem {
    const position = this.items++;
    // Tagged with the map, and its size on the first call when known (the broker counts progress).
    const map = position === 0 && this.progress.total !== undefined ? { id: this.mapId, total: this.progress.total } : this.mapTag;
    if (this.needsFutures) {
      const { future, entry, arm } = prepare(this.fn, this.name, args, this.options, this.exec, { parent: this.stream, n: position }, map);
      const item = new MapItem(this, entry.call);
      item.future = { cancel: () => future.cancel(), sink: entry.sink, arm };
      future.then(
        (value) => item.resolve(value),
        (error: unknown) => item.reject(error),
      );
      return item;
    }
    if (!runtime.managed) runtime.usedEarly = true;
    return new MapItem(this, new MapCall(runtime.nextTaskId++, this.name, this.fn, args, this.taskOptions, this.stream, position, map));
  }

  /** Submit calls until the window is full or the input ends. */
  private fill(): void {
    if (this.reading || this.exhausted || this.failure) return;
    if ("sync" in this.source) {
      const it = this.source.sync;
      while (this.count < this.window && !this.exhausted) {
        const batch: MapItem[] = [];
        while (batch.length < READ_BATCH && this.count + batch.length < this.window) {
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
          batch.push(this.call(r.value));
        }
        if (!this.submitBatch(batch)) return;
        if (this.count < this.window && !this.exhausted) {
          // One batch per event-loop turn: the first calls go to the workers
          // while the rest of the window is read (else they idle until all of it is).
          this.reading = true;
          setImmediate(() => {
            this.reading = false;
            this.fill();
          });
          break;
        }
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
        if (!this.submitBatch([this.call(r.value)])) return;
      }
    } catch (error) {
      this.exhausted = true;
      this.fail(error);
    } finally {
      this.reading = false;
      this.notify();
    }
  }

  private submitBatch(batch: MapItem[]): boolean {
    if (batch.length === 0) return true;
    try {
      // Calls with a deadline or a retry policy travel alone: each fails, retries and is counted on its own.
      this.exec.submit(batch, { map: !this.needsFutures });
    } catch (error) {
      this.fail(error);
      return false;
    }
    for (const item of batch) {
      this.count++;
      // Unordered: a call already done (a synchronous executor) is in `completed` already.
      if (this.ordered) this.outstanding.push(item);
      else if (item.state === PENDING) this.running.add(item);
      item.future?.arm();
    }
    return true;
  }

  /**
   * The next result if there is one now, `undefined` to wait for one.
   * @throws the first failure, once
   */
  private pull(): IteratorResult<R> | undefined {
    for (;;) {
      if (this.failure) {
        if (this.failure.error !== undefined) {
          const { error } = this.failure;
          this.failure.error = undefined; // thrown once
          throw withCallSite(error, this.site, this.where);
        }
        return DONE;
      }
      const ready = this.take();
      if (ready) {
        this.count--;
        if (this.count <= this.window - this.refillStep) this.fill();
        if (ready.state === FAILED) {
          this.fail(ready.value);
          continue;
        }
        return { done: false, value: ready.value as R };
      }
      if (this.count === 0 && this.exhausted) return this.finished();
      if (!this.reading) this.fill();
      if (this.count === 0 && this.exhausted) return this.finished();
      return undefined;
    }
  }

  private async next(): Promise<IteratorResult<R>> {
    for (;;) {
      const result = this.pull();
      if (result) return result;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Every result, in order: taken as they are ready, without a promise per result. */
  private async collect(): Promise<R[]> {
    this.consume();
    const out: R[] = [];
    for (;;) {
      let result: IteratorResult<R> | undefined;
      while ((result = this.pull()) && !result.done) out.push(result.value);
      if (result?.done) return out;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** The next call to hand out, if it is done. */
  private take(): MapItem | undefined {
    if (!this.ordered) {
      if (this.completedHead >= this.completed.length) return undefined;
      const item = this.completed[this.completedHead];
      this.completed[this.completedHead++] = undefined as unknown as MapItem;
      if (this.completedHead > 1024 && this.completedHead * 2 > this.completed.length) {
        this.completed = this.completed.slice(this.completedHead);
        this.completedHead = 0;
      }
      return item;
    }
    const head = this.outstanding[this.head];
    if (head === undefined || head.state === PENDING) return undefined;
    this.outstanding[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.outstanding.length) {
      this.outstanding.splice(0, this.head);
      this.head = 0;
    }
    return head;
  }
}
