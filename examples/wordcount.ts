// mapReduce word count over generated text. Run with: scoop examples/wordcount.ts [documents]
import { futures } from "@scoop/core";

const WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"];

/** A deterministic document: `length` words picked by a simple generator. */
export function makeDocument(seed: number, length: number): string {
  const words: string[] = [];
  let s = seed;
  for (let i = 0; i < length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    words.push(WORDS[s % WORDS.length]);
  }
  return words.join(" ");
}

/** Count the words of one document. */
export function countWords(seed: number, length: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of makeDocument(seed, length).split(" ")) counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

/** Merge two counts (runs on the caller as results arrive). */
export function merge(a: Map<string, number>, b: Map<string, number>): Map<string, number> {
  const out = new Map(a);
  for (const [word, n] of b) out.set(word, (out.get(word) ?? 0) + n);
  return out;
}

export async function main(documents = "200"): Promise<void> {
  const n = Number(documents);
  const seeds = Array.from({ length: n }, (_, i) => i);
  const counts = await futures.mapReduce(countWords, merge, seeds, Array(n).fill(1000));
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  console.log(`${total} words in ${n} documents`);
  for (const [word, count] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) console.log(`${word} ${count}`);
}
