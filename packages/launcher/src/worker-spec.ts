/**
 * What a worker process runs, wherever it runs (this machine, SSH, a batch
 * scheduler), and the `scoop-worker` arguments that say it.
 */

/** What one worker process runs, wherever it runs. */
export interface WorkerSpec {
  id: string;
  broker: string;
  app: string;
  /** Script whose exports are tasks (the origin also runs its main). */
  script?: string;
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
  env?: NodeJS.ProcessEnv;
}

/** A started worker process and the promise of its exit. */
export interface LaunchedWorker {
  readonly id: string;
  readonly host: string;
  /** Exit code, or 128 + signal number when killed by a signal. */
  readonly exited: Promise<{ code: number; signal: NodeJS.Signals | null }>;
}

/** Arguments of `scoop-worker` for a spec. */
export function workerArgs(spec: WorkerSpec): string[] {
  const args = ["--broker", spec.broker, "--id", spec.id, "--app", spec.app];
  for (const m of spec.modules ?? []) args.push("--module", m);
  if (spec.origin) args.push("--origin");
  if (spec.secretsOnStdin) args.push("--secrets-stdin");
  if (spec.script) args.push("--", spec.script, ...(spec.argv ?? []));
  return args;
}
