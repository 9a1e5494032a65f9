/**
 * TypeScript compiled once per run, not once per worker. Under Node 20 a
 * worker that loads a `.ts` script through tsx starts tsx's loader thread
 * (a second Node environment) and sends every import of the process through
 * it: about 0.3 s of CPU per worker, measured on `scoop -n 2` (see the start
 * notes). The launcher bundles the script's own files (esbuild, the one tsx
 * ships) into one `.mjs` in the run's private directory; the workers of this
 * machine import that, with no loader. Packages stay outside the bundle,
 * imported from where Node finds them, so there is one copy of each (one
 * `@scoop/core`). Whatever the bundle could change is left to tsx, as before:
 * a file using `import.meta`, `__dirname`, `require` or a dynamic `import()`,
 * or a package that is itself TypeScript.
 */
import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import type { Logger } from "pino";
import { SCOOP_VERSION } from "@scoop/protocol";
import { CompileCache, sha256, type CompileRecord } from "./compile-cache.js";

const TS_EXTENSIONS = /\.(c|m)?tsx?$/;
/** What bundling would change: where a file is (`import.meta`, `__dirname`), or loading decided at run time. */
const PLACE_OR_RUNTIME_LOADING = /\bimport\.meta\b|\b__dirname\b|\b__filename\b|\brequire\s*\(|\bimport\s*\(/;
const RELATIVE_OR_ABSOLUTE = /^\.{0,2}\//;
/** Files Node loads without tsx. */
const PLAIN_JS = /\.(c|m)?js$|\.json$|\.node$/;
/** The build, besides where from and where to. */
const BUILD = {
  bundle: true,
  format: "esm",
  platform: "node",
  // As tsx compiles: for this Node, names kept (task names), with source maps for stack traces.
  target: `node${process.versions.node}`,
  keepNames: true,
  sourcemap: "inline",
  logLevel: "silent",
  // Written by compileScript: the same bytes go to the compile cache.
  write: false,
};

/** The subset of esbuild's API used here (esbuild is tsx's dependency, not ours). */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ outputFiles: { contents: Uint8Array }[] }>;
  /** Ends esbuild's service process (a later build starts a new one). */
  stop(): Promise<void> | void;
}

/** Where esbuild is, as tsx resolves it from where the worker resolves tsx; undefined when tsx is not installed. */
function findEsbuild(workerPackageJson: string): { main: string; version?: string } | undefined {
  let main: string;
  try {
    const tsx = createRequire(workerPackageJson).resolve("tsx/package.json");
    main = createRequire(tsx).resolve("esbuild");
  } catch {
    return undefined;
  }
  try {
    return { main, version: (JSON.parse(readFileSync(createRequire(main).resolve("esbuild/package.json"), "utf8")) as { version: string }).version };
  } catch {
    return { main }; // no version to key the compile cache with
  }
}

/** Thrown by the plugin: this script stays with tsx. */
class NotBundled extends Error {}

/**
 * Bundle a TypeScript `script` into `outDir`; resolves with the `.mjs` file
 * the workers import, or undefined when the script is not TypeScript, tsx is
 * not installed, or bundling might change what the script does (the workers
 * then load it through tsx, which also reports its errors). A script
 * compiled by an earlier run and unchanged since is taken from the compile
 * cache (compile-cache.ts) without starting esbuild.
 */
export async function compileScript(script: string, outDir: string, workerPackageJson: string, log: Logger): Promise<string | undefined> {
  if (!TS_EXTENSIONS.test(script)) return undefined;
  const esbuildAt = findEsbuild(workerPackageJson);
  if (esbuildAt === undefined) return undefined;
  const outfile = join(outDir, `${basename(script).replace(TS_EXTENSIONS, "")}.mjs`);
  const startedMs = Date.now();
  const started = performance.now();
  const cache = esbuildAt.version === undefined ? undefined : openCache(script, outfile, esbuildAt.main, esbuildAt.version, log);
  const cached = cache?.lookup();
  if (cached !== undefined && "bundle" in cached) {
    writeFileSync(outfile, cached.bundle);
    log.debug({ script, compiled: outfile, cache: "hit", ms: Math.round(performance.now() - started) }, "compiled the script once for this machine's workers (from the compile cache)");
    return outfile;
  }
  const esbuild = createRequire(esbuildAt.main)(esbuildAt.main) as Esbuild;
  const record: CompileRecord = { inputs: new Map(), imports: [] };
  let bundle: Uint8Array;
  try {
    const result = await esbuild.build({
      ...BUILD,
      entryPoints: [script],
      outfile,
      plugins: [
        {
          name: "scoop-packages-outside",
          setup(build: EsbuildPluginBuild) {
            build.onResolve({ filter: /.*/ }, async (args) => {
              if (args.kind === "entry-point" || args.pluginData === "scoop-inner") return undefined;
              const found = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: "scoop-inner" });
              if (found.errors.length > 0) throw new NotBundled(`cannot resolve ${args.path}`);
              const inside = RELATIVE_OR_ABSOLUTE.test(args.path);
              record.imports.push({ resolveDir: args.resolveDir, specifier: args.path, packageFile: inside || found.external ? undefined : found.path });
              if (found.external) return { path: args.path, external: true }; // node: builtins
              // A path is one of the script's own files: bundled. A package (a name) is imported from where Node finds it.
              if (inside) return undefined;
              if (!PLAIN_JS.test(found.path)) throw new NotBundled(`${found.path} needs tsx`);
              return { path: found.path, external: true };
            });
            build.onLoad({ filter: /.*/ }, (args) => {
              const source = readFileSync(args.path);
              if (PLACE_OR_RUNTIME_LOADING.test(source.toString())) throw new NotBundled(`${args.path} depends on where it is or loads at run time`);
              record.inputs.set(args.path, sha256(source));
              return undefined;
            });
          },
        },
      ],
    });
    bundle = result.outputFiles[0]!.contents;
  } catch (error) {
    log.debug({ err: error, script }, "the script is loaded through tsx by each worker");
    return undefined;
  } finally {
    // One compile per run: its service process need not stay for the run.
    void esbuild.stop();
  }
  writeFileSync(outfile, bundle);
  log.debug({ script, compiled: outfile, cache: cached?.miss ?? "off", ms: Math.round(performance.now() - started) }, "compiled the script once for this machine's workers");
  cache?.store(bundle, record, startedMs);
  return outfile;
}

/**
 * The compile cache's entry for this compile: keyed by everything fixed for
 * the run (the bundle's source map names the sources relative to the
 * bundle's directory, whose own name is random but whose parent is not).
 */
function openCache(script: string, outfile: string, esbuild: string, esbuildVersion: string, log: Logger): CompileCache | undefined {
  try {
    const key = [SCOOP_VERSION, esbuild, esbuildVersion, process.versions.node, BUILD, resolve(script), realpathSync(script), basename(outfile), dirname(dirname(outfile)), process.cwd(), process.env.NODE_PATH, process.env.ESBUILD_BINARY_PATH];
    return CompileCache.open(key, log);
  } catch (error) {
    log.debug({ err: error }, "compile cache not used");
    return undefined;
  }
}

/** The part of esbuild's plugin API used here. */
interface EsbuildPluginBuild {
  onResolve(options: { filter: RegExp }, callback: (args: { path: string; kind: string; importer: string; resolveDir: string; pluginData?: unknown }) => Promise<{ path: string; external: boolean } | undefined>): void;
  onLoad(options: { filter: RegExp }, callback: (args: { path: string }) => undefined): void;
  resolve(path: string, options: { kind: string; importer: string; resolveDir: string; pluginData: unknown }): Promise<{ path: string; external: boolean; errors: unknown[] }>;
}
