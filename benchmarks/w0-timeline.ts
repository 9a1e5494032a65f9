/**
 * Where W0's time goes: one `scoop -n N w0.ts` run (SCOOP_BENCH_WORKERS, 2 by
 * default), every process timed from the launcher's start. Each process gets
 * a `--require` probe (its start, when Node had booted, its exit, its CPU
 * time); the run's JSON log (`--debug`) adds the broker's and the workers'
 * steps. Prints one line per event and never fails. `--runs K` repeats the
 * run and prints each process's CPU and the wall times.
 *
 *   pnpm --filter ./benchmarks exec tsx w0-timeline.ts [--runs 5] [script]   (SCOOP_BIN: another build's cli.js)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const here = import.meta.dirname;
const scoopBin = process.env.SCOOP_BIN ?? resolve(here, "../packages/launcher/dist/cli.cjs");
const workers = process.env.SCOOP_BENCH_WORKERS ?? "2";
const runsAt = process.argv.indexOf("--runs");
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 1;
const script = process.argv.slice(2).find((a, i, all) => !a.startsWith("--") && all[i - 1] !== "--runs") ?? resolve(here, "w0.ts");

const PROBE = `
const { writeFileSync } = require("node:fs");
const { isMainThread } = require("node:worker_threads");
if (isMainThread) {
  const booted = Date.now();
  const role = process.argv.includes("--origin") ? "origin" : process.argv.some((a) => a.endsWith("launcher/dist/cli.cjs")) ? "launcher" : "worker";
  process.on("exit", () => {
    const ru = process.resourceUsage();
    writeFileSync(process.env.W0_PROBE_DIR + "/" + process.pid + ".json", JSON.stringify({ pid: process.pid, role, start: performance.timeOrigin, booted, exit: Date.now(), cpuMs: (ru.userCPUTime + ru.systemCPUTime) / 1000 }));
  });
}`;

interface Probe {
  pid: number;
  role: string;
  start: number;
  booted: number;
  exit: number;
  cpuMs: number;
}

function runOnce(dir: string): { wallMs: number; probes: Probe[]; log: { time: number; msg: string; pid: number; peer?: string; ms?: number }[] } {
  const probeFile = join(dir, "probe.cjs");
  writeFileSync(probeFile, PROBE);
  const logFile = join(dir, "run.log");
  const started = Date.now();
  const r = spawnSync(process.execPath, [scoopBin, "--debug", "--log", logFile, "-n", workers, script], {
    env: { ...process.env, NODE_OPTIONS: `--require ${probeFile}`, W0_PROBE_DIR: dir },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const wallMs = Date.now() - started;
  if (r.status !== 0) console.error(`scoop exited with ${r.status}`);
  const probes = readdirSync(dir)
    .filter((f) => /^\d+\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Probe);
  const log = readFileSync(logFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  return { wallMs, probes, log };
}

const STEPS = /listening|compiled|loaded through tsx|held|peer joined|worker joined|origin ended|peer left|run ended|broker closed/;

const rows: { wallMs: number; cpu: Record<string, number> }[] = [];
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), "w0-timeline-"));
  try {
    const { wallMs, probes, log } = runOnce(dir);
    const t0 = Math.min(...probes.map((p) => p.start));
    const cpu: Record<string, number> = {};
    for (const p of probes) cpu[p.role] = (cpu[p.role] ?? 0) + p.cpuMs;
    rows.push({ wallMs, cpu });
    if (i > 0) continue;
    const events: [number, string][] = [];
    for (const p of probes) {
      events.push([p.start, `${p.role} ${p.pid}: process started`]);
      events.push([p.booted, `${p.role} ${p.pid}: Node booted (first --require)`]);
      events.push([p.exit, `${p.role} ${p.pid}: exit, ${p.cpuMs.toFixed(0)} ms CPU`]);
    }
    for (const l of log) if (STEPS.test(l.msg)) events.push([l.time, `${probes.find((p) => p.pid === l.pid)?.role ?? l.pid}: ${l.msg.split("\n")[0]}${l.peer ? ` ${l.peer}` : ""}${l.ms !== undefined ? ` (${l.ms} ms)` : ""}`]);
    console.log(`scoop -n ${workers} ${script}: ${wallMs} ms wall (measured here, probe and --debug log included)`);
    for (const [t, what] of events.sort((a, b) => a[0] - b[0])) console.log(`${(t - t0).toFixed(0).padStart(6)} ms  ${what}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (runs > 1) {
  console.log("\nrun  wall ms  CPU ms: launcher  origin  worker(s)");
  rows.forEach((r, i) => console.log(`${String(i + 1).padStart(3)}  ${String(r.wallMs).padStart(7)}  ${(r.cpu.launcher ?? 0).toFixed(0).padStart(16)}  ${(r.cpu.origin ?? 0).toFixed(0).padStart(6)}  ${(r.cpu.worker ?? 0).toFixed(0).padStart(9)}`));
}
