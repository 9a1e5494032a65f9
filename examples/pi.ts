// Monte Carlo estimate of π. Run with: scoop examples/pi.ts [tasks] [samplesPerTask]
import { futures } from "@scoop/core";

/** Count random points of the unit square that fall inside the quarter circle. */
export function hits(samples: number, seed: number): number {
  // A small seeded generator (mulberry32) so every run is reproducible.
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let inside = 0;
  for (let i = 0; i < samples; i++) {
    const x = random();
    const y = random();
    if (x * x + y * y <= 1) inside++;
  }
  return inside;
}

export async function main(tasks = "64", samples = "200000"): Promise<void> {
  const n = Number(tasks);
  const perTask = Number(samples);
  const seeds = Array.from({ length: n }, (_, i) => i + 1);
  const inside = await futures.mapReduce(hits, (a: number, b: number) => a + b, Array(n).fill(perTask), seeds);
  console.log(`pi ≈ ${((4 * inside) / (n * perTask)).toFixed(6)} from ${n * perTask} samples`);
}
