/**
 * The options of `connect()` and `start()`: their types with each option's default, the defaults as values
 * (`CONNECT_DEFAULTS`, documented in the README's table, which a unit test holds equal), and the one place each is
 * validated and filled in (`resolveConnectOptions`, `resolveStartOptions`).
 */
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import { InvalidOptionError, curveClientOptions, isZ85Key, readServerKey, type CurveClientOptions } from "@scoop/protocol";

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Broker endpoint, e.g. `tcp://head:5555`. */
  broker: string;
  /** Application id; shared constants are scoped by it. @default a fresh id per connection */
  app?: string;
  /** How long to wait for the broker. @default {@link CONNECT_DEFAULTS}.connectTimeoutMs (10000) */
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

/** Defaults of {@link ConnectOptions} that are constants (`app` is a fresh id per connection, `seed` drawn). */
export const CONNECT_DEFAULTS = Object.freeze({
  connectTimeoutMs: 10_000,
});

/** {@link ConnectOptions} validated, every default filled in (`maxInFlight`: the executor's default). */
export interface ResolvedConnectOptions {
  broker: string;
  app: string;
  connectTimeoutMs: number;
  curve: CurveClientOptions | undefined;
  maxInFlight: number | undefined;
  seed: number | undefined;
  logger: Logger | undefined;
}

/** Validate {@link ConnectOptions} and fill in defaults. @throws {InvalidOptionError} */
export function resolveConnectOptions(options: ConnectOptions): ResolvedConnectOptions {
  if (typeof options?.broker !== "string" || options.broker === "") {
    throw new InvalidOptionError(`connect: options.broker must be the broker's endpoint, e.g. "tcp://127.0.0.1:5555" (got ${JSON.stringify(options?.broker)})`);
  }
  return {
    broker: options.broker,
    app: options.app ?? `app-${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`,
    connectTimeoutMs: options.connectTimeoutMs ?? CONNECT_DEFAULTS.connectTimeoutMs,
    curve: options.curve === undefined ? undefined : resolveConnectCurve(options.curve),
    maxInFlight: options.maxInFlight,
    seed: options.seed,
    logger: options.logger,
  };
}

/** zeromq socket options of a CURVE client from {@link ConnectCurveOptions}, generating its keypair if none is given. @throws {InvalidOptionError} */
function resolveConnectCurve(curve: ConnectCurveOptions): CurveClientOptions {
  const bad = (what: string) => new InvalidOptionError(`connect: options.curve.${what} must be a z85 CURVE key of 40 characters, or for serverKey the path of the broker.pub written by scoop-broker keygen`);
  // The key itself, or the path of the broker.pub holding it.
  if (typeof curve?.serverKey !== "string" || !(isZ85Key(curve.serverKey) || existsSync(curve.serverKey))) throw bad("serverKey");
  const serverKey = readServerKey(curve.serverKey);
  if ((curve.publicKey === undefined) !== (curve.secretKey === undefined)) throw new InvalidOptionError("connect: give both options.curve.publicKey and options.curve.secretKey, or neither (a keypair is then generated)");
  if (curve.publicKey !== undefined && !isZ85Key(curve.publicKey)) throw bad("publicKey");
  if (curve.secretKey !== undefined && !isZ85Key(curve.secretKey)) throw bad("secretKey");
  return curveClientOptions(serverKey, curve.publicKey !== undefined ? { publicKey: curve.publicKey, secretKey: curve.secretKey! } : undefined);
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
  /** Seed of the random streams of this app's tasks (see `connect({ seed })`). @default `SCOOP_SEED`, else drawn and logged */
  seed?: number;
  /** Logger. */
  logger?: Logger;
}

/** {@link StartOptions} validated: modules as paths or URL strings. */
export interface ResolvedStartOptions {
  workers: number | undefined;
  modules: string[];
  seed: number | undefined;
  logger: Logger | undefined;
}

/** Validate {@link StartOptions} (`workers` is checked by the launcher, which owns its default). @throws {InvalidOptionError} */
export function resolveStartOptions(options: StartOptions): ResolvedStartOptions {
  if (!Array.isArray(options?.modules) || options.modules.length === 0) {
    throw new InvalidOptionError("start: options.modules must list the modules that export your tasks, e.g. start({ modules: [new URL(\"./tasks.js\", import.meta.url)] })");
  }
  const modules = options.modules.map((m) => (m instanceof URL ? (m.protocol === "file:" ? decodeURIComponent(m.pathname) : m.href) : m));
  return { workers: options.workers, modules, seed: options.seed, logger: options.logger };
}
