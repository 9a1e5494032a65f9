/**
 * Loading the user's script or task modules: TypeScript and JavaScript, ESM
 * and CommonJS. `.ts` files go through tsx's loader, registered on demand so
 * plain JavaScript workers pay nothing for it.
 */
import { existsSync, realpathSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ScoopError } from "@scoop/protocol";

const TS_EXTENSIONS = /\.(c|m)?tsx?$/;
let tsxRegistered: Promise<void> | undefined;

async function registerTsx(): Promise<void> {
  tsxRegistered ??= (async () => {
    const esm = await import("tsx/esm/api");
    esm.register();
    const cjs = await import("tsx/cjs/api");
    cjs.register();
  })();
  return tsxRegistered;
}

/**
 * Import a module by path (relative to `cwd`) and return its namespace.
 * @throws {ScoopError} `SCOOP_SCRIPT_NOT_FOUND` or `SCOOP_SCRIPT_LOAD_FAILED`, naming the file and the cause.
 */
export async function loadModule(path: string, cwd = process.cwd()): Promise<Record<string, unknown>> {
  const absolute = resolve(cwd, path);
  if (!existsSync(absolute)) {
    throw new ScoopError("SCOOP_SCRIPT_NOT_FOUND", `cannot find the script ${absolute}: check the path (relative paths start from ${cwd})`);
  }
  const real = realpathSync(absolute);
  if (TS_EXTENSIONS.test(real)) await registerTsx();
  try {
    return (await import(pathToFileURL(real).href)) as Record<string, unknown>;
  } catch (error) {
    const e = error as Error;
    throw new ScoopError("SCOOP_SCRIPT_LOAD_FAILED", `cannot load ${real}: ${e?.name ?? "Error"}: ${e?.message ?? String(error)}`, { cause: error });
  }
}

/** The functions a module exports: named exports, plus those of a CommonJS `module.exports` object. */
export function exportedFunctions(namespace: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const cjs = namespace.default;
  if (typeof cjs === "object" && cjs !== null) {
    for (const [name, value] of Object.entries(cjs)) if (typeof value === "function") out[name] = value;
  }
  for (const [name, value] of Object.entries(namespace)) if (typeof value === "function") out[name] = value;
  return out;
}
