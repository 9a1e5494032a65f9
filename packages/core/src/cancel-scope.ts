/**
 * The cancellation of one task run. Most tasks never read their
 * `AbortSignal`, and making one costs more than running a tiny task
 * (profiled: `createAbortSignal` was the largest single cost of a tree of
 * 16,383 local tasks), so the signal is made only when the task asks for it.
 * The futures a task submits follow the scope itself: cancelling a task
 * cancels its children with no listener on any signal, whatever their number.
 */

/** What follows a scope: cancelled with it. */
export interface ScopeFollower {
  cancel(): unknown;
}

/** Cancellation of one task run: an AbortSignal made on first use, and the futures it submitted. */
export class CancelScope {
  private controller?: AbortController;
  private reason?: unknown;
  private followers?: Set<ScopeFollower>;
  /** True once {@link cancel} was called. */
  cancelled = false;

  /** The task's signal (made now if it was never read; already aborted if the scope was cancelled). */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.cancelled) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Cancel the run: abort its signal if anyone read it, then cancel every follower. */
  cancel(reason: unknown): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.reason = reason;
    this.controller?.abort(reason);
    const followers = this.followers;
    this.followers = undefined;
    if (followers !== undefined) for (const follower of followers) follower.cancel();
  }

  /** Cancel `follower` with this scope (at once if it is already cancelled). */
  follow(follower: ScopeFollower): void {
    if (this.cancelled) follower.cancel();
    else (this.followers ??= new Set()).add(follower);
  }

  /** `follower` settled: it no longer follows. */
  unfollow(follower: ScopeFollower): void {
    this.followers?.delete(follower);
  }
}
