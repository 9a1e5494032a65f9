// Tasks and the distributed half of the benchmarks: run by `scoop` (see
// run.ts); its main measures each workload on the cluster and prints one JSON
// line. Workload parameters come from run.ts through the environment.
import { currentTask, futures } from "@scoop/core";
import { WORKLOADS as w, hits, median, noop as noopKernel, sum as sumKernel } from "./kernels.js";

export const noop = noopKernel;
export const sum = sumKernel;

/** W3's task: Monte Carlo hits, and which worker ran it (to show how the work was spread). */
export function monteCarlo(samples: number, seed: number): [number, string] {
  return [hits(samples, seed), currentTask()?.workerId ?? "?"];
}

/** W4's node of a full binary tree: submits its two children, awaits them, counts the nodes. */
export async function tree(depth: number): Promise<number> {
  if (depth === 0) return 1;
  const left = futures.submit(tree, depth - 1);
  const right = futures.submit(tree, depth - 1);
  return 1 + (await left) + (await right);
}

/** Resident set size of this process, MiB. */
const rssMb = () => process.memoryUsage().rss / 2 ** 20;

/** An input that is never held in memory: the map reads it as results are taken. */
function* counter(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

const time = async (fn: () => PromiseLike<unknown>) => {
  const start = performance.now();
  await fn();
  return performance.now() - start;
};

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export async function main(): Promise<void> {
  const mcSamples = Number(process.env.SCOOP_BENCH_MC_SAMPLES ?? 2_000_000);
  const w3Runs = Number(process.env.SCOOP_BENCH_W3_RUNS ?? 10);
  await futures.map(noop, range(2000)); // warm-up: workers joined, code hot
  // W1
  // W1, W4 and W5 are timed three times each (the medians of 3); the first also shows a cold start.
  const noopMs: number[] = [];
  for (let run = 0; run < 3; run++) noopMs.push(await time(() => futures.map(noop, range(w.noopTasks))));
  // W2: each round trip timed on its own; the median is reported.
  const trips: number[] = [];
  for (let i = 0; i < w.latencyRounds; i++) {
    const start = performance.now();
    await futures.submit(noop, i);
    trips.push(performance.now() - start);
  }
  const latencyUs = median(trips) * 1000;
  // W3: after a warm-up of tiny tasks (credits sized for them), equal long tasks.
  const mcMs: number[] = [];
  const mcSplit: number[][] = [];
  for (let run = 0; run < w3Runs; run++) {
    await futures.map(noop, range(w.warmupTasks));
    const start = performance.now();
    const out = await futures.map(monteCarlo, Array(w.mcTasks).fill(mcSamples), range(w.mcTasks).map((i) => i + 1));
    mcMs.push(performance.now() - start);
    const byWorker = new Map<string, number>();
    for (const [, worker] of out) byWorker.set(worker, (byWorker.get(worker) ?? 0) + 1);
    mcSplit.push([...byWorker.values()].sort((a, b) => b - a));
  }
  // W4
  let treeNodes = 0;
  await futures.submit(tree, 10); // warm-up, as the maps have theirs: the tree's code hot
  const treeMs: number[] = [];
  for (let run = 0; run < 3; run++) treeMs.push(await time(async () => (treeNodes = await futures.submit(tree, w.treeDepth))));
  // W5
  const arrays = Array.from({ length: 4 }, () => new Float64Array(w.payloadBytes / 8).fill(1));
  const payloadMs: number[] = [];
  for (let run = 0; run < 3; run++) payloadMs.push(await time(() => futures.map(sum, range(w.payloadTasks).map((i) => arrays[i % 4]))));
  // The same with every call on another worker (a deadline keeps a task off the origin): the cross-process path alone.
  const payloadRemoteMs: number[] = [];
  for (let run = 0; run < 3; run++) payloadRemoteMs.push(await time(() => futures.map(sum, range(w.payloadTasks).map((i) => arrays[i % 4]), { timeoutMs: 600_000 })));
  // W1 streamed: memory must stay flat however long the input.
  global.gc?.();
  const rssBeforeStreamMb = rssMb();
  // Flat means the second half of the stream needs no more memory than the first.
  const originPeakMb = [rssBeforeStreamMb, rssBeforeStreamMb];
  let taken = 0;
  const sampler = setInterval(() => {
    const half = taken < w.streamItems / 2 ? 0 : 1;
    originPeakMb[half] = Math.max(originPeakMb[half], rssMb());
  }, 100);
  console.log("STREAM_START"); // tells run.ts to start watching the broker's memory
  let total = 0;
  const streamMs = await time(async () => {
    for await (const x of futures.map(noop, counter(w.streamItems))) {
      total += x;
      taken++;
    }
  });
  clearInterval(sampler);
  if (total !== (w.streamItems * (w.streamItems - 1)) / 2) throw new Error(`streaming map lost results (sum ${total})`);
  console.log(JSON.stringify({ noopMs, latencyUs, mcMs, mcSplit, treeMs, treeNodes, payloadMs, payloadRemoteMs, streamMs, rssBeforeStreamMb, originPeakMb }));
}
