/**
 * Waiting on many futures: {@link asCompleted} and {@link wait}.
 */
import { InvalidOptionError } from "@scoop/protocol";
import { TimeoutError } from "./errors.js";
import { Future, waitFor, type DoneFuture } from "./future.js";

/** When {@link wait} returns. */
export type ReturnWhen = "FIRST_COMPLETED" | "FIRST_EXCEPTION" | "ALL_COMPLETED";
/** Return as soon as any future is done. */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/** Return as soon as any future fails, or when all are done. */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/** Return when every future is done. */
export const ALL_COMPLETED = "ALL_COMPLETED";

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
