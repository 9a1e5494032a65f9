// Pure compute kernels shared by the SCOOP tasks (tasks.ts), the Piscina
// peer (piscina-tasks.ts) and the serial baselines (run.ts). No SCOOP import:
// Piscina's threads load this file too.

/** The no-op task: returns its argument. */
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

/** Sum of a typed array (W5: the data goes one way, a number comes back). */
export function sum(data: Float64Array): number {
  let total = 0;
  for (let i = 0; i < data.length; i++) total += data[i];
  return total;
}

/** Nodes of a full binary tree of `depth`, counted by plain recursion (W4's serial baseline). */
export function serialTree(depth: number): number {
  return depth === 0 ? 1 : 1 + serialTree(depth - 1) + serialTree(depth - 1);
}

/** The workloads, shared by both halves of the benchmark. */
export const WORKLOADS = {
  /** W1: no-op map. */
  noopTasks: 20_000,
  /** W1 streamed: a 1M-item map over a generator (memory must stay flat). */
  streamItems: 1_000_000,
  /** W2: sequential submit-and-await round trips. */
  latencyRounds: 2_000,
  /** W3: warm-up of tiny tasks, then this many Monte Carlo tasks of ~`mcTaskMs` each. */
  warmupTasks: 200,
  mcTasks: 64,
  mcTaskMs: 90,
  /** W4: binary tree depth (2^14 - 1 = 16,383 tasks). */
  treeDepth: 13,
  /** W5: 200 Float64Arrays of 1 MiB. */
  payloadTasks: 200,
  payloadBytes: 1 << 20,
  /** W0: tasks of the whole-command run. */
  startupTasks: 200,
};

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
