import { parseCommandLine } from "@scoop/protocol/internal";
import { quickParse, yargsParser } from "../../src/main.js";

/** yargs' parse as main reads it: the quick parse's keys (yargs also keeps each flag under its aliases), `_` as strings. */
const asMainReadsIt = (args: Record<string, unknown>, keys: string[]) => ({
  ...Object.fromEntries(keys.map((k) => [k, args[k]])),
  _: (args._ as unknown[]).map(String),
});

test.each([
  [["-n", "2", "/work/benchmarks/w0.ts"]],
  [["x.ts"]],
  [["--workers", "3", "--debug", "--log", "/tmp/run.log", "x.ts", "--steps", "9", "-v"]],
  [["-v", "-q", "--log-format", "json", "--seed=42", "--nice", "5", "--stuck-grace-ms", "0", "--liveness-ms", "1000", "--heartbeat-ms", "200", "x.ts"]],
  [["--max-tasks-per-worker", "10", "--max-worker-memory-mb", "512", "--trace", "t.json", "--progress", "--insecure", "--launcher", "local", "-p", "/tmp", "x.ts", "a", "b"]],
])("plain command lines parse without yargs exactly as with it: %j", async (argv) => {
  const quick = quickParse(argv);
  expect(quick).toBeDefined();
  const keys = Object.keys(quick!).filter((k) => k !== "_");
  expect(asMainReadsIt(quick as never, keys)).toEqual(asMainReadsIt((await parseCommandLine(yargsParser(argv), "scoop")) as never, keys));
});

test.each([
  [["--help"]],
  [["--version"]],
  [["--no-progress", "x.ts"]],
  [["--bogus", "x.ts"]],
  [["-n", "2", "-n", "3", "x.ts"]],
  [["-n", "many", "x.ts"]],
  [["-n=2", "x.ts"]],
  [["-vq", "x.ts"]],
  [["--launcher", "carrier-pigeon", "x.ts"]],
  [["--hosts", "a", "b", "x.ts"]],
  [["--dashboard", "x.ts"]],
  [["--", "x.ts"]],
  [["--log", "-v", "x.ts"]],
])("anything else goes to yargs: %j", (argv) => {
  expect(quickParse(argv)).toBeUndefined();
});
