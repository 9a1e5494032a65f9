/**
 * Using a cluster from an app that was not started by `scoop`: `connect()` to
 * a running broker.
 */
import { randomBytes } from "node:crypto";
import { ScoopError, isWorkerMode } from "@scoop/protocol";
import { atCaller } from "./error-format.js";
import { watchForgottenClose } from "./forgotten-close.js";
import { openPeerSession } from "./peer-session.js";
import { resolveConnectOptions, type ConnectOptions } from "./options.js";
import { getLogger, runtime, setSeed } from "./runtime.js";

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
 * @internal Refuse `what` when this process already has a cluster, before it
 * starts anything. Under the launcher that is the run's own (the program runs
 * as its worker), which a newcomer moving from `start()` to `scoop` did not
 * knowingly connect.
 */
export function refuseIfConnected(what: "connect()" | "start()"): void {
  if (runtime.executor?.kind === "distributed") throw alreadyConnected(what);
}

function alreadyConnected(what: "connect()" | "start()"): ScoopError {
  if (!isWorkerMode()) return atCaller(new ScoopError("SCOOP_ALREADY_CONNECTED", `this process is already connected to a cluster: close() that connection first, then call ${what} again`));
  const own = what === "start()" ? "scoop.start() starts a cluster of its own" : "scoop.connect() joins a broker of its own";
  const without = what === "start()" ? "keep scoop.start() and run the program without scoop (npx tsx script.ts)" : "to use another broker, run the program without scoop";
  return atCaller(
    new ScoopError(
      "SCOOP_ALREADY_CONNECTED",
      `${own}, but this program already runs on a cluster: the scoop launcher's, as one of its workers. Under scoop, call futures directly (scoop -n N sets the number of workers); or ${without}`,
    ),
  );
}

/**
 * @internal {@link connect}, closing what `forgotten(connection)` says once
 * the program is done without closing it (`start()` stops its cluster).
 */
export async function connectWatched(options: ConnectOptions, forgotten: (conn: ScoopConnection) => { close(): Promise<unknown>; advice: string }): Promise<ScoopConnection> {
  const o = resolveConnectOptions(options);
  refuseIfConnected("connect()");
  if (o.seed !== undefined) setSeed(o.seed);
  runtime.managed = true; // before any await: the auto-main check must not run main
  const logger = (o.logger ?? getLogger()).child({ component: "app" });
  const { connection, executor } = await openPeerSession({
    endpoint: o.broker,
    id: `${o.app}/${randomBytes(3).toString("hex")}`,
    role: "client",
    app: o.app,
    tasks: [],
    connectTimeoutMs: o.connectTimeoutMs,
    logger,
    curve: o.curve,
    lostAdvice: "tasks in flight failed: connect() again once it is back, then submit them again",
    executor: { maxInFlight: o.maxInFlight },
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
  const conn: ScoopConnection = { broker: o.broker, app: o.app, close, [Symbol.asyncDispose]: close };
  const unwatch = watchForgottenClose({ idle: () => executor.inFlight === 0, ...forgotten(conn) });
  return conn;
}

