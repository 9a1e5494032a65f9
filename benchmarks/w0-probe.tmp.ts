import { currentTask, futures } from "@scoop/core";
export function where(i: number): string { return currentTask()?.workerId ?? "?"; }
export async function main(): Promise<void> {
  const t0 = performance.now();
  const out = await futures.map(where, Array.from({ length: 200 }, (_, i) => i));
  const t1 = performance.now();
  const out2 = await futures.map(where, Array.from({ length: 200 }, (_, i) => i));
  const t2 = performance.now();
  const count = (o: string[]) => JSON.stringify(o.reduce((m, w) => ((m[w] = (m[w] ?? 0) + 1), m), {} as Record<string, number>));
  console.log(`map1 ${(t1 - t0).toFixed(1)} ms ${count(out)} map2 ${(t2 - t1).toFixed(1)} ms ${count(out2)}`);
}
