// W0's peer as plain Node (no tsx in the process or its threads): a whole
// process that starts a Piscina pool of SCOOP_BENCH_WORKERS threads, runs
// argv[2] no-ops (run.ts passes WORKLOADS.startupTasks), exits. This file is
// also the threads' task module.
import { isMainThread } from "node:worker_threads";
import { Piscina } from "piscina";

/** kernels.ts's noop. */
export const noop = (x) => x;

if (isMainThread) {
  const threads = Number(process.env.SCOOP_BENCH_WORKERS ?? 2);
  const pool = new Piscina({ filename: import.meta.url, minThreads: threads, maxThreads: threads });
  await Promise.all(Array.from({ length: Number(process.argv[2]) }, (_, i) => pool.run(i, { name: "noop" })));
  await pool.destroy();
}
