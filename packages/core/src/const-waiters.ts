/**
 * Callers waiting for shared constants that are not set yet, by key. Both
 * executors use it, so waiting, its timeout and its abort behave the same.
 */
import { TimeoutError } from "./errors.js";
import { waitFor } from "./future.js";

/** Waiters for constants, by key (a name, or an app and a name). */
export class ConstWaiters {
  private readonly byKey = new Map<string, Set<() => void>>();

  /**
   * Resolve when {@link wake} is called for `key`.
   * @throws {TimeoutError} after `timeoutMs`; {@link AbortedError} if `signal` aborts.
   */
  async wait(key: string, name: string, options: { timeoutMs?: number; signal?: AbortSignal }): Promise<void> {
    let wake: (() => void) | undefined;
    try {
      await waitFor(
        (w) => {
          wake = w;
          let set = this.byKey.get(key);
          if (!set) this.byKey.set(key, (set = new Set()));
          set.add(w);
        },
        options.timeoutMs,
        options.signal,
        `shared constant "${name}"`,
      );
    } catch (error) {
      if (wake) this.byKey.get(key)?.delete(wake);
      if (error instanceof TimeoutError) {
        throw new TimeoutError(`shared constant "${name}" was not set within ${options.timeoutMs} ms: set it with shared.setConst() before tasks read it`);
      }
      throw error;
    }
  }

  /** The constant `key` is set: wake everyone waiting for it. */
  wake(key: string): void {
    const set = this.byKey.get(key);
    this.byKey.delete(key);
    for (const w of set ?? []) w();
  }
}
