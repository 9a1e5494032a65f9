/**
 * `pnpm bench`: each SCOOP figure next to a peer measured in the same run on
 * the same machine (Piscina, raw ZeroMQ, serial calls), with the ratio.
 * Prints a table; never fails on noise.
 *
 * W0 whole `scoop -n N` command (start, 200-task map, exit); beside it too
 *    w0-floor.cjs, the design's skeleton with no SCOOP code (the fastest W0 can be)
 *    and, when this machine sets NODE_EXTRA_CA_CERTS, all three again without it
 * W1 futures.map(noop, 20,000 ints), and 1,000,000 streamed
 * W2 2,000 sequential `await futures.submit(noop, i)`, median round trip
 * W3 64 Monte Carlo tasks of ~90 ms after a warm-up map of 200 no-ops;
 *    parallel efficiency = serial ÷ (N × parallel), SCOOP_BENCH_W3_RUNS runs (10)
 * W4 binary tree of depth 13 (16,383 tasks), tasks/s
 * W5 futures.map(sum, 200 Float64Arrays of 1 MiB), MiB/s; again with every call on another worker than the origin
 * W1, W4 and W5 run three times each, back to back: the median is the figure
 * (as the issues measured), the first run is shown too (code not yet hot).
 *
 * SCOOP_BENCH_WORKERS sets N (default: the number of cores).
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { WORKLOADS as w, hits, median, serialTree } from "./kernels.js";
import { piscina, rawZmq } from "./peers.js";
import { detectionTimes } from "./detection.js";
import { brokerScale, printScale } from "./broker-scale.js";

const workers = Number(process.env.SCOOP_BENCH_WORKERS ?? availableParallelism());
const w3Runs = Number(process.env.SCOOP_BENCH_W3_RUNS ?? 10);
const here = import.meta.dirname;
const scoopBin = resolve(here, "../packages/launcher/dist/cli.cjs");
/** The benchmark's environment; an `undefined` in `extra` removes that variable. */
const env = (extra: Record<string, string | undefined>) => ({ ...process.env, SCOOP_BENCH_WORKERS: String(workers), ...extra });

/** Spawn a process; resolves with its stdout and wall time once it exits 0. */
function runProcess(args: string[], extraEnv: Record<string, string | undefined> = {}, onStdout?: (chunk: string, pid: number) => void) {
  const start = performance.now();
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"], env: env(extraEnv) });
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    onStdout?.(d.toString(), child.pid!);
  });
  return new Promise<{ stdout: string; ms: number }>((ok, fail) =>
    child.on("exit", (code) => (code === 0 ? ok({ stdout: out, ms: performance.now() - start }) : fail(new Error(`${args.join(" ")} exited with ${code}`)))),
  );
}

/** Samples per Monte Carlo task so one takes about `w.mcTaskMs` here. */
function calibrateMc(): number {
  hits(2_000_000, 1); // JIT
  const probe = 4_000_000;
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    hits(probe, i + 1);
    times.push(performance.now() - start);
  }
  return Math.round((probe * w.mcTaskMs) / median(times));
}

/** The cluster half, through the real `scoop` CLI; its origin prints one JSON line. */
async function cluster(mcSamples: number): Promise<Record<string, any>> {
  // The broker runs inside the launcher process: sample its resident memory
  // while the streaming map runs (the origin prints STREAM_START).
  let launcherPid = 0;
  const brokerRssMb = () => {
    try {
      return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${launcherPid}/status`, "utf8"))?.[1] ?? 0) / 1024;
    } catch {
      return 0; // the process has ended
    }
  };
  let brokerBeforeStreamMb = -1;
  let brokerPeakMb = 0;
  const sampler = setInterval(() => {
    if (brokerBeforeStreamMb >= 0) brokerPeakMb = Math.max(brokerPeakMb, brokerRssMb());
  }, 100);
  try {
    const { stdout } = await runProcess([scoopBin, "-n", String(workers), resolve(here, "tasks.ts")], { SCOOP_BENCH_MC_SAMPLES: String(mcSamples), SCOOP_BENCH_W3_RUNS: String(w3Runs) }, (chunk, pid) => {
      launcherPid = pid;
      if (brokerBeforeStreamMb < 0 && chunk.includes("STREAM_START")) brokerPeakMb = brokerBeforeStreamMb = brokerRssMb();
    });
    return { ...JSON.parse(stdout.trim().split("\n").pop()!), brokerBeforeStreamMb, brokerPeakMb };
  } finally {
    clearInterval(sampler);
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (x: number, peer: number) => `${(x / peer).toFixed(2)}x`;

/** W0's medians (ms) of three alternations: the whole `scoop` command, its floor, and Piscina (also under tsx if `tsx`). */
async function startupFigures(extraEnv: Record<string, string | undefined>, tsx: boolean) {
  const scoop: number[] = [];
  const floor: number[] = [];
  const piscina: number[] = [];
  const piscinaTsx: number[] = [];
  for (let i = 0; i < 3; i++) {
    scoop.push((await runProcess([scoopBin, "-n", String(workers), resolve(here, "w0.ts")], extraEnv)).ms);
    floor.push((await runProcess([resolve(here, "w0-floor.cjs"), String(w.startupTasks)], extraEnv)).ms);
    piscina.push((await runProcess([resolve(here, "w0-piscina.mjs"), String(w.startupTasks)], extraEnv)).ms);
    if (tsx) piscinaTsx.push((await runProcess([...process.execArgv, resolve(here, "w0-piscina.ts")], extraEnv)).ms);
  }
  return { scoop: median(scoop), floor: median(floor), piscina: median(piscina), piscinaTsx: tsx ? median(piscinaTsx) : undefined };
}

/** The table's rows for one {@link startupFigures}. */
function startupRows(label: string, f: Awaited<ReturnType<typeof startupFigures>>): string[][] {
  return [
    [label, `${fmt(f.scoop)} ms`, `Piscina process, node .mjs: ${fmt(f.piscina)} ms`, ratio(f.scoop, f.piscina)],
    ...(f.piscinaTsx === undefined ? [] : [["", "", `Piscina process under tsx (old line): ${fmt(f.piscinaTsx)} ms`, ratio(f.scoop, f.piscinaTsx)]]),
    ["", "", `the design's floor, no SCOOP code (w0-floor.cjs): ${fmt(f.floor)} ms`, ratio(f.scoop, f.floor)],
  ];
}

async function main(): Promise<void> {
  console.log(`SCOOP benchmarks: ${workers} workers on ${availableParallelism()} cores, Node ${process.version}; W3 ${w3Runs} runs`);
  // W0 first, on a quiet machine: three whole commands each side, medians.
  // The peer twice: as plain Node on a .mjs (the fair one), and as it ran
  // before, under this process's tsx (tsx's loader in the process and in each thread).
  // The first scoop command fills the launcher's compile cache if it has no entry for w0.ts (nothing warms it
  // before): the median is a run with the cached compile, as a user re-running an unchanged script gets.
  // SCOOP_COMPILE_CACHE=0 measures a compile in every command.
  const w0 = await startupFigures({}, true);
  // Node 20 parses the file NODE_EXTRA_CA_CERTS names as every process boots (tens of ms for a system
  // bundle): W0 has three processes where Piscina has one. Measured without it too, when this machine sets it.
  const w0NoCa = process.env.NODE_EXTRA_CA_CERTS ? await startupFigures({ NODE_EXTRA_CA_CERTS: undefined }, false) : undefined;
  const raw = await rawZmq();
  const mcSamples = calibrateMc();
  // Serial W3: 16 of the 64 tasks, scaled (all tasks cost the same).
  let start = performance.now();
  for (let i = 0; i < 16; i++) hits(mcSamples, i + 1);
  const mcSerialMs = ((performance.now() - start) * w.mcTasks) / 16;
  start = performance.now();
  const treeNodes = serialTree(w.treeDepth);
  const treeSerialUs = (performance.now() - start) * 1000;
  const pool = await piscina(workers, mcSamples, w3Runs);
  const c = await cluster(mcSamples);

  const mib = (w.payloadTasks * w.payloadBytes) / 2 ** 20;
  // W1, W4, W5: medians of 3 runs, beside the first (cold) run.
  const noopRates = (c.noopMs as number[]).map((ms) => w.noopTasks / (ms / 1000));
  const noopRate = median(noopRates);
  const eff = (c.mcMs as number[]).map((ms) => mcSerialMs / (workers * ms));
  const effPeer = pool.mcMs.map((ms) => mcSerialMs / (workers * ms));
  const payloadRates = (c.payloadMs as number[]).map((ms) => mib / (ms / 1000));
  const payloadRate = median(payloadRates);
  const payloadRemoteRate = median((c.payloadRemoteMs as number[]).map((ms) => mib / (ms / 1000)));
  const treeRates = (c.treeMs as number[]).map((ms) => c.treeNodes / (ms / 1000));
  const treeRate = median(treeRates);
  const rows: string[][] = [
    ["workload", "SCOOP", "peer (same run)", "SCOOP ÷ peer"],
    ...startupRows("W0 scoop -n N, 200 tasks", w0),
    ...(w0NoCa ? startupRows("W0 without NODE_EXTRA_CA_CERTS", w0NoCa) : []),
    ["W1 map(noop, 20,000), median", `${fmt(noopRate)} tasks/s`, `Piscina: ${fmt(pool.noopPerSec)} tasks/s`, ratio(noopRate, pool.noopPerSec)],
    ["W1 first (cold) run", `${fmt(noopRates[0])} tasks/s`, `Piscina: ${fmt(pool.noopFirst)} tasks/s`, ratio(noopRates[0], pool.noopFirst)],
    ["", "", `raw zmq pipelined: ${fmt(raw.msgsPerSec)} msg/s`, ratio(noopRate, raw.msgsPerSec)],
    ["W1 map(noop, 1M streamed)", `${fmt(w.streamItems / (c.streamMs / 1000))} tasks/s`, `origin RSS ${fmt(c.rssBeforeStreamMb)} → peak ${fmt(c.originPeakMb[0])} (1st half), ${fmt(c.originPeakMb[1])} MiB (2nd half)`, `broker RSS ${fmt(c.brokerBeforeStreamMb)} → ${fmt(c.brokerPeakMb)} MiB`],
    ["W2 submit+await, median", `${fmt(c.latencyUs)} µs`, `Piscina: ${fmt(pool.latencyUs)} µs`, ratio(c.latencyUs, pool.latencyUs)],
    ["", "", `raw zmq round trip: ${fmt(raw.roundTripUs)} µs`, ratio(c.latencyUs, raw.roundTripUs)],
    ["W3 efficiency, median", fmt(median(eff), 2), `Piscina: ${fmt(median(effPeer), 2)}`, ratio(median(eff), median(effPeer))],
    ["W3 efficiency, each run", eff.map((e) => e.toFixed(2)).join(" "), `Piscina: ${effPeer.map((e) => e.toFixed(2)).join(" ")}`, `min ${fmt(Math.min(...eff), 2)}`],
    ["W3 tasks per worker", (c.mcSplit as number[][]).map((s) => s.join("/")).join(" "), `serial ${fmt(mcSerialMs)} ms (${fmt(mcSamples)} samples/task)`, ""],
    ["W4 tree depth 13, median", `${fmt(treeRate)} tasks/s (${c.treeNodes})`, `serial calls: ${fmt(treeSerialUs)} µs for ${treeNodes}`, ""],
    ["W4 each run", treeRates.map((r) => fmt(r)).join(" "), "", ""],
    ["W5 map(sum, 200 × 1 MiB), median", `${fmt(payloadRate)} MiB/s`, `Piscina: ${fmt(pool.mibPerSec)} MiB/s`, ratio(payloadRate, pool.mibPerSec)],
    ["W5 first run", `${fmt(payloadRates[0])} MiB/s`, `Piscina: ${fmt(pool.mibFirst)} MiB/s`, ratio(payloadRates[0], pool.mibFirst)],
    ["", "", `raw zmq pipelined: ${fmt(raw.mibPerSec)} MiB/s`, ratio(payloadRate, raw.mibPerSec)],
    ["W5, every call off the origin, median", `${fmt(payloadRemoteRate)} MiB/s`, `raw zmq pipelined: ${fmt(raw.mibPerSec)} MiB/s`, ratio(payloadRemoteRate, raw.mibPerSec)],
  ];
  const detect = await detectionTimes(4);
  rows.push(["killed-worker detection", `${fmt(Math.min(...detect))}–${fmt(Math.max(...detect))} ms (4 kills)`, "bound: liveness 4000 ms + 1 heartbeat", ""]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)) + 2);
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join("").trimEnd());
  printScale(await brokerScale());
}

void main().catch((error) => {
  console.error(error);
  process.exitCode = 0; // benchmarks never fail CI on noise; the error is printed
});
