/**
 * A SCOOP worker: joins a broker, loads the task modules, runs the tasks the
 * broker dispatches and, as the origin, runs the script's `main`.
 */
import { hostname } from "node:os";
import pino, { type Logger } from "pino";
import { EXIT_RECYCLED, InvalidOptionError, ScoopError, enterWorkerMode, type CurveClientOptions } from "@scoop/protocol";
import { getCodec, registerModule, registeredTaskNames, runnableTaskNames, runMain } from "@scoop/core";
import { BrokerConnection, DistributedExecutor, setExecutor } from "@scoop/core/internal";
import { exportedFunctions, loadModule } from "./load-module.js";
import { TaskRunner } from "./runner.js";

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  /** Broker endpoint, e.g. `tcp://head:5555`. */
  broker: string;
  /** The program's script. Its exported functions become tasks; the origin runs its `main`. */
  script?: string;
  /** More modules whose exported functions become tasks. @default [] */
  modules?: string[];
  /** Run the script's `main` (exactly one worker of a run does). @default false */
  origin?: boolean;
  /** Arguments passed to `main`. @default [] */
  argv?: string[];
  /** Unique id of this worker. @default `${hostname}:${pid}` */
  id?: string;
  /** Run or application id shared by the peers of one program. @default "default" */
  app?: string;
  /** Directory relative paths start from. @default process.cwd() */
  cwd?: string;
  /** How long to wait for the broker to answer. @default 10000 */
  connectTimeoutMs?: number;
  /** Milliseconds of work to keep buffered (see the README on credits). @default 2 */
  bufferMs?: number;
  /**
   * CURVE client socket options when the broker uses CURVE: `curveServerKey`
   * (the broker's public key), `curvePublicKey` and `curveSecretKey` (this
   * worker's keypair; see `curveClient()` to make one). The heartbeat thread
   * uses the same options.
   */
  curve?: CurveClientOptions;
  /**
   * Keep serving across broker restarts: when the broker is lost, fail what
   * this worker owns with `SCOOP_BROKER_LOST`, then join again with backoff
   * (the first join too is retried until the broker answers). `false`: the
   * worker ends (`done` resolves with 1) when its broker is lost, as workers
   * of one `scoop` run must. A refusal (`REFUSED`, e.g. another protocol
   * version) is never retried.
   * @default false (`scoop-worker` turns it on when run without --app and --origin)
   */
  reconnect?: boolean | ReconnectOptions;
  /**
   * Leave after this many tasks: finish what it holds, say goodbye, and end
   * with {@link EXIT_RECYCLED} so the launcher starts a fresh process (for
   * task code that leaks). Ignored for the origin. @default never
   */
  maxTasks?: number;
  /** Leave (like `maxTasks`) once resident memory passes this many MB. Ignored for the origin. @default never */
  maxMemoryMb?: number;
  /**
   * A task whose owner gave up on it (its deadline passed, or it was
   * cancelled) and that still holds the worker's thread in synchronous code
   * this long after the broker's abort reached the worker ends the worker
   * process (one warning names the task): its other tasks go to other workers
   * without spending their retries, and the launcher starts a fresh worker.
   * Checked once per heartbeat. 0: never. Ignored for the origin (ending it
   * would end `main`).
   * @default 2000, or 0 with `reconnect` (a daemon worker has no launcher to replace it)
   */
  stuckGraceMs?: number;
  /** Logger. @default pino at `warn` on stderr */
  logger?: Logger;
}

/** Default of {@link WorkerOptions.stuckGraceMs}. */
export const DEFAULT_STUCK_GRACE_MS = 2000;

/** Backoff of {@link WorkerOptions.reconnect}. */
export interface ReconnectOptions {
  /** Wait before the first retry. @default 500 */
  initialDelayMs?: number;
  /** Longest wait between retries (the wait doubles up to it). @default 10000 */
  maxDelayMs?: number;
}

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
  if (typeof options.broker !== "string" || options.broker === "") {
    throw new InvalidOptionError(`options.broker must be the broker's endpoint, e.g. "tcp://127.0.0.1:5555" (got ${JSON.stringify(options.broker)})`);
  }
  if (options.origin && !options.script) throw new InvalidOptionError("options.script is required for the origin worker (it runs the script's main)");
  const reconnect = resolveReconnect(options.reconnect);
  const id = options.id ?? `${hostname()}:${process.pid}`;
  const log = (options.logger ?? pino({ level: process.env.SCOOP_LOG_LEVEL ?? "warn" }, pino.destination({ fd: 2, sync: true }))).child({ component: "worker", worker: id });
  const cwd = options.cwd ?? process.cwd();
  const stuckGraceMs = options.origin ? 0 : (options.stuckGraceMs ?? (reconnect ? 0 : DEFAULT_STUCK_GRACE_MS));
  if (!(Number.isSafeInteger(stuckGraceMs) && stuckGraceMs >= 0)) throw new InvalidOptionError(`options.stuckGraceMs must be a non-negative integer of milliseconds (got ${String(options.stuckGraceMs)})`);

  let script: Record<string, unknown> | undefined;
  for (const path of [...(options.script ? [options.script] : []), ...(options.modules ?? [])]) {
    const namespace = await loadModule(path, cwd);
    script ??= namespace;
    registerModule(exportedFunctions(namespace));
  }

  const app = options.app ?? "default";
  let resolveDone!: (code: number) => void;
  let finished = false;
  const done = new Promise<number>((resolve) => (resolveDone = resolve)).finally(() => (finished = true));
  let closed = false;
  /** The worker left after its task or memory limit (the broker is told: a fresh process replaces it). */
  let retired = false;
  let wake: (() => void) | undefined;
  let session: { connection: BrokerConnection; executor: DistributedExecutor; runner: TaskRunner } | undefined;
  let mainStarted = false;

  /** Join once; wire the executor and the runner to the new connection. */
  const join = async (): Promise<void> => {
    let executor: DistributedExecutor | undefined;
    let runner: TaskRunner | undefined;
    let connection: BrokerConnection | undefined = undefined;
    connection = await BrokerConnection.open({
      endpoint: options.broker,
      id,
      role: options.origin ? "origin" : "worker",
      app,
      tasks: runnableTaskNames(),
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      logger: log,
      curve: options.curve,
      // A reconnecting worker outlives its broker by design: never end the process.
      graceMs: reconnect ? 0 : undefined,
      stuckGraceMs,
      onBrokerLost(silentMs, reason, dropped) {
        // A worker the broker dropped (it was stopped, say) is not the run's end: the others go on.
        const goesOn = dropped && !options.origin && !reconnect;
        const error = new ScoopError(
          "SCOOP_BROKER_LOST",
          reconnect
            ? `lost the broker at ${options.broker}: ${reason}; tasks this worker submitted failed, the worker joins again when the broker is back`
            : goesOn
              ? `the broker dropped this worker: ${reason}. Its tasks went to other workers and the run goes on without it; this worker leaves`
              : `lost the broker at ${options.broker}: ${reason}; the run cannot go on`,
          { address: options.broker, workerId: id },
        );
        if (goesOn) log.warn({ silentMs }, error.message);
        else log.error({ silentMs }, error.message);
        runner?.stop();
        executor?.failAll(error);
        if (!reconnect || closed) {
          resolveDone(1);
          return;
        }
        void Promise.resolve(connection?.close(false)).then(() => rejoin());
      },
    });
    executor = new DistributedExecutor({ connection, codec: getCodec(), logger: log, taskNames: runnableTaskNames });
    runner = new TaskRunner({
      connection,
      codec: getCodec(),
      logger: log,
      workerId: id,
      bufferMs: options.bufferMs,
      executor,
      recycle: options.origin ? undefined : { maxTasks: options.maxTasks, maxMemoryMb: options.maxMemoryMb },
      onRetired: (why) => {
        retired = true;
        log.info({ why, tasks: runner?.completed }, "recycling: leaving for a fresh worker");
        resolveDone(EXIT_RECYCLED);
      },
    });
    setExecutor(executor);
    connection.on("SHUTDOWN", (h) => resolveDone(options.origin ? h.code : 0));
    session = { connection, executor, runner };
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
    void runMain(script!, options.argv ?? []).then((code) => {
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

function resolveReconnect(value: WorkerOptions["reconnect"]): Required<ReconnectOptions> | undefined {
  if (value === undefined || value === false) return undefined;
  const o = value === true ? {} : value;
  const initialDelayMs = o.initialDelayMs ?? 500;
  const maxDelayMs = o.maxDelayMs ?? 10_000;
  for (const [name, v] of [["initialDelayMs", initialDelayMs], ["maxDelayMs", maxDelayMs]] as const) {
    if (!(typeof v === "number" && Number.isFinite(v) && v > 0)) throw new InvalidOptionError(`options.reconnect.${name} must be a positive number of milliseconds (got ${String(v)})`);
  }
  return { initialDelayMs, maxDelayMs: Math.max(initialDelayMs, maxDelayMs) };
}
