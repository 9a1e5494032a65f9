/**
 * The REPL flow of a newcomer: `node -i`, `scoop.start()`, use it, `.exit`
 * without `stop()`. The process must end cleanly (no native crash from a
 * zeromq socket left open in the heartbeat thread) and leave no worker behind.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exited, newTag, processesTagged, REPO, waitUntil } from "@scoop/test-helpers";

const tag = newTag();
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "scoop-repl-"));
  writeFileSync(join(dir, "tasks.mjs"), "export function square(x) { return x * x; }\n");
});
afterAll(() => {
  for (const pid of processesTagged(tag)) process.kill(pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

test("scoop.start() then .exit: no native crash, no process left", async () => {
  // From examples/, a package that depends on @scoop/core and @scoop/launcher.
  const repl = spawn(process.execPath, ["-i"], { cwd: join(REPO, "examples"), env: { ...process.env, SCOOP_TEST_TAG: tag }, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  repl.stdout.on("data", (d) => (output += d));
  repl.stderr.on("data", (d) => (output += d));
  const end = new Promise<{ code: number | null; signal: string | null }>((r) => repl.once("close", (code, signal) => r({ code, signal })));
  const lines = [
    'const { scoop, futures } = await import("@scoop/core");',
    `await scoop.start({ workers: 2, modules: [${JSON.stringify(join(dir, "tasks.mjs"))}] });`,
    `const { square } = await import(${JSON.stringify(join(dir, "tasks.mjs"))});`,
    'console.log("squares", (await futures.map(square, [1, 2, 3])).join(","));',
    // Idle like a person reading the result: the heartbeat thread's socket is up by then (the crash needs it).
    "await new Promise((r) => setTimeout(r, 2500));",
    ".exit",
  ];
  for (const [i, line] of lines.entries()) {
    await waitUntil(() => output.split("> ").length > i + 1, 30_000, `the REPL prompt before line ${i + 1}`);
    repl.stdin.write(`${line}\n`);
  }
  expect(await end).toEqual({ code: 0, signal: null });
  expect(output).toContain("squares 1,4,9");
  expect(output).not.toMatch(/terminate called|Napi::Error|Warning/);
  await waitUntil(() => processesTagged(tag).length === 0, 3000, "no worker left after .exit");
  await exited(repl);
});
