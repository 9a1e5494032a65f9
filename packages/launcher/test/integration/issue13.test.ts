/**
 * Issue 13 end to end, real processes: seeded runs are bit-identical whatever
 * the number of workers, serially, and when a worker is SIGKILLed mid-run;
 * a daemon broker starts a later high-priority task before its low-priority
 * backlog; retryOnError re-runs a failing task and aggregates its failures.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BROKER_BIN, SCOOP_BIN, WORKER_BIN, killTagged, newTag, processesTagged, runCli, runScoop, startCli, waitUntil, type CliProcess } from "@scoop/test-helpers";

const FIXTURES = join(__dirname, "../fixtures");
const MC = join(FIXTURES, "monte-carlo.ts");
const tags: string[] = [];
afterAll(() => tags.forEach(killTagged));

// With -v, output lines carry the worker id: "[w0] RESULT …".
const resultOf = (stdout: string) => /^(?:\[w0\] )?RESULT (\S+) (\d+)$/m.exec(stdout)?.slice(1);

describe("reproducible random streams", () => {
  test("-n 1, -n 3, serial and a worker SIGKILLed mid-run give bit-identical results; another seed differs", async () => {
    const one = await runScoop(tags, "--seed", "1234", "-n", "1", MC, "12");
    const three = await runScoop(tags, "--seed", "1234", "-n", "3", MC, "12");
    const otherSeed = await runScoop(tags, "--seed", "1235", "-n", "2", MC, "12");
    const serialTag = newTag();
    tags.push(serialTag);
    const serial = await runCli("--import", ["tsx", MC, "12"], { tag: serialTag, env: { SCOOP_SEED: "1234", NODE_NO_WARNINGS: "1" } });
    for (const run of [one, three, otherSeed, serial]) expect({ code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({ code: 0, stderr: "" });
    expect(resultOf(one.stdout)?.[1]).toBe("12");
    expect(resultOf(three.stdout)).toEqual(resultOf(one.stdout));
    expect(resultOf(serial.stdout)).toEqual(resultOf(one.stdout));
    expect(resultOf(otherSeed.stdout)?.[0]).not.toBe(resultOf(one.stdout)?.[0]);

    // Kill a worker (not the origin) while it is inside a leaf (the leaf says so: "[w2] leaf started on w2"):
    // its tasks run again elsewhere, drawing the same numbers. ("progress", the third result in order, could come
    // only at the end of the run.)
    const tag = newTag();
    tags.push(tag);
    const run = startCli(SCOOP_BIN, ["--seed", "1234", "-n", "3", "-v", "--heartbeat-ms", "250", "--liveness-ms", "1000", MC, "12", "400"], { tag });
    let busy: string | undefined;
    await waitUntil(() => (busy = /^\[(w[12])\] leaf started on \1$/m.exec(run.output().stdout)?.[1]) !== undefined, 60_000, "a worker other than the origin to start a leaf");
    const cmdlines = processesTagged(tag).map((pid) => ({ pid, cmd: readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").join(" ") }));
    const victim = cmdlines.find((p) => p.cmd.includes(` --id ${busy} `))?.pid;
    expect({ victim: victim !== undefined, busy, cmdlines }).toMatchObject({ victim: true });
    process.kill(victim!, "SIGKILL");
    const killed = await run.done;
    expect({ code: killed.code, stderr: killed.code === 0 ? "" : killed.stderr.slice(-3000) }).toEqual({ code: 0, stderr: "" });
    expect(killed.stderr).toContain("peer lost");
    expect(resultOf(killed.stdout)).toEqual(resultOf(one.stdout));
    await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
  }, 240_000);
});

describe("priorities on a daemon broker", () => {
  let broker: CliProcess | undefined;
  let worker: CliProcess | undefined;
  const tag = newTag();
  tags.push(tag);
  afterAll(async () => {
    killTagged(tag);
    await Promise.all([broker?.done, worker?.done]);
  });

  test("a high-priority task submitted after a flood of low-priority ones starts before the backlog drains", async () => {
    broker = startCli(BROKER_BIN, ["-v", "--bind", "tcp://127.0.0.1:*"], { tag });
    await waitUntil(() => /^tcp:\/\/\S+:\d+$/m.test(broker!.output().stdout), 20_000, "the broker's endpoint");
    const endpoint = /^(tcp:\/\/\S+:\d+)$/m.exec(broker.output().stdout)![1];
    worker = startCli(WORKER_BIN, ["--broker", endpoint, "--id", "p1", "--module", join(FIXTURES, "priority-tasks.mts")], { tag });
    await waitUntil(() => broker!.output().stderr.includes('"peer":"p1"'), 30_000, "the worker to join");
    const app = await runCli("--import", ["tsx", join(FIXTURES, "priority-app.mts"), endpoint, "100"], { tag });
    expect({ code: app.code, stderr: app.code === 0 ? "" : app.stderr }).toEqual({ code: 0, stderr: "" });
    const result = JSON.parse(/^RESULT (.*)$/m.exec(app.stdout)![1]);
    // Order of start on the one worker, not time: the high task jumped the queued low ones.
    expect(result.doneBeforeHigh).toBeGreaterThanOrEqual(5);
    expect(result.high).toBeLessThan(20);
    expect(result.lowStartedAfterHigh).toBeGreaterThan(80);
  }, 120_000);
});

describe("retryOnError", () => {
  test("re-runs a task that fails twice then succeeds; a task that never succeeds fails with every attempt listed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scoop-flaky-"));
    try {
      const run = await runScoop(tags, "-n", "2", join(FIXTURES, "flaky.ts"), dir);
      expect({ code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({ code: 0, stderr: "" });
      const result = JSON.parse(/^RESULT (.*)$/m.exec(run.stdout)![1]);
      expect(result.ok).toBe("ok on attempt 3");
      expect(result.mapped).toBe("ok on attempt 3");
      expect(result.code).toBe("SCOOP_RETRIES_EXHAUSTED");
      expect(result.attempts).toHaveLength(3);
      result.attempts.forEach((m: string, i: number) => expect(m).toContain(`RangeError: broken failure ${i + 1}`));
      expect(result.message).toMatch(/attempt 1: .*broken failure 1[\s\S]*attempt 3: .*broken failure 3/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
