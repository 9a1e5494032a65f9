/**
 * Loading the user's script or task modules: TypeScript and JavaScript, ESM
 * and CommonJS, in a `"type": "module"` project or a CommonJS one — whatever
 * `tsx script` runs. `.ts` files (and ESM-syntax `.js` files in a CommonJS
 * project) go through tsx's loader, registered on demand so plain JavaScript
 * workers pay nothing for it and need no tsx installed.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ScoopError } from "@scoop/protocol";

const TS_EXTENSIONS = /\.(c|m)?tsx?$/;
/** An `import`/`export` statement at the start of a line: ESM syntax. */
const ESM_SYNTAX = /^\s*(import\s*[\w{*"']|export\s)/m;
let tsxRegistered: Promise<void> | undefined;

async function registerTsx(file: string): Promise<void> {
  tsxRegistered ??= (async () => {
    try {
      const esm = await import("tsx/esm/api");
      esm.register();
      const cjs = await import("tsx/cjs/api");
      cjs.register();
    } catch (error) {
      tsxRegistered = undefined;
      throw new ScoopError(
        "SCOOP_SCRIPT_LOAD_FAILED",
        `cannot load ${file}: it needs tsx (TypeScript, or ESM syntax in a CommonJS project), which is not installed: run "npm install tsx" in the project, or run plain JavaScript`,
        { cause: error },
      );
    }
  })();
  return tsxRegistered;
}

/** The `"type"` of the package that owns `file` (nearest package.json), as Node decides it. */
function packageType(file: string): "module" | "commonjs" {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, "utf8")) as { type?: string }).type === "module" ? "module" : "commonjs";
      } catch {
        return "commonjs";
      }
    }
    if (dirname(dir) === dir) return "commonjs";
  }
}

/** Whether Node alone cannot load `file`, but tsx can. */
function needsTsx(file: string): boolean {
  if (TS_EXTENSIONS.test(file)) return true;
  // `import` in a `.js` file of a CommonJS project: Node refuses it, tsx compiles it.
  return file.endsWith(".js") && packageType(file) === "commonjs" && ESM_SYNTAX.test(readFileSync(file, "utf8"));
}

/**
 * A CommonJS module (or TypeScript compiled to CommonJS) imported from ESM
 * comes back as `{ default: module.exports }`: lift its members to the top,
 * so `main` and the task functions are found whatever the module system.
 */
function flatten(namespace: Record<string, unknown>): Record<string, unknown> {
  const inner = namespace.default;
  if (typeof inner !== "object" || inner === null || Array.isArray(inner)) return namespace;
  return { ...(inner as Record<string, unknown>), ...namespace };
}

/**
 * Import a module by path (relative to `cwd`) and return its exports:
 * the ESM namespace, with a CommonJS module's `module.exports` members lifted
 * to the top (`main`, task functions). `compiled`: the module already
 * compiled to JavaScript (by the launcher), imported in its place; errors
 * still name `path`.
 * @throws {ScoopError} `SCOOP_SCRIPT_NOT_FOUND` or `SCOOP_SCRIPT_LOAD_FAILED`, naming the file and the cause.
 */
export async function loadModule(path: string, cwd = process.cwd(), compiled?: string): Promise<Record<string, unknown>> {
  const absolute = resolve(cwd, path);
  if (!existsSync(absolute)) {
    throw new ScoopError("SCOOP_SCRIPT_NOT_FOUND", `cannot find the script ${absolute}: check the path (relative paths start from ${cwd})`);
  }
  const real = realpathSync(absolute);
  // Compiled by the launcher (with an inline source map): stack traces name the TypeScript lines, as under tsx.
  if (compiled !== undefined) process.setSourceMapsEnabled(true);
  else if (needsTsx(real)) await registerTsx(real);
  try {
    return flatten((await import(pathToFileURL(compiled ?? real).href)) as Record<string, unknown>);
  } catch (error) {
    const e = error as Error;
    throw new ScoopError("SCOOP_SCRIPT_LOAD_FAILED", `cannot load ${real}: ${e?.name ?? "Error"}: ${e?.message ?? String(error)}`, { cause: error });
  }
}

/** The functions a module exports: named exports, plus those of a CommonJS `module.exports` object. */
export function exportedFunctions(namespace: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(flatten(namespace))) if (typeof value === "function") out[name] = value;
  return out;
}
