/**
 * The packages are really publishable, and work as a newcomer uses them:
 * `pnpm pack` tarballs install into two fresh projects outside the workspace —
 * what `npm init -y` writes (CommonJS) and a `"type": "module"` one — where
 * ESM import, CommonJS require, the type declarations and the bins work, and
 * a task script in each of the six extensions runs under `scoop -n 2` and
 * serially (plain `tsx`/`node`, the serial fallback); the README's `connect()`
 * snippet runs against a keyed `scoop-broker`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { newTag, processesTagged, runCli, startCli, waitUntil, type CliProcess } from "@scoop/test-helpers";

const repo = resolve(__dirname, "..");
const packages = ["protocol", "core", "worker", "broker", "launcher"];
const PROJECTS = ["commonjs", "module"] as const;
type ProjectType = (typeof PROJECTS)[number];
let root: string;
const project = (type: ProjectType) => join(root, type);

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 });

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "scoop-pack-"));
  const tarballDir = join(root, "tarballs");
  for (const name of packages) {
    run("pnpm", ["pack", "--pack-destination", tarballDir], join(repo, "packages", name));
  }
  const tarballs = readdirSync(tarballDir).filter((f) => f.endsWith(".tgz"));
  expect(tarballs).toHaveLength(packages.length);
  for (const type of PROJECTS) {
    const dir = project(type);
    mkdirSync(dir);
    run("npm", ["init", "-y"], dir);
    if (type === "module") {
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      writeFileSync(join(dir, "package.json"), JSON.stringify({ ...manifest, type: "module" }, null, 2));
    }
    // tsx: the optional peer a project needs to run TypeScript scripts.
    run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs.map((t) => join(tarballDir, t)), "tsx"], dir);
  }
}, 400_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

test("every tarball carries the LICENSE, the README and the manifest's metadata", () => {
  for (const name of packages) {
    const dir = join(project("commonjs"), "node_modules", "@scoop", name);
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(["LICENSE", "README.md", "package.json"]));
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(manifest).toMatchObject({ license: "MIT", repository: { directory: `packages/${name}` }, bugs: { url: expect.any(String) } });
    expect(manifest.keywords.length).toBeGreaterThan(0);
  }
});

test("ESM import works", () => {
  const dir = project("commonjs");
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
  const dir = project("commonjs");
  writeFileSync(
    join(dir, "cjs.cjs"),
    `const { futures } = require("@scoop/core");
     const { Codec } = require("@scoop/protocol");
     console.log(typeof futures.map, typeof Codec);`,
  );
  expect(run("node", ["cjs.cjs"], dir).trim()).toBe("function function");
});

test("type declarations resolve for ESM and CJS consumers", () => {
  const dir = project("commonjs");
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

test("bins are installed and answer --version", () => {
  const dir = project("module");
  const bins = readdirSync(join(dir, "node_modules", ".bin"));
  expect(bins).toEqual(expect.arrayContaining(["scoop", "scoop-broker", "scoop-worker"]));
  const { version } = JSON.parse(readFileSync(join(repo, "packages", "core", "package.json"), "utf8"));
  for (const bin of ["scoop", "scoop-broker", "scoop-worker"]) {
    expect(run(join(dir, "node_modules", ".bin", bin), ["--version"], dir).trim()).toBe(version);
  }
});

/** One task script, written the way a user of each extension writes it. */
function script(ext: string): string {
  const body = (typed: boolean) => `export function square(x${typed ? ": number" : ""}) {
  return x * x;
}
export async function main(...args${typed ? ": string[]" : ""}) {
  const squares = await futures.map(square, [1, 2, 3, 4]);
  console.log("squares", squares.join(","), "args", args.join(" "));
}
`;
  if (ext === "cjs") {
    return `const { futures } = require("@scoop/core");
${body(false).replaceAll("export ", "")}module.exports = { square, main };
`;
  }
  return `import { futures } from "@scoop/core";\n${body(/ts$/.test(ext))}`;
}

/**
 * How a user runs each extension without scoop (serial fallback): `tsx file`;
 * a `.cts` file of a CommonJS project through tsx's CommonJS hook. (`tsx
 * x.cts` in a `"type": "module"` project crashes on Node 20 when the file
 * *imports* pino, a tsx/Node 20 loader bug, "cjsCache.get(job.url).exports";
 * SCOOP imports no pino: it requires it when it first logs, so that runs.)
 */
function serialCommand(type: ProjectType, dir: string, file: string): { cmd: string; args: string[] } {
  if (file.endsWith(".cts") && type === "commonjs") return { cmd: process.execPath, args: ["--require", "tsx/cjs", file] };
  return { cmd: join(dir, "node_modules", ".bin", "tsx"), args: [file] };
}

describe.each(PROJECTS)('a task script in a fresh %s project', (type) => {
  const tags: string[] = [];
  afterAll(() => {
    for (const tag of tags) expect(processesTagged(tag)).toEqual([]);
  });

  test.each(["ts", "mts", "cts", "js", "mjs", "cjs"])("app.%s runs under scoop -n 2 and serially", async (ext) => {
    const dir = project(type);
    const file = `app.${ext}`;
    writeFileSync(join(dir, file), script(ext));
    const tag = newTag();
    tags.push(tag);
    const scoop = await runCli(join(dir, "node_modules", "@scoop", "launcher", "bin", "scoop.cjs"), ["-n", "2", file, "a", "b"], { tag, cwd: dir, timeoutMs: 60_000 });
    expect({ code: scoop.code, stderr: scoop.stderr }).toEqual({ code: 0, stderr: "" });
    expect(scoop.stdout).toBe("squares 1,4,9,16 args a b\n");
    await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");

    const { cmd, args } = serialCommand(type, dir, file);
    const serial = spawnSync(cmd, [...args, "a", "b"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    expect({ status: serial.status, stdout: serial.stdout }).toEqual({ status: 0, stdout: "squares 1,4,9,16 args a b\n" });
    expect(serial.stderr).toMatch(/^scoop: warning: not launched by scoop/);
  });
});

test("the README's connect() snippet runs as written against a keyed scoop-broker", async () => {
  const dir = project("module");
  const readme = readFileSync(join(repo, "README.md"), "utf8");
  const snippet = /```ts\n(\/\/ app\.mjs[^]*?)```/.exec(readme)?.[1];
  expect(snippet).toContain("connect(");
  writeFileSync(join(dir, "tasks.js"), "export function square(x) { return x * x; }\n");
  const bin = (name: string) => join(dir, "node_modules", ".bin", name);
  run(bin("scoop-broker"), ["keygen", "--out", "."], dir); // broker.key + broker.pub here, where the snippet reads broker.pub
  const tag = newTag();
  const broker = startCli(join(dir, "node_modules", "@scoop", "broker", "bin", "scoop-broker.js"), ["-v", "--bind", "tcp://127.0.0.1:*", "--key", "broker.key"], { tag, cwd: dir, timeoutMs: 90_000 });
  let worker: CliProcess | undefined;
  try {
    await waitUntil(() => /^tcp:\/\/\S+$/m.test(broker.output().stdout), 30_000, "the broker's endpoint");
    const endpoint = /^(tcp:\/\/\S+)$/m.exec(broker.output().stdout)![1];
    worker = startCli(join(dir, "node_modules", "@scoop", "worker", "bin", "scoop-worker.js"), ["--broker", endpoint, "--server-key", "broker.pub", "--module", "./tasks.js"], { tag, cwd: dir, timeoutMs: 90_000 });
    await waitUntil(() => broker.output().stderr.includes('"msg":"peer joined"'), 30_000, "the worker to join");
    // Only the address differs from the README: "head" is the reader's broker host.
    writeFileSync(join(dir, "app.mjs"), snippet!.replace("tcp://head:5555", endpoint));
    const app = await runCli(join(dir, "app.mjs"), [], { tag, cwd: dir, timeoutMs: 60_000 });
    expect({ code: app.code, stdout: app.stdout, stderr: app.stderr }).toEqual({ code: 0, stdout: "[ 1, 4, 9 ]\n", stderr: "" });
  } finally {
    broker.child.kill("SIGTERM");
    worker?.child.kill("SIGTERM");
    await Promise.all([broker.done, worker?.done]);
  }
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
});
