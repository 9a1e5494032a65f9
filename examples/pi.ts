// Monte Carlo estimate of π. Run with: scoop [--seed N] examples/pi.ts [tasks] [samplesPerTask]
// Each task draws from its own reproducible random stream: the same seed gives
// the same estimate on 1 worker or 100, serially (SCOOP_SEED=N tsx examples/pi.ts),
// and after a lost worker.
import { currentTask, futures, runSeed } from "@scoop/core";

/** Count random points of the unit square that fall inside the quarter circle. */
export function hits(samples: number): number {
  const task = currentTask()!;
  let inside = 0;
  for (let i = 0; i < samples; i++) {
    const x = task.random();
    const y = task.random();
    if (x * x + y * y <= 1) inside++;
  }
  return inside;
}

export async function main(tasks = "64", samples = "200000"): Promise<void> {
  const n = Number(tasks);
  const perTask = Number(samples);
  const inside = await futures.mapReduce(hits, (a: number, b: number) => a + b, Array(n).fill(perTask));
  console.log(`pi ≈ ${((4 * inside) / (n * perTask)).toFixed(6)} from ${n * perTask} samples (seed ${runSeed()})`);
}
