/**
 * A local cluster started from code (`scoop.start()` in `@scoop/core`): a
 * broker in this process and worker processes that load the given task
 * modules. No origin: the calling process submits the work.
 */
import { randomUUID } from "node:crypto";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import pino, { type Logger } from "pino";
import { startBroker } from "@scoop/broker";
import type { LauncherModule } from "@scoop/core";
import { InvalidOptionError } from "@scoop/protocol";
import { spawnLocalWorker, stopLocalWorkers, type LocalWorker } from "./local-workers.js";

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Modules whose exported functions are the tasks. */
  modules: string[];
  /** Number of worker processes. @default the number of cores */
  workers?: number;
  /** Logger. @default pino at `SCOOP_LOG_LEVEL` (warn) on stderr */
  logger?: Logger;
  /** How long workers get to leave before SIGKILL when the cluster stops. @default 5000 */
  graceMs?: number;
}

/** A running local cluster. */
export interface LocalCluster {
  /** Broker endpoint (loopback) to `connect()` to. */
  readonly endpoint: string;
  /** Run id the workers joined with. */
  readonly app: string;
  /** Number of worker processes. */
  readonly workers: number;
  /** Stop the workers, then the broker. Idempotent. */
  close(): Promise<void>;
}

/**
 * Start a broker in this process and `workers` worker processes loading
 * `modules`; resolves once every worker has joined.
 */
export async function startCluster(options: ClusterOptions): Promise<LocalCluster> {
  const count = options.workers ?? availableParallelism();
  if (!Number.isSafeInteger(count) || count < 1) throw new InvalidOptionError(`options.workers must be a positive integer (got ${String(options.workers)})`);
  const logger = options.logger ?? pino({ level: process.env.SCOOP_LOG_LEVEL ?? "warn" }, pino.destination({ fd: 2, sync: true }));
  const log = logger.child({ component: "cluster" });
  const app = randomUUID();
  const broker = await startBroker({ bind: "tcp://127.0.0.1:*", logger });
  const workers: LocalWorker[] = [];
  // The process may exit without close() (a REPL's .exit, a forgotten stop()):
  // no await is possible then, so signal the workers at once rather than let
  // them wait out the broker's silence.
  const killOnExit = () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGTERM");
  };
  process.once("exit", killOnExit);
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      process.off("exit", killOnExit);
      try {
        broker.shutdown(0);
        await stopLocalWorkers(workers, options.graceMs ?? 5000);
      } finally {
        await broker.close();
      }
    })());
  try {
    const joined = new Promise<void>((resolveJoined, reject) => {
      let n = 0;
      broker.on("peer:joined", () => ++n === count && resolveJoined());
      for (let i = 0; i < count; i++) {
        const worker = spawnLocalWorker(
          { id: `w${i}`, broker: broker.endpoint, app, modules: options.modules.map((m) => resolve(m)), logLevel: logger.level, prefix: true },
          log,
        );
        workers.push(worker);
        // The program decides when it ends, not its workers (core warns and stops a cluster it forgot).
        worker.child.unref();
        for (const pipe of [worker.child.stdout, worker.child.stderr]) (pipe as { unref?: () => void } | null)?.unref?.();
        void worker.exited.then(({ code }) => {
          if (!closing) reject(new Error(`worker w${i} exited with code ${code} before the cluster was ready: see its output above`));
        });
      }
    });
    await joined;
  } catch (error) {
    await close();
    throw error;
  }
  log.info({ endpoint: broker.endpoint, workers: count }, "local cluster ready");
  return { endpoint: broker.endpoint, app, workers: count, close };
}

// `start()` in @scoop/core loads startCluster by name (the launcher is its app's optional dependency):
// this line holds it to core's contract, so a change on either side fails the typecheck.
startCluster satisfies LauncherModule["startCluster"];
