/**
 * What CURVE would cost a run of this machine alone (issue 14 item 13): W1
 * (futures.map(noop, 20,000)), W2 (median `await futures.submit(noop)` round
 * trip) and W5 (map(sum, 200 × 1 MiB), MiB/s), through the real launcher:
 * the default (a Unix socket in an owner-only directory, no keys) against
 * workers on loopback TCP with per-run CURVE keys (`runProgram({
 * localTransport: "tcp" })`), alternated so both see the same machine.
 * Prints figures and ratios; never fails.
 *
 *   pnpm build && cd benchmarks && npx tsx local-security.ts [rounds=3]
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { median, WORKLOADS as w } from "./kernels.js";

const here = import.meta.dirname;
const scoop = resolve(here, "../packages/launcher/dist/cli.cjs");
const launcher = pathToFileURL(resolve(here, "../packages/launcher/dist/index.js")).href;
const script = resolve(here, "local-security-tasks.ts");
const rounds = Number(process.argv[2] ?? 3);
type Figures = { w1: number; w2Us: number; w5: number };
const modes = {
  socket: [scoop, "-n", "2", script],
  "tcp+CURVE": [
    "--input-type=module",
    "-e",
    `import pino from "pino"; import { runProgram } from ${JSON.stringify(launcher)};
     process.exitCode = await runProgram({ script: ${JSON.stringify(script)}, workers: 2, localTransport: "tcp", logger: pino({ level: "warn" }) });`,
  ],
};
const runs: Record<keyof typeof modes, Figures[]> = { socket: [], "tcp+CURVE": [] };
for (let r = 0; r < rounds; r++) {
  for (const mode of Object.keys(modes) as Array<keyof typeof modes>) {
    const out = spawnSync(process.execPath, modes[mode], { encoding: "utf8" });
    runs[mode].push(JSON.parse(out.stdout.trim().split("\n").pop()!));
  }
}
const med = (mode: keyof typeof modes, k: keyof Figures) => median(runs[mode].map((x) => x[k]));
const fmt = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 0 });
const row = (what: string, k: keyof Figures, unit: string) =>
  console.log(`${what}: private socket ${fmt(med("socket", k))} ${unit}, loopback TCP + CURVE ${fmt(med("tcp+CURVE", k))} ${unit}, ratio ${(med("socket", k) / med("tcp+CURVE", k)).toFixed(2)}x`);
console.log(`local run, 2 workers, ${rounds} alternated rounds, medians`);
row(`W1 map(noop, ${fmt(w.noopTasks)})`, "w1", "tasks/s");
row("W2 submit+await median", "w2Us", "µs");
row(`W5 map(sum, ${w.payloadTasks} × 1 MiB)`, "w5", "MiB/s");
