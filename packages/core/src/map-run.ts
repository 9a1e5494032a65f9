/**
 * The map machinery: one map over its input, reading inputs as the window
 * allows and handing results out in input order or as they complete.
 */
import { InvalidOptionError, ScoopError } from "@scoop/protocol";
import { executorForTasks } from "./active-executor.js";
import { resolveCallOptions, resolveWindow, type MapOptions, type MapProgress, type ResolvedCallOptions } from "./call-options.js";
import { AbortedError } from "./errors.js";
import { SUBMIT_BATCH, type Executor } from "./executor.js";
import type { Future } from "./future.js";
import { RandomStream } from "./random-stream.js";
import { getLogger, nextStreamId, runtime } from "./runtime.js";
import { prepare, taskNameFor, type Fn, type Prepared } from "./task-call.js";
import { zip, zipLength, type Inputs } from "./zip.js";

/** What a map returns: await it for the array of results, or iterate it as they come. */
export interface MapResult<R> extends PromiseLike<R[]>, AsyncIterable<R> {
  /** Cancel the tasks not yet finished and stop reading the input. */
  cancel(): void;
}

/**
 * One map over its input: reads inputs while fewer than `window` tasks are
 * outstanding, and hands results out in input order (or as they complete).
 */
export class MapRun<R> implements MapResult<R> {
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
  /** The map takes one position of its submitter; item i gets child i of it, however the input is read. */
  private readonly stream = new RandomStream(nextStreamId());
  /** Items read (and tasks submitted) so far. */
  private items = 0;
  /** This map's id in this process (the broker counts its progress by it). */
  private readonly mapId = runtime.nextMapId++;
  private readonly progress: MapProgress;
  private readonly onProgress?: (progress: MapProgress) => void;
  private readonly onAbort = () => this.fail(new AbortedError(`map of task "${this.name}" was aborted by its signal`, { taskName: this.name, cause: this.options.signal?.reason }));

  constructor(
    private readonly fn: Fn,
    inputs: Inputs,
    options: MapOptions,
    private readonly ordered: boolean,
    where: string,
  ) {
    this.exec = executorForTasks();
    this.name = taskNameFor(fn, this.exec);
    this.options = resolveCallOptions(options, where);
    this.window = resolveWindow(options.window, where);
    if (options.onProgress !== undefined && typeof options.onProgress !== "function") throw new InvalidOptionError(`${where}: options.onProgress must be a function`);
    this.onProgress = options.onProgress;
    this.progress = { done: 0, total: zipLength(inputs), failed: 0 };
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
      if (this.onProgress && !f.cancelled()) this.reportProgress(f);
      this.notify();
    });
  }

  private reportProgress(f: Future<R>): void {
    this.progress.done++;
    if (f.failedNow()) this.progress.failed++;
    if (this.exhausted && this.progress.total === undefined) this.progress.total = this.items;
    try {
      this.onProgress!({ ...this.progress });
    } catch (error) {
      getLogger().error({ err: error, task: this.name }, "a map's onProgress callback threw; ignored");
    }
  }

  /** The next item's task: child i of the map's stream, tagged with the map (and its size on the first task, when known). */
  private prepareItem(args: unknown[]): Prepared<R> {
    const i = this.items++;
    const map = i === 0 && this.progress.total !== undefined ? { id: this.mapId, total: this.progress.total } : { id: this.mapId };
    return prepare<R>(this.fn, this.name, args, this.options, this.exec, this.stream.child(i), map);
  }

  /** Submit tasks until the window is full or the input ends. */
  private fill(): void {
    if (this.reading || this.exhausted || this.failure) return;
    if ("sync" in this.source) {
      const it = this.source.sync;
      while (this.count < this.window && !this.exhausted) {
        const batch: Array<Prepared<R>> = [];
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
          batch.push(this.prepareItem(r.value));
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
        if (!this.submitBatch([this.prepareItem(r.value)])) return;
      }
    } catch (error) {
      this.exhausted = true;
      this.fail(error);
    } finally {
      this.reading = false;
      this.notify();
    }
  }

  private submitBatch(batch: Array<Prepared<R>>): boolean {
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
