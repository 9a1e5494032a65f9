/**
 * Using a cluster from an app that was not started by `scoop`: `connect()` to
 * a running broker, or `start()` a local cluster (through `@scoop/launcher`).
 */
import { createRequire } from "node:module";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { InvalidOptionError, ScoopError, curveKeyPair, isZ85Key } from "@scoop/protocol";
import { BrokerConnection } from "./connection.js";
import { DistributedExecutor } from "./distributed-executor.js";
import { getCodec, getLogger, registerModule, runtime, setExecutor } from "./runtime.js";

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Broker endpoint, e.g. `tcp://head:5555`. */
  broker: string;
  /** Application id; shared constants are scoped by it. @default a fresh id per connection */
  app?: string;
  /** How long to wait for the broker. @default 10000 */
  connectTimeoutMs?: number;
  /**
   * CURVE keys (z85) when the broker uses CURVE (it must, off loopback):
   * `serverKey` is the broker's public key (its `broker.pub`); this app's own
   * keypair is generated per connection when omitted (give one only if the
   * broker keeps an allow-list of client keys).
   */
  curve?: ConnectCurveOptions;
  /**
   * Most of this app's tasks at the broker at once; more wait in this process
   * until results come back, so the broker's memory stays bounded. @default 65536
   */
  maxInFlight?: number;
  /** Logger. @default pino at `SCOOP_LOG_LEVEL` (warn) on stderr */
  logger?: Logger;
}

/** CURVE options of {@link connect}. */
export interface ConnectCurveOptions {
  /** The broker's public key (z85, 40 characters). */
  serverKey: string;
  /** This app's public key. @default a fresh keypair per connection */
  publicKey?: string;
  /** This app's secret key (with `publicKey`). */
  secretKey?: string;
}


/** zeromq socket options of a CURVE client, generating its keypair if none is given. @throws {InvalidOptionError} */
export function curveClientOptions(curve: ConnectCurveOptions): Record<string, string> {
  const bad = (what: string) => new InvalidOptionError(`connect: options.curve.${what} must be a z85 CURVE key of 40 characters (the broker's is in the broker.pub written by scoop-broker keygen)`);
  if (typeof curve?.serverKey !== "string" || !isZ85Key(curve.serverKey)) throw bad("serverKey");
  if ((curve.publicKey === undefined) !== (curve.secretKey === undefined)) throw new InvalidOptionError("connect: give both options.curve.publicKey and options.curve.secretKey, or neither (a keypair is then generated)");
  if (curve.publicKey !== undefined && !isZ85Key(curve.publicKey)) throw bad("publicKey");
  if (curve.secretKey !== undefined && !isZ85Key(curve.secretKey)) throw bad("secretKey");
  const own = curve.publicKey !== undefined ? { publicKey: curve.publicKey, secretKey: curve.secretKey! } : curveKeyPair();
  return { curveServerKey: curve.serverKey, curvePublicKey: own.publicKey, curveSecretKey: own.secretKey };
}

/** An app's connection to a broker. */
export interface ScoopConnection {
  /** The broker's endpoint. */
  readonly broker: string;
  /** This app's id. */
  readonly app: string;
  /** Fail what is in flight, leave the broker. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Connect this process to a broker: from then on `futures` calls run on its
 * workers. Resolves once the broker has accepted the app.
 *
 * ```ts
 * const conn = await connect({ broker: "tcp://head:5555" });
 * console.log(await futures.map(square, [1, 2, 3]));
 * await conn.close();
 * ```
 * @throws {ScoopError} `SCOOP_BROKER_UNREACHABLE` if the broker does not answer in time
 * (wrong address, or wrong CURVE keys: a CURVE broker silently drops bad handshakes),
 * or the broker's refusal (e.g. `SCOOP_PROTOCOL_VERSION`).
 */
export async function connect(options: ConnectOptions): Promise<ScoopConnection> {
  if (typeof options?.broker !== "string" || options.broker === "") {
    throw new InvalidOptionError(`connect: options.broker must be the broker's endpoint, e.g. "tcp://127.0.0.1:5555" (got ${JSON.stringify(options?.broker)})`);
  }
  if (runtime.executor?.kind === "distributed") throw new ScoopError("SCOOP_ALREADY_CONNECTED", "this process is already connected to a cluster: close() that connection first");
  runtime.managed = true; // before any await: the auto-main check must not run main
  const app = options.app ?? `app-${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`;
  const logger = (options.logger ?? getLogger()).child({ component: "app" });
  let executor: DistributedExecutor | undefined;
  const curve = options.curve === undefined ? undefined : curveClientOptions(options.curve);
  const connection = await BrokerConnection.open({
    endpoint: options.broker,
    id: `${app}/${randomBytes(3).toString("hex")}`,
    role: "client",
    app,
    tasks: [],
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    logger,
    curve,
    onBrokerLost(silentMs, reason) {
      const error = new ScoopError("SCOOP_BROKER_LOST", `lost the broker at ${options.broker}: ${reason}; tasks in flight failed: connect() again once it is back, then submit them again`, { address: options.broker });
      logger.error({ silentMs }, error.message);
      executor?.failAll(error);
    },
  });
  executor = new DistributedExecutor({ connection, codec: getCodec(), logger, maxInFlight: options.maxInFlight });
  setExecutor(executor);
  connection.ready();
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      try {
        executor!.failAll(new ScoopError("SCOOP_CLOSED", "the connection to the cluster was closed while this task was in flight"));
      } finally {
        if (runtime.executor === executor) runtime.executor = undefined;
        await connection.close();
      }
    })());
  return { broker: options.broker, app, close, [Symbol.asyncDispose]: close };
}

/** Options of {@link start}. */
export interface StartOptions {
  /** Number of local worker processes. @default one per core */
  workers?: number;
  /**
   * Modules whose exported functions are the tasks (paths or `file:` URLs);
   * every worker loads them. Required: the app's own entry may not be safe to load twice.
   */
  modules: Array<string | URL>;
  /** Logger. */
  logger?: Logger;
}

/** A local cluster started by {@link start}. */
export interface ScoopCluster {
  /** The broker's endpoint (loopback). */
  readonly broker: string;
  /** Number of workers. */
  readonly workers: number;
  /** Stop the workers and the broker; nothing is left running. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface LauncherModule {
  startCluster(options: { workers?: number; modules: string[]; logger?: Logger }): Promise<{ endpoint: string; app: string; workers: number; close(): Promise<void> }>;
}

async function loadLauncher(): Promise<LauncherModule> {
  // Resolved from the app (not from core): the launcher is the app's optional dependency.
  const name = "@scoop/launcher";
  let path: string = name;
  try {
    path = createRequire(join(process.cwd(), "index.js")).resolve(name);
  } catch {
    /* fall back to core's own resolution */
  }
  try {
    return (await import(path.startsWith("/") ? pathToFileURL(path).href : path)) as LauncherModule;
  } catch (error) {
    throw new ScoopError("SCOOP_LAUNCHER_MISSING", "start() needs the @scoop/launcher package: install it next to @scoop/core (npm install @scoop/launcher)", { cause: error });
  }
}

let cluster: ScoopCluster | undefined;

/**
 * Start a local cluster (a broker and `workers` worker processes loading
 * `modules`) and connect this process to it, for servers, notebooks and
 * tests where no launcher wraps the program.
 *
 * ```ts
 * await scoop.start({ workers: 4, modules: [new URL("./tasks.js", import.meta.url)] });
 * console.log(await futures.map(square, [1, 2, 3]));
 * await scoop.stop();
 * ```
 */
export async function start(options: StartOptions): Promise<ScoopCluster> {
  if (cluster) throw new ScoopError("SCOOP_ALREADY_STARTED", "a local cluster is already running in this process: stop() it first");
  if (!Array.isArray(options?.modules) || options.modules.length === 0) {
    throw new InvalidOptionError("start: options.modules must list the modules that export your tasks, e.g. start({ modules: [new URL(\"./tasks.js\", import.meta.url)] })");
  }
  runtime.managed = true;
  const modules = options.modules.map((m) => (m instanceof URL ? (m.protocol === "file:" ? decodeURIComponent(m.pathname) : m.href) : m));
  // The tasks must be registered here too, under the same names the workers use.
  for (const m of modules) {
    const url = m.startsWith("/") ? pathToFileURL(m).href : /^[a-z]+:/i.test(m) ? m : pathToFileURL(resolve(m)).href;
    registerModule((await import(url)) as Record<string, unknown>);
  }
  const launcher = await loadLauncher();
  const running = await launcher.startCluster({ workers: options.workers, modules, logger: options.logger });
  let conn: ScoopConnection;
  try {
    conn = await connect({ broker: running.endpoint, app: running.app, logger: options.logger });
  } catch (error) {
    await running.close();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      try {
        await conn.close();
      } finally {
        await running.close();
        cluster = undefined;
      }
    })());
  cluster = { broker: running.endpoint, workers: running.workers, stop, [Symbol.asyncDispose]: stop };
  return cluster;
}

/** Stop the cluster started by {@link start}, if any. */
export async function stop(): Promise<void> {
  await cluster?.stop();
}
