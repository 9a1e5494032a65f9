// The payload store against the broker path, by buffer size: the whole
// `scoop -n 2` command with and without --no-payload-store, each running
// futures.map(sum) over 48 MiB of Float64Arrays per size, three timed maps
// (median) after a warm-up. Prints MiB/s and the ratio; never fails on noise.
// Run: npx tsx payload-store.ts   (from benchmarks/, after pnpm build)
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";

const here = import.meta.dirname;
const scoop = resolve(here, "../packages/launcher/dist/cli.cjs");
const script = resolve(here, "payload-store-tasks.ts");
const run = (flags: string[]) => JSON.parse(execFileSync(process.execPath, [scoop, "-n", "2", ...flags, script], { encoding: "utf8" }).trim().split("\n").pop()!) as Record<string, number>;

const rows: string[] = [];
for (let round = 0; round < 2; round++) {
  const store = run([]);
  const broker = run(["--no-payload-store"]);
  for (const size of Object.keys(store)) {
    rows.push(`| ${round + 1} | ${Number(size) / 1024} KiB | ${store[size].toFixed(0)} | ${broker[size].toFixed(0)} | ${(store[size] / broker[size]).toFixed(2)}x |`);
  }
}
console.log("| round | buffer | store MiB/s | broker MiB/s | store/broker |\n|---|---|---|---|---|\n" + rows.join("\n"));
