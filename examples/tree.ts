// SCOOP's recursive tree: every task submits its children and sums their results.
// Run with: scoop examples/tree.ts [depth] [branching]
import { futures } from "@scoop/core";

/** Number of nodes of a full tree below (and including) this node, counted by its tasks. */
export async function subtree(depth: number, branching: number): Promise<number> {
  if (depth === 0) return 1;
  const children = Array.from({ length: branching }, () => futures.submit(subtree, depth - 1, branching));
  let total = 1;
  for (const child of children) total += await child;
  return total;
}

export async function main(depth = "6", branching = "4"): Promise<void> {
  const nodes = await futures.submit(subtree, Number(depth), Number(branching));
  console.log(`tree of depth ${depth} and branching ${branching}: ${nodes} tasks`);
}
