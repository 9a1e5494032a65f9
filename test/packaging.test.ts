/**
 * The packages are really publishable: `pnpm pack` tarballs install into an
 * empty project outside the workspace, where ESM import, CommonJS require and
 * the type declarations all work.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repo = resolve(__dirname, "..");
const packages = ["protocol", "core", "worker", "broker", "launcher"];
let dir: string;

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "scoop-pack-"));
  for (const name of packages) {
    run("pnpm", ["pack", "--pack-destination", dir], join(repo, "packages", name));
  }
  const tarballs = readdirSync(dir).filter((f) => f.endsWith(".tgz"));
  expect(tarballs).toHaveLength(packages.length);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true }));
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs.map((t) => `./${t}`)], dir);
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("ESM import works", () => {
  writeFileSync(
    join(dir, "esm.mjs"),
    `import { futures } from "@scoop/core";
     import { Codec } from "@scoop/protocol";
     import { startBroker } from "@scoop/broker";
     import { startWorker } from "@scoop/worker";
     console.log(typeof futures.map, typeof Codec, typeof startBroker, typeof startWorker);`,
  );
  expect(run("node", ["esm.mjs"], dir).trim()).toBe("function function function function");
});

test("CommonJS require works", () => {
  writeFileSync(
    join(dir, "cjs.cjs"),
    `const { futures } = require("@scoop/core");
     const { Codec } = require("@scoop/protocol");
     console.log(typeof futures.map, typeof Codec);`,
  );
  expect(run("node", ["cjs.cjs"], dir).trim()).toBe("function function");
});

test("type declarations resolve for ESM and CJS consumers", () => {
  writeFileSync(
    join(dir, "check.mts"),
    `import { futures, type Future } from "@scoop/core";
     export const f: (xs: number[]) => Promise<number[]> = async (xs) => futures.map(Math.abs, xs);
     export type F = Future<number>;`,
  );
  writeFileSync(join(dir, "check.cts"), `import core = require("@scoop/core");\nexport const m = core.futures.map;`);
  const tsc = join(repo, "node_modules", "typescript", "bin", "tsc");
  run("node", [tsc, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--skipLibCheck", "false", "--types", "node", "--typeRoots", join(repo, "node_modules", "@types"), "check.mts", "check.cts"], dir);
});

test("bins are installed", () => {
  const bins = readdirSync(join(dir, "node_modules", ".bin"));
  expect(bins).toEqual(expect.arrayContaining(["scoop", "scoop-broker", "scoop-worker"]));
});
