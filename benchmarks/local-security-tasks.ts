// The script `local-security.ts` runs under `scoop`: W1 and W2, one JSON line.
import { futures } from "@scoop/core";
import { WORKLOADS as w, median, noop as noopKernel } from "./kernels.js";

export const noop = noopKernel;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
export async function main(): Promise<void> {
  await futures.map(noop, range(2000)); // warm-up
  let start = performance.now();
  await futures.map(noop, range(w.noopTasks));
  const w1 = w.noopTasks / ((performance.now() - start) / 1000);
  const trips: number[] = [];
  for (let i = 0; i < w.latencyRounds; i++) {
    start = performance.now();
    await futures.submit(noop, i);
    trips.push(performance.now() - start);
  }
  console.log(JSON.stringify({ w1, w2Us: median(trips) * 1000 }));
}

