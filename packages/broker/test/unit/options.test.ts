import { resolve } from "node:path";
import { readmeDefaults } from "@scoop/test-helpers";
import { BROKER_DEFAULTS, resolveBrokerOptions } from "../../src/options.js";

test("the README's startBroker() defaults are the code's", () => {
  expect(readmeDefaults(resolve(__dirname, "../../README.md"), "### Options of `startBroker()`")).toEqual({ ...BROKER_DEFAULTS });
});

test("resolveBrokerOptions fills in every default", () => {
  expect(resolveBrokerOptions()).toEqual({ ...BROKER_DEFAULTS, curve: undefined, logger: undefined });
});
