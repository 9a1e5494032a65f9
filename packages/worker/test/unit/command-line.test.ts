import { parseCommandLine } from "@scoop/protocol/internal";
import { quickParse, yargsParser } from "../../src/main.js";

/** What main reads of a parse: yargs also keeps each flag under its alias and camelCase name, and turns "9" into 9 (main reads `_` as strings). */
const asMainReadsIt = (args: Record<string, unknown>) => ({
  ...Object.fromEntries(Object.entries(args).filter(([k]) => k !== "$0" && k !== "v" && !/[A-Z]/.test(k))),
  _: (args._ as unknown[]).map(String),
});

test.each([
  [["--broker", "ipc:///tmp/s/broker.sock", "--id", "w1", "--app", "a1b2", "--compiled", "/tmp/s/x.mjs", "--", "/home/u/x.ts"]],
  [["--broker", "tcp://h:5555", "--id", "w0", "--app", "a", "--origin", "--secrets-stdin", "--max-tasks", "10", "--stuck-grace-ms", "0", "--", "x.ts", "--steps", "9", "-v"]],
  [["--broker", "tcp://h:5555", "--module", "a.js", "--module", "b.js", "-v", "--debug"]],
  [["--broker", "ipc:///tmp/s/broker.sock", "--id", "w0", "--app", "a", "--compiled-stdin", "--origin", "--", "/home/u/x.ts"]],
])("the launcher's command lines parse without yargs exactly as with it: %j", async (argv) => {
  const quick = quickParse(argv);
  expect(quick).toBeDefined();
  expect(asMainReadsIt(quick as never)).toEqual(asMainReadsIt((await parseCommandLine(yargsParser(argv), "scoop-worker")) as never));
});

test.each([
  [["--help"]],
  [["--broker", "tcp://h:5555", "--no-reconnect"]],
  [["--broker", "tcp://h:5555", "--bogus"]],
  [["--broker", "tcp://h:5555", "--max-tasks", "many"]],
  [["--broker", "tcp://h:5555", "--module", "a.js", "b.js"]],
  [["--module", "a.js"]],
])("anything else goes to yargs: %j", (argv) => {
  expect(quickParse(argv)).toBeUndefined();
});
