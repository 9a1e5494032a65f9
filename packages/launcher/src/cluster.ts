/**
 * A local cluster started from code (`scoop.start()` in `@scoop/core`): a
 * broker in this process and worker processes that load the given task
 * modules. No origin: the calling process submits the work.
 */
import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { startBroker } from "@scoop/broker";
import type { LauncherModule } from "@scoop/core";
import { spawnLocalWorker, stopLocalWorkers, type LocalWorker } from "./local-workers.js";
import { resolveClusterOptions, type ClusterOptions } from "./options.js";

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
  const { workers: count, logger, graceMs, modules } = resolveClusterOptions(options);
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
        await stopLocalWorkers(workers, graceMs);
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
          { id: `w${i}`, broker: broker.endpoint, app, modules: modules.map((m) => resolve(m)), logLevel: logger.level, prefix: true },
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
