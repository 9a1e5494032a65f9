/**
 * No Node warnings in any run (MaxListenersExceededWarning, unhandled
 * rejections, deprecations…). Every node process a test file starts — through
 * the shared helpers or any other spawn that keeps the environment, and every
 * worker those start in turn — writes its warnings to one file per test file
 * (`--redirect-warnings` in NODE_OPTIONS, which children inherit); warnings
 * of the jest worker itself are collected too. `no-node-warnings.ts` fails the
 * test file's run if any was printed.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where the warnings of processes started by the test file `testPath` go. */
export function warningsFile(testPath: string): string {
  const dir = join(tmpdir(), "scoop-test-warnings");
  mkdirSync(dir, { recursive: true });
  return join(dir, `${createHash("sha1").update(`${testPath}:${process.pid}`).digest("hex").slice(0, 16)}.log`);
}

/** `NODE_OPTIONS` with warnings redirected to `file` (any earlier redirection replaced). */
export function nodeOptionsRedirecting(file: string, current = process.env.NODE_OPTIONS ?? ""): string {
  return [...current.split(/\s+/).filter((o) => o !== "" && !o.startsWith("--redirect-warnings")), `--redirect-warnings=${file}`].join(" ");
}

/** Warnings written to `file` so far, one entry per warning (its first line). */
export function readWarnings(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text.split("\n").filter((line) => /^\(node:\d+\) /.test(line));
}

/** Forget the warnings of `file`. */
export function clearWarnings(file: string): void {
  rmSync(file, { force: true });
}
