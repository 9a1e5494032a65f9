/**
 * Backpressure: an app that submits far more tasks than its in-flight bound
 * keeps the rest at home; the broker never holds more than the bound, and
 * every task still completes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { connect, futures, registerModule } from "@scoop/core";
import { startBroker, type Broker } from "@scoop/broker";
import { killTagged, newTag, processesTagged, REPO, WORKER_BIN, waitUntil } from "@scoop/test-helpers";
import * as tasks from "../fixtures/chaos-tasks.js";

const tag = newTag();
let broker: Broker;
let worker: ChildProcess;
afterAll(async () => {
  worker?.kill("SIGKILL");
  await broker?.close();
  killTagged(tag);
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
});

test("10,000 submits with maxInFlight 100: the broker never holds more than 100 of them", async () => {
  broker = await startBroker({ bind: "tcp://127.0.0.1:*" });
  worker = spawn(process.execPath, [WORKER_BIN, "--broker", broker.endpoint, "--app", "bp", "--module", join(__dirname, "../fixtures/chaos-tasks.ts")], {
    cwd: REPO,
    env: { ...process.env, SCOOP_TEST_TAG: tag },
    stdio: "ignore",
  });
  await waitUntil(() => broker.stats().workers === 1, 20_000, "the worker to join");
  registerModule(tasks);
  const conn = await connect({ broker: broker.endpoint, app: "bp", maxInFlight: 100 });
  let peak = 0;
  const sampler = setInterval(() => {
    const s = broker.stats();
    peak = Math.max(peak, s.queued + s.running);
  }, 1);
  try {
    const fs = Array.from({ length: 10_000 }, (_, i) => futures.submit(tasks.spin, i, 0));
    const values = await Promise.all(fs);
    expect(values).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  } finally {
    clearInterval(sampler);
    await conn.close();
  }
  expect(peak).toBeGreaterThan(0);
  expect(peak).toBeLessThanOrEqual(100);
});
