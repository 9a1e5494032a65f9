/**
 * Running a program's `main`: by the origin worker under `scoop`, or by core
 * itself when the script was started with plain `node`/`tsx` (serial fallback).
 */
import { realpathSync } from "node:fs";
import { inspect } from "node:util";
import { pathToFileURL } from "node:url";
import { ScoopError, isWorkerMode } from "@scoop/protocol";
import { registerModule, runtime } from "./runtime.js";

function report(error: unknown): void {
  const text = error instanceof ScoopError && error.code === "SCOOP_NO_MAIN" ? `scoop: ${error.message}` : inspect(error, { depth: 4 });
  process.stderr.write(`${text}\n`);
}

/**
 * Call the script's `main` (or its default export) with `argv` and resolve
 * with the exit code: the number `main` returns, else `process.exitCode`, else
 * 0; 1 (after printing the error) if it throws or there is no `main`.
 */
export async function runMain(namespace: Record<string, unknown>, argv: readonly string[]): Promise<number> {
  const main = typeof namespace.main === "function" ? namespace.main : typeof namespace.default === "function" ? namespace.default : undefined;
  if (main === undefined) {
    report(new ScoopError("SCOOP_NO_MAIN", 'the script exports no main function, so there is nothing to run: add "export async function main(...args: string[]) { … }" (or a default export); scoop calls it on the origin worker with the script\'s arguments'));
    return 1;
  }
  try {
    const code = await (main as (...args: string[]) => unknown)(...argv);
    if (typeof code === "number") return code;
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    report(error);
    return 1;
  }
}

/** The entry module's exports, without evaluating it again. */
async function entryExports(): Promise<Record<string, unknown> | undefined> {
  const cjs = (process as { mainModule?: { exports: unknown } }).mainModule;
  if (cjs) return cjs.exports as Record<string, unknown>;
  const entry = process.argv[1];
  if (!entry) return undefined;
  try {
    // The loader keys modules by real path: this returns the running instance.
    return (await import(pathToFileURL(realpathSync(entry)).href)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * When a script that imports `@scoop/core` is run directly (`tsx script.ts`),
 * run its exported `main` once it has loaded, as `scoop` would, through the
 * serial fallback. Skipped in workers, after `connect()`/`start()`, and when
 * the script already used `futures` at its top level (it drives itself).
 */
export function scheduleAutoMain(): void {
  if (runtime.autoMain) return;
  runtime.autoMain = true;
  setImmediate(() => {
    if (isWorkerMode() || runtime.managed || runtime.usedEarly) return;
    void entryExports().then(async (ns) => {
      if (!ns || isWorkerMode() || runtime.managed || runtime.usedEarly) return;
      const flat = typeof ns.default === "object" && ns.default !== null ? { ...(ns.default as Record<string, unknown>), ...ns } : ns;
      if (typeof flat.main !== "function" && typeof flat.default !== "function") return;
      try {
        registerModule(flat);
        runtime.exportsRegistered = true;
      } catch (error) {
        report(error);
        process.exitCode = 1;
        return;
      }
      process.exitCode = await runMain(flat, process.argv.slice(2));
    });
  });
}
