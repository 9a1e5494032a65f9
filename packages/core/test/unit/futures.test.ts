/**
 * The futures API on the serial fallback: the same semantics every executor
 * must give (ordering, deadlines, cancellation, callbacks, errors).
 */
import {
  type DoneFuture,
  ALL_COMPLETED,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  currentTask,
  defineTask,
  futures,
  setLogger,
  shared,
} from "@scoop/core";
import pino from "pino";
import { inspect } from "node:util";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const square = defineTask("square", (x: number) => x * x);
const add = defineTask("add", (a: number, b: number) => a + b);
const echo = defineTask("echo", (x: unknown) => x);
const slowEcho = defineTask("slowEcho", async (x: number, ms: number) => {
  await sleep(ms);
  return x;
});
const fail = defineTask("fail", (message: string) => {
  throw new RangeError(message);
});
const failIf = defineTask("failIf", (x: number) => {
  if (x === 3) throw new TypeError("three");
  return x;
});
const watchSignal = defineTask("watchSignal", async (ms: number) => {
  const signal = currentTask()!.signal;
  await new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      resolve(undefined);
    });
  });
  return signal.aborted ? "aborted" : "finished";
});
let concurrent = 0;
let maxConcurrent = 0;
const counted = defineTask("counted", async (x: number) => {
  concurrent++;
  maxConcurrent = Math.max(maxConcurrent, concurrent);
  await sleep(1);
  concurrent--;
  return x;
});
const subtree = defineTask("subtree", async (depth: number): Promise<number> => {
  if (depth === 0) return 1;
  const kids = [futures.submit(subtree, depth - 1), futures.submit(subtree, depth - 1)];
  return 1 + (await kids[0]) + (await kids[1]);
});
const concat = (a: string, b: string) => a + b;
const str = defineTask("str", (x: number) => String(x));

let aborted: AbortSignal[] = [];
const abortedHolder = defineTask("abortedHolder", async () => {
  aborted.push(currentTask()!.signal);
  await sleep(50);
  return "done";
});

describe("submit and Future", () => {
  test("a future resolves to the task's value and reports its state", async () => {
    const f = futures.submit(square, 7);
    expect(f).toBeInstanceOf(Future);
    expect(f.done()).toBe(false);
    expect(await f).toBe(49);
    expect(f.done()).toBe(true);
    expect(f.running()).toBe(false);
    expect(f.cancelled()).toBe(false);
    expect(await f.result()).toBe(49);
    expect(await f.exception()).toBeUndefined();
  });

  test("running() is true while an async task awaits", async () => {
    const f = futures.submit(slowEcho, 1, 30);
    await sleep(10);
    expect(f.running()).toBe(true);
    await f;
  });

  test("an anonymous function fails at once and says how to fix it", () => {
    expect(() => futures.submit((x: number) => x, 1)).toThrow(expect.objectContaining({ code: "SCOOP_TASK_NOT_REGISTERED", message: expect.stringContaining("defineTask") }));
    expect(() => futures.map((_x: number) => 1, [1])).toThrow(expect.objectContaining({ code: "SCOOP_TASK_NOT_REGISTERED" }));
  });

  test("the serial fallback accepts a named function not registered yet (a script driving itself)", async () => {
    function notExportedYet(x: number) {
      return x + 1;
    }
    expect(await futures.submit(notExportedYet, 1)).toBe(2);
  });

  test("an unserializable argument fails at submit, naming its path", () => {
    let caught: any;
    try {
      futures.submit(echo, { items: [0, 1, 2, { callback: () => 1 }] });
    } catch (error) {
      caught = error;
    }
    expect(caught.code).toBe("SCOOP_UNSERIALIZABLE");
    expect(caught.path).toBe("args[0].items[3].callback");
    // The stack starts at this file's submit call, not inside SCOOP.
    expect(caught.stack.split("\n")[1]).toMatch(/futures\.test\.ts:10\d:/);
    expect(caught.stack).not.toMatch(/packages[\\/](core|protocol)[\\/]src/);
  });

  test("an unserializable map input fails the map, pointing at the map call", async () => {
    const error: any = await futures.map(echo, [1, { callback: () => 1 }]).then(
      () => undefined,
      (e) => e,
    );
    expect(error.code).toBe("SCOOP_UNSERIALIZABLE");
    expect(error.stack.split("\n")[1]).toMatch(/futures\.test\.ts:11\d:/);
  });

  test("a throwing task rejects with its name, message, stack and worker", async () => {
    const error: any = await futures.submit(fail, "negative").then(
      () => undefined,
      (e) => e,
    );
    expect(error.code).toBe("SCOOP_TASK_FAILED");
    expect(error.remoteName).toBe("RangeError");
    expect(error.remoteMessage).toBe("negative");
    expect(error.workerId).toBe("serial");
    expect(error.taskName).toBe("fail");
    // Printed once: the user's frame of the task, SCOOP's frames hidden, the cause not repeated.
    const printed = inspect(error);
    expect(printed).toMatch(/at .*futures\.test\.ts:30:/);
    expect(printed.split("negative").length - 1).toBe(1);
    expect(printed).not.toMatch(/packages[\\/]core[\\/]src/);
    expect(printed).toContain("code: 'SCOOP_TASK_FAILED'");
    expect(error.remoteStack).toMatch(/futures\.test\.ts:30:/);
    expect(error.cause).toBeInstanceOf(RangeError);
    expect(await futures.submit(fail, "x").exception()).toMatchObject({ code: "SCOOP_TASK_FAILED" });
  });

  test("arguments and results are copies, as on a cluster", async () => {
    const input = { list: [1, 2], when: new Date(0), big: 10n ** 30n, tags: new Set(["a"]) };
    const out: any = await futures.submit(echo, input);
    expect(out).toEqual(input);
    expect(out).not.toBe(input);
  });

  test("timeoutMs of a call rejects at the deadline and aborts the task", async () => {
    const f = futures.submitWith({ timeoutMs: 20 }, watchSignal, 5_000);
    await expect(f).rejects.toMatchObject({ code: "SCOOP_TIMEOUT" });
    expect(f.done()).toBe(true);
  });

  test("result(timeout) gives up waiting but the future goes on", async () => {
    const f = futures.submit(slowEcho, 5, 60);
    await expect(f.result(5)).rejects.toMatchObject({ code: "SCOOP_TIMEOUT" });
    expect(f.done()).toBe(false);
    expect(await f.result(5_000)).toBe(5);
  });

  test("a wait can be aborted by a signal, with the reason as cause", async () => {
    const f = futures.submit(slowEcho, 5, 60);
    const controller = new AbortController();
    const waiting = f.result(undefined, { signal: controller.signal });
    controller.abort("enough");
    await expect(waiting).rejects.toMatchObject({ code: "SCOOP_ABORTED", cause: "enough" });
    expect(await f).toBe(5);
  });

  test("a call's signal cancels it", async () => {
    const controller = new AbortController();
    const f = futures.submitWith({ signal: controller.signal }, watchSignal, 5_000);
    await sleep(5);
    controller.abort(new Error("user stop"));
    await expect(f).rejects.toMatchObject({ code: "SCOOP_ABORTED", cause: new Error("user stop") });
  });

  test("invalid options are refused with a clear message", () => {
    expect(() => futures.submitWith({ timeoutMs: -1 }, square, 1)).toThrow(expect.objectContaining({ code: "SCOOP_INVALID_OPTION", message: expect.stringContaining("timeoutMs") }));
    expect(() => futures.submitWith({ retries: 1.5 }, square, 1)).toThrow(expect.objectContaining({ code: "SCOOP_INVALID_OPTION" }));
  });
});

describe("cancel (PEP 3148)", () => {
  test("a pending future is cancelled: done, cancelled, callbacks fired, never runs", async () => {
    const calls: string[] = [];
    const f = futures.submit(square, 3);
    f.addDoneCallback((g) => calls.push(`cb:${g.cancelled()}`));
    expect(f.cancel()).toBe(true);
    expect(f.cancelled()).toBe(true);
    expect(f.done()).toBe(true);
    expect(calls).toEqual(["cb:true"]);
    await expect(f).rejects.toMatchObject({ code: "SCOOP_CANCELLED" });
    await expect(f.exception()).rejects.toMatchObject({ code: "SCOOP_CANCELLED" });
    expect(f.cancel()).toBe(true);
  });

  test("a finished future cannot be cancelled", async () => {
    const f = futures.submit(square, 3);
    await f;
    expect(f.cancel()).toBe(false);
    expect(f.cancelled()).toBe(false);
    expect(await f).toBe(9);
  });

  test("a running task is asked to stop through its signal", async () => {
    aborted = [];
    const f = futures.submit(abortedHolder);
    await sleep(10);
    expect(f.running()).toBe(true);
    expect(f.cancel()).toBe(true);
    expect(aborted[0].aborted).toBe(true);
    await expect(f).rejects.toMatchObject({ code: "SCOOP_CANCELLED" });
  });
});

describe("cancelling a task cancels what it submitted", () => {
  // Children that watch their signal: cancelled, they end at once (no 5 s timer left behind).
  let made: { child?: Future<string>; map?: PromiseLike<string[]> } = {};
  const parentTask = defineTask("parentTask", async () => {
    made = { child: futures.submit(watchSignal, 5_000), map: futures.map(watchSignal, [5_000, 5_000]) };
    await made.child;
  });

  test("its pending children and its maps are cancelled with it, though the task never read its signal", async () => {
    const f = futures.submit(parentTask);
    await sleep(20);
    expect(made.child!.done()).toBe(false);
    expect(f.cancel()).toBe(true);
    expect(made.child!.cancelled()).toBe(true);
    await expect(made.map).rejects.toMatchObject({ code: "SCOOP_ABORTED", message: expect.stringContaining("cancelled with the task that made it") });
  });
});

describe("callbacks", () => {
  test("a callback added after completion runs at once; a throwing one is logged, not swallowed", async () => {
    const lines: string[] = [];
    setLogger(pino({ level: "error" }, { write: (line: string) => lines.push(line) }));
    const f = futures.submit(square, 2);
    const seen: number[] = [];
    f.addDoneCallback(() => {
      throw new Error("callback bug");
    });
    f.addDoneCallback(() => seen.push(1));
    await f;
    f.addDoneCallback(() => seen.push(2));
    expect(seen).toEqual([1, 2]);
    expect(lines.join("")).toContain("callback bug");
  });

  test("a failed future nobody awaits is not an unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    const f = futures.submit(fail, "ignored");
    await f.exception();
    await sleep(20);
    process.off("unhandledRejection", onUnhandled);
    expect(unhandled).toEqual([]);
  });
});

describe("map and friends", () => {
  test("map keeps input order whatever the finishing order", async () => {
    expect(await futures.map(slowEcho, [1, 2, 3, 4], [40, 5, 30, 0])).toEqual([1, 2, 3, 4]);
  });

  test("several iterables are zipped; the shortest wins", async () => {
    expect(await futures.map(add, [1, 2, 3], [10, 20])).toEqual([11, 22]);
    expect(await futures.map(square, [])).toEqual([]);
  });

  test("generators and async iterables are read lazily, within the window", async () => {
    function* numbers() {
      for (let i = 0; i < 50; i++) yield i;
    }
    async function* later() {
      for (let i = 0; i < 50; i++) {
        await sleep(0);
        yield i;
      }
    }
    maxConcurrent = 0;
    expect(await futures.map(counted, numbers(), { window: 4 })).toEqual([...numbers()]);
    expect(maxConcurrent).toBeLessThanOrEqual(4);
    maxConcurrent = 0;
    expect(await futures.map(counted, later(), { window: 3 })).toEqual([...numbers()]);
    expect(maxConcurrent).toBeLessThanOrEqual(3);
  });

  test("a streaming map reads no further than the consumer needs", async () => {
    let produced = 0;
    function* endless() {
      for (let i = 0; ; i++) {
        produced++;
        yield i;
      }
    }
    const taken: number[] = [];
    for await (const x of futures.map(square, endless(), { window: 8 })) {
      taken.push(x);
      if (taken.length === 20) break;
    }
    expect(taken).toEqual(Array.from({ length: 20 }, (_, i) => i * i));
    expect(produced).toBeLessThanOrEqual(20 + 8 + 1);
  });

  test("the first failure in input order rejects the map and cancels the rest", async () => {
    await expect(futures.map(failIf, [1, 2, 3, 4, 5])).rejects.toMatchObject({ code: "SCOOP_TASK_FAILED", remoteName: "TypeError" });
  });

  test("mapAsCompleted yields results as tasks finish", async () => {
    const order: number[] = [];
    for await (const x of futures.mapAsCompleted(slowEcho, [1, 2, 3], [60, 1, 30])) order.push(x);
    expect(order).toEqual([2, 3, 1]);
  });

  test("a map cannot be consumed twice", async () => {
    const m = futures.map(square, [1]);
    await m;
    expect(() => m[Symbol.asyncIterator]()).toThrow(expect.objectContaining({ code: "SCOOP_MAP_CONSUMED" }));
  });

  test("a non-iterable input is refused", () => {
    expect(() => futures.map(square, 5 as never)).toThrow(expect.objectContaining({ code: "SCOOP_INVALID_OPTION" }));
  });

  test("mapReduce folds in input order, with 0 and 1 inputs handled", async () => {
    expect(await futures.mapReduce(square, (a: number, b: number) => a + b, [1, 2, 3])).toBe(14);
    expect(await futures.mapReduce(str, concat, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toBe("12345678910");
    expect(await futures.mapReduce(square, (a: number, b: number) => a + b, [4])).toBe(16);
    expect(await futures.mapReduce(square, (a: number, b: number) => a + b, [], { initial: 100 })).toBe(100);
    expect(await futures.mapReduce(square, (a: number, b: number) => a + b, [2], { initial: 100 })).toBe(104);
    await expect(futures.mapReduce(square, (a: number, b: number) => a + b, [])).rejects.toMatchObject({ code: "SCOOP_EMPTY_REDUCE" });
  });

  test("mapScan is an inclusive prefix scan", async () => {
    expect(await futures.mapScan(square, (a: number, b: number) => a + b, [10, 20, 30])).toEqual([100, 500, 1400]);
    expect(await futures.mapScan(square, (a: number, b: number) => a + b, [])).toEqual([]);
    expect(await futures.mapScan(square, (a: number, b: number) => a + b, [1, 2], { initial: 10 })).toEqual([11, 15]);
  });

  test("a map's signal cancels it", async () => {
    const controller = new AbortController();
    const m = futures.map(watchSignal, [5_000, 5_000]);
    const m2 = futures.map(watchSignal, [5_000, 5_000], { signal: controller.signal });
    controller.abort("stop");
    await expect(m2).rejects.toMatchObject({ code: "SCOOP_ABORTED", cause: "stop" });
    m.cancel();
    await expect(m).resolves.toEqual([]);
  });
});

describe("asCompleted and wait", () => {
  test("asCompleted hands back the futures themselves, failed ones included", async () => {
    const fs = [futures.submit(slowEcho, 1, 40), futures.submit(fail, "boom"), futures.submit(slowEcho, 3, 5)];
    const seen: DoneFuture<unknown>[] = [];
    for await (const f of futures.asCompleted(fs)) seen.push(f);
    expect(await seen[0].exception()).toMatchObject({ code: "SCOOP_TASK_FAILED" });
    expect(await seen[1].result()).toBe(3);
    expect(seen.every((f) => f instanceof Future)).toBe(true);
    expect(seen).toEqual([fs[1], fs[2], fs[0]]);
  });

  test("asCompleted throws SCOOP_TIMEOUT when futures are late", async () => {
    const fs = [futures.submit(slowEcho, 1, 200)];
    const it = futures.asCompleted(fs, { timeoutMs: 10 });
    await expect(it.next()).rejects.toMatchObject({ code: "SCOOP_TIMEOUT" });
    await fs[0];
  });

  test("wait honours FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED and its timeout", async () => {
    const slow = futures.submit(slowEcho, 1, 150);
    const quick = futures.submit(slowEcho, 2, 5);
    let r = await futures.wait([slow, quick], { returnWhen: FIRST_COMPLETED });
    expect([...r.done]).toEqual([quick]);
    expect([...r.notDone]).toEqual([slow]);

    const failing = futures.submit(fail, "x");
    r = await futures.wait([slow, failing], { returnWhen: FIRST_EXCEPTION });
    expect(r.done.has(failing)).toBe(true);
    expect(r.notDone.has(slow)).toBe(true);

    r = await futures.wait([slow], { timeoutMs: 5 });
    expect(r.notDone.has(slow)).toBe(true);

    r = await futures.wait([slow, quick, failing], { returnWhen: ALL_COMPLETED });
    expect(r.done.size).toBe(3);
    expect(r.notDone.size).toBe(0);
  });
});

describe("nested tasks and shared constants", () => {
  test("tasks submit tasks and await them without deadlock", async () => {
    expect(await futures.submit(subtree, 8)).toBe(511);
  });

  test("constants are set once, read anywhere, and waited for", async () => {
    await shared.setConst("answer", 42);
    await shared.setConst({ colours: new Map([["red", 1]]) });
    expect(await shared.getConst("answer")).toBe(42);
    expect(await shared.getConst("colours")).toEqual(new Map([["red", 1]]));
    await expect(shared.setConst("answer", 43)).rejects.toMatchObject({ code: "SCOOP_CONST_EXISTS" });
    await expect(shared.getConst("missing", { timeoutMs: 10 })).rejects.toMatchObject({ code: "SCOOP_TIMEOUT" });
    const later = shared.getConst("late", { timeoutMs: 1_000 });
    await shared.setConst("late", "here");
    expect(await later).toBe("here");
  });

  test("shutdown waits for submitted tasks", async () => {
    const f = futures.submit(slowEcho, 9, 20);
    await futures.shutdown();
    expect(f.done()).toBe(true);
  });
});
