import { resolve } from "node:path";
import { readmeDefaults } from "@scoop/test-helpers";
import { RECONNECT_DEFAULTS, WORKER_DEFAULTS, resolveWorkerOptions } from "../../src/options.js";

test("the README's startWorker() defaults are the code's", () => {
  const reconnect = Object.fromEntries(Object.entries(RECONNECT_DEFAULTS).map(([k, v]) => [`reconnect.${k}`, v]));
  expect(readmeDefaults(resolve(__dirname, "../../README.md"), "### Options of `startWorker()`")).toEqual({ ...WORKER_DEFAULTS, ...reconnect });
});

test("resolveWorkerOptions fills in the defaults; reconnect: true takes the default backoff, and no grace", () => {
  const o = resolveWorkerOptions({ broker: "tcp://127.0.0.1:5555" });
  expect(o).toMatchObject({ app: WORKER_DEFAULTS.app, connectTimeoutMs: WORKER_DEFAULTS.connectTimeoutMs, stuckGraceMs: WORKER_DEFAULTS.stuckGraceMs, reconnect: undefined, argv: [], cwd: process.cwd() });
  expect(resolveWorkerOptions({ broker: "tcp://127.0.0.1:5555", reconnect: true })).toMatchObject({ reconnect: { ...RECONNECT_DEFAULTS }, stuckGraceMs: 0 });
  expect(() => resolveWorkerOptions({ broker: "" })).toThrow(expect.objectContaining({ code: "SCOOP_INVALID_OPTION" }));
});
