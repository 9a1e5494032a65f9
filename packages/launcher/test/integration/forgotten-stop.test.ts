/**
 * A program that starts a cluster from code (`scoop.start()`) and forgets
 * `stop()`: it ends once its own work is over, with one warning saying what
 * to add, and leaves no process behind.
 */
import { join } from "node:path";
import { killTagged, newTag, processesTagged, runCli, waitUntil } from "@scoop/test-helpers";

const tags: string[] = [];
afterAll(() => tags.forEach(killTagged));

test("a program that forgets scoop.stop() still ends, after its own work, warning once", async () => {
  const tag = newTag();
  tags.push(tag);
  // Plain node, as a user runs such a program.
  const run = await runCli("--import", ["tsx", "test/fixtures/forgets-stop.ts"], { tag, cwd: join(__dirname, "../.."), timeoutMs: 60_000 });
  expect(run.signal).toBeNull();
  expect(run.code).toBe(0);
  // The timer's second map ran: the cluster was not stopped while the program still had work.
  expect(run.stdout).toBe("first 1 4 9\nlater 16 25\n");
  expect(run.stderr).toMatch(/^scoop: warning: the program has nothing left to do, but its local cluster \(2 workers\) is still running/m);
  expect(run.stderr.split("SCOOP_NOT_CLOSED").length - 1).toBe(1);
  expect(run.stderr).toContain("call `await scoop.stop()` when done");
  expect(run.stderr).not.toMatch(/terminate called|Napi::Error/);
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
});
