/**
 * The compile cache across runs: a run of an unchanged script reuses the
 * bundle an earlier run made, without starting esbuild (its JS in the
 * launcher and its Go service cost ~0.1 s of CPU while the workers boot).
 *
 * It must never hand out stale code, so an entry is used only when
 * everything that decided the bundle is as it was when it was made. The key
 * names what is fixed for a run (versions, options, the script, where the
 * bundle goes); the entry's manifest records what esbuild read or looked
 * for, and a hit re-checks all of it:
 * - `files`: each loaded file's sha256, and the sha256 or absence of every
 *   package.json / tsconfig.json / jsconfig.json / Yarn PnP file of every
 *   directory above each file (they change how it compiles or resolves),
 *   and of files a tsconfig `extends`;
 * - `dirs`: the listing of each directory an import looked in (a new
 *   `helper.js` beside `helper.ts` changes what `./helper.js` means);
 * - `links`: for each package import, each `node_modules/<name>` Node and
 *   esbuild would try before the one found (still absent) and the found
 *   one's real path (the bundle names the package's file by absolute path).
 * Any doubt (an unreadable file, a package `extends`, an import found by a
 * rule not modelled here) makes no entry: that script compiles every run.
 *
 * Entries live in a per-user directory (`$XDG_CACHE_HOME/scoop/compile` or
 * `~/.cache/scoop/compile`, 0700) that is used only if this user owns it and
 * no one else can write to it; each is written under a temporary name and
 * renamed, so concurrent runs never see half an entry.
 * `SCOOP_COMPILE_CACHE=0` turns the cache off.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";

/** Bumped when the manifest's meaning changes. */
const FORMAT = 1;
/** Entries kept (one per script, place and version set); the least recently used go first. */
const MAX_ENTRIES = 32;
/** Files esbuild reads in each directory above a source file, besides the sources themselves. */
const CONFIG_FILES = ["package.json", "tsconfig.json", "jsconfig.json", ".pnp.cjs", ".pnp.js", ".pnp.data.json"];
const RELATIVE_OR_ABSOLUTE = /^\.{0,2}\//;
/** A package name and the rest of the specifier: `@scope/name/sub` → `@scope/name`. */
const PACKAGE_NAME = /^(?:@[^/.][^/]*\/)?[^/.@][^/]*/;

/** What a compile read and decided, gathered by its plugin. */
export interface CompileRecord {
  /** Each file esbuild loaded (as esbuild names it: its real path) → sha256 of its bytes. */
  inputs: Map<string, string>;
  /** Each import: the directory it resolved from, the specifier as written, and for a package the file it resolved to. */
  imports: { resolveDir: string; specifier: string; packageFile?: string }[];
}

/** What a hit re-checks; see the module comment. */
interface Manifest {
  format: number;
  /** sha256 of the bundle (an entry damaged on disk is a miss). */
  bundle: string;
  files: Record<string, string | null>;
  dirs: Record<string, string>;
  links: Record<string, string | null>;
}

/** One script's entry in the cache: {@link lookup} before compiling, {@link store} after. */
export class CompileCache {
  private constructor(
    private readonly entry: string,
    private readonly log: Logger,
  ) {}

  /**
   * The entry for a compile described by `key` (everything fixed for the run:
   * versions, options, the script, where the bundle goes); the launcher's
   * own build is part of the key too. Undefined when the cache is off or its
   * directory cannot be trusted.
   */
  static open(key: unknown[], log: Logger): CompileCache | undefined {
    const dir = cacheDir(log);
    if (dir === undefined) return undefined;
    return new CompileCache(join(dir, sha256(JSON.stringify([FORMAT, key, launcherBuild()]))), log);
  }

  /** The cached bundle, if the entry exists, is intact and everything it recorded is unchanged. */
  lookup(): { bundle: Buffer } | { miss: string } {
    let data: Buffer;
    try {
      data = readFileSync(this.entry);
    } catch {
      return { miss: "no entry" };
    }
    try {
      const newline = data.indexOf(10);
      if (newline < 0) return { miss: "damaged entry" };
      const manifest = JSON.parse(data.subarray(0, newline).toString()) as Manifest;
      const bundle = data.subarray(newline + 1);
      if (manifest.format !== FORMAT || sha256(bundle) !== manifest.bundle) return { miss: "damaged entry" };
      if (!unchanged(manifest)) return { miss: "sources changed" };
      const now = new Date();
      utimesSync(this.entry, now, now); // recently used: pruned last
      return { bundle };
    } catch {
      return { miss: "damaged entry" };
    }
  }

  /**
   * Keep `bundle` for later runs, with what `record` says the compile read.
   * Not kept when something cannot be modelled, or when a file or directory
   * it depends on changed since `startedMs` (Date.now() before the compile):
   * esbuild may have seen it before or after the change.
   */
  store(bundle: Uint8Array, record: CompileRecord, startedMs: number): void {
    try {
      const manifest = manifestOf(record, sha256(bundle));
      if (typeof manifest === "string") return this.log.debug({ reason: manifest }, "compile cache: not kept");
      if (!settledBefore(manifest, startedMs)) return this.log.debug({ reason: "a source changed while it compiled" }, "compile cache: not kept");
      const temporary = `${this.entry}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
      writeFileSync(temporary, Buffer.concat([Buffer.from(`${JSON.stringify(manifest)}\n`), bundle]), { mode: 0o600 });
      renameSync(temporary, this.entry);
      prune(dirname(this.entry));
      this.log.debug({ entry: this.entry }, "compile cache: kept");
    } catch (error) {
      this.log.debug({ err: error }, "compile cache: not kept");
    }
  }
}

/**
 * The launcher's build: this module's file and its directory, by times and
 * size (every build rewrites the directory, every install makes it anew; a
 * bundler's shim may stand for this file, the directory is still ours).
 */
function launcherBuild(): (string | number)[] {
  const file = fileURLToPath(import.meta.url);
  const [f, d] = [statSync(file), statSync(dirname(file))];
  return [file, f.size, f.mtimeMs, f.ctimeMs, f.ino, d.mtimeMs, d.ctimeMs, d.ino];
}

/** The cache directory, created if need be; undefined when turned off or not safe to use. */
function cacheDir(log: Logger): string | undefined {
  if (process.env.SCOOP_COMPILE_CACHE === "0") return undefined;
  const uid = process.getuid?.();
  if (uid === undefined) return undefined; // no owner to check (Windows)
  const xdg = process.env.XDG_CACHE_HOME;
  const scoop = join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), ".cache"), "scoop");
  const dir = join(scoop, "compile");
  try {
    // Made only under a directory of this user's (`sudo scoop` must not leave root's directories in a user's home).
    let existing = dir;
    while (!existsSync(existing)) existing = dirname(existing);
    if (existing !== dir && statSync(existing).uid !== uid) {
      log.debug({ dir: existing }, "compile cache not used: the directory is not this user's alone");
      return undefined;
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const d of [scoop, dir]) {
      // Another user's directory, or one others can write to, could hand us their code.
      const s = lstatSync(d);
      if (!s.isDirectory() || s.uid !== uid || (s.mode & 0o022) !== 0) {
        log.debug({ dir: d }, "compile cache not used: the directory is not this user's alone");
        return undefined;
      }
    }
    return dir;
  } catch (error) {
    log.debug({ err: error, dir }, "compile cache not used: no directory");
    return undefined;
  }
}

/** The manifest of a compile, or why it cannot have one. */
function manifestOf(record: CompileRecord, bundle: string): Manifest | string {
  const m: Manifest = { format: FORMAT, bundle, files: {}, dirs: {}, links: {} };
  const configsAbove = (dir: string): string | undefined => {
    for (let d = dir; ; d = dirname(d)) {
      for (const name of CONFIG_FILES) {
        const file = join(d, name);
        if (file in m.files) continue;
        m.files[file] = hashOrNull(file);
        if (name.endsWith("config.json") && m.files[file] !== null) {
          const why = recordExtends(file, m);
          if (why !== undefined) return why;
        }
      }
      if (dirname(d) === d) return undefined;
    }
  };
  for (const [file, hash] of record.inputs) {
    m.files[file] = hash;
    const why = configsAbove(dirname(file));
    if (why !== undefined) return why;
  }
  for (const { resolveDir, specifier, packageFile } of record.imports) {
    if (RELATIVE_OR_ABSOLUTE.test(specifier)) {
      // The directory the import looks in, through any symbolic link, as it is now.
      const looked = dirname(resolve(resolveDir, specifier));
      const real = realOrNull(looked);
      if (real === null) return `${looked} is gone`;
      m.links[looked] = real;
      m.dirs[real] ??= listing(real);
      const why = configsAbove(real);
      if (why !== undefined) return why;
    } else if (packageFile !== undefined) {
      const why = recordPackage(resolveDir, specifier, packageFile, m);
      if (why !== undefined) return why;
    }
  }
  return m;
}

/**
 * A package import: Node and esbuild take the first `node_modules/<name>`
 * from the importer's directory up; the bundle names the file found by its
 * absolute path. Recorded: every closer candidate absent, the found one's
 * real path, the package's package.json files and the directories from its
 * root down to the file (what resolution inside the package read).
 */
function recordPackage(resolveDir: string, specifier: string, packageFile: string, m: Manifest): string | undefined {
  const name = PACKAGE_NAME.exec(specifier)?.[0];
  if (name === undefined) return `${specifier} is not a package name`;
  for (let d = resolveDir; ; d = dirname(d)) {
    const candidate = join(d, "node_modules", name);
    const real = realOrNull(candidate);
    m.links[candidate] = real;
    if (real !== null) {
      // Found by another rule (tsconfig paths, package imports, PnP): not modelled.
      if (!packageFile.startsWith(real + sep)) return `${specifier} resolved outside ${candidate}`;
      for (let inside = dirname(packageFile); ; inside = dirname(inside)) {
        m.dirs[inside] ??= listing(inside);
        m.files[join(inside, "package.json")] ??= hashOrNull(join(inside, "package.json"));
        if (inside === real) return undefined;
      }
    }
    if (dirname(d) === d) return `${specifier} is in no node_modules`;
  }
}

/** The files a tsconfig `extends` (relative or absolute paths only: a package's config is not modelled). */
function recordExtends(config: string, m: Manifest): string | undefined {
  const text = readFileSync(config, "utf8");
  if (!text.includes('"extends"')) return undefined;
  let parsed: { extends?: unknown };
  try {
    parsed = JSON.parse(withoutJsoncExtras(text)) as { extends?: unknown };
  } catch {
    return `${config} could not be read`;
  }
  const targets = typeof parsed.extends === "string" ? [parsed.extends] : parsed.extends;
  if (!Array.isArray(targets)) return `${config} extends something unexpected`;
  for (const target of targets) {
    if (typeof target !== "string" || !RELATIVE_OR_ABSOLUTE.test(target)) return `${config} extends a package`;
    const base = resolve(dirname(config), target);
    // esbuild tries the name as written, then with `.json`.
    for (const file of [base, `${base}.json`]) {
      if (file in m.files) continue;
      m.files[file] = hashOrNull(file);
      if (m.files[file] !== null) {
        const why = recordExtends(file, m);
        if (why !== undefined) return why;
      }
    }
  }
  return undefined;
}

/** tsconfig files are JSONC: comments and trailing commas removed (strings kept as they are). */
function withoutJsoncExtras(text: string): string {
  return text.replace(/("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (match, string: string | undefined) => string ?? "").replace(/,(\s*[}\]])/g, "$1");
}

/** Whether everything the manifest recorded is still so. */
function unchanged(m: Manifest): boolean {
  for (const [file, hash] of Object.entries(m.files)) if (hashOrNull(file) !== hash) return false;
  for (const [path, real] of Object.entries(m.links)) if (realOrNull(path) !== real) return false;
  for (const [dir, hash] of Object.entries(m.dirs)) if (listing(dir) !== hash) return false;
  return true;
}

/**
 * Whether nothing recorded changed after `startedMs`, less the coarseness of
 * file times (a kernel tick; a whole second on file systems that keep only
 * seconds), so the build saw what the manifest says.
 */
function settledBefore(m: Manifest, startedMs: number): boolean {
  const present = [...Object.keys(m.files).filter((f) => m.files[f] !== null), ...Object.keys(m.dirs), ...Object.keys(m.links).filter((l) => m.links[l] !== null)];
  for (const path of present) {
    const s = lstatSync(path);
    const changed = Math.max(s.mtimeMs, s.ctimeMs);
    if (changed >= startedMs - (changed % 1000 === 0 ? 2000 : 50)) return false;
  }
  return true;
}

/** Keep the newest {@link MAX_ENTRIES} entries (leftover temporary files count, and go first). */
function prune(dir: string): void {
  const names = readdirSync(dir);
  if (names.length <= MAX_ENTRIES) return;
  const byAge = names.map((name) => ({ path: join(dir, name), at: statSync(join(dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 })).sort((a, b) => a.at - b.at);
  for (const { path } of byAge.slice(0, names.length - MAX_ENTRIES)) rmSync(path, { force: true });
}

/** Hex sha256 of `data` (the compile plugin hashes what it loads with it too). */
export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A file's sha256, or null when there is no such file. */
function hashOrNull(file: string): string | null {
  // Most files looked for are absent: a stat says so without the cost of an exception.
  if (statSync(file, { throwIfNoEntry: false }) === undefined) return null;
  try {
    return sha256(readFileSync(file));
  } catch (error) {
    if (isAbsent(error)) return null;
    throw error;
  }
}

/** A path's real path, or null when there is nothing there. */
function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch (error) {
    if (isAbsent(error)) return null;
    throw error;
  }
}

function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** A directory's entries, their kinds and where its symbolic links point, as one hash. */
function listing(dir: string): string {
  const entries = readdirSync(dir, { withFileTypes: true }).map((e) => `${e.isDirectory() ? "d" : e.isSymbolicLink() ? `l${readlinkSync(join(dir, e.name))}` : "f"} ${e.name}`);
  return sha256(entries.sort().join("\0"));
}
