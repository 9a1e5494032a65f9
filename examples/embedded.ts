// Start a cluster from code, without the scoop launcher: for servers,
// notebooks and tests. Run with: npx tsx examples/embedded.ts [workers]
import { futures, scoop } from "@scoop/core";
import { countPrimes } from "./tasks/primes.js";

export async function main(workers = "2"): Promise<void> {
  const cluster = await scoop.start({ workers: Number(workers), modules: [new URL("./tasks/primes.ts", import.meta.url)] });
  try {
    const step = 100_000;
    const starts = Array.from({ length: 20 }, (_, i) => i * step);
    const counts = await futures.map(countPrimes, starts, starts.map((s) => s + step));
    console.log(`${counts.reduce((a, b) => a + b, 0)} primes below ${20 * step}, counted by ${cluster.workers} workers`);
  } finally {
    await cluster.stop();
  }
}
