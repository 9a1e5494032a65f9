/**
 * What per-run CURVE keys cost a local run (issue 14 item 13): W1
 * (futures.map(noop, 20,000)) and W2 (median `await futures.submit(noop)`
 * round trip) through the real `scoop` CLI, with keys (the default) and with
 * `--insecure`, alternated so both see the same machine. Prints figures and
 * the ratio; never fails.
 *
 *   pnpm build && cd benchmarks && npx tsx local-security.ts [rounds=3]
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { median, WORKLOADS as w } from "./kernels.js";

const here = import.meta.dirname;
const scoop = resolve(here, "../packages/launcher/dist/cli.js");
const rounds = Number(process.argv[2] ?? 3);
const runs: Record<"keys" | "insecure", { w1: number; w2Us: number }[]> = { keys: [], insecure: [] };
for (let r = 0; r < rounds; r++) {
  for (const mode of ["keys", "insecure"] as const) {
    const out = spawnSync(process.execPath, [scoop, "-n", "2", ...(mode === "insecure" ? ["--insecure"] : []), resolve(here, "local-security-tasks.ts")], { encoding: "utf8" });
    runs[mode].push(JSON.parse(out.stdout.trim().split("\n").pop()!));
  }
}
const med = (mode: "keys" | "insecure", k: "w1" | "w2Us") => median(runs[mode].map((x) => x[k]));
const fmt = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 0 });
console.log(`local run, -n 2, ${rounds} alternated rounds, medians`);
console.log(`W1 map(noop, ${fmt(w.noopTasks)}): CURVE ${fmt(med("keys", "w1"))} tasks/s, --insecure ${fmt(med("insecure", "w1"))} tasks/s, ratio ${(med("keys", "w1") / med("insecure", "w1")).toFixed(2)}x`);
console.log(`W2 submit+await median: CURVE ${fmt(med("keys", "w2Us"))} µs, --insecure ${fmt(med("insecure", "w2Us"))} µs, ratio ${(med("keys", "w2Us") / med("insecure", "w2Us")).toFixed(2)}x`);
