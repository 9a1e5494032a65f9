/**
 * Worker processes on this machine: spawned with the `scoop-worker` bin of the
 * installed `@scoop/worker`, their output forwarded, and reaped on every path.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { setPriority } from "node:os";
import { dirname, join } from "node:path";
import type { Logger } from "pino";
import { createLinePrefixer } from "./output.js";
import { workerArgs, type LaunchedWorker, type WorkerSpec } from "./worker-spec.js";

/** Path of the `scoop-worker` bin this launcher starts. */
export function workerBinPath(): string {
  const require = createRequire(__filename);
  const pkg = require.resolve("@scoop/worker/package.json");
  return join(dirname(pkg), "dist", "cli.js");
}



const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };

/** A worker process on this machine. */
export interface LocalWorker extends LaunchedWorker {
  readonly child: ChildProcess;
}

/** Start one worker process on this machine; `stdin` (e.g. secrets) is written to its standard input. */
export function spawnLocalWorker(spec: WorkerSpec, log: Logger, stdin?: string): LocalWorker {
  const args = [workerBinPath(), ...workerArgs(spec)];
  const child = spawn(process.execPath, args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env, SCOOP_WORKER: "1", SCOOP_LOG_LEVEL: spec.logLevel },
    stdio: [stdin === undefined ? "ignore" : "pipe", spec.inherit ? "inherit" : "pipe", spec.inherit ? "inherit" : "pipe"],
  });
  if (stdin !== undefined) child.stdin!.end(stdin);
  if (!spec.inherit) {
    const tag = spec.prefix ? `[${spec.id}] ` : "";
    child.stdout!.pipe(createLinePrefixer(tag)).pipe(process.stdout, { end: false });
    child.stderr!.pipe(createLinePrefixer(tag)).pipe(process.stderr, { end: false });
  }
  if (spec.nice && child.pid !== undefined) {
    try {
      setPriority(child.pid, spec.nice);
    } catch (error) {
      log.warn({ err: error, worker: spec.id }, "could not lower the worker's priority");
    }
  }
  const exited = new Promise<{ code: number; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("error", (error) => {
      log.error({ err: error, worker: spec.id }, "could not start a worker process");
      resolve({ code: 127, signal: null });
    });
    child.once("exit", (code, signal) => resolve({ code: code ?? 128 + (SIGNAL_NUMBERS[signal ?? ""] ?? 0), signal }));
  });
  return { id: spec.id, host: "localhost", child, exited };
}

/**
 * Stop worker processes: SIGTERM, then SIGKILL for any still alive after
 * `graceMs`. Resolves when every one has exited.
 */
export async function stopLocalWorkers(workers: readonly LocalWorker[], graceMs: number): Promise<void> {
  const alive = (w: LocalWorker) => w.child.exitCode === null && w.child.signalCode === null;
  for (const w of workers) if (alive(w)) w.child.kill("SIGTERM");
  const timer = setTimeout(() => {
    for (const w of workers) if (alive(w)) w.child.kill("SIGKILL");
  }, graceMs);
  await Promise.all(workers.map((w) => w.exited));
  clearTimeout(timer);
}
