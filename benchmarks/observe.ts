/**
 * `pnpm --filter ./benchmarks bench:observe`: what watching a run costs on
 * W1 (the no-op map of `pnpm bench`, 20,000 tasks). One broker, the same
 * workers and one app connection; rounds alternate three modes so noise hits
 * them alike, and the median of each is printed with its ratio to "off":
 *
 * - off: nobody listens (the broker's per-task hooks are skipped);
 * - events: an in-process listener receives every event of the stream;
 * - monitor: a monitor peer in another process watches the stream over the
 *   wire (watch-events.ts), as a remote dashboard would;
 * - trace: the Chrome trace writer (`scoop --trace`) records every event to a file.
 *
 * Besides tasks/s it prints the CPU time this process (broker and app) spends
 * per task, which a busy shared machine disturbs much less than wall time.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { rmSync, statSync } from "node:fs";
import pino from "pino";
import { startBroker, TraceWriter } from "@scoop/broker";
import type { ScoopEvent } from "@scoop/protocol";
import { connect, futures, registerModule } from "@scoop/core";
import { spawnLocalWorker, stopLocalWorkers } from "@scoop/launcher/internal";
import * as tasks from "./tasks.js";
import { median, WORKLOADS } from "./kernels.js";

const workers = Number(process.env.SCOOP_BENCH_WORKERS ?? availableParallelism());
const rounds = Number(process.env.SCOOP_BENCH_ROUNDS ?? 5);
const n = WORKLOADS.noopTasks;

async function main(): Promise<void> {
  const logger = pino({ level: "warn" });
  const broker = await startBroker({ logger });
  const local = Array.from({ length: workers }, (_, i) =>
    spawnLocalWorker({ id: `b${i}`, broker: broker.endpoint, app: "bench", modules: [resolve(import.meta.dirname, "tasks.ts")], logLevel: "warn", prefix: true }, logger),
  );
  registerModule(tasks as unknown as Record<string, unknown>);
  const conn = await connect({ broker: broker.endpoint, logger });
  const traceFile = join(tmpdir(), `scoop-observe-${process.pid}.json`);
  try {
    while (broker.stats().workers < workers) await new Promise((r) => setTimeout(r, 50));
    const input = Array.from({ length: n }, (_, i) => i);
    await futures.map(tasks.noop, input); // warm-up (JIT), not counted
    const modes = ["off", "events", "monitor", "trace"] as const;
    type Mode = (typeof modes)[number];
    const times: Record<Mode, number[]> = { off: [], events: [], monitor: [], trace: [] };
    // CPU time of this process (broker and app) per task: less noisy than wall time on a shared machine.
    const cpu: Record<Mode, number[]> = { off: [], events: [], monitor: [], trace: [] };
    let events = 0;
    let remoteEvents = 0;
    for (let r = 0; r < rounds; r++) {
      // Each round starts with the next mode, so no mode always runs first (or right after another).
      for (const mode of modes.map((_, i) => modes[(i + r) % modes.length])) {
        const watcher = mode === "monitor" ? await startWatcher(broker.endpoint, () => futures.map(tasks.noop, input.slice(0, 50))) : undefined;
        const onEvent = (_e: ScoopEvent) => void events++;
        const trace = mode === "trace" ? new TraceWriter(traceFile) : undefined;
        const onTrace = (e: ScoopEvent) => trace!.record(e);
        if (mode === "events") broker.on("event", onEvent);
        if (trace) broker.on("event", onTrace);
        const start = performance.now();
        const cpuStart = process.cpuUsage();
        await futures.map(tasks.noop, input);
        times[mode].push(performance.now() - start);
        const used = process.cpuUsage(cpuStart);
        cpu[mode].push((used.user + used.system) / n);
        broker.off("event", onEvent);
        broker.off("event", onTrace);
        await trace?.close();
        if (watcher) remoteEvents += await watcher.stop();
      }
    }
    const rate = (mode: keyof typeof times) => n / (median(times[mode]) / 1000);
    console.log(`W1 (no-op map, ${n} tasks), ${workers} workers, median of ${rounds} rounds each (modes interleaved, order rotated), Node ${process.version}`);
    for (const mode of modes) {
      const us = median(cpu[mode]);
      console.log(
        `  ${mode.padEnd(7)} ${String(Math.round(rate(mode))).padStart(7)} tasks/s   ${(rate(mode) / rate("off")).toFixed(2)}x of off   ` +
          `broker+app CPU ${us.toFixed(1)} µs/task (${(us / median(cpu.off)).toFixed(2)}x of off)   rounds ms: ${times[mode].map((t) => Math.round(t)).join(" ")}`,
      );
    }
    console.log(`  events seen by the listener: ${events}, by the monitor: ${remoteEvents}; last trace file: ${(statSync(traceFile).size / 2 ** 20).toFixed(1)} MiB`);
  } finally {
    await conn.close();
    broker.shutdown(0);
    await stopLocalWorkers(local, 5000);
    await broker.close();
    rmSync(traceFile, { force: true });
  }
}

/** Start watch-events.ts and wait (running `poke` meanwhile, so events flow) until it receives events. */
async function startWatcher(endpoint: string, poke: () => PromiseLike<unknown>): Promise<{ stop(): Promise<number> }> {
  const child = spawn(process.execPath, ["--import", "tsx", resolve(import.meta.dirname, "watch-events.ts"), endpoint], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  while (!out.includes("watching")) await poke();
  return {
    async stop() {
      child.stdin.end();
      await once(child, "exit");
      return Number(/events (\d+)/.exec(out)?.[1] ?? 0);
    },
  };
}

void main().catch((error) => {
  console.error(error);
  process.exitCode = 0; // benchmarks never fail on noise; the error is printed
});
