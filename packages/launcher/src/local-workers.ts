/**
 * Worker processes on this machine: spawned with the `scoop-worker` bin of the
 * installed `@scoop/worker`, their output forwarded, and reaped on every path.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { setPriority } from "node:os";
import { dirname, join } from "node:path";
import type { Logger } from "pino";
import { ScoopError, WORKER_MODE_ENV } from "@scoop/protocol";
import { createLinePrefixer, outputSink } from "./output.js";
import { signalExitCode, workerArgs, type LaunchedWorker, type WorkerSpec } from "./worker-spec.js";

let workerPackage: string | undefined;

/** Path of the installed `@scoop/worker`'s package.json (resolved once: a resolve is a few ms, on the way to each spawn). */
export function workerPackageJson(): string {
  return (workerPackage ??= createRequire(__filename).resolve("@scoop/worker/package.json"));
}

/** Path of the `scoop-worker` bin this launcher starts. */
export function workerBinPath(): string {
  return join(dirname(workerPackageJson()), "dist", "cli.js");
}

/**
 * glibc's malloc for worker processes on this machine, unless the user set
 * GLIBC_TUNABLES: buffers up to 32 MiB come from the heap instead of a fresh
 * mmap each, and up to 128 MiB freed at the heap's top stay mapped. A worker
 * reading 1 MiB arguments then reuses warm memory rather than faulting in
 * fresh pages: measured on this project's 2-core VM, its CPU for 840 MiB of
 * W5 read from the payload store fell from 2.3–3.5 s to 0.8–0.9 s, and
 * through the broker from 1.5 s to 1.1 s (resident memory unchanged).
 */
export const MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=134217728";

/** A worker process on this machine. */
export interface LocalWorker extends LaunchedWorker {
  readonly child: ChildProcess;
}

/** Start one worker process on this machine; `stdin` (e.g. secrets) is written to its standard input. */
export function spawnLocalWorker(spec: WorkerSpec, log: Logger, stdin?: string): LocalWorker {
  // A compile under way: its outcome (the compiled file, or an empty line: none) follows on standard input.
  const compiled = typeof spec.compiled === "object" ? spec.compiled.then((file) => `${file ?? ""}\n`) : undefined;
  if (compiled && stdin !== undefined) throw new ScoopError("SCOOP_INTERNAL", "a worker cannot read both its secrets and its compiled script on standard input");
  const env = process.env.GLIBC_TUNABLES === undefined && spec.env?.GLIBC_TUNABLES === undefined ? { ...spec.env, GLIBC_TUNABLES: MALLOC_TUNABLES } : spec.env;
  return spawnWorkerCommand([process.execPath, ...(spec.nodeArgs ?? []), workerBinPath(), ...workerArgs(spec)], { ...spec, env }, log, compiled ?? stdin);
}

/**
 * Start a local process that is (or starts) one worker: `argv[0]` is the
 * program (node itself, or a scheduler's tool such as `srun`). Its output is
 * forwarded (prefixed when `spec.prefix`), its niceness set, its exit awaited.
 */
export function spawnWorkerCommand(argv: readonly string[], spec: WorkerSpec & { host?: string }, log: Logger, stdin?: string | Promise<string>): LocalWorker {
  const child = spawn(argv[0], argv.slice(1), {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env, [WORKER_MODE_ENV]: "1", SCOOP_LOG_LEVEL: spec.logLevel },
    stdio: [stdin === undefined ? "ignore" : "pipe", spec.inherit ? "inherit" : "pipe", spec.inherit ? "inherit" : "pipe"],
  });
  if (stdin !== undefined) {
    child.stdin!.on("error", () => undefined); // the process may end before reading
    void Promise.resolve(stdin).then((text) => child.stdin!.end(text));
  }
  if (!spec.inherit) {
    const tag = spec.prefix ? `[${spec.id}] ` : "";
    child.stdout!.pipe(createLinePrefixer(tag)).pipe(outputSink("stdout"), { end: false });
    child.stderr!.pipe(createLinePrefixer(tag, spec.id)).pipe(outputSink("stderr"), { end: false });
  }
  if (spec.nice && child.pid !== undefined && spec.host === undefined) {
    try {
      setPriority(child.pid, spec.nice);
    } catch (error) {
      log.warn({ err: error, worker: spec.id }, "could not lower the worker's priority");
    }
  }
  const exited = new Promise<{ code: number; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("error", (error) => {
      log.error({ err: error, worker: spec.id, command: argv[0] }, `could not start ${argv[0]} for a worker: check that it is installed and on PATH`);
      resolve({ code: 127, signal: null });
    });
    child.once("exit", (code, signal) => resolve({ code: code ?? signalExitCode(signal), signal }));
  });
  return { id: spec.id, host: spec.host ?? "localhost", child, exited };
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
