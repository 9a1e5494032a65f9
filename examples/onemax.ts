// A small evolutionary algorithm (OneMax): evolve bit strings towards all ones.
// Each generation's offspring are bred and evaluated in parallel with
// futures.map; every random choice comes from a reproducible stream, so a run
// is replayed exactly with its seed: scoop --seed N examples/onemax.ts …
// Run with: scoop [--seed N] examples/onemax.ts [generations] [population] [bits]
import { currentTask, futures, randomStream } from "@scoop/core";

/** Fitness: the number of ones. (Real problems put an expensive simulation here.) */
export function fitness(genome: Uint8Array): number {
  let ones = 0;
  for (const bit of genome) ones += bit;
  return ones;
}

/** One offspring of two parents: uniform crossover and bit-flip mutation, then its fitness. */
export function offspring(x: Uint8Array, y: Uint8Array): { genome: Uint8Array; score: number } {
  const task = currentTask()!;
  const genome = Uint8Array.from(x, (bit, i) => {
    const gene = task.random() < 0.5 ? bit : y[i];
    return task.random() < 1 / x.length ? 1 - gene : gene;
  });
  return { genome, score: fitness(genome) };
}

export async function main(generations = "40", population = "100", bits = "64"): Promise<void> {
  // Outside tasks, main draws from the program's own stream (seeded like the tasks').
  const random = randomStream();
  const size = Number(population);
  const length = Number(bits);
  let pop: Uint8Array[] = Array.from({ length: size }, () => Uint8Array.from({ length }, () => random.int(0, 2)));
  let scores = await futures.map(fitness, pop);
  for (let gen = 0; gen < Number(generations); gen++) {
    const best = Math.max(...scores);
    if (best === length) {
      console.log(`generation ${gen}: found the optimum (${best}/${length})`);
      return;
    }
    // Tournament selection here; crossover, mutation and evaluation on the workers.
    const pick = () => {
      const a = random.int(0, size);
      const b = random.int(0, size);
      return scores[a] >= scores[b] ? pop[a] : pop[b];
    };
    const parents = Array.from({ length: size }, () => [pick(), pick()] as const);
    const children = await futures.map(offspring, parents.map((p) => p[0]), parents.map((p) => p[1]));
    pop = children.map((c) => c.genome);
    scores = children.map((c) => c.score);
  }
  console.log(`best fitness after ${generations} generations: ${Math.max(...scores)}/${length}`);
}
