import { getEventListeners } from "node:events";
import { followAbort } from "../../src/abort-fanout.js";

const listeners = (signal: AbortSignal) => getEventListeners(signal, "abort").length;

test("100,000 followers cost one listener on the signal; all are called on abort", () => {
  const controller = new AbortController();
  let called = 0;
  for (let i = 0; i < 100_000; i++) followAbort(controller.signal, () => called++);
  expect(listeners(controller.signal)).toBe(1);
  controller.abort();
  expect(called).toBe(100_000);
  expect(listeners(controller.signal)).toBe(0);
});

test("followers that stop are not called; the listener goes with the last one", () => {
  const controller = new AbortController();
  const calls: string[] = [];
  const stopA = followAbort(controller.signal, () => calls.push("a"));
  const stopB = followAbort(controller.signal, () => calls.push("b"));
  stopA();
  stopA(); // idempotent
  expect(listeners(controller.signal)).toBe(1);
  stopB();
  expect(listeners(controller.signal)).toBe(0);
  followAbort(controller.signal, () => calls.push("c"));
  controller.abort();
  expect(calls).toEqual(["c"]);
});

test("an aborted signal calls at once", () => {
  let called = false;
  const stop = followAbort(AbortSignal.abort(), () => (called = true));
  expect(called).toBe(true);
  stop();
});
