import { Codec } from "@scoop/protocol";
import { CancelScope } from "../../src/cancel-scope.js";
import { isPlain, plainArgs } from "../../src/plain-values.js";

const codec = new Codec({});
const roundTrip = (value: unknown) => (codec.decode(codec.encode([value], "args")) as unknown[])[0];

test("a plain value comes back from the codec as the very same value, so a local run may skip the round trip", () => {
  const plain = [0, -0, NaN, Infinity, -Infinity, 2 ** 53, -1.5, 1e300, true, false, null, undefined, "", "héllo ✓", "x".repeat(1024)];
  for (const value of plain) {
    expect(isPlain(value)).toBe(true);
    expect(Object.is(roundTrip(value), value)).toBe(true);
  }
});

test("what the codec would change or copy is not plain: it makes the round trip", () => {
  expect(roundTrip("a\ud800b")).not.toBe("a\ud800b"); // a lone surrogate cannot travel as UTF-8
  for (const value of ["a\ud800b", "x".repeat(1025), 1n, {}, [], new Uint8Array(1), () => 1, Symbol("s")]) expect(isPlain(value)).toBe(false);
  expect(plainArgs([1, "a", null])).toBe(true);
  expect(plainArgs([1, {}])).toBe(false);
  expect(plainArgs(Array(17).fill(1))).toBe(false);
});

test("a cancel scope makes its AbortSignal only when read, aborted if the scope already was; followers are cancelled once", () => {
  const reason = new Error("stop");
  const late = new CancelScope();
  late.cancel(reason);
  expect(late.signal.aborted).toBe(true);
  expect(late.signal.reason).toBe(reason);

  const scope = new CancelScope();
  const signal = scope.signal;
  const cancelled: string[] = [];
  const a = { cancel: () => cancelled.push("a") };
  const b = { cancel: () => cancelled.push("b") };
  scope.follow(a);
  scope.follow(b);
  scope.unfollow(b);
  scope.cancel(reason);
  scope.cancel(new Error("again"));
  expect(signal.aborted).toBe(true);
  expect(signal.reason).toBe(reason);
  expect(cancelled).toEqual(["a"]);
  scope.follow(b); // following a cancelled scope cancels at once
  expect(cancelled).toEqual(["a", "b"]);
});
