// The script `local-security.ts` runs under `scoop`: W1, W2 and W5, one JSON line.
import { futures } from "@scoop/core";
import { WORKLOADS as w, median, noop as noopKernel, sum as sumKernel } from "./kernels.js";

export const noop = noopKernel;
export const sum = sumKernel;

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
  const arrays = Array.from({ length: 4 }, () => new Float64Array(w.payloadBytes / 8).fill(1));
  start = performance.now();
  await futures.map(sum, range(w.payloadTasks).map((i) => arrays[i % 4]));
  const w5 = (w.payloadTasks * w.payloadBytes) / 2 ** 20 / ((performance.now() - start) / 1000);
  console.log(JSON.stringify({ w1, w2Us: median(trips) * 1000, w5 }));
}
