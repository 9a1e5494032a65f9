import { InvalidOptionError, ScoopError, isZ85Key } from "@scoop/protocol";
import type { Logger } from "pino";

/** Options of {@link startBroker}. */
export interface BrokerOptions {
  /**
   * Endpoints to bind. A `*` port picks a free one (see `broker.endpoints`).
   * @default "tcp://127.0.0.1:*"
   */
  bind?: string | string[];
  /** How often the broker tells peers it is alive. @default 1000 */
  heartbeatMs?: number;
  /** A peer silent for this long is declared lost and its tasks run elsewhere. @default 4000 (with the 1 s heartbeat: a dead peer is declared lost within 5 s) */
  livenessMs?: number;
  /**
   * What happens to a task no connected worker can run: `"wait"` until one
   * joins (standalone daemon), or `"fail"` at once (launcher runs, where every
   * worker loads the same script and the origin already joined).
   * @default "wait"
   */
  unknownTasks?: "wait" | "fail";
  /** Largest message part accepted; a peer sending more is disconnected by ZeroMQ. @default 268435456 (256 MiB) */
  maxMessageBytes?: number;
  /**
   * Hold each origin's WELCOME until {@link Broker.admitOrigins} is called:
   * the launcher calls it once the run's workers have joined, so `main`'s
   * first tasks spread over all of them rather than going to the origin alone.
   * @default false
   */
  holdOrigins?: boolean;
  /**
   * CURVE security: the broker's long-term keypair (z85, as made by
   * `scoop-broker keygen` or zeromq's `curveKeyPair()`). When set, every
   * connection is authenticated and encrypted; peers must know `publicKey`.
   * @default undefined (no encryption: loopback only, unless `insecure`)
   */
  curve?: BrokerCurveOptions;
  /**
   * Allow binding a non-loopback address without CURVE. Anyone who can reach
   * the port can then join as a worker, submit work and read results.
   * @default false
   */
  insecure?: boolean;
  /** Logger; the broker logs through `logger.child({ component: "broker" })`. @default a silent-unless-warn pino logger on stderr */
  logger?: Logger;
}

/** CURVE keys of a broker. */
export interface BrokerCurveOptions {
  /** The broker's public key (z85, 40 characters); peers use it as their `curveServerKey`. */
  publicKey: string;
  /** The broker's secret key (z85, 40 characters). Never leaves the broker's host. */
  secretKey: string;
  /**
   * Public keys (z85) of the clients allowed to connect (ZAP allow-list).
   * `undefined`: any client that knows the broker's public key may connect.
   * @default undefined
   */
  allowedClients?: string[];
}

/** {@link BrokerOptions} after validation, every default filled in. */
export interface ResolvedBrokerOptions {
  bind: string[];
  heartbeatMs: number;
  livenessMs: number;
  unknownTasks: "wait" | "fail";
  maxMessageBytes: number;
  holdOrigins: boolean;
  curve?: BrokerCurveOptions;
  insecure: boolean;
  logger?: Logger;
}

/** Defaults of {@link BrokerOptions}. */
export const BROKER_DEFAULTS = Object.freeze({
  bind: ["tcp://127.0.0.1:*"],
  heartbeatMs: 1000,
  // With one heartbeat of slack, a dead peer is declared lost within 5 s.
  livenessMs: 4000,
  unknownTasks: "wait" as const,
  maxMessageBytes: 256 * 1024 * 1024,
  holdOrigins: false,
  insecure: false,
});

export { isZ85Key };

/** True if a ZeroMQ endpoint only accepts connections from this host (loopback TCP, ipc, inproc). */
export function isLoopbackEndpoint(endpoint: string): boolean {
  if (!endpoint.startsWith("tcp://")) return true;
  const host = endpoint.slice("tcp://".length).replace(/:[^:]*$/, "").replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function positiveInt(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidOptionError(`options.${name} must be a positive integer (got ${String(value)})`);
  }
  return value;
}

/** Validate options and fill defaults. @throws {InvalidOptionError} */
export function resolveBrokerOptions(options: BrokerOptions = {}): ResolvedBrokerOptions {
  const bind = options.bind === undefined ? [...BROKER_DEFAULTS.bind] : [options.bind].flat();
  for (const endpoint of bind) {
    if (typeof endpoint !== "string" || !/^(tcp|ipc|inproc):\/\/.+/.test(endpoint)) {
      throw new InvalidOptionError(`options.bind must be ZeroMQ endpoints such as "tcp://127.0.0.1:5555" (got ${JSON.stringify(endpoint)})`);
    }
  }
  const heartbeatMs = positiveInt("heartbeatMs", options.heartbeatMs ?? BROKER_DEFAULTS.heartbeatMs);
  const livenessMs = positiveInt("livenessMs", options.livenessMs ?? BROKER_DEFAULTS.livenessMs);
  if (livenessMs < 2 * heartbeatMs) {
    throw new InvalidOptionError(`options.livenessMs must be at least twice options.heartbeatMs (got ${livenessMs} and ${heartbeatMs})`);
  }
  const unknownTasks = options.unknownTasks ?? BROKER_DEFAULTS.unknownTasks;
  if (unknownTasks !== "wait" && unknownTasks !== "fail") {
    throw new InvalidOptionError(`options.unknownTasks must be "wait" or "fail" (got ${JSON.stringify(unknownTasks)})`);
  }
  const maxMessageBytes = positiveInt("maxMessageBytes", options.maxMessageBytes ?? BROKER_DEFAULTS.maxMessageBytes);
  const insecure = options.insecure ?? BROKER_DEFAULTS.insecure;
  if (typeof insecure !== "boolean") throw new InvalidOptionError(`options.insecure must be a boolean (got ${String(insecure)})`);
  let curve: BrokerCurveOptions | undefined;
  if (options.curve !== undefined) {
    const { publicKey, secretKey, allowedClients } = options.curve ?? ({} as BrokerCurveOptions);
    if (!isZ85Key(publicKey) || !isZ85Key(secretKey)) {
      throw new InvalidOptionError("options.curve needs publicKey and secretKey as z85 strings of 40 characters: make them with `scoop-broker keygen --out DIR` or zeromq's curveKeyPair()");
    }
    if (allowedClients !== undefined && !(Array.isArray(allowedClients) && allowedClients.every(isZ85Key))) {
      throw new InvalidOptionError("options.curve.allowedClients must be a list of z85 client public keys (40 characters each)");
    }
    curve = { publicKey, secretKey, allowedClients: allowedClients && [...allowedClients] };
  }
  const exposed = bind.filter((endpoint) => !isLoopbackEndpoint(endpoint));
  if (exposed.length > 0 && curve === undefined && !insecure) {
    throw new ScoopError(
      "SCOOP_INSECURE_BIND",
      `refusing to bind ${exposed.join(", ")} without CURVE: anyone who can reach it could run code on the workers and read results. ` +
        "Make keys with `scoop-broker keygen --out DIR` and pass --key DIR/broker.key (options.curve), bind 127.0.0.1, or pass --insecure (options.insecure) on a trusted network",
      { address: exposed[0] },
    );
  }
  return { bind, heartbeatMs, livenessMs, unknownTasks, maxMessageBytes, holdOrigins: options.holdOrigins ?? BROKER_DEFAULTS.holdOrigins, curve, insecure, logger: options.logger };
}
