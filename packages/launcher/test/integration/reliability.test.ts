/**
 * Reliability with real processes: a busy worker is alive, killed workers'
 * tasks are re-run and every future settles once (chaos), and a broker that
 * dies takes every worker down with it within the liveness bound.
 */
import { join } from "node:path";
import { spawnBroker, exited, killTagged, newTag, processesTagged, runCli, SCOOP_BIN, seeded, spawnTagged, startCli, waitUntil, WORKER_BIN } from "@scoop/test-helpers";

const fixture = (name: string) => join(__dirname, "../fixtures", name);
const tags: string[] = [];
afterAll(() => tags.forEach(killTagged));

test("a worker in a 30 s synchronous task is never declared lost (liveness 5 s)", async () => {
  const tag = newTag();
  tags.push(tag);
  const run = await runCli(SCOOP_BIN, ["-n", "2", "--liveness-ms", "5000", "-v", fixture("long-sync.ts"), "30000"], { tag, timeoutMs: 120_000 });
  expect(run.code).toBe(0);
  // Attempt 1: the task was never re-run, so its worker was never declared lost.
  expect(run.stdout).toContain("long task finished on attempt 1");
  expect(run.stderr).not.toContain("peer lost");
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
}, 120_000);

test("chaos: workers SIGKILLed every ~2 s and replaced; every result correct, every future settled once", async () => {
  const tag = newTag();
  tags.push(tag);
  const log: string[] = [];
  const { broker, endpoint } = await spawnBroker(tag, log, ["--heartbeat-ms", "250", "--liveness-ms", "1500", "-v"]);
  let nextId = 0;
  const startWorker = () => spawnTagged([WORKER_BIN, "--broker", endpoint, "--module", fixture("chaos-tasks.ts"), "--id", `c${nextId++}`], tag, log);
  const workers = [startWorker(), startWorker(), startWorker()];
  const appOut: string[] = [];
  const app = spawnTagged(["--import", "tsx", fixture("chaos-app.ts"), endpoint, "20000", "11"], tag, appOut);
  const appDone = new Promise<number>((r) => app.once("exit", (code) => r(code ?? 1)));
  const random = seeded(20261130);
  let kills = 0;
  let finished = false;
  void appDone.then(() => (finished = true));
  try {
    while (!finished) {
      await Promise.race([new Promise((r) => setTimeout(r, 1500 + random() * 1000)), appDone]);
      if (finished) break;
      const victim = Math.floor(random() * workers.length);
      workers[victim].kill("SIGKILL");
      await exited(workers[victim]);
      kills++;
      workers[victim] = startWorker();
    }
    const code = await appDone;
    const output = appOut.join("");
    // On failure, show what the app said (and the tail of the cluster's log).
    expect({ code, output, log: code === 0 ? "" : log.join("").slice(-3000) }).toEqual({ code: 0, output: expect.stringContaining("{"), log: "" });
    const summary = JSON.parse(output.trim().split("\n").pop()!);
    expect(summary).toMatchObject({ mapResults: 20000, wrong: 0, nodes: 4095, settled: 20000 });
    const requeued = [...log.join("").matchAll(/"requeued":(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    process.stdout.write(`chaos: ${kills} workers killed, ${requeued} tasks re-queued from lost workers, run took ${summary.ms} ms\n`);
    expect(kills).toBeGreaterThan(0);
  } finally {
    for (const w of workers) w.kill("SIGKILL");
    broker.kill("SIGTERM");
    await Promise.all([...workers, broker].map(exited));
  }
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
}, 300_000);

test("killing the broker (the launcher) mid-run ends every worker within the bound, with a clear message", async () => {
  const tag = newTag();
  tags.push(tag);
  const run = startCli(SCOOP_BIN, ["-n", "2", "--heartbeat-ms", "250", "--liveness-ms", "2000", fixture("broker-loss.ts")], { tag });
  await waitUntil(() => run.output().stdout.includes("started"), 30_000, "the run to start");
  const killedAt = Date.now();
  run.child.kill("SIGKILL"); // the broker lives in the launcher process
  await waitUntil(() => processesTagged(tag).length === 0, 20_000, "every worker to end");
  const tookMs = Date.now() - killedAt;
  process.stdout.write(`broker loss: every worker gone ${tookMs} ms after the broker was killed (liveness 2000 ms)\n`);
  await run.done;
  expect(run.output().stderr).toContain("lost the broker");
});

// -n 1: the origin alone, so a child its task holds (work-first) and does not await must still start.
test.each(["2", "1"])("cancel(), a deadline and cancelling a map reach running tasks and their children (-n %s)", async (n) => {
  const { mkdtempSync, existsSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "scoop-cancel-"));
  const tag = newTag();
  tags.push(tag);
  try {
    const run = await runCli(SCOOP_BIN, ["-n", n, fixture("cancel.ts"), dir], { tag, timeoutMs: 60_000 });
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("cancel running: true true");
    expect(run.stdout).toContain("deadline: SCOOP_TIMEOUT");
    expect(run.stdout).toContain("map: []");
    expect(run.stdout).toContain("every abort reached its task");
    for (const name of ["parent", "child", "deadline", "map-0", "map-1"]) expect(existsSync(join(dir, name))).toBe(true);
    expect(run.code).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
});

test.each([
  ["--max-tasks-per-worker", "10"],
  ["--max-worker-memory-mb", "1"],
])("workers recycle themselves (%s %s): fresh ones take their place and every task completes once", async (flag, value) => {
  const tag = newTag();
  tags.push(tag);
  const run = await runCli(SCOOP_BIN, ["-n", "3", "-v", flag, value, fixture("recycle.ts")], { tag, timeoutMs: 120_000 });
  expect(run.code).toBe(0);
  expect(run.stdout).toContain("results 300 in order true");
  // A first-generation worker ran tasks, left, and the launcher started a fresh one.
  expect(run.stdout).toMatch(/workers .*w[12]/);
  expect(run.stderr).toMatch(/a worker recycled itself; started a fresh one \(worker=w[12]/);
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
});
