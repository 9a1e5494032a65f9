/**
 * Running a program: start the broker (in this process), the workers (child
 * processes, the first one the origin), wait for the origin, end the run and
 * leave nothing behind — on success, failure, SIGINT or SIGTERM alike.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type { Logger } from "pino";
import { startBroker, type Broker } from "@scoop/broker";
import { InvalidOptionError, ScoopError } from "@scoop/protocol";
import { spawnLocalWorker, stopLocalWorkers, type LocalWorker } from "./local-workers.js";

/** Options of {@link runProgram}. */
export interface RunOptions {
  /** The program: a `.ts`, `.mts`, `.js`, `.mjs` or `.cjs` file exporting `main`. */
  script: string;
  /** Arguments passed to `main`. @default [] */
  argv?: string[];
  /** Number of workers, the origin included. @default the number of cores */
  workers?: number;
  /** Working directory of the workers. @default process.cwd() */
  cwd?: string;
  /** Niceness of the worker processes (0–19). @default 0 */
  nice?: number;
  /** Prefix the workers' output with their id. @default false */
  prefixOutput?: boolean;
  /** Level of the workers' logs. @default "warn" */
  logLevel?: string;
  /** Broker liveness bound (a silent worker is lost after this long). @default 5000 */
  livenessMs?: number;
  /** Heartbeat interval. @default 1000 */
  heartbeatMs?: number;
  /** How long workers get to exit after the run ends before SIGKILL. @default 5000 */
  graceMs?: number;
  logger: Logger;
  /** Aborting ends the run: workers are stopped and the run resolves with 130. */
  signal?: AbortSignal;
}

/** Validated {@link RunOptions}. */
export function resolveRunOptions(options: RunOptions): Required<Omit<RunOptions, "signal">> & { signal?: AbortSignal } {
  const cwd = resolve(options.cwd ?? process.cwd());
  const script = resolve(cwd, options.script);
  if (!existsSync(script)) {
    throw new ScoopError("SCOOP_SCRIPT_NOT_FOUND", `cannot find the script ${script}: check the path (relative paths start from ${cwd})`);
  }
  const workers = options.workers ?? availableParallelism();
  if (!Number.isSafeInteger(workers) || workers < 1) throw new InvalidOptionError(`the number of workers must be a positive integer (got ${workers})`);
  const nice = options.nice ?? 0;
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new InvalidOptionError(`nice must be an integer from 0 to 19 (got ${nice})`);
  return {
    script,
    argv: options.argv ?? [],
    workers,
    cwd,
    nice,
    prefixOutput: options.prefixOutput ?? false,
    logLevel: options.logLevel ?? "warn",
    livenessMs: options.livenessMs ?? 5000,
    heartbeatMs: options.heartbeatMs ?? 1000,
    graceMs: options.graceMs ?? 5000,
    logger: options.logger,
    signal: options.signal,
  };
}

/**
 * Run a program on local workers; resolves with the run's exit code (the
 * origin's), never leaving a worker process behind.
 */
export async function runProgram(options: RunOptions): Promise<number> {
  const o = resolveRunOptions(options);
  const log = o.logger.child({ component: "launcher" });
  const app = randomUUID();
  const workers: LocalWorker[] = [];
  let broker: Broker | undefined;
  try {
    broker = await startBroker({
      bind: "tcp://127.0.0.1:*",
      unknownTasks: "fail",
      livenessMs: o.livenessMs,
      heartbeatMs: o.heartbeatMs,
      logger: o.logger,
    });
    log.info({ endpoint: broker.endpoint, workers: o.workers, script: o.script }, "starting the run");
    for (let i = 0; i < o.workers; i++) {
      workers.push(
        spawnLocalWorker(
          {
            id: `w${i}`,
            broker: broker.endpoint,
            app,
            script: o.script,
            origin: i === 0,
            argv: o.argv,
            cwd: o.cwd,
            nice: o.nice,
            prefix: o.prefixOutput,
            inherit: i === 0 && !o.prefixOutput,
            logLevel: o.logLevel,
          },
          log,
        ),
      );
    }
    const origin = workers[0];
    // Once the origin ends the run, workers leave on their own: not worth a warning.
    let ending = false;
    broker.on("shutdown", () => (ending = true));
    for (const w of workers.slice(1)) {
      void w.exited.then(({ code, signal }) => {
        if (!ending && broker?.state === "running" && origin.child.exitCode === null) {
          log.warn({ worker: w.id, code, signal }, "a worker process ended during the run");
        }
      });
    }
    const aborted = new Promise<number>((resolveAbort) => {
      if (o.signal?.aborted) resolveAbort(130);
      o.signal?.addEventListener("abort", () => resolveAbort(130), { once: true });
    });
    const code = await Promise.race([origin.exited.then((e) => e.code), aborted]);
    log.info({ code }, "the run ended");
    broker.shutdown(code);
    return code;
  } finally {
    await stopLocalWorkers(workers, o.graceMs);
    await broker?.close();
  }
}
