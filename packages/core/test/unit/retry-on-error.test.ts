/** The retryOnError policy: validation, which errors it retries, backoff with jitter, and the aggregated error. */
import { ScoopError } from "@scoop/protocol";
import { RetriesExhaustedError, backoffMs, nextRetry, resolveRetryOnError } from "../../src/retry-on-error.js";

const thrown = new ScoopError("SCOOP_TASK_FAILED", "boom");
const lost = new ScoopError("SCOOP_WORKER_LOST", "lost");

describe("retryOnError", () => {
  it("a count retries what the task threw, that many times, and nothing else", () => {
    const policy = resolveRetryOnError(2, "submit")!;
    expect(nextRetry(policy, thrown, 1)).toBeGreaterThanOrEqual(50);
    expect(nextRetry(policy, thrown, 2)).toBeGreaterThanOrEqual(100);
    expect(nextRetry(policy, thrown, 3)).toBeUndefined();
    expect(nextRetry(policy, lost, 1)).toBeUndefined(); // lost workers are `retries`, counted by the broker
    expect(resolveRetryOnError(0, "submit")).toBeUndefined();
    expect(resolveRetryOnError(undefined, "submit")).toBeUndefined();
  });

  it("a predicate decides on the error and the attempt; a throwing predicate gives up", () => {
    const policy = resolveRetryOnError((e, attempt) => (e as ScoopError).code === "SCOOP_WORKER_LOST" && attempt < 2, "map")!;
    expect(nextRetry(policy, lost, 1)).toBeDefined();
    expect(nextRetry(policy, lost, 2)).toBeUndefined();
    expect(nextRetry(policy, thrown, 1)).toBeUndefined();
    const throwing = resolveRetryOnError(() => {
      throw new Error("bad predicate");
    }, "map")!;
    expect(nextRetry(throwing, thrown, 1)).toBeUndefined();
  });

  it("backs off exponentially up to maxDelayMs, with half of each delay random", () => {
    const policy = resolveRetryOnError({ retries: 10, initialDelayMs: 100, maxDelayMs: 1000 }, "submit")!;
    expect([1, 2, 3, 4, 5].map((r) => backoffMs(policy, r, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((r) => backoffMs(policy, r, () => 1))).toEqual([100, 200, 400, 800, 1000]);
  });

  it("refuses bad values with SCOOP_INVALID_OPTION", () => {
    for (const bad of [-1, 1.5, "3", null, { retries: -2 }, { when: 3 }, { initialDelayMs: -1 }]) {
      expect(() => resolveRetryOnError(bad as never, "submit")).toThrow(expect.objectContaining({ code: "SCOOP_INVALID_OPTION" }));
    }
  });

  it("the final error lists every attempt's failure", () => {
    const error = new RetriesExhaustedError("flaky", [new Error("first"), new Error("second"), new Error("third")]);
    expect(error.code).toBe("SCOOP_RETRIES_EXHAUSTED");
    expect(error.errors).toHaveLength(3);
    expect(error.message).toMatch(/attempt 1: first\n {2}attempt 2: second\n {2}attempt 3: third/);
    expect((error.cause as Error).message).toBe("third");
  });
});
