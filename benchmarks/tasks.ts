// Tasks and the distributed half of the benchmarks: run by `scoop` (see run.ts),
// its main measures each workload on the cluster and prints one JSON line.
import { futures } from "@scoop/core";

export function noop(x: number): number {
  return x;
}

/** Monte Carlo π hits (same generator as examples/pi.ts). */
export function hits(samples: number, seed: number): number {
  let s = seed >>> 0;
  let inside = 0;
  for (let i = 0; i < samples; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const x = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    s = (s + 0x6d2b79f5) >>> 0;
    t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const y = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    if (x * x + y * y <= 1) inside++;
  }
  return inside;
}

/** A node of a full tree: submits its children and counts the nodes. */
export async function tree(depth: number, branching: number): Promise<number> {
  if (depth === 0) return 1;
  const children = [];
  for (let i = 0; i < branching; i++) children.push(futures.submit(tree, depth - 1, branching));
  let total = 1;
  for (const c of children) total += await c;
  return total;
}

/** Receives a large typed array and returns its length (the data goes one way). */
export function payloadSize(data: Float64Array): number {
  return data.length;
}

export const WORKLOADS = {
  noopTasks: 20_000,
  latencyRounds: 2_000,
  piTasks: 32,
  piSamples: 2_000_000,
  treeDepth: 7, // 4^0 + … + 4^7 = 21,845 tasks
  treeBranching: 4,
  payloadTasks: 200,
  payloadBytes: 1 << 20,
  streamItems: 1_000_000,
};

/** Resident set size of this process, MB. */
const rssMb = () => process.memoryUsage().rss / 2 ** 20;

/** An input that is never held in memory: the map reads it as results are taken. */
function* counter(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

export async function main(): Promise<void> {
  const w = WORKLOADS;
  const time = async (fn: () => PromiseLike<unknown>) => {
    const start = performance.now();
    await fn();
    return performance.now() - start;
  };
  await futures.map(noop, Array.from({ length: 2000 }, (_, i) => i)); // warm-up: workers joined, code hot
  const noopMs = await time(() => futures.map(noop, Array.from({ length: w.noopTasks }, (_, i) => i)));
  const latencyMs = await time(async () => {
    for (let i = 0; i < w.latencyRounds; i++) await futures.submit(noop, i);
  });
  const piMs = await time(() => futures.map(hits, Array(w.piTasks).fill(w.piSamples), Array.from({ length: w.piTasks }, (_, i) => i + 1)));
  const treeMs = await time(() => futures.submit(tree, w.treeDepth, w.treeBranching));
  const arrays = Array.from({ length: 4 }, () => new Float64Array(w.payloadBytes / 8).fill(1));
  const payloadMs = await time(() => futures.map(payloadSize, Array.from({ length: w.payloadTasks }, (_, i) => arrays[i % 4])));
  // Streaming map: memory must stay flat however long the input.
  global.gc?.();
  const rssBeforeStreamMb = rssMb();
  let originPeakMb = rssBeforeStreamMb;
  const sampler = setInterval(() => (originPeakMb = Math.max(originPeakMb, rssMb())), 100);
  console.log("STREAM_START"); // tells run.ts to start watching the broker's memory
  let sum = 0;
  const streamMs = await time(async () => {
    for await (const x of futures.map(noop, counter(w.streamItems))) sum += x;
  });
  clearInterval(sampler);
  if (sum !== (w.streamItems * (w.streamItems - 1)) / 2) throw new Error(`streaming map lost results (sum ${sum})`);
  console.log(JSON.stringify({ noopMs, latencyMs, piMs, treeMs, payloadMs, streamMs, rssBeforeStreamMb, originPeakMb }));
}
