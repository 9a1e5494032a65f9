import { InvalidOptionError, ScoopError, isScoopErrorCode } from "@scoop/protocol";

test("instanceof ScoopError holds across two copies of the library", () => {
  let Other!: typeof import("../../src/errors.js");
  jest.isolateModules(() => {
    Other = require("../../src/errors.js");
  });
  expect(Other.ScoopError).not.toBe(ScoopError); // really a second copy
  const foreign = new Other.InvalidOptionError("bad option");
  expect(foreign instanceof ScoopError).toBe(true);
  expect(new ScoopError("SCOOP_TIMEOUT", "late") instanceof Other.ScoopError).toBe(true);
  // Subclasses keep the ordinary check; non-errors are not ScoopErrors.
  expect(new InvalidOptionError("x") instanceof InvalidOptionError).toBe(true);
  expect(new ScoopError("SCOOP_TIMEOUT", "late") instanceof InvalidOptionError).toBe(false);
  expect(new Error("plain") instanceof ScoopError).toBe(false);
  expect({ code: "SCOOP_TIMEOUT" } instanceof ScoopError).toBe(false);
  expect((null as unknown as object) instanceof ScoopError).toBe(false);
});

test("isScoopErrorCode knows SCOOP's codes only", () => {
  expect(isScoopErrorCode("SCOOP_TIMEOUT")).toBe(true);
  expect(isScoopErrorCode("SCOOP_NOT_A_CODE")).toBe(false);
  expect(isScoopErrorCode(42)).toBe(false);
});
