// Piscina's side of the peer benchmarks: the same kernels as named exports
// taking one argument (Piscina passes one).
import { hits as hitsKernel, noop as noopKernel, sum as sumKernel } from "./kernels.js";

export const noop = noopKernel;
export const sum = sumKernel;
export function hits(arg: { samples: number; seed: number }): number {
  return hitsKernel(arg.samples, arg.seed);
}
