/**
 * Bad tasks must never hang or silently end a run (issue 14 items 5, 7, 9):
 * a task stuck in a synchronous loop past its deadline, and a task that runs
 * out of memory, on the origin and on another worker. Real processes; every
 * test ends with no process of the run left.
 */
import { join } from "node:path";
import { killTagged, newTag, processesTagged, runCli, SCOOP_BIN, waitUntil } from "@scoop/test-helpers";

const fixture = (name: string) => join(__dirname, "../fixtures", name);
const tags: string[] = [];
afterAll(() => tags.forEach(killTagged));

async function scoop(args: string[], env?: NodeJS.ProcessEnv, timeoutMs = 120_000) {
  const tag = newTag();
  tags.push(tag);
  const end = await runCli(SCOOP_BIN, args, { tag, env, timeoutMs });
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
  return end;
}

/** Lines a person is warned with: the launcher's and the workers' warnings and errors. */
const warnings = (stderr: string) => stderr.split("\n").filter((l) => /^(scoop:|\[w[\d.]+\]) (warning|error):/.test(l));

const gaveUp = /^\[w[12]\] warning: task "spin" was still running \d+ ms after its owner gave up on it \(its deadline passed, or it was cancelled\): a synchronous task cannot be interrupted, so this worker ends[^\n]*$/;

test.each([
  ["awaited by main, where the origin would run it itself (work-first)", ["-n", "2"], ["main", "1"], /^spin: SCOOP_TIMEOUT after (\d+) ms \(owner w0\)$/m, gaveUp],
  // After its first await: no task's synchronous start holds the thread, the one task its runner awaits is the aborted one.
  [
    "looping after its first await, submitted by a task on another worker (--stuck-grace-ms 500)",
    ["-n", "3", "--stuck-grace-ms", "500"],
    ["task", "2", "after-await"],
    /^spin: SCOOP_TIMEOUT after (\d+) ms \(owner w[12]\)$/m,
    /^\[w[12]\] warning: task "spinAfterAwait" was still running \d+ ms after its owner gave up on it \(its deadline passed, or it was cancelled\), in code after an await that has held the thread for \d+ ms: a synchronous task cannot be interrupted, so this worker ends[^\n]*$/,
  ],
  // Its owner's timer is on the thread it blocks: the worker ends; the owner task (retries: 0) fails with it.
  [
    "submitted by a task on the only other worker, which must run it itself (-n 2)",
    ["-n", "2"],
    ["owner", "1"],
    /^its owner: SCOOP_WORKER_LOST$/m,
    /^\[w1\] warning: task "spin" ran \d+ ms past its deadline on the worker that submitted it \(no other worker could run it\), so its timer could not fire: a synchronous task cannot be interrupted, so this worker ends[^\n]*$/,
  ],
  // Past its first await no mark shows it, and its owner's timer is on the thread it blocks: the thread is asked whose code holds it.
  [
    "submitted by a task on the only other worker, which must run it itself, looping after its first await (-n 2)",
    ["-n", "2"],
    ["owner", "1", "after-await"],
    /^its owner: SCOOP_WORKER_LOST$/m,
    /^\[w1\] warning: task "spinAfterAwait" ran \d+ ms past its deadline on the worker that submitted it \(no other worker could run it\), in code after an await that has held the thread for \d+ ms, so its timer could not fire: a synchronous task cannot be interrupted, so this worker ends[^\n]*$/,
  ],
] as const)("a task spinning forever with a deadline, %s: its future fails on time (or, where its owner ran it, that owner with its worker), the worker replaced, every other task done, one line", async (_, flags, args, outcome, line) => {
  const end = await scoop([...flags, fixture("stuck.ts"), ...args]);
  expect(end.code).toBe(0);
  const spin = outcome.exec(end.stdout);
  expect(spin).not.toBeNull();
  // The deadline is 1 s; the task never ends: anything short of forever is the owner's timer.
  if (spin?.[1] !== undefined) expect(Number(spin[1])).toBeLessThan(30_000);
  // A task ran on the stuck worker's replacement; none of the 30 others failed (retries: 0).
  expect(end.stdout).toMatch(/replacement: w[12]\.1\n/);
  expect(end.stdout).toContain("tasks: 30 ok, 0 failed");
  expect(warnings(end.stderr).join("\n")).toMatch(line);
});

// After its first await, no task's start holds the thread: the origin's heart asks the thread whose code holds it.
test.each([
  ["in its synchronous start", "sync", "spin"],
  ["after its first await", "after-await", "spinAfterAwait"],
])("a task spinning forever with a deadline where no other worker can run it (-n 1: the origin, which owns it), %s: the run ends in one line that says why and what to do; exit 1", async (_, kind, name) => {
  // Bounded below jest's timeout: a run that hangs fails here.
  const end = await scoop(["-n", "1", fixture("stuck.ts"), "main", "0", kind], undefined, 40_000);
  expect(warnings(end.stderr).join("\n")).toMatch(/^scoop: error: task "\w+" held the origin's thread \(worker w0 on localhost, pid \d+\) past its deadline and its grace \(--stuck-grace-ms\): a synchronous task cannot be interrupted, and main runs on that thread, so main cannot go on; \d+ task\(s\) were in flight and are dropped; the run stops with exit code 1\. Run with -n 2 or more[^\n]*$/);
  expect(warnings(end.stderr)[0]).toContain(`task "${name}"`);
  expect(end.code).toBe(1);
  expect(end.stdout).toContain("started");
  expect(end.stdout).not.toContain("spin:");
});

test("main computing for 5 s itself while its task with a deadline awaits on the origin (-n 1) is not ended: main finishes, the deadline fires once main lets it", async () => {
  const end = await scoop(["-n", "1", fixture("stuck.ts"), "busy", "0"]);
  expect(warnings(end.stderr)).toEqual([]);
  expect(end.code).toBe(0);
  expect(end.stdout).toContain("main's own work done; nap: SCOOP_TIMEOUT");
});

test("a task that runs out of memory on the origin (its first attempt, work-first): one line names the worker, says so and that main did not finish; exit 134", async () => {
  // -n 1: with another worker idle, the origin may hand the task over before it starts it (then it fails there first).
  const end = await scoop(["-n", "1", fixture("out-of-memory.ts"), "origin"], { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --max-old-space-size=64` });
  expect(warnings(end.stderr).join("\n")).toMatch(/^scoop: error: the origin \(worker w0 on localhost, pid \d+\) ran out of memory \(.*heap out of memory.*\): main did not finish; \d+ task\(s\) were in flight[^\n]*$/);
  expect(end.code).toBe(134);
  expect(end.stdout).toContain("started");
  expect(end.stdout).not.toContain("finished");
});

test("a task that runs out of memory on another worker (retries: 0): its future fails with SCOOP_WORKER_LOST, the launcher says the worker ran out of memory, main goes on", async () => {
  const end = await scoop(["-n", "2", fixture("out-of-memory.ts"), "worker"], { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --max-old-space-size=64` });
  expect(warnings(end.stderr).join("\n")).toMatch(/^scoop: warning: worker w1, pid \d+ ran out of memory \(.*heap out of memory.*\) during the run; its tasks run elsewhere[^\n]*$/);
  expect(end.code).toBe(0);
  expect(end.stdout).toContain("hog: SCOOP_WORKER_LOST");
  expect(end.stdout).toContain("finished");
});
