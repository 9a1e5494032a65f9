/**
 * How one broker scales with the number of workers: 10, 100 and 1,000
 * simulated workers (DEALER sockets, many per process: sim-workers.ts) join
 * one broker on loopback. Reports, per size: no-op dispatch throughput (one
 * client submits, each simulated worker answers at once), the broker's CPU
 * while every peer only heartbeats, and the broker's memory per peer (JS heap
 * and RSS, which includes ZeroMQ's per-connection buffers).
 *
 * Peer in the same run: a minimal ROUTER that speaks the same messages with
 * no bookkeeping beyond a queue and a list of credits (the floor for this
 * message pattern). Run alone: `pnpm --filter ./benchmarks exec tsx broker-scale.ts`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { resolve } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Dealer, Router } from "zeromq";
import { startBroker } from "@scoop/broker";
import { SendQueue, decodeMessage, encodeMessage, type Header } from "@scoop/protocol";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Figures of one size. */
export interface ScaleFigures {
  workers: number;
  /** Peers the broker declared lost during the measurement (starved past the liveness bound). */
  lost: number;
  tasksPerSec: number;
  /** Same run, minimal ROUTER. */
  minimalTasksPerSec: number;
  /** Broker CPU while idle peers heartbeat, in ms of CPU per second. */
  heartbeatCpuMsPerSec: number;
  heapBytesPerPeer: number;
  rssBytesPerPeer: number;
}

const TASKS = Number(process.env.SCOOP_BENCH_SCALE_TASKS ?? 20_000);
const phase = (what: string) => process.stderr.write(`broker-scale: ${what}\n`);
const HEARTBEAT_WINDOW_MS = 3000;

/** Start `count` simulated workers in processes of at most 500 sockets; resolves when all are welcomed. */
async function simulate(endpoint: string, count: number): Promise<ChildProcess[]> {
  const file = resolve(import.meta.dirname, "sim-workers.ts");
  const perProcess = 500;
  const children: ChildProcess[] = [];
  const ready: Array<Promise<unknown>> = [];
  for (let start = 0; start < count; start += perProcess) {
    const n = Math.min(perProcess, count - start);
    const child = spawn(process.execPath, [...process.execArgv, file, endpoint, String(n), `sim${start}`], { stdio: ["pipe", "pipe", "inherit"] });
    children.push(child);
    ready.push(new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
      child.once("exit", (code) => reject(new Error(`simulated workers exited with ${code} before joining`)));
    }));
  }
  await Promise.all(ready);
  return children;
}

async function stopSimulation(children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map(async (child) => {
    if (child.exitCode !== null) return;
    const exited = once(child, "exit");
    child.stdin!.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }));
}

/** Submit `n` no-op tasks as one client with at most `window` in flight; resolves with tasks per second. */
async function throughput(endpoint: string, n: number, window = 10_000): Promise<number> {
  const client = new Dealer({ linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
  const out = new SendQueue((f) => client.send(f as Uint8Array[]), () => {});
  const send = (h: Header, p: Uint8Array[] = []) => out.send(encodeMessage(h, p));
  client.connect(endpoint);
  send({ t: "HELLO", id: `client-${process.pid}-${Date.now()}`, role: "client", host: "bench", pid: process.pid, app: "scale", tasks: [] });
  const arg = Buffer.from([0x90]); // msgpack []
  let sent = 0;
  let got = 0;
  let start = 0;
  // A client is a peer too: silent past the liveness bound, it would be dropped with its tasks.
  const beat = setInterval(() => send({ t: "HEARTBEAT" }), 1000);
  const submitMore = () => {
    const tasks = [];
    while (sent < n && sent - got < window && tasks.length < 1000) tasks.push({ id: ++sent, name: "noop", frames: 1, retries: 0 });
    if (tasks.length > 0) send({ t: "SUBMIT", tasks }, tasks.map(() => arg));
  };
  try {
    for await (const frames of client) {
      const { header } = decodeMessage(frames as Buffer[]);
      if (header.t === "WELCOME") {
        start = performance.now();
        while (sent < Math.min(n, window)) submitMore();
      } else if (header.t === "DELIVER") {
        got += header.results.length;
        if (got >= n) break;
        submitMore();
      }
    }
    return n / ((performance.now() - start) / 1000);
  } finally {
    clearInterval(beat);
    send({ t: "BYE" });
    await out.flushed();
    client.close();
  }
}

/**
 * The floor: a ROUTER with a FIFO of tasks and a count of credits per worker,
 * batching like the broker (one DISPATCH per worker per round, one DELIVER
 * per RESULT), and nothing else: no liveness, no retries, no apps.
 */
async function minimalBroker(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const router = new Router({ linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
  await router.bind("tcp://127.0.0.1:*");
  const out = new SendQueue((f) => router.send(f as Uint8Array[]), () => {});
  const send = (to: Buffer, h: Header, p: Uint8Array[] = []) => out.send([to, ...encodeMessage(h, p)]);
  const credits = new Map<string, { id: Buffer; n: number }>();
  const queue: Array<{ owner: Buffer; id: number; frame: Buffer }> = [];
  const running = new Map<number, { owner: Buffer; id: number }>();
  let nextKey = 1;
  const pump = () => {
    const share = Math.ceil(queue.length / Math.max(1, credits.size));
    for (const [k, w] of credits) {
      if (queue.length === 0) break;
      const tasks = [];
      const frames = [];
      while (w.n > 0 && queue.length > 0 && tasks.length < share) {
        const t = queue.shift()!;
        const key = nextKey++;
        running.set(key, t);
        tasks.push({ key, name: "noop", frames: 1, attempt: 1 });
        frames.push(t.frame);
        w.n--;
      }
      if (w.n === 0) credits.delete(k);
      if (tasks.length > 0) send(w.id, { t: "DISPATCH", tasks }, frames);
    }
  };
  const loop = (async () => {
    try {
      for await (const [from, ...frames] of router) {
        const { header, payload } = decodeMessage(frames as Buffer[]);
        if (header.t === "HELLO") send(from, { t: "WELCOME", broker: "minimal", heartbeatMs: 1000, livenessMs: 4000 });
        else if (header.t === "CREDIT") {
          const k = from.toString("latin1");
          const w = credits.get(k);
          if (w) w.n += header.n;
          else credits.set(k, { id: from, n: header.n });
        } else if (header.t === "SUBMIT") header.tasks.forEach((t, i) => queue.push({ owner: from, id: t.id, frame: payload[i] }));
        else if (header.t === "RESULT") {
          const results = header.results.map((r) => {
            const t = running.get(r.key)!;
            running.delete(r.key);
            return { owner: t.owner, result: { id: t.id, ok: r.ok, frames: 1, worker: "w", host: "h" } };
          });
          // One client in this benchmark: all results of a RESULT go to it.
          if (results.length > 0) send(results[0].owner, { t: "DELIVER", results: results.map((r) => r.result) }, payload);
        }
        pump();
      }
    } catch {
      // closed
    }
  })();
  return {
    endpoint: router.lastEndpoint!,
    async close() {
      router.close();
      await loop;
    },
  };
}

/** CPU this process uses over the heartbeat window, in ms per second. */
async function cpuMsPerSec(): Promise<number> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(HEARTBEAT_WINDOW_MS);
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000 / ((performance.now() - t0) / 1000);
}

/** Measure one size against the real broker and the minimal one. */
async function measure(workers: number): Promise<ScaleFigures> {
  gc();
  const broker = await startBroker({ bind: "tcp://127.0.0.1:*" });
  let lost = 0;
  broker.on("peer:lost", () => lost++);
  let sims: ChildProcess[] = [];
  try {
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    const rss0 = process.memoryUsage.rss();
    const idle = await cpuMsPerSec(); // the process with no peer: subtracted below
    phase(`${workers} workers: joining`);
    sims = await simulate(broker.endpoint, workers);
    const deadline = Date.now() + 60_000;
    while (broker.stats().workers < workers && Date.now() < deadline) await sleep(20);
    await sleep(500);
    gc();
    const heapBytesPerPeer = (process.memoryUsage().heapUsed - heap0) / workers;
    const rssBytesPerPeer = (process.memoryUsage.rss() - rss0) / workers;
    phase(`${workers} workers: heartbeat window`);
    const heartbeatCpuMsPerSec = Math.max(0, (await cpuMsPerSec()) - idle);
    phase(`${workers} workers: dispatch`);
    const tasksPerSec = await throughput(broker.endpoint, TASKS);
    const lostDuringRun = lost;
    await stopSimulation(sims);
    sims = [];
    const minimal = await minimalBroker();
    try {
      phase(`${workers} workers: minimal ROUTER`);
      sims = await simulate(minimal.endpoint, workers);
      const minimalTasksPerSec = await throughput(minimal.endpoint, TASKS);
      return { workers, lost: lostDuringRun, tasksPerSec, minimalTasksPerSec, heartbeatCpuMsPerSec, heapBytesPerPeer, rssBytesPerPeer };
    } finally {
      await stopSimulation(sims);
      await minimal.close();
    }
  } finally {
    await stopSimulation(sims);
    await broker.close();
  }
}

/** Run every size, each in a fresh process (so memory left by one size does not blur the next); one row of figures each. */
export async function brokerScale(sizes: number[] = [10, 100, 1000]): Promise<ScaleFigures[]> {
  const rows: ScaleFigures[] = [];
  for (const n of sizes) {
    const child = spawn(process.execPath, [...process.execArgv, import.meta.filename, "--one", String(n)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    if (code !== 0) throw new Error(`the ${n}-worker measurement exited with ${code}`);
    rows.push(JSON.parse(out.trim().split("\n").pop()!) as ScaleFigures);
  }
  return rows;
}

/** Print the figures as a table (ratios against the minimal ROUTER of the same run). */
export function printScale(rows: ScaleFigures[]): void {
  console.log(`broker scale (${TASKS} no-op tasks, simulated workers on loopback)`);
  console.log(["workers", "dispatch tasks/s", "minimal ROUTER tasks/s", "ratio", "heartbeat CPU (net)", "heap/peer", "RSS/peer", "lost"].map((c) => c.padEnd(22)).join(""));
  for (const r of rows) {
    console.log(
      [
        String(r.workers),
        String(Math.round(r.tasksPerSec)),
        String(Math.round(r.minimalTasksPerSec)),
        `${(r.tasksPerSec / r.minimalTasksPerSec).toFixed(2)}x`,
        `${r.heartbeatCpuMsPerSec.toFixed(1)} ms/s`,
        `${(r.heapBytesPerPeer / 1024).toFixed(1)} KiB`,
        `${(r.rssBytesPerPeer / 1024).toFixed(1)} KiB`,
        String(r.lost),
      ].map((c) => c.padEnd(22)).join(""),
    );
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename) && process.argv[2] === "--one") {
  measure(Number(process.argv[3])).then(
    (figures) => process.stdout.write(`${JSON.stringify(figures)}\n`),
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
} else if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const sizes = process.argv.slice(2).map(Number);
  brokerScale(sizes.length > 0 ? sizes : undefined).then(printScale, (error) => {
    console.error(error);
  });
}
