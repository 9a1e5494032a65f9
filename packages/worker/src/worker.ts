/**
 * A SCOOP worker: joins a broker, loads the task modules, runs the tasks the
 * broker dispatches and, as the origin, runs the script's `main`.
 */
import { hostname } from "node:os";
import pino, { type Logger } from "pino";
import { InvalidOptionError, ScoopError } from "@scoop/protocol";
import {
  BrokerConnection,
  DistributedExecutor,
  getCodec,
  registerModule,
  registeredTaskNames,
  runMain,
  setExecutor,
} from "@scoop/core";
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
  /** CURVE client options when the broker uses CURVE. */
  curve?: Record<string, string>;
  /** Logger. @default pino at `warn` on stderr */
  logger?: Logger;
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
  process.env.SCOOP_WORKER = "1";
  if (typeof options.broker !== "string" || options.broker === "") {
    throw new InvalidOptionError(`options.broker must be the broker's endpoint, e.g. "tcp://127.0.0.1:5555" (got ${JSON.stringify(options.broker)})`);
  }
  if (options.origin && !options.script) throw new InvalidOptionError("options.script is required for the origin worker (it runs the script's main)");
  const id = options.id ?? `${hostname()}:${process.pid}`;
  const log = (options.logger ?? pino({ level: process.env.SCOOP_LOG_LEVEL ?? "warn" }, pino.destination({ fd: 2, sync: true }))).child({ component: "worker", worker: id });
  const cwd = options.cwd ?? process.cwd();

  let script: Record<string, unknown> | undefined;
  for (const path of [...(options.script ? [options.script] : []), ...(options.modules ?? [])]) {
    const namespace = await loadModule(path, cwd);
    script ??= namespace;
    registerModule(exportedFunctions(namespace));
  }

  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  let executor: DistributedExecutor | undefined;
  const connection = await BrokerConnection.open({
    endpoint: options.broker,
    id,
    role: options.origin ? "origin" : "worker",
    app: options.app ?? "default",
    tasks: registeredTaskNames(),
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    logger: log,
    curve: options.curve,
    onBrokerLost(silentMs) {
      const error = new ScoopError("SCOOP_BROKER_LOST", `lost the broker at ${options.broker}: nothing heard for ${silentMs} ms; the run cannot go on`, { address: options.broker, workerId: id });
      log.error({ silentMs }, error.message);
      executor?.failAll(error);
      resolveDone(1);
    },
  });
  executor = new DistributedExecutor({ connection, codec: getCodec(), logger: log, taskNames: registeredTaskNames });
  setExecutor(executor);
  const runner = new TaskRunner({ connection, codec: getCodec(), logger: log, workerId: id, bufferMs: options.bufferMs });
  connection.on("SHUTDOWN", (h) => resolveDone(options.origin ? h.code : 0));
  runner.start();
  log.info({ role: options.origin ? "origin" : "worker", tasks: registeredTaskNames().length }, "worker joined");

  if (options.origin) {
    void runMain(script!, options.argv ?? []).then((code) => {
      connection.send({ t: "SHUTDOWN", code });
      resolveDone(code);
    });
  }

  let closing: Promise<void> | undefined;
  return {
    id,
    done,
    close() {
      closing ??= (async () => {
        runner.stop();
        await connection.close();
      })();
      return closing;
    },
  };
}
