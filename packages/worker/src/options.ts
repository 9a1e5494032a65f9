/**
 * The options of `startWorker()`: their types with each option's default, the constant defaults as values
 * (`WORKER_DEFAULTS`, `RECONNECT_DEFAULTS`: the README's table, which a unit test holds equal) and the one place
 * they are validated and filled in (`resolveWorkerOptions`).
 */
import { hostname } from "node:os";
import type { Logger } from "pino";
import { InvalidOptionError, type CurveClientOptions } from "@scoop/protocol";

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  /** Broker endpoint, e.g. `tcp://head:5555`. */
  broker: string;
  /** The program's script. Its exported functions become tasks; the origin runs its `main`. */
  script?: string;
  /**
   * The script compiled to JavaScript, imported in its place (the launcher
   * compiles a TypeScript script once per run rather than once per worker).
   * @default none: the script itself, through tsx when it is TypeScript
   */
  compiledScript?: string;
  /**
   * The run's payload store: a private directory every process of the run on
   * this machine shares, where large buffers (arguments and results) pass as
   * files instead of through the broker (the launcher makes one, in
   * `/dev/shm`, for a run of this machine alone).
   * @default none: every payload goes through the broker
   */
  payloadStore?: string;
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
   * So does a task of this worker's own with a deadline (no other worker
   * could take it) still running this long past that deadline: its timer is
   * on the same thread and cannot fire. Checked once per heartbeat. 0: never.
   * The origin cannot end without ending `main`: for its own tasks only, it
   * ends the run instead, and the launcher says so in one line.
   * @default 2000, or 0 with `reconnect` (a daemon worker has no launcher to replace it)
   */
  stuckGraceMs?: number;
  /** Logger. @default pino at `warn` on stderr */
  logger?: Logger;
}

/** Backoff of {@link WorkerOptions.reconnect}. */
export interface ReconnectOptions {
  /** Wait before the first retry. @default 500 */
  initialDelayMs?: number;
  /** Longest wait between retries (the wait doubles up to it). @default 10000 */
  maxDelayMs?: number;
}

/** Constant defaults of {@link WorkerOptions} (`id`: host:pid; `cwd`: the process's; `bufferMs`: the runner's, 2). */
export const WORKER_DEFAULTS = Object.freeze({
  origin: false,
  app: "default",
  connectTimeoutMs: 10_000,
  reconnect: false,
  /** 0 with `reconnect` (see {@link WorkerOptions.stuckGraceMs}). */
  stuckGraceMs: 2000,
});

/** Defaults of {@link ReconnectOptions} (`reconnect: true`). */
export const RECONNECT_DEFAULTS = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 10_000,
});

/** {@link WorkerOptions} validated, defaults filled in; `reconnect` is its backoff, or undefined when off. */
export interface ResolvedWorkerOptions extends Omit<WorkerOptions, "reconnect"> {
  origin: boolean;
  id: string;
  app: string;
  cwd: string;
  argv: string[];
  connectTimeoutMs: number;
  stuckGraceMs: number;
  reconnect: Required<ReconnectOptions> | undefined;
}

/** Validate {@link WorkerOptions} and fill in defaults. @throws {InvalidOptionError} */
export function resolveWorkerOptions(options: WorkerOptions): ResolvedWorkerOptions {
  if (typeof options.broker !== "string" || options.broker === "") {
    throw new InvalidOptionError(`options.broker must be the broker's endpoint, e.g. "tcp://127.0.0.1:5555" (got ${JSON.stringify(options.broker)})`);
  }
  if (options.origin && !options.script) throw new InvalidOptionError("options.script is required for the origin worker (it runs the script's main)");
  const reconnect = resolveReconnect(options.reconnect ?? WORKER_DEFAULTS.reconnect);
  const stuckGraceMs = options.stuckGraceMs ?? (reconnect ? 0 : WORKER_DEFAULTS.stuckGraceMs);
  if (!(Number.isSafeInteger(stuckGraceMs) && stuckGraceMs >= 0)) throw new InvalidOptionError(`options.stuckGraceMs must be a non-negative integer of milliseconds (got ${String(options.stuckGraceMs)})`);
  return {
    ...options,
    origin: options.origin ?? WORKER_DEFAULTS.origin,
    id: options.id ?? `${hostname()}:${process.pid}`,
    app: options.app ?? WORKER_DEFAULTS.app,
    cwd: options.cwd ?? process.cwd(),
    argv: options.argv ?? [],
    connectTimeoutMs: options.connectTimeoutMs ?? WORKER_DEFAULTS.connectTimeoutMs,
    stuckGraceMs,
    reconnect,
  };
}

function resolveReconnect(value: boolean | ReconnectOptions): Required<ReconnectOptions> | undefined {
  if (value === false) return undefined;
  const o = value === true ? {} : value;
  const initialDelayMs = o.initialDelayMs ?? RECONNECT_DEFAULTS.initialDelayMs;
  const maxDelayMs = o.maxDelayMs ?? RECONNECT_DEFAULTS.maxDelayMs;
  for (const [name, v] of [["initialDelayMs", initialDelayMs], ["maxDelayMs", maxDelayMs]] as const) {
    if (!(typeof v === "number" && Number.isFinite(v) && v > 0)) throw new InvalidOptionError(`options.reconnect.${name} must be a positive number of milliseconds (got ${String(v)})`);
  }
  return { initialDelayMs, maxDelayMs: Math.max(initialDelayMs, maxDelayMs) };
}
