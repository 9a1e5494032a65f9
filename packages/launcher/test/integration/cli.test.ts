/**
 * The `scoop` CLI end to end (real broker, real worker processes): exit
 * codes, clear messages for broken programs, and no process left behind on
 * any ending, Ctrl-C and SIGTERM included.
 */
import { join } from "node:path";
import { killTagged, newTag, processesTagged, runScoop, SCOOP_BIN, startCli, waitUntil } from "@scoop/test-helpers";

const fixture = (name: string) => join(__dirname, "../fixtures", name);
const tags: string[] = [];
afterAll(() => tags.forEach(killTagged));

const scoop = (...args: string[]) => runScoop(tags, ...args);

test("the origin's main return value is the run's exit code", async () => {
  const run = await scoop("-n", "2", fixture("exit-code.ts"), "7");
  expect(run.code).toBe(7);
});

test("an unregistered task ends the run with a message saying how to fix it", async () => {
  const run = await scoop("-n", "2", fixture("unregistered-task.ts"));
  expect(run.code).toBe(1);
  expect(run.stderr).toContain("SCOOP_TASK_NOT_REGISTERED");
  expect(run.stderr).toContain('defineTask("hidden"');
});

test("a syntax error in the script is reported with its place", async () => {
  const run = await scoop("-n", "2", fixture("syntax-error.ts"));
  expect(run.code).toBe(1);
  expect(run.stderr).toContain("cannot load");
  expect(run.stderr).toContain("syntax-error.ts:2");
});

test("a script that throws while loading ends the run", async () => {
  const run = await scoop("-n", "2", fixture("throws-on-load.ts"));
  expect(run.code).toBe(1);
  expect(run.stderr).toContain("this script cannot be loaded");
});

test("a script without main says what to add, before any worker runs its top-level code", async () => {
  const run = await scoop("-n", "2", fixture("no-main.ts"));
  expect(run.code).toBe(1);
  expect(run.stderr).toContain("exports no main function");
  expect(run.stdout).toBe("");
});

test("a missing script and wrong flags are usage errors", async () => {
  const missing = await scoop(fixture("nowhere.ts"));
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain("cannot find the script");
  const badCount = await scoop("-n", "0", fixture("exit-code.ts"));
  expect(badCount.code).toBe(1);
  expect(badCount.stderr).toContain("workers");
  const unknownFlag = await scoop("--bogus-flag", fixture("exit-code.ts"));
  expect(unknownFlag.code).toBe(1);
  expect(unknownFlag.stderr).toMatch(/bogus-flag/);
});

test.each([
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const)("%s in the middle of a run leaves no process behind; exit %i (128 + the signal's number)", async (signal, code) => {
  const tag = newTag();
  tags.push(tag);
  const run = startCli(SCOOP_BIN, ["-n", "2", fixture("long-run.ts")], { tag });
  await waitUntil(() => run.output().stdout.includes("started"), 30_000, "the run to start");
  // The broker and both workers are up (launcher + 2 workers).
  expect(processesTagged(tag).length).toBeGreaterThanOrEqual(3);
  run.child.kill(signal);
  const end = await run.done;
  expect(end.code).toBe(code);
  expect(end.stdout).not.toContain("finished");
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
});
