/**
 * The compile cache across runs (compile-cache.ts): a run of an unchanged
 * script takes the bundle an earlier run made, and no change that alters
 * what the script does is ever answered with the old bundle. Each test
 * changes the project while the cache holds an entry for its state before
 * (the run before it kept or used one), so a stale hit would print the old
 * output; each of the checks (file contents, files above the sources,
 * directory listings, package locations) has a test that fails without it.
 * Real runs of `scoop`, with their own cache directory.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { killTagged, newTag, processesTagged, REPO, runCli, SCOOP_BIN, waitUntil } from "@scoop/test-helpers";

const tags: string[] = [];
const root = mkdtempSync(join(tmpdir(), "scoop-compile-cache-"));
const cacheHome = join(root, "cache");
const entries = () => readdirSync(join(cacheHome, "scoop", "compile"));
const app = join(root, "app");
const write = (name: string, text: string) => writeFileSync(join(app, name), text);

beforeAll(() => {
  mkdirSync(join(app, "node_modules", "@scoop"), { recursive: true });
  symlinkSync(join(REPO, "packages", "core"), join(app, "node_modules", "@scoop", "core"));
  // The tasks come from an imported file; main's module-level class shows how class fields compiled.
  write(
    "main.ts",
    [
      'import { futures } from "@scoop/core";',
      'import { tag } from "./helper.js";',
      'import { fmt } from "./lib/fmt.js";',
      "export { tag };",
      'let fields = "defined";',
      "class Base {",
      "  set v(_: number) {",
      '    fields = "assigned";',
      "  }",
      "}",
      "class Fields extends Base {",
      "  v = 1;",
      "}",
      "new Fields();",
      "export async function main(): Promise<void> {",
      '  console.log(`${(await futures.map(tag, [1, 2])).join(" ")} fields ${fields} fmt ${fmt}`);',
      "}",
      "",
    ].join("\n"),
  );
  write("helper.ts", 'export function tag(x: number): string {\n  return `v1:${x}`;\n}\n');
  // A package the bundle imports by absolute path; lib/node_modules is there, empty, until a test puts a closer copy in it.
  fakePackage(app, "outer");
  mkdirSync(join(app, "lib", "node_modules"), { recursive: true });
  write("lib/fmt.ts", 'export { fmt } from "fmt";\n');
});

/** A package `fmt` in `dir`/node_modules whose export says which copy it is. */
function fakePackage(dir: string, copy: string): void {
  mkdirSync(join(dir, "node_modules", "fmt"), { recursive: true });
  writeFileSync(join(dir, "node_modules", "fmt", "package.json"), '{ "name": "fmt", "type": "module", "main": "index.js" }\n');
  writeFileSync(join(dir, "node_modules", "fmt", "index.js"), `export const fmt = "${copy}";\n`);
}
afterAll(() => {
  tags.forEach(killTagged);
  rmSync(root, { recursive: true, force: true });
});

/**
 * `scoop --debug -n 2 app/main.ts` with this test's cache directory; waits
 * until none of its processes is left. Its stdout without the `[w0]` that
 * --debug puts before main's lines.
 */
async function run(env: NodeJS.ProcessEnv = {}) {
  const tag = newTag();
  tags.push(tag);
  const done = await runCli(SCOOP_BIN, ["--debug", "-n", "2", join(app, "main.ts")], { tag, env: { XDG_CACHE_HOME: cacheHome, ...env } });
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
  expect(done.code).toBe(0);
  return { ...done, stdout: done.stdout.replace(/^\[w0\] /gm, "") };
}

test("a second run of an unchanged script takes its compile from the cache and prints the same", async () => {
  const first = await run();
  expect(first.stdout).toBe("v1:1 v1:2 fields defined fmt outer\n");
  expect(first.stderr).toContain("cache=no entry");
  expect(first.stderr).toContain("compile cache: kept");
  const second = await run();
  expect(second.stdout).toBe(first.stdout);
  expect(second.stderr).toContain("(from the compile cache)");
  expect(second.stderr).not.toContain("loaded through tsx");
});

test("a rebuilt launcher does not take the entries of the build before", async () => {
  // A build rewrites the launcher's dist directory: a file made and removed there changes it the same way.
  const marker = join(dirname(SCOOP_BIN), `compile-cache-test-${process.pid}`);
  writeFileSync(marker, "");
  rmSync(marker);
  const rebuilt = await run();
  expect(rebuilt.stdout).toBe("v1:1 v1:2 fields defined fmt outer\n");
  expect(rebuilt.stderr).toContain("cache=no entry");
});

// In order: each starts from the state the one before left cached.
test.each([
  ["an edited imported file is compiled again: the new code runs", () => write("helper.ts", 'export function tag(x: number): string {\n  return `v2:${x}`;\n}\n'), "v2:1 v2:2 fields defined fmt outer"],
  // esbuild takes ./helper.js itself when it exists, before helper.ts.
  ["a new .js file that the same import now resolves to is used", () => write("helper.js", "export function tag(x) {\n  return `js:${x}`;\n}\n"), "js:1 js:2 fields defined fmt outer"],
  // Above the script's directory: only the check of the files above each source sees it.
  ["a new tsconfig.json in a parent directory that changes the output is compiled with", () => writeFileSync(join(root, "tsconfig.json"), '{ "compilerOptions": { "useDefineForClassFields": false } }\n'), "js:1 js:2 fields assigned fmt outer"],
  // The bundle names app/node_modules/fmt/index.js; Node and esbuild now find lib/node_modules/fmt first.
  ["a package installed closer to the importing file than the one the bundle names is used", () => fakePackage(join(app, "lib"), "inner"), "js:1 js:2 fields assigned fmt inner"],
])("%s", async (_what, change, printed) => {
  change();
  const changed = await run();
  expect(changed.stdout).toBe(`${printed}\n`);
  expect(changed.stderr).toContain("cache=sources changed");
  expect(changed.stderr).toContain("compile cache: kept");
});

test("a cache directory others can write to, or a damaged entry, is not used; the run compiles and succeeds", async () => {
  const dir = join(cacheHome, "scoop", "compile");
  chmodSync(dir, 0o777);
  const open = await run();
  expect(open.stdout).toBe("js:1 js:2 fields assigned fmt inner\n");
  expect(open.stderr).toContain("compile cache not used: the directory is not this user's alone");
  expect(open.stderr).not.toContain("from the compile cache");
  chmodSync(dir, 0o700);
  // A manifest with nothing to re-check, before a bundle that is not the one it names.
  for (const entry of entries()) writeFileSync(join(dir, entry), '{"format":1,"bundle":"0","files":{},"dirs":{},"links":{}}\nconsole.log("not this")\n');
  const damaged = await run();
  expect(damaged.stdout).toBe("js:1 js:2 fields assigned fmt inner\n");
  expect(damaged.stderr).toContain("cache=damaged entry");
  expect(damaged.stderr).toContain("compile cache: kept");
});

test("SCOOP_COMPILE_CACHE=0 turns the cache off: nothing is read or written", async () => {
  rmSync(cacheHome, { recursive: true, force: true });
  const off = await run({ SCOOP_COMPILE_CACHE: "0" });
  expect(off.stdout).toBe("js:1 js:2 fields assigned fmt inner\n");
  expect(off.stderr).toContain("cache=off");
  expect(() => entries()).toThrow(/ENOENT/);
});
