/**
 * A script run with plain Node (through tsx) still works: core registers its
 * exports, runs `main` on the serial fallback with the script's arguments and
 * uses its return value as the exit code.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

function run(fixture: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(__dirname, "../fixtures", fixture), ...args], { encoding: "utf8", timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("main runs once with the script's arguments and sets the exit code", () => {
  const r = run("auto-main.ts", "1", "2", "21");
  expect(r.stdout).toBe("doubled 2 4 42\n");
  expect(r.code).toBe(3);
  // Exactly one warning line about the serial fallback.
  expect(r.stderr.trim().split("\n")).toEqual([expect.stringContaining("not launched by scoop")]);
});

test("a script that calls its own main is not run twice", () => {
  const r = run("self-driven.ts");
  expect(r.stdout).toBe("ran main: 2,4\n");
  expect(r.code).toBe(0);
});

test("an error thrown by a task reaches main and the exit code is 1", () => {
  const r = run("throwing-main.ts");
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("SCOOP_TASK_FAILED");
  expect(r.stderr).toContain("kaboom");
});
