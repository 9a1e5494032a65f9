// A small evolutionary algorithm (OneMax): evolve bit strings towards all ones,
// evaluating each generation's population in parallel with futures.map.
// Run with: scoop examples/onemax.ts [generations] [population] [bits]
import { futures } from "@scoop/core";

/** Fitness: the number of ones. (Real problems put an expensive simulation here.) */
export function fitness(genome: Uint8Array): number {
  let ones = 0;
  for (const bit of genome) ones += bit;
  return ones;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export async function main(generations = "40", population = "100", bits = "64"): Promise<void> {
  const random = rng(2024);
  const size = Number(population);
  const length = Number(bits);
  let pop = Array.from({ length: size }, () => Uint8Array.from({ length }, () => (random() < 0.5 ? 1 : 0)));
  let best = 0;
  for (let gen = 0; gen < Number(generations); gen++) {
    const scores = await futures.map(fitness, pop);
    best = Math.max(...scores);
    if (best === length) {
      console.log(`generation ${gen}: found the optimum (${best}/${length})`);
      return;
    }
    // Tournament selection, uniform crossover, bit-flip mutation.
    const pick = () => {
      const a = Math.floor(random() * size);
      const b = Math.floor(random() * size);
      return scores[a] >= scores[b] ? pop[a] : pop[b];
    };
    pop = Array.from({ length: size }, () => {
      const [x, y] = [pick(), pick()];
      return Uint8Array.from({ length }, (_, i) => {
        const bit = random() < 0.5 ? x[i] : y[i];
        return random() < 1 / length ? 1 - bit : bit;
      });
    });
  }
  console.log(`best fitness after ${generations} generations: ${best}/${length}`);
}
