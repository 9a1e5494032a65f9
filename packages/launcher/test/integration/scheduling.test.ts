/**
 * Scheduling with real worker processes (`scoop -n 2`): work is spread even
 * after a warm-up of tiny tasks (prefetch cannot hoard), an idle origin runs
 * what it awaits itself (work-first) while what it does not start goes to
 * another worker, and a task behaves the same wherever it runs. Assertions
 * are on where tasks ran (`currentTask().workerId`, process ids), never on time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killTagged, runScoop } from "../../../../test/helpers/processes.js";

const fixture = join(__dirname, "../fixtures/scheduling.ts");
const tags: string[] = [];
const dir = mkdtempSync(join(tmpdir(), "scoop-sched-"));
afterAll(() => {
  tags.forEach(killTagged);
  rmSync(dir, { recursive: true, force: true });
});

/** Run one mode of the fixture on 2 workers; its last stdout line is JSON. */
async function run(mode: string, ...flags: string[]): Promise<any> {
  const r = await runScoop(tags, ...flags, "-n", "2", fixture, mode, dir);
  expect(r.stderr).not.toMatch(/Warning|Error/);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

test("after a warm-up of tiny tasks, 64 equal CPU-bound tasks are spread: each worker runs at least 40%", async () => {
  const { split } = await run("burst");
  expect(split).toHaveLength(2);
  expect(split[0] + split[1]).toBe(64);
  expect(Math.min(...split)).toBeGreaterThanOrEqual(0.4 * 64);
});

test("a map mixing 1 long task per 10 short ones spreads the long ones: each worker runs at least 40%", async () => {
  const { split } = await run("mixed");
  expect(split).toHaveLength(2);
  expect(split[0] + split[1]).toBe(30);
  expect(Math.min(...split)).toBeGreaterThanOrEqual(0.4 * 30);
});

test("a task awaited by an idle origin runs in the origin", async () => {
  expect(await run("local")).toEqual({ inOrigin: true });
});

test("a task the origin holds but does not start is run by another worker", async () => {
  expect(await run("queued")).toEqual({ awaitedInOrigin: true, queuedInOrigin: false });
});

test("a task run here draws the same random numbers as at the same submission position on another worker", async () => {
  const a = await run("streams-local-first", "--seed", "77");
  const b = await run("streams-remote-first", "--seed", "77");
  expect(a.map((r: any) => r.inOrigin)).toEqual([true, false]);
  expect(b.map((r: any) => r.inOrigin)).toEqual([false, true]);
  expect(b[0].draws).toEqual(a[0].draws);
  expect(b[1].draws).toEqual(a[1].draws);
  expect(a[1].draws).not.toEqual(a[0].draws);
});

test("a thrown error, a cancellation and a deadline behave the same for a task run here and one run through the broker", async () => {
  const r = await run("same");
  expect(r.here).toEqual(r.there);
  expect(r.here).toMatchObject({ ok: false, class: "RemoteTaskFailure", code: "SCOOP_TASK_FAILED", remoteName: "RangeError", remoteMessage: "bad input", detail: 42 });
  expect(r.cancelled.local).toMatchObject({ ok: false, class: "CancelledError", code: "SCOOP_CANCELLED" });
  expect(r.reached).toEqual({ local: true, remote: true }); // the task's signal aborted, both ways
  expect(r.deadline).toMatchObject({ ok: false, class: "TimeoutError", code: "SCOOP_TIMEOUT" });
});
