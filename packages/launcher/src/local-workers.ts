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

/** Path of the `scoop-worker` bin this launcher starts. */
export function workerBinPath(): string {
  const require = createRequire(__filename);
  const pkg = require.resolve("@scoop/worker/package.json");
  return join(dirname(pkg), "dist", "cli.js");
}

/** What one local worker process runs. */
export interface LocalWorkerSpec {
  id: string;
  broker: string;
  app: string;
  /** Script whose exports are tasks (the origin also runs its main). */
  script?: string;
  modules?: string[];
  origin?: boolean;
  argv?: string[];
  cwd?: string;
  /** Niceness added to the process (0–19). */
  nice?: number;
  /** Prefix each output line with the worker id. */
  prefix?: boolean;
  /** Give the process the launcher's own stdout/stderr (the origin's output stays a terminal). */
  inherit?: boolean;
  logLevel: string;
  env?: NodeJS.ProcessEnv;
}

/** A worker process and the promise of its exit. */
export interface LocalWorker {
  readonly id: string;
  readonly child: ChildProcess;
  /** Exit code, or 128 + signal number when killed by a signal. */
  readonly exited: Promise<{ code: number; signal: NodeJS.Signals | null }>;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };

/** Start one worker process. */
export function spawnLocalWorker(spec: LocalWorkerSpec, log: Logger): LocalWorker {
  const args = [workerBinPath(), "--broker", spec.broker, "--id", spec.id, "--app", spec.app];
  for (const m of spec.modules ?? []) args.push("--module", m);
  if (spec.origin) args.push("--origin");
  if (spec.script) args.push("--", spec.script, ...(spec.argv ?? []));
  const child = spawn(process.execPath, args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env, SCOOP_WORKER: "1", SCOOP_LOG_LEVEL: spec.logLevel },
    stdio: spec.inherit ? ["inherit", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
  });
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
  return { id: spec.id, child, exited };
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
