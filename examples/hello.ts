// Run with: scoop -n 4 examples/hello.ts   (or without scoop: npx tsx examples/hello.ts)
import { futures } from "@scoop/core";

export function helloWorld(value: number): string {
  return `Hello World from Future #${value}`;
}

export async function main(): Promise<void> {
  const values = await futures.map(helloWorld, Array.from({ length: 16 }, (_, i) => i));
  console.log(values.join("\n"));
}
