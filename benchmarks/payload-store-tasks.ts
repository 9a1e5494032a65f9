// Tasks of payload-store.ts: per buffer size, the median MiB/s of three timed maps of sum over 48 MiB.
import { futures } from "@scoop/core";
import { median, sum as sumKernel } from "./kernels.js";

export const sum = sumKernel;
const TOTAL = 48 * 2 ** 20;

export async function main(): Promise<void> {
  const out: Record<number, number> = {};
  for (const size of [16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024]) {
    const count = TOTAL / size;
    const arrays = Array.from({ length: 4 }, () => new Float64Array(size / 8).fill(1));
    const inputs = Array.from({ length: count }, (_, i) => arrays[i % 4]);
    await futures.map(sum, inputs.slice(0, count >> 2)); // warm-up
    const rates: number[] = [];
    for (let r = 0; r < 3; r++) {
      const start = performance.now();
      await futures.map(sum, inputs);
      rates.push(TOTAL / 2 ** 20 / ((performance.now() - start) / 1000));
    }
    out[size] = median(rates);
  }
  console.log(JSON.stringify(out));
}
