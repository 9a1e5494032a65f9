/**
 * Using a cluster from an app that was not started by `scoop`: `connect()` to
 * a running broker.
 */
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { InvalidOptionError, ScoopError, curveClientOptions, isZ85Key, readServerKey, type CurveClientOptions } from "@scoop/protocol";
import { watchForgottenClose } from "./forgotten-close.js";
import { openPeerSession } from "./peer-session.js";
import { getLogger, runtime, setSeed } from "./runtime.js";

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
  /**
   * Seed of this app's random streams (`currentTask().random()`): the same
   * seed and program give the same numbers. @default `SCOOP_SEED`, else one
   * drawn and logged at info (see `runSeed()`)
   */
  seed?: number;
  /** Logger. @default pino at `SCOOP_LOG_LEVEL` (warn) on stderr */
  logger?: Logger;
}

/** CURVE options of {@link connect}. */
export interface ConnectCurveOptions {
  /**
   * The broker's public key: the key itself (z85, 40 characters) or the path
   * of the `broker.pub` file written by `scoop-broker keygen`.
   */
  serverKey: string;
  /** This app's public key. @default a fresh keypair per connection */
  publicKey?: string;
  /** This app's secret key (with `publicKey`). */
  secretKey?: string;
}

/** zeromq socket options of a CURVE client from {@link ConnectCurveOptions}, generating its keypair if none is given. @throws {InvalidOptionError} */
export function resolveConnectCurve(curve: ConnectCurveOptions): CurveClientOptions {
  const bad = (what: string) => new InvalidOptionError(`connect: options.curve.${what} must be a z85 CURVE key of 40 characters, or for serverKey the path of the broker.pub written by scoop-broker keygen`);
  // The key itself, or the path of the broker.pub holding it.
  if (typeof curve?.serverKey !== "string" || !(isZ85Key(curve.serverKey) || existsSync(curve.serverKey))) throw bad("serverKey");
  const serverKey = readServerKey(curve.serverKey);
  if ((curve.publicKey === undefined) !== (curve.secretKey === undefined)) throw new InvalidOptionError("connect: give both options.curve.publicKey and options.curve.secretKey, or neither (a keypair is then generated)");
  if (curve.publicKey !== undefined && !isZ85Key(curve.publicKey)) throw bad("publicKey");
  if (curve.secretKey !== undefined && !isZ85Key(curve.secretKey)) throw bad("secretKey");
  return curveClientOptions(serverKey, curve.publicKey !== undefined ? { publicKey: curve.publicKey, secretKey: curve.secretKey! } : undefined);
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
export function connect(options: ConnectOptions): Promise<ScoopConnection> {
  return connectWatched(options, (conn) => ({ close: conn.close, advice: `the connection to the broker at ${options.broker} is still open: call \`await connection.close()\` when done (closed now so the process can exit)` }));
}

/**
 * @internal {@link connect}, closing what `forgotten(connection)` says once
 * the program is done without closing it (`start()` stops its cluster).
 */
export async function connectWatched(options: ConnectOptions, forgotten: (conn: ScoopConnection) => { close(): Promise<unknown>; advice: string }): Promise<ScoopConnection> {
  if (typeof options?.broker !== "string" || options.broker === "") {
    throw new InvalidOptionError(`connect: options.broker must be the broker's endpoint, e.g. "tcp://127.0.0.1:5555" (got ${JSON.stringify(options?.broker)})`);
  }
  if (runtime.executor?.kind === "distributed") throw new ScoopError("SCOOP_ALREADY_CONNECTED", "this process is already connected to a cluster: close() that connection first");
  if (options.seed !== undefined) setSeed(options.seed);
  runtime.managed = true; // before any await: the auto-main check must not run main
  const app = options.app ?? `app-${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`;
  const logger = (options.logger ?? getLogger()).child({ component: "app" });
  const curve = options.curve === undefined ? undefined : resolveConnectCurve(options.curve);
  const { connection, executor } = await openPeerSession({
    endpoint: options.broker,
    id: `${app}/${randomBytes(3).toString("hex")}`,
    role: "client",
    app,
    tasks: [],
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    logger,
    curve,
    lostAdvice: "tasks in flight failed: connect() again once it is back, then submit them again",
    executor: { maxInFlight: options.maxInFlight },
  });
  connection.ready();
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      unwatch();
      try {
        executor.failAll(new ScoopError("SCOOP_CLOSED", "the connection to the cluster was closed while this task was in flight"));
      } finally {
        if (runtime.executor === executor) runtime.executor = undefined;
        await connection.close();
      }
    })());
  const conn: ScoopConnection = { broker: options.broker, app, close, [Symbol.asyncDispose]: close };
  const unwatch = watchForgottenClose({ idle: () => executor.inFlight === 0, ...forgotten(conn) });
  return conn;
}

