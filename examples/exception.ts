// A task that throws: main catches the error, with the remote stack and the
// worker that ran it. Run with: scoop examples/exception.ts
import { futures } from "@scoop/core";

export function checkedSqrt(x: number): number {
  if (x < 0) throw new RangeError(`cannot take the square root of ${x}`);
  return Math.sqrt(x);
}

export async function main(): Promise<number> {
  try {
    await futures.map(checkedSqrt, [4, 9, -1, 16]);
    console.log("no error?");
    return 1;
  } catch (error) {
    const e = error as Error & { code?: string; workerId?: string; remoteName?: string };
    console.log(`caught ${e.code}: ${e.message}`);
    console.log(`remote error type: ${e.remoteName}`);
    console.log(`worker: ${e.workerId}`);
    console.log(`remote stack mentions checkedSqrt: ${String(e.stack).includes("checkedSqrt")}`);
    return 0;
  }
}
