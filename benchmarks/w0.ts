// W0: the whole `scoop -n 2 w0.ts` command (start, a 200-task map, exit), timed by run.ts.
import { futures } from "@scoop/core";
import { WORKLOADS, noop as noopKernel } from "./kernels.js";

export const noop = noopKernel;

export async function main(): Promise<void> {
  const out = await futures.map(noop, Array.from({ length: WORKLOADS.startupTasks }, (_, i) => i));
  if (out.length !== WORKLOADS.startupTasks) throw new Error("W0 lost results");
}
