/**
 * The options of `runProgram()` and `startCluster()`: their types with each option's default, the constant defaults
 * as values (`RUN_DEFAULTS`, `CLUSTER_DEFAULTS`: the README's tables, which a unit test holds equal) and the one
 * place they are validated and filled in (`resolveRunOptions`, `resolveClusterOptions`).
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type { Logger } from "pino";
import { InvalidOptionError, ScoopError } from "@scoop/protocol";
import { lazyPino } from "@scoop/protocol/internal";
import type { LauncherKind } from "./plan.js";
import { assertMayHaveMain } from "./script-check.js";
import type { SshOptions } from "./ssh-workers.js";

/** Options of {@link runProgram}. */
export interface RunOptions {
  /** The program: a `.ts`, `.mts`, `.js`, `.mjs` or `.cjs` file exporting `main`. */
  script: string;
  /** Arguments passed to `main`. @default [] */
  argv?: string[];
  /** Number of workers, the origin included. @default every slot of the hosts (this machine: the number of cores) */
  workers?: number;
  /** Working directory of the workers, on every host. @default process.cwd() */
  cwd?: string;
  /** Niceness of the worker processes (0–19). @default 0 */
  nice?: number;
  /** Prefix the workers' output with their id. @default false */
  prefixOutput?: boolean;
  /** Level of the workers' logs. @default "warn" */
  logLevel?: string;
  /** Broker liveness bound (a silent worker is lost after this long). @default 4000 (with the 1 s heartbeat, a dead worker is lost within 5 s) */
  livenessMs?: number;
  /** Heartbeat interval. @default 1000 */
  heartbeatMs?: number;
  /** Largest message part the broker accepts (a task's arguments or result); bigger ones fail at submit. @default 256 MiB (the broker's default) */
  maxMessageBytes?: number;
  /** How long workers get to exit after the run ends before SIGKILL. @default 5000 */
  graceMs?: number;
  /** Hosts (`--hosts`): `name` or `name:workers`. @default the batch allocation, else this machine */
  hosts?: string[];
  /** Hostfile (`--hostfile`): `hostname [workers]` per line. */
  hostfile?: string;
  /** How workers start (`--launcher`). @default "auto": local for this machine, the scheduler's tool inside an allocation, else SSH */
  launcher?: LauncherKind | "auto";
  /** How to reach SSH hosts. */
  ssh?: SshOptions;
  /** Node executable on other hosts. @default process.execPath */
  remoteNode?: string;
  /**
   * How workers on this machine reach the broker: `"ipc"`, a Unix socket in a
   * private directory (measured faster than loopback TCP for large frames,
   * as fast for small ones: `benchmarks/ipc-vs-tcp.ts`), or `"tcp"`
   * (loopback). Workers on other hosts always use TCP.
   * @default "ipc"
   */
  localTransport?: "ipc" | "tcp";
  /**
   * A run of this machine alone passes buffers of 64 KiB or more (arguments
   * and results) as files in a private directory of `/dev/shm` (RAM) instead
   * of through the broker: copied once in and once out rather than four times
   * through two sockets (`benchmarks/run.ts`, W5). Removed at the end of the run.
   * @default true
   */
  payloadStore?: boolean;
  /** Shell file sourced on other hosts before each worker starts. */
  prolog?: string;
  /** Remote workers dial the broker through reverse SSH tunnels. @default false */
  tunnel?: boolean;
  /** Address remote workers dial. @default per SSH host, the local address of its connection; else this hostname */
  brokerHostname?: string;
  /**
   * Leave CURVE off: no per-run keys, even for workers off this machine (a
   * trusted private network, and only trusted users on this machine; needed
   * with pbsdsh, which cannot pass keys on standard input).
   * @default false (a TCP port gets per-run CURVE keys; a run of this machine
   * alone has no TCP port, only a Unix socket in an owner-only directory)
   */
  insecure?: boolean;
  /** Environment read for a batch allocation. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** A worker (not the origin) that has run this many tasks leaves and a fresh process replaces it. @default never */
  maxTasksPerWorker?: number;
  /** A worker (not the origin) whose resident memory passes this many MB leaves and a fresh process replaces it. @default never */
  maxWorkerMemoryMb?: number;
  /** A worker still inside a task this long after its owner gave up on it (deadline, cancel), or this long past the deadline of a task of its own, ends and a fresh process replaces it; the origin ends the run instead (its own tasks only); 0: never. @default 2000 (`@scoop/worker`'s stuckGraceMs) */
  stuckGraceMs?: number;
  /** Seed of the run's random streams (passed to the origin as `SCOOP_SEED`). @default drawn by the origin and logged at info */
  seed?: number;
  /** Write the run as Chrome Trace Event JSON to this file (`--trace`). @default none */
  trace?: string;
  /** Serve the live dashboard and `/metrics` on this port, 0 for a free one (`--dashboard`). @default none */
  dashboard?: number;
  /** Progress lines per running map on stderr (`--progress`/`--no-progress`). @default on when stderr is a terminal */
  progress?: boolean;
  logger: Logger;
  /**
   * Aborting ends the run: workers are stopped and the run resolves with
   * 128 + the signal's number when the reason is a signal name (`"SIGTERM"`:
   * 143, `"SIGPIPE"`: 141), else 130.
   */
  signal?: AbortSignal;
}

/**
 * Constant defaults of {@link RunOptions} (the others depend on the machine or the run: see each option). The CLI's
 * flags have the same defaults (main.ts reads these).
 */
export const RUN_DEFAULTS = Object.freeze({
  nice: 0,
  prefixOutput: false,
  logLevel: "warn",
  livenessMs: 4000,
  heartbeatMs: 1000,
  graceMs: 5000,
  launcher: "auto" as const,
  tunnel: false,
  insecure: false,
  localTransport: "ipc" as const,
  payloadStore: true,
});

type Optional = "signal" | "maxMessageBytes" | "workers" | "hosts" | "hostfile" | "ssh" | "remoteNode" | "prolog" | "brokerHostname" | "env" | "maxTasksPerWorker" | "maxWorkerMemoryMb" | "stuckGraceMs" | "seed" | "trace" | "dashboard" | "progress";
/** {@link RunOptions} validated, every default filled in. */
export type ResolvedRunOptions = Required<Omit<RunOptions, Optional>> & Pick<RunOptions, Optional>;

/** Validate {@link RunOptions} and fill in defaults. @throws {ScoopError} `SCOOP_SCRIPT_NOT_FOUND`, `SCOOP_NO_MAIN`, {@link InvalidOptionError} */
export function resolveRunOptions(options: RunOptions): ResolvedRunOptions {
  const cwd = resolve(options.cwd ?? process.cwd());
  const script = resolve(cwd, options.script);
  if (!existsSync(script)) {
    throw new ScoopError("SCOOP_SCRIPT_NOT_FOUND", `cannot find the script ${script}: check the path (relative paths start from ${cwd})`);
  }
  assertMayHaveMain(script);
  const workers = options.workers;
  if (workers !== undefined && (!Number.isSafeInteger(workers) || workers < 1)) throw new InvalidOptionError(`the number of workers must be a positive integer (got ${workers})`);
  const nice = options.nice ?? RUN_DEFAULTS.nice;
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new InvalidOptionError(`nice must be an integer from 0 to 19 (got ${nice})`);
  for (const [name, value] of [["maxTasksPerWorker", options.maxTasksPerWorker], ["maxWorkerMemoryMb", options.maxWorkerMemoryMb]] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw new InvalidOptionError(`${name} must be a positive integer (got ${value})`);
  }
  if (options.stuckGraceMs !== undefined && (!Number.isSafeInteger(options.stuckGraceMs) || options.stuckGraceMs < 0)) throw new InvalidOptionError(`--stuck-grace-ms must be a non-negative integer of milliseconds (got ${options.stuckGraceMs})`);
  if (options.seed !== undefined && (!Number.isSafeInteger(options.seed) || options.seed < 0)) throw new InvalidOptionError(`--seed must be a non-negative integer up to ${Number.MAX_SAFE_INTEGER} (got ${options.seed})`);
  return {
    ...options,
    script,
    argv: options.argv ?? [],
    workers,
    cwd,
    nice,
    prefixOutput: options.prefixOutput ?? RUN_DEFAULTS.prefixOutput,
    logLevel: options.logLevel ?? RUN_DEFAULTS.logLevel,
    livenessMs: options.livenessMs ?? RUN_DEFAULTS.livenessMs,
    heartbeatMs: options.heartbeatMs ?? RUN_DEFAULTS.heartbeatMs,
    graceMs: options.graceMs ?? RUN_DEFAULTS.graceMs,
    launcher: options.launcher ?? RUN_DEFAULTS.launcher,
    tunnel: options.tunnel ?? RUN_DEFAULTS.tunnel,
    insecure: options.insecure ?? RUN_DEFAULTS.insecure,
    localTransport: options.localTransport ?? RUN_DEFAULTS.localTransport,
    payloadStore: options.payloadStore ?? RUN_DEFAULTS.payloadStore,
    logger: options.logger,
  };
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Modules whose exported functions are the tasks. */
  modules: string[];
  /** Number of worker processes. @default the number of cores */
  workers?: number;
  /** Logger. @default pino at `SCOOP_LOG_LEVEL` (warn) on stderr */
  logger?: Logger;
  /** How long workers get to leave before SIGKILL when the cluster stops. @default 5000 */
  graceMs?: number;
}

/** Constant defaults of {@link ClusterOptions} (`workers`: the number of cores). */
export const CLUSTER_DEFAULTS = Object.freeze({
  graceMs: 5000,
});

/** {@link ClusterOptions} validated, every default filled in. */
export interface ResolvedClusterOptions {
  modules: string[];
  workers: number;
  logger: Logger;
  graceMs: number;
}

/** Validate {@link ClusterOptions} and fill in defaults. @throws {InvalidOptionError} */
export function resolveClusterOptions(options: ClusterOptions): ResolvedClusterOptions {
  const workers = options.workers ?? availableParallelism();
  if (!Number.isSafeInteger(workers) || workers < 1) throw new InvalidOptionError(`options.workers must be a positive integer (got ${String(options.workers)})`);
  return {
    modules: options.modules,
    workers,
    logger: options.logger ?? lazyPino(process.env.SCOOP_LOG_LEVEL ?? "warn"),
    graceMs: options.graceMs ?? CLUSTER_DEFAULTS.graceMs,
  };
}
