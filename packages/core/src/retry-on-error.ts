/**
 * `retryOnError`: run a task again when it *throws* (lost workers are the
 * separate `retries`, counted by the broker). The owner resubmits the same
 * call after an exponential backoff with jitter; the task keeps its random
 * stream, so a retry draws the same numbers as the first attempt.
 */
import { InvalidOptionError, ScoopError, type ScoopErrorOptions } from "@scoop/protocol";

/** Decides, from the error of attempt `attempt` (1 = the first run), whether to run the task again. */
export type RetryPredicate = (error: unknown, attempt: number) => boolean;

/** Full form of the `retryOnError` option. */
export interface RetryOnErrorOptions {
  /** Most re-runs after a failure. @default 3 */
  retries?: number;
  /** Retry only the errors it accepts. @default every error the task threw (`SCOOP_TASK_FAILED`) */
  when?: RetryPredicate;
  /** Wait before the first re-run; it doubles at each one. @default 100 */
  initialDelayMs?: number;
  /** Longest wait between runs. @default 10000 */
  maxDelayMs?: number;
}

/**
 * `retryOnError` of a call: a count of re-runs, a predicate (up to the
 * default 3 re-runs), or {@link RetryOnErrorOptions}.
 */
export type RetryOnError = number | RetryPredicate | RetryOnErrorOptions;

/** {@link RetryOnError} after validation. */
export interface RetryPolicy {
  readonly retries: number;
  readonly when: RetryPredicate;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** Defaults of {@link RetryOnErrorOptions}. */
export const RETRY_ON_ERROR_DEFAULTS = Object.freeze({ retries: 3, initialDelayMs: 100, maxDelayMs: 10_000 });

/** Only what the task itself threw is retried by default: not timeouts, cancellations or lost workers. */
const thrownByTask: RetryPredicate = (error) => (error as ScoopError | undefined)?.code === "SCOOP_TASK_FAILED";

/** Validate `retryOnError`; `undefined` means no retry. @throws {InvalidOptionError} */
export function resolveRetryOnError(value: RetryOnError | undefined, where: string): RetryPolicy | undefined {
  if (value === undefined || value === 0) return undefined;
  const bad = (what: string) => new InvalidOptionError(`${where}: options.retryOnError ${what}`);
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0) throw bad(`must be a non-negative integer, a predicate (error, attempt) => boolean, or { retries, when, initialDelayMs, maxDelayMs } (got ${value})`);
    return { ...RETRY_ON_ERROR_DEFAULTS, retries: value, when: thrownByTask };
  }
  if (typeof value === "function") return { ...RETRY_ON_ERROR_DEFAULTS, when: value };
  if (typeof value !== "object" || value === null) throw bad(`must be a number, a function or an object (got ${value === null ? "null" : typeof value})`);
  const { retries = RETRY_ON_ERROR_DEFAULTS.retries, when = thrownByTask, initialDelayMs = RETRY_ON_ERROR_DEFAULTS.initialDelayMs, maxDelayMs = RETRY_ON_ERROR_DEFAULTS.maxDelayMs } = value;
  if (!Number.isInteger(retries) || retries < 0) throw bad(`.retries must be a non-negative integer (got ${String(retries)})`);
  if (typeof when !== "function") throw bad(`.when must be a function (error, attempt) => boolean (got ${typeof when})`);
  for (const [name, ms] of [["initialDelayMs", initialDelayMs], ["maxDelayMs", maxDelayMs]] as const) {
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) throw bad(`.${name} must be a non-negative number of milliseconds (got ${String(ms)})`);
  }
  return retries === 0 ? undefined : { retries, when, initialDelayMs, maxDelayMs };
}

/**
 * Wait before re-run number `retry` (1 = the first re-run): exponential,
 * capped, with "equal jitter" (half fixed, half random) so that many tasks
 * failing together (a database down) do not come back in lockstep.
 */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (retry - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

/**
 * A task failed on every attempt `retryOnError` allowed. `errors` holds the
 * failure of each attempt, first to last; `cause` is the last one.
 */
export class RetriesExhaustedError extends ScoopError {
  /** Failure of each attempt, in order. */
  readonly errors: unknown[];

  constructor(taskName: string, errors: unknown[], options: ScoopErrorOptions = {}) {
    const lines = errors.map((e, i) => `  attempt ${i + 1}: ${(e as Error)?.message ?? String(e)}`);
    super(
      "SCOOP_RETRIES_EXHAUSTED",
      `task "${taskName}" failed ${errors.length} time(s), every attempt its retryOnError allowed:\n${lines.join("\n")}\nfix the cause shown above, or allow more attempts with options.retryOnError`,
      { taskName, cause: errors[errors.length - 1], ...options },
    );
    this.errors = errors;
  }
}

/** Decide what to do after attempt `attempt` failed with `error`: the delay before the next run, or `undefined` to give up. */
export function nextRetry(policy: RetryPolicy, error: unknown, attempt: number): number | undefined {
  if (attempt > policy.retries) return undefined;
  let again: boolean;
  try {
    again = policy.when(error, attempt) === true;
  } catch {
    again = false; // a throwing predicate must not lose the task's own error
  }
  return again ? backoffMs(policy, attempt) : undefined;
}
