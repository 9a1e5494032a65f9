/**
 * `Future<T>`: the handle of one submitted task (PEP 3148), awaitable like a
 * promise. Its internal promise is created only when someone awaits it, so a
 * failed future nobody looks at never becomes an unhandled rejection.
 */
import type { TaskSink } from "./executor.js";
import { AbortedError, CancelledError, TimeoutError } from "./errors.js";
import { getLogger } from "./runtime.js";
import type { CancelScope } from "./cancel-scope.js";

const BRAND = Symbol.for("scoop.future");

/** Where a future is in its life. */
export type FutureState = "PENDING" | "RUNNING" | "FINISHED" | "CANCELLED";

/** Options of {@link Future.result} and {@link Future.exception}. */
export interface WaitOptions {
  /** Stop waiting (the future goes on) when this aborts. */
  signal?: AbortSignal;
}

/**
 * A finished {@link Future} as `asCompleted` hands it back: the very same
 * object, typed without `then`. TypeScript types `for await (const f of …)`
 * as the awaited value of a thenable, which would claim `f` is the task's
 * result; it is the future. Read it with `f.result()` or `f.exception()`
 * (both return at once: it is done).
 */
export type DoneFuture<T> = Omit<Future<T>, "then" | "catch" | "finally">;

/** True if `value` is a SCOOP future (from any copy of `@scoop/core` in the process). */
export function isFuture(value: unknown): value is Future<unknown> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * The future result of a task.
 *
 * ```ts
 * const f = futures.submit(square, 7);
 * console.log(await f);            // 49
 * f.done();                        // true
 * ```
 */
export class Future<T> implements PromiseLike<T> {
  /** @internal */
  readonly [BRAND] = true;
  private state: FutureState = "PENDING";
  private value?: T;
  private error?: unknown;
  private failed = false;
  /** Made when the first one comes (most futures get none, or one waiter). */
  private callbacks?: Array<(future: Future<T>) => void>;
  private waiters?: Array<() => void>;
  private promise?: Promise<T>;
  private cancelHook?: () => boolean;
  private awaitHook?: () => void;
  /** The scope of the task that submitted this one: cancelled with it. */
  private scope?: CancelScope;

  /**
   * @param id process-unique task id
   * @param name registered task name
   * @internal futures are made by `futures.submit` and friends
   */
  constructor(
    readonly id: number,
    readonly name: string,
  ) {}

  /** @internal set by the submitter: ask the executor to cancel; false if it cannot. */
  bindCancel(hook: () => boolean): void {
    this.cancelHook = hook;
  }

  /**
   * @internal set by the submitter: called once, the first time someone waits
   * for the outcome while it is pending (the executor may then run the task
   * in this process, work-first).
   */
  bindAwait(hook: () => void): void {
    this.awaitHook = hook;
  }

  /** @internal set by the submitter: cancel this future with the task that submitted it. */
  follow(scope: CancelScope): void {
    this.scope = scope;
    scope.follow(this);
  }

  /** Tell the executor, once, that someone waits for this future. */
  private awaited(): void {
    const hook = this.awaitHook;
    if (hook === undefined) return;
    this.awaitHook = undefined;
    hook();
  }

  /** @internal the executor's view of this future. */
  sink(): TaskSink {
    return new FutureSink(this);
  }

  /** @internal the task started running (PENDING → RUNNING). */
  markRunning(): void {
    if (this.state === "PENDING") this.state = "RUNNING";
  }

  /** @internal settle with an error (deadline, abort) after asking the executor to drop the task. */
  abandon(error: unknown): void {
    if (this.done()) return;
    this.cancelHook?.();
    this.settle(true, error);
  }

  /** Await the value; rejects with the task's error. */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.settled().then(onFulfilled, onRejected);
  }

  /** Like `Promise.prototype.catch`. */
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.settled().catch(onRejected);
  }

  /** Like `Promise.prototype.finally`. */
  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.settled().finally(onFinally);
  }

  /**
   * The task's value, waiting at most `timeoutMs` (the future itself goes on
   * if the wait times out).
   * @throws the task's error; {@link TimeoutError} (`SCOOP_TIMEOUT`) after `timeoutMs`;
   * {@link AbortedError} if `signal` aborts; {@link CancelledError} if cancelled.
   */
  async result(timeoutMs?: number, options: WaitOptions = {}): Promise<T> {
    await this.waitDone(timeoutMs, options.signal);
    return this.settled();
  }

  /**
   * The task's error, or `undefined` if it succeeded; waits like {@link result}.
   * @throws {CancelledError} if the future was cancelled (as PEP 3148 says).
   */
  async exception(timeoutMs?: number, options: WaitOptions = {}): Promise<unknown> {
    await this.waitDone(timeoutMs, options.signal);
    if (this.state === "CANCELLED") throw this.error;
    return this.failed ? this.error : undefined;
  }

  /** True once the future has a value, an error, or was cancelled. */
  done(): boolean {
    return this.state === "FINISHED" || this.state === "CANCELLED";
  }

  /** True while the task runs (as far as this process knows). */
  running(): boolean {
    return this.state === "RUNNING";
  }

  /** True if {@link cancel} succeeded. */
  cancelled(): boolean {
    return this.state === "CANCELLED";
  }

  /** @internal true if done with an error (cancellation included); never waits. */
  failedNow(): boolean {
    return this.failed;
  }

  /** Where the future is in its life. */
  get status(): FutureState {
    return this.state;
  }

  /**
   * Cancel the task. A queued task never runs; a task already running on a
   * worker has its `AbortSignal` aborted and its result is discarded (PEP
   * 3148 cannot interrupt running calls; SCOOP for TypeScript can ask them to
   * stop). Returns true if the future is now cancelled, false if it had
   * already finished or cannot be cancelled (a synchronous task running in
   * this very process).
   */
  cancel(): boolean {
    if (this.state === "CANCELLED") return true;
    if (this.state === "FINISHED") return false;
    if (this.cancelHook && !this.cancelHook()) return false;
    this.state = "CANCELLED";
    this.failed = true;
    this.error = new CancelledError(`task "${this.name}" was cancelled`, { taskName: this.name });
    this.finish();
    return true;
  }

  /**
   * Call `callback(future)` when the future is done (at once if it already
   * is). A callback that throws is logged, never swallowed, and does not stop
   * the others.
   */
  addDoneCallback(callback: (future: Future<T>) => void): void {
    if (this.done()) this.runCallback(callback);
    else (this.callbacks ??= []).push(callback);
  }

  /** @internal */
  settle(failed: boolean, valueOrError: unknown): void {
    if (this.done()) return;
    this.state = "FINISHED";
    this.failed = failed;
    if (failed) this.error = valueOrError;
    else this.value = valueOrError as T;
    this.finish();
  }

  private finish(): void {
    this.cancelHook = undefined;
    this.awaitHook = undefined;
    this.scope?.unfollow(this);
    this.scope = undefined;
    const waiters = this.waiters;
    this.waiters = undefined;
    if (waiters !== undefined) for (const wake of waiters) wake();
    const callbacks = this.callbacks;
    this.callbacks = undefined;
    if (callbacks !== undefined) for (const callback of callbacks) this.runCallback(callback);
  }

  private runCallback(callback: (future: Future<T>) => void): void {
    try {
      callback(this);
    } catch (error) {
      getLogger().error({ err: error, task: this.name }, "a future's done callback threw");
    }
  }

  /** The promise of the outcome, made on first use. */
  private settled(): Promise<T> {
    if (this.promise) return this.promise;
    if (this.done()) {
      this.promise = this.failed ? Promise.reject(this.error) : Promise.resolve(this.value as T);
    } else {
      this.promise = new Promise<T>((resolve, reject) =>
        (this.waiters ??= []).push(() => (this.failed ? reject(this.error) : resolve(this.value as T))),
      );
      this.awaited();
    }
    return this.promise;
  }

  /** @internal resolves when done; rejects on timeout or abort, leaving the future alone. */
  waitDone(timeoutMs?: number, signal?: AbortSignal): Promise<void> {
    if (this.done()) return Promise.resolve();
    const wait = waitFor((wake) => (this.waiters ??= []).push(wake), timeoutMs, signal, `task "${this.name}"`);
    this.awaited();
    return wait;
  }
}

/** The executor's view of a future: one object, not three closures (a tree of tiny tasks makes many). */
class FutureSink<T> implements TaskSink {
  constructor(private readonly future: Future<T>) {}

  started(): void {
    this.future.markRunning();
  }

  resolve(value: unknown): void {
    this.future.settle(false, value);
  }

  reject(error: unknown): void {
    this.future.settle(true, error);
  }
}

/**
 * Wait for `register(wake)` to call wake, at most `timeoutMs`, or until
 * `signal` aborts. Listeners and timers are removed whichever comes first.
 */
export function waitFor(register: (wake: () => void) => void, timeoutMs: number | undefined, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError(`waiting for ${what} was aborted`, { cause: signal.reason }));
    let over = false;
    const end = () => {
      over = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      if (over) return;
      end();
      reject(new AbortedError(`waiting for ${what} was aborted`, { cause: signal?.reason }));
    };
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            if (over) return;
            end();
            reject(new TimeoutError(`${what} did not finish within ${timeoutMs} ms`));
          }, timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    register(() => {
      if (over) return;
      end();
      resolve();
    });
  });
}
