/**
 * Type inference of the futures API: a task's parameter types check the
 * arguments of `submit` and the inputs of `map` and friends. The
 * `@ts-expect-error` lines fail the type check (`pnpm typecheck`) if a wrong
 * call ever type-checks again; jest only runs the harmless part.
 */
import { futures } from "@scoop/core";

function square(x: number): number {
  return x * x;
}
function add(a: number, b: number): number {
  return a + b;
}
function label(n: number, unit?: string): string {
  return `${n}${unit ?? ""}`;
}

/** Never called: only type-checked. */
export function typeChecks(): void {
  void futures.map(square, [1, 2]);
  void futures.map(square, new Set([1]), { timeoutMs: 1000 });
  void futures.map(add, [1], [2]);
  void futures.map(label, [1]);
  void futures.map(label, [1], ["kg"]);
  void futures.mapReduce(square, (a, b) => a + b, [1, 2]);
  void futures.submit(add, 1, 2);
  // @ts-expect-error square takes a number
  void futures.map(square, ["a"]);
  // @ts-expect-error add's second parameter is a number
  void futures.map(add, [1], ["x"]);
  // @ts-expect-error square takes a number
  void futures.mapAsCompleted(square, ["a"]);
  // @ts-expect-error square takes a number
  void futures.mapReduce(square, (a, b) => a + b, ["a"]);
  // @ts-expect-error square takes a number
  void futures.mapScan(square, (a, b) => a + b, ["a"]);
  // @ts-expect-error square takes a number
  void futures.submit(square, "a");
}

test("the type checks above are compiled with the tests", () => {
  expect(typeof typeChecks).toBe("function");
});
