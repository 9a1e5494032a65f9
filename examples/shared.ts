// Shared constants: read-only data broadcast once to every worker.
// Run with: scoop examples/shared.ts
import { futures, shared } from "@scoop/core";

/** Look a word up in the shared dictionary. */
export async function translate(word: string): Promise<string> {
  const dictionary = (await shared.getConst("dictionary", { timeoutMs: 10_000 })) as Map<string, string>;
  return dictionary.get(word) ?? `?${word}`;
}

export async function main(): Promise<void> {
  await shared.setConst("dictionary", new Map([["one", "un"], ["two", "deux"], ["three", "trois"]]));
  const words = ["one", "two", "three", "four"];
  console.log((await futures.map(translate, words)).join(" "));
}
