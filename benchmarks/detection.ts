/**
 * How long the broker takes to declare a SIGKILLed worker lost, with the
 * default liveness settings (heartbeat 1 s, liveness 5 s). Run by run.ts.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { startBroker } from "@scoop/broker";

/** Milliseconds from SIGKILL to the broker's `peer:lost`, over `rounds` workers. */
export async function detectionTimes(rounds: number): Promise<number[]> {
  const here = import.meta.dirname;
  const workerBin = resolve(here, "../packages/worker/dist/cli.js");
  const broker = await startBroker({ bind: "tcp://127.0.0.1:*" });
  const times: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const joined = new Promise<void>((r) => broker.once("peer:joined", () => r()));
      const child = spawn(process.execPath, [workerBin, "--broker", broker.endpoint, "--app", "detect", "--module", resolve(here, "tasks.ts")], { stdio: "ignore" });
      await joined;
      await new Promise((r) => setTimeout(r, 500 + 250 * i)); // kill at different points of the heartbeat cycle
      const lost = new Promise<number>((r) => broker.once("peer:lost", () => r(performance.now())));
      const killedAt = performance.now();
      child.kill("SIGKILL");
      times.push((await lost) - killedAt);
    }
  } finally {
    await broker.close();
  }
  return times;
}
