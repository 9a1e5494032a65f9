// W0's peer as the bench first ran it (the old line; w0-piscina.mjs is the plain-Node one): a whole Node process that starts a Piscina pool of SCOOP_BENCH_WORKERS threads, runs the same 200 no-ops, exits.
import { Piscina } from "piscina";
import { WORKLOADS } from "./kernels.js";

const pool = new Piscina({ filename: new URL("./piscina-worker.mjs", import.meta.url).href, minThreads: Number(process.env.SCOOP_BENCH_WORKERS ?? 2), maxThreads: Number(process.env.SCOOP_BENCH_WORKERS ?? 2) });
await Promise.all(Array.from({ length: WORKLOADS.startupTasks }, (_, i) => pool.run(i, { name: "noop" })));
await pool.destroy();
