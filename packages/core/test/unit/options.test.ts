import { resolve } from "node:path";
import { readmeDefaults } from "@scoop/test-helpers";
import { CONNECT_DEFAULTS, resolveConnectOptions, resolveStartOptions } from "../../src/options.js";

test("the README's connect() defaults are the code's", () => {
  expect(readmeDefaults(resolve(__dirname, "../../README.md"), "### Options of `connect()` and `start()`")).toEqual({ ...CONNECT_DEFAULTS });
});

test("resolveConnectOptions fills in the defaults; resolveStartOptions turns module URLs into paths", () => {
  const o = resolveConnectOptions({ broker: "tcp://127.0.0.1:5555" });
  expect(o).toMatchObject({ ...CONNECT_DEFAULTS, broker: "tcp://127.0.0.1:5555", curve: undefined });
  expect(o.app).toMatch(/^app-/);
  expect(resolveStartOptions({ modules: [new URL("file:///tmp/a%20b.js"), "./t.js"] }).modules).toEqual(["/tmp/a b.js", "./t.js"]);
  expect(() => resolveStartOptions({ modules: [] })).toThrow(expect.objectContaining({ code: "SCOOP_INVALID_OPTION" }));
});
