/**
 * What a worker process runs, wherever it runs (this machine, SSH, a batch
 * scheduler), and the `scoop-worker` arguments that say it.
 */
import { constants as osConstants } from "node:os";
import { WORKER_MODE_ENV } from "@scoop/protocol";

/** What one worker process runs, wherever it runs. */
export interface WorkerSpec {
  id: string;
  broker: string;
  app: string;
  /** Script whose exports are tasks (the origin also runs its main). */
  script?: string;
  /**
   * The script compiled to JavaScript, imported in its place (workers of this machine). A compile still under way:
   * the worker starts meanwhile and reads the outcome on standard input (never with {@link secretsOnStdin}).
   */
  compiled?: string | Promise<string | undefined>;
  /** The run's payload store directory (workers of this machine, in a run of this machine alone). */
  payloadStore?: string;
  modules?: string[];
  origin?: boolean;
  argv?: string[];
  cwd?: string;
  /** Niceness added to the process (0–19). */
  nice?: number;
  /** Prefix each output line with the worker id. */
  prefix?: boolean;
  /** Give the process the launcher's own stdout/stderr (the origin's output stays a terminal). */
  inherit?: boolean;
  logLevel: string;
  /** The worker reads its secrets (CURVE keys) as one JSON line on standard input. */
  secretsOnStdin?: boolean;
  /** Leave after this many tasks (the launcher starts a fresh worker). */
  maxTasks?: number;
  /** Leave once resident memory passes this many MB (the launcher starts a fresh worker). */
  maxMemoryMb?: number;
  /** End when stuck this long in a task its owner gave up on (the launcher starts a fresh worker); 0: never. */
  stuckGraceMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Options of `node` itself, before the bin (local workers only). */
  nodeArgs?: readonly string[];
}

/** A started worker process and the promise of its exit. */
export interface LaunchedWorker {
  readonly id: string;
  readonly host: string;
  /** Exit code, or 128 + signal number when killed by a signal. */
  readonly exited: Promise<{ code: number; signal: NodeJS.Signals | null }>;
}

/** The shell's exit status of a process ended by `signal`: 128 + its number (SIGABRT 134, SIGKILL 137, SIGTERM 143). */
export function signalExitCode(signal: NodeJS.Signals | string | null | undefined, fallback = 128): number {
  const n = signal ? (osConstants.signals as Record<string, number>)[signal] : undefined;
  return n === undefined ? fallback : 128 + n;
}

/** Arguments of `scoop-worker` for a spec. */
export function workerArgs(spec: WorkerSpec): string[] {
  const args = ["--broker", spec.broker, "--id", spec.id, "--app", spec.app];
  for (const m of spec.modules ?? []) args.push("--module", m);
  if (typeof spec.compiled === "string") args.push("--compiled", spec.compiled);
  else if (spec.compiled !== undefined) args.push("--compiled-stdin");
  if (spec.payloadStore !== undefined) args.push("--payload-store", spec.payloadStore);
  if (spec.origin) args.push("--origin");
  if (spec.secretsOnStdin) args.push("--secrets-stdin");
  if (spec.maxTasks !== undefined) args.push("--max-tasks", String(spec.maxTasks));
  if (spec.maxMemoryMb !== undefined) args.push("--max-memory-mb", String(spec.maxMemoryMb));
  if (spec.stuckGraceMs !== undefined) args.push("--stuck-grace-ms", String(spec.stuckGraceMs));
  if (spec.script) args.push("--", spec.script, ...(spec.argv ?? []));
  return args;
}

/** Quote for a POSIX shell. */
export const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** How a shell on another host starts a worker. */
export interface ShellCommandOptions {
  /** Node executable there. @default process.execPath (the same path as here, as SCOOP does) */
  node?: string;
  /** Shell file sourced first (module loads, environment). */
  prolog?: string;
  /** Print `SCOOP_PID=<pid>` on stderr first, so the launcher can kill the worker by PID. */
  echoPid?: boolean;
}

/**
 * The POSIX shell command that starts one worker on another host: print its
 * PID (optional), `cd` to its directory, source the prolog, then `exec` the
 * worker (so the PID printed is the worker's) with its environment and niceness.
 */
export function workerShellCommand(spec: WorkerSpec, binPath: string, options: ShellCommandOptions = {}): string {
  const vars = { ...spec.env, [WORKER_MODE_ENV]: "1", SCOOP_LOG_LEVEL: spec.logLevel };
  const env = Object.entries(vars)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${shellQuote(String(v))}`)
    .join(" ");
  const nice = spec.nice ? `nice -n ${spec.nice} ` : "";
  const argv = [options.node ?? process.execPath, binPath, ...workerArgs(spec)].map(shellQuote).join(" ");
  const steps: string[] = [];
  if (options.echoPid) steps.push("echo SCOOP_PID=$$ >&2");
  if (spec.cwd) steps.push(`cd ${shellQuote(spec.cwd)}`);
  if (options.prolog) steps.push(`. ${shellQuote(options.prolog)}`);
  steps.push(`exec env ${env} ${nice}${argv}`);
  return steps.join(" && ");
}
