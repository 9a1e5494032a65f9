import { retryInterrupted } from "../../src/interrupted.js";

const failure = (code: string) => Object.assign(new Error(code === "EINTR" ? "Interrupted system call" : "Invalid argument"), { code });

test("a call interrupted by a signal is made again until it completes", () => {
  let calls = 0;
  const result = retryInterrupted(() => {
    if (++calls < 3) throw failure("EINTR");
    return "connected";
  });
  expect({ result, calls }).toEqual({ result: "connected", calls: 3 });
});

test("any other failure is thrown at once", () => {
  let calls = 0;
  expect(() =>
    retryInterrupted(() => {
      calls++;
      throw failure("EINVAL");
    }),
  ).toThrow("Invalid argument");
  expect(calls).toBe(1);
});
