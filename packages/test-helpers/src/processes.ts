/**
 * Test helpers for real processes: run a CLI and capture its output, and find
 * processes left behind, by a tag every spawned process inherits in its
 * environment (so tests running in parallel never see each other's).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

/** Repository root. */
export const REPO = resolve(__dirname, "..", "..", "..");
/** Built bins (the launcher's as its bin runs it: the CommonJS build). */
export const SCOOP_BIN = resolve(REPO, "packages/launcher/dist/cli.cjs");
export const BROKER_BIN = resolve(REPO, "packages/broker/dist/cli.js");
export const WORKER_BIN = resolve(REPO, "packages/worker/dist/cli.js");

/** A fresh tag to put in SCOOP_TEST_TAG. */
export const newTag = (): string => `scoop-test-${randomUUID()}`;

/** PIDs of live processes whose environment holds SCOOP_TEST_TAG=tag. */
export function processesTagged(tag: string): number[] {
  const needle = `SCOOP_TEST_TAG=${tag}`;
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      if (/^State:\s+Z/m.test(status)) continue; // a zombie is already dead
      if (readFileSync(`/proc/${entry}/environ`, "latin1").split("\0").includes(needle)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Poll `predicate` until it holds or `timeoutMs` passes; throws with `what` on timeout. */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Outcome of {@link runCli}. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A started CLI process, its output so far and its end. */
export interface CliProcess {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  done: Promise<CliRun>;
}

/** How {@link startCli} runs a CLI; `uid`/`gid` run it as another user (needs root). */
export interface CliOptions {
  tag: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  uid?: number;
  gid?: number;
}

/** Start `node bin args…` with SCOOP_TEST_TAG=tag; the process is killed if it outlives `timeoutMs`. */
export function startCli(bin: string, args: string[], options: CliOptions): CliProcess {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, ...options.env, SCOOP_TEST_TAG: options.tag },
    stdio: ["ignore", "pipe", "pipe"],
    uid: options.uid,
    gid: options.gid,
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  const done = new Promise<CliRun>((resolveRun) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
  return { child, output: () => ({ stdout, stderr }), done };
}

/** Run a CLI to its end. */
export function runCli(bin: string, args: string[], options: CliOptions): Promise<CliRun> {
  return startCli(bin, args, options).done;
}

/** Kill (SIGKILL) every process tagged `tag`; for afterEach clean-up when a test failed midway. */
export function killTagged(tag: string): void {
  for (const pid of processesTagged(tag)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Start `node args…` tagged with `tag`, collecting its stdout and stderr into `output`. */
export function spawnTagged(args: string[], tag: string, output: string[]): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, SCOOP_TEST_TAG: tag }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => output.push(String(d)));
  child.stderr!.on("data", (d) => output.push(String(d)));
  return child;
}

/**
 * Start a `scoop-broker` on a free loopback port (`--bind tcp://127.0.0.1:*`,
 * then `args`), tagged with `tag`, its output collected into `output`;
 * resolves once it printed the endpoint it listens on.
 */
export async function spawnBroker(tag: string, output: string[], args: string[] = []): Promise<{ broker: ChildProcess; endpoint: string }> {
  const broker = spawnTagged([BROKER_BIN, "--bind", "tcp://127.0.0.1:*", ...args], tag, output);
  const printed = () => /tcp:\/\/127\.0\.0\.1:\d+/.exec(output.join(""))?.[0];
  await waitUntil(() => printed() !== undefined, 20_000, "the broker to print its endpoint");
  return { broker, endpoint: printed()! };
}

/** The `code` of what `fn` throws (a test asserts codes, not messages); throws if `fn` does not throw. */
export function thrownCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as { code: string }).code;
  }
  throw new Error("did not throw");
}

/** Resolves when `child` has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once("exit", () => r()));
}

/** A small seeded generator (mulberry32): random schedules that are the same on every run. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Run `scoop args…` to its end under a fresh tag (recorded in `tags` for
 * clean-up), then wait until none of its processes is left: the launcher must
 * reap every worker before it exits.
 */
export async function runScoop(tags: string[], ...args: string[]): Promise<CliRun> {
  const tag = newTag();
  tags.push(tag);
  const run = await runCli(SCOOP_BIN, args, { tag });
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
  return run;
}
