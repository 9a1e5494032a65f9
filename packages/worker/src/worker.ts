/**
 * A SCOOP worker: joins a broker, loads the task modules, runs the tasks the
 * broker dispatches and, as the origin, runs the script's `main`.
 */
import { EXIT_RECYCLED, ScoopError, enterWorkerMode } from "@scoop/protocol";
import { lazyPino } from "@scoop/protocol/internal";
import { getCodec, registerModule, registeredTaskNames, runnableTaskNames, runMain } from "@scoop/core";
import { PayloadStore, openPeerSession, type BrokerConnection } from "@scoop/core/internal";
import { exportedFunctions, loadModule } from "./load-module.js";
import { resolveWorkerOptions, type WorkerOptions } from "./options.js";
import { TaskRunner } from "./runner.js";

/** A running worker. */
export interface ScoopWorker {
  readonly id: string;
  /**
   * Resolves with the exit code the process should end with: the origin's
   * `main` result, the run's code when the broker shuts the run down, or 1
   * when the broker is lost.
   */
  readonly done: Promise<number>;
  /** Leave the broker and release everything. Idempotent. */
  close(): Promise<void>;
}

/**
 * Start a worker and resolve once it has joined its broker.
 *
 * ```ts
 * import { startWorker } from "@scoop/worker";
 * const worker = await startWorker({ broker: "tcp://head:5555", modules: ["./tasks.js"] });
 * process.exitCode = await worker.done;
 * ```
 */
export async function startWorker(options: WorkerOptions): Promise<ScoopWorker> {
  // Before any await: this process is managed, so core must not auto-run main.
  enterWorkerMode();
  const o = resolveWorkerOptions(options);
  const { id, cwd, app, reconnect, stuckGraceMs } = o;
  const log = (o.logger ?? lazyPino(process.env.SCOOP_LOG_LEVEL ?? "warn")).child({ component: "worker", worker: id });

  if (options.payloadStore !== undefined) getCodec().store = new PayloadStore(options.payloadStore);
  let script: Record<string, unknown> | undefined;
  for (const path of [...(options.script ? [options.script] : []), ...(options.modules ?? [])]) {
    const namespace = await loadModule(path, cwd, path === options.script ? options.compiledScript : undefined);
    script ??= namespace;
    registerModule(exportedFunctions(namespace));
  }

  let resolveDone!: (code: number) => void;
  let finished = false;
  const done = new Promise<number>((resolve) => (resolveDone = resolve)).finally(() => (finished = true));
  let closed = false;
  /** The worker left after its task or memory limit (the broker is told: a fresh process replaces it). */
  let retired = false;
  let wake: (() => void) | undefined;
  let session: { connection: BrokerConnection; runner: TaskRunner } | undefined;
  let mainStarted = false;

  /** Join once: the peer session (connection, executor, broker-lost handling) with this worker's task runner. */
  const join = async (): Promise<void> => {
    let joined: BrokerConnection | undefined;
    const { connection, attached: runner } = await openPeerSession({
      endpoint: options.broker,
      id,
      role: options.origin ? "origin" : "worker",
      app,
      tasks: runnableTaskNames(),
      connectTimeoutMs: o.connectTimeoutMs,
      logger: log,
      curve: options.curve,
      // A reconnecting worker outlives its broker by design: never end the process.
      graceMs: reconnect ? 0 : undefined,
      stuckGraceMs,
      lostAdvice: reconnect ? "tasks this worker submitted failed, the worker joins again when the broker is back" : "the run cannot go on",
      lostContext: { workerId: id },
      // A worker the broker dropped (it was stopped, say) is not the run's end: the others go on.
      droppedMessage:
        !options.origin && !reconnect ? (reason) => `the broker dropped this worker: ${reason}. Its tasks went to other workers and the run goes on without it; this worker leaves` : undefined,
      executor: { taskNames: runnableTaskNames },
      attach: (connection, executor) => {
        joined = connection;
        const runner: TaskRunner = new TaskRunner({
          connection,
          codec: getCodec(),
          logger: log,
          workerId: id,
          bufferMs: options.bufferMs,
          executor,
          recycle: options.origin ? undefined : { maxTasks: options.maxTasks, maxMemoryMb: options.maxMemoryMb },
          onRetired: (why) => {
            retired = true;
            log.info({ why, tasks: runner.completed }, "recycling: leaving for a fresh worker");
            resolveDone(EXIT_RECYCLED);
          },
        });
        return runner;
      },
      onBrokerLost() {
        if (!reconnect || closed) {
          resolveDone(1);
          return;
        }
        void Promise.resolve(joined?.close(false)).then(() => rejoin());
      },
    });
    connection.on("SHUTDOWN", (h) => resolveDone(options.origin ? h.code : 0));
    session = { connection, runner };
    runner.start();
    connection.ready();
    log.info({ role: options.origin ? "origin" : "worker", tasks: registeredTaskNames().length }, "worker joined");
  };

  /** Join, retrying with backoff while the broker does not answer (reconnect mode). */
  const joinWithRetry = async (): Promise<void> => {
    let delay = reconnect ? reconnect.initialDelayMs : 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await join();
        return;
      } catch (error) {
        const code = (error as ScoopError).code;
        if (!reconnect || closed || code !== "SCOOP_BROKER_UNREACHABLE") throw error;
        log.warn({ attempt, retryInMs: delay }, `${(error as Error).message}; retrying`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
      if (closed) throw new ScoopError("SCOOP_CLOSED", "the worker was closed while joining its broker");
      delay = Math.min(reconnect.maxDelayMs, delay * 2);
    }
  };

  const rejoin = async (): Promise<void> => {
    session = undefined;
    if (closed || finished) return;
    // Let the broker notice the old sockets are gone before reusing their routing ids.
    await new Promise((r) => setTimeout(r, reconnect ? reconnect.initialDelayMs : 0));
    try {
      await joinWithRetry();
      log.warn({ broker: options.broker }, "joined the broker again");
    } catch (error) {
      if (closed) return;
      log.error({ err: error }, "cannot join the broker again; the worker stops");
      resolveDone(1);
    }
  };

  await joinWithRetry();

  if (options.origin && !mainStarted) {
    mainStarted = true;
    void runMain(script!, o.argv).then((code) => {
      session?.connection.send({ t: "SHUTDOWN", code });
      resolveDone(code);
    });
  }

  let closing: Promise<void> | undefined;
  return {
    id,
    done,
    close() {
      closing ??= (async () => {
        closed = true;
        wake?.();
        session?.runner.stop();
        await session?.connection.close(true, retired ? "recycled" : undefined);
      })();
      return closing;
    },
  };
}
