/**
 * `pnpm bench`: each figure of the cluster next to a baseline measured in the
 * same run on the same machine. Prints a table; never fails on noise.
 *
 * Baselines: serial in-process calls for compute (π, tree), and raw ZeroMQ
 * for transport (no-op throughput, round-trip latency, payload bandwidth),
 * through the same topology as SCOOP (client → ROUTER relay → worker).
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Dealer, Router } from "zeromq";
import { hits, WORKLOADS as w } from "./tasks.js";
import { detectionTimes } from "./detection.js";

const workers = Number(process.env.SCOOP_BENCH_WORKERS ?? availableParallelism());

function serialTree(depth: number, branching: number): number {
  if (depth === 0) return 1;
  let total = 1;
  for (let i = 0; i < branching; i++) total += serialTree(depth - 1, branching);
  return total;
}

/** Raw ZeroMQ through a relay: pipelined messages/s, sequential round trip µs, and MB/s for 1 MB frames. */
async function rawZmq(): Promise<{ msgsPerSec: number; roundTripUs: number; mbPerSec: number }> {
  const relay = new Router({ linger: 0, sendHighWaterMark: 0 });
  await relay.bind("tcp://127.0.0.1:*");
  const endpoint = relay.lastEndpoint!;
  const client = new Dealer({ routingId: "c", linger: 0, sendHighWaterMark: 0 });
  const server = new Dealer({ routingId: "s", linger: 0, sendHighWaterMark: 0 });
  client.connect(endpoint);
  server.connect(endpoint);
  await server.send("ready");
  await client.send("ready");
  // Relay: client → server and back, like broker routing.
  const relayLoop = (async () => {
    try {
      for await (const [from, ...frames] of relay) {
        if (frames[0].toString() === "ready") continue;
        await relay.send([from.toString() === "c" ? "s" : "c", ...frames]);
      }
    } catch {}
  })();
  const serverLoop = (async () => {
    try {
      for await (const frames of server) await server.send(frames.length > 1 ? [frames[0]] : frames);
    } catch {}
  })();
  await new Promise((r) => setTimeout(r, 200));
  const recv = async () => (await client.receive())[0];
  // Pipelined throughput with a window of 1000 in flight.
  const n = w.noopTasks;
  let start = performance.now();
  let sent = 0;
  let got = 0;
  while (got < n) {
    while (sent < n && sent - got < 1000) await client.send(Buffer.from([sent++ & 0xff]));
    await recv();
    got++;
  }
  const msgsPerSec = n / ((performance.now() - start) / 1000);
  start = performance.now();
  for (let i = 0; i < w.latencyRounds; i++) {
    await client.send(Buffer.from([1]));
    await recv();
  }
  const roundTripUs = ((performance.now() - start) * 1000) / w.latencyRounds;
  const big = Buffer.alloc(w.payloadBytes, 1);
  start = performance.now();
  for (let i = 0; i < w.payloadTasks; i++) {
    await client.send([Buffer.from([0]), big]);
    await recv();
  }
  const mbPerSec = (w.payloadTasks * w.payloadBytes) / 1e6 / ((performance.now() - start) / 1000);
  client.close();
  server.close();
  relay.close();
  await Promise.all([relayLoop, serverLoop]);
  return { msgsPerSec, roundTripUs, mbPerSec };
}

/** The cluster half, through the real `scoop` CLI; its origin prints one JSON line. */
async function cluster(): Promise<Record<string, number>> {
  const here = import.meta.dirname;
  const bin = resolve(here, "../packages/launcher/dist/cli.js");
  const child = spawn(process.execPath, [bin, "-n", String(workers), resolve(here, "tasks.ts")], { stdio: ["ignore", "pipe", "inherit"] });
  const lines: string[] = [];
  // The broker runs inside the launcher process: sample its resident memory
  // while the streaming map runs (the origin prints STREAM_START).
  const brokerRssMb = () => {
    try {
      return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
    } catch {
      return 0; // the process has ended
    }
  };
  let brokerBeforeStreamMb = -1;
  let brokerPeakMb = 0;
  child.stdout.on("data", (d: Buffer) => {
    lines.push(d.toString());
    if (brokerBeforeStreamMb < 0 && d.toString().includes("STREAM_START")) brokerPeakMb = brokerBeforeStreamMb = brokerRssMb();
  });
  const sampler = setInterval(() => {
    if (brokerBeforeStreamMb >= 0) brokerPeakMb = Math.max(brokerPeakMb, brokerRssMb());
  }, 100);
  const code = await new Promise<number>((r) => child.on("exit", (c) => r(c ?? 1)));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`the cluster benchmark exited with ${code}`);
  return { ...JSON.parse(lines.join("").trim().split("\n").pop()!), brokerBeforeStreamMb, brokerPeakMb };
}

async function main(): Promise<void> {
  console.log(`SCOOP benchmarks: ${workers} workers on ${availableParallelism()} cores, Node ${process.version}`);
  const raw = await rawZmq();
  let start = performance.now();
  for (let i = 0; i < w.piTasks; i++) hits(w.piSamples, i + 1);
  const piSerialMs = performance.now() - start;
  start = performance.now();
  const treeNodes = serialTree(w.treeDepth, w.treeBranching);
  const treeSerialMs = performance.now() - start;
  const c = await cluster();
  const rows: Array<[string, string, string, string]> = [
    ["no-op map throughput", `${Math.round(w.noopTasks / (c.noopMs / 1000))} tasks/s`, `raw zmq relay: ${Math.round(raw.msgsPerSec)} msg/s`, `${((w.noopTasks / (c.noopMs / 1000)) / raw.msgsPerSec).toFixed(2)}x of raw`],
    ["submit-and-wait latency", `${Math.round((c.latencyMs * 1000) / w.latencyRounds)} µs`, `raw zmq round trip: ${Math.round(raw.roundTripUs)} µs`, `${((c.latencyMs * 1000) / w.latencyRounds / raw.roundTripUs).toFixed(2)}x of raw`],
    ["Monte Carlo π (CPU)", `${Math.round(c.piMs)} ms`, `serial: ${Math.round(piSerialMs)} ms`, `efficiency ${(piSerialMs / (workers * c.piMs)).toFixed(2)}`],
    ["nested tree", `${Math.round(treeNodes / (c.treeMs / 1000))} tasks/s (${treeNodes} tasks)`, `serial calls: ${Math.round(treeSerialMs * 1000)} µs total`, ""],
    ["payload 200 x 1 MB", `${Math.round((w.payloadTasks * w.payloadBytes) / 1e6 / (c.payloadMs / 1000))} MB/s`, `raw zmq: ${Math.round(raw.mbPerSec)} MB/s`, `${(((w.payloadTasks * w.payloadBytes) / 1e6 / (c.payloadMs / 1000)) / raw.mbPerSec).toFixed(2)}x of raw`],
    [`streaming map ${w.streamItems / 1e6}M items`, `${Math.round(w.streamItems / (c.streamMs / 1000))} tasks/s`, `origin RSS ${Math.round(c.rssBeforeStreamMb)} → peak ${Math.round(c.originPeakMb)} MB`, `broker RSS ${Math.round(c.brokerBeforeStreamMb)} → peak ${Math.round(c.brokerPeakMb)} MB`],
  ];
  const detect = await detectionTimes(4);
  rows.push(["killed-worker detection", `${Math.round(Math.min(...detect))}–${Math.round(Math.max(...detect))} ms (4 kills)`, "bound: liveness 4000 ms + 1 heartbeat (1000 ms)", ""]);
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd([26, 34, 34, 18][i])).join(" "));
}

void main().catch((error) => {
  console.error(error);
  process.exitCode = 0; // benchmarks never fail CI on noise; the error is printed
});
