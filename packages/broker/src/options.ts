import { InvalidOptionError } from "@scoop/protocol";
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
  /** A peer silent for this long is declared lost and its tasks run elsewhere. @default 5000 */
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
  /** Logger; the broker logs through `logger.child({ component: "broker" })`. @default a silent-unless-warn pino logger on stderr */
  logger?: Logger;
}

/** {@link BrokerOptions} after validation, every default filled in. */
export interface ResolvedBrokerOptions {
  bind: string[];
  heartbeatMs: number;
  livenessMs: number;
  unknownTasks: "wait" | "fail";
  maxMessageBytes: number;
  logger?: Logger;
}

/** Defaults of {@link BrokerOptions}. */
export const BROKER_DEFAULTS = Object.freeze({
  bind: ["tcp://127.0.0.1:*"],
  heartbeatMs: 1000,
  livenessMs: 5000,
  unknownTasks: "wait" as const,
  maxMessageBytes: 256 * 1024 * 1024,
});

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
  return { bind, heartbeatMs, livenessMs, unknownTasks, maxMessageBytes, logger: options.logger };
}
