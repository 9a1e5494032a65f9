/**
 * Running a program: plan the run (hosts → workers → launch method), start
 * the broker (in this process), start each host's workers with its launch
 * method (local processes, SSH, a batch scheduler's tool; the first worker is
 * the origin), wait for the origin, end the run and leave nothing behind — on
 * success, failure, SIGINT, SIGTERM or a host that drops alike.
 */
import { randomUUID } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import type { Logger } from "pino";
import { startBroker, type Broker } from "@scoop/broker";
import { EXIT_RECYCLED, InvalidOptionError, ScoopError } from "@scoop/protocol";
import { spawnLocalWorker, stopLocalWorkers, workerBinPath, type LocalWorker } from "./local-workers.js";
import { endpointPort, formatPlan, planRun, tcpEndpoint, type HostGroup, type LauncherKind, type RunPlan } from "./plan.js";
import { privateIpcEndpoint } from "./private-socket.js";
import { isSchedulerLauncher, spawnSchedulerWorker } from "./scheduler-launch.js";
import { drawsLiveProgress, openRunViews, type RunViews } from "./run-views.js";
import { assertMayHaveMain } from "./script-check.js";
import { RunKeys } from "./secrets.js";
import type { SshHost, SshOptions } from "./ssh-workers.js";
import { signalExitCode, type LaunchedWorker, type WorkerSpec } from "./worker-spec.js";
import { FatalReports, howItEnded, pidOf } from "./worker-exits.js";

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
  /** A worker (not the origin) still inside a task this long after its owner gave up on it (deadline, cancel) ends and a fresh process replaces it; 0: never. @default 2000 (`@scoop/worker`'s stuckGraceMs) */
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

type Optional = "signal" | "maxMessageBytes" | "workers" | "hosts" | "hostfile" | "ssh" | "remoteNode" | "prolog" | "brokerHostname" | "env" | "maxTasksPerWorker" | "maxWorkerMemoryMb" | "stuckGraceMs" | "seed" | "trace" | "dashboard" | "progress";
type Resolved = Required<Omit<RunOptions, Optional>> & Pick<RunOptions, Optional>;

/** Validated {@link RunOptions}. */
export function resolveRunOptions(options: RunOptions): Resolved {
  const cwd = resolve(options.cwd ?? process.cwd());
  const script = resolve(cwd, options.script);
  if (!existsSync(script)) {
    throw new ScoopError("SCOOP_SCRIPT_NOT_FOUND", `cannot find the script ${script}: check the path (relative paths start from ${cwd})`);
  }
  assertMayHaveMain(script);
  const workers = options.workers;
  if (workers !== undefined && (!Number.isSafeInteger(workers) || workers < 1)) throw new InvalidOptionError(`the number of workers must be a positive integer (got ${workers})`);
  const nice = options.nice ?? 0;
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
    prefixOutput: options.prefixOutput ?? false,
    logLevel: options.logLevel ?? "warn",
    livenessMs: options.livenessMs ?? 4000,
    heartbeatMs: options.heartbeatMs ?? 1000,
    graceMs: options.graceMs ?? 5000,
    launcher: options.launcher ?? "auto",
    tunnel: options.tunnel ?? false,
    insecure: options.insecure ?? false,
    localTransport: options.localTransport ?? "ipc",
    logger: options.logger,
  };
}

/** Workers started on one host by one launch method, and how to stop them. */
interface Launch {
  readonly group: HostGroup;
  readonly workers: LaunchedWorker[];
  /** True if the method itself is gone (a lost SSH connection). */
  lost(): boolean;
  stop(graceMs: number): Promise<void>;
}

/** Local processes: workers on this machine, or a scheduler's tool (srun…) per worker. */
class ProcessLaunch implements Launch {
  readonly workers: LocalWorker[] = [];
  constructor(readonly group: HostGroup) {}
  lost(): boolean {
    return false;
  }
  stop(graceMs: number): Promise<void> {
    return stopLocalWorkers(this.workers, graceMs);
  }
}

/** Workers over one SSH connection. */
class SshLaunch implements Launch {
  constructor(readonly group: HostGroup, readonly host: SshHost) {}
  get workers(): LaunchedWorker[] {
    return this.host.workers;
  }
  lost(): boolean {
    return !this.host.connected;
  }
  stop(graceMs: number): Promise<void> {
    return this.host.stop(graceMs);
  }
}

/**
 * Run a program on the planned hosts; resolves with the run's exit code (the
 * origin's), never leaving a worker process behind.
 */
export async function runProgram(options: RunOptions): Promise<number> {
  const o = resolveRunOptions(options);
  const log = o.logger.child({ component: "launcher" });
  const plan = planRun({
    hosts: o.hosts,
    hostfile: o.hostfile,
    workers: o.workers,
    launcher: o.launcher,
    tunnel: o.tunnel,
    brokerHostname: o.brokerHostname,
    env: o.env,
  });
  const app = randomUUID();
  // Workers on this machine dial a Unix socket (see RunOptions.localTransport).
  const local = plan.groups.some((g) => g.launcher === "local");
  const ipc = o.localTransport === "ipc" && local ? privateIpcEndpoint() : undefined;
  // A run of this machine alone listens only there: its owner-only directory
  // keeps other users out, so it needs no keys (CURVE would encrypt every byte
  // twice through the broker: benchmarks/local-security.ts). Anything others
  // can reach, such as a TCP port on a shared login node, gets per-run CURVE
  // keys, or none with --insecure.
  const privateOnly = ipc !== undefined && !o.insecure && plan.groups.every((g) => g.launcher === "local");
  const keys = o.insecure || privateOnly ? undefined : new RunKeys();
  if (keys) for (let i = 0; i < plan.workers; i++) keys.client(`w${i}`);
  const launches: Launch[] = [];
  let broker: Broker | undefined;
  let views: RunViews | undefined;
  let stopping = false;
  const abortCode = () => signalExitCode(typeof o.signal?.reason === "string" ? o.signal.reason : undefined, 130);
  const aborted = new Promise<number>((resolveAbort) => {
    if (o.signal?.aborted) resolveAbort(abortCode());
    o.signal?.addEventListener("abort", () => resolveAbort(abortCode()), { once: true });
  });
  // Local workers that end on a fatal error leave a report: the launcher tells "ran out of memory" from another abort.
  const reports = local ? new FatalReports(ipc?.dir) : undefined;
  const started = (async () => {
    broker = await startBroker({
      bind: privateOnly ? ipc.endpoint : ipc ? [plan.broker.bind, ipc.endpoint] : plan.broker.bind,
      unknownTasks: "fail",
      livenessMs: o.livenessMs,
      heartbeatMs: o.heartbeatMs,
      maxMessageBytes: o.maxMessageBytes,
      curve: keys && { ...keys.broker, allowedClients: keys.clientPublicKeys() },
      insecure: o.insecure,
      logger: o.logger,
    });
    views = await openRunViews(broker, { trace: o.trace, dashboard: o.dashboard, progress: o.progress }, log);
    log.info(`${formatPlan(plan, broker.endpoint)}\n  security: ${keys ? "CURVE with per-run keys" : privateOnly ? "a Unix socket in an owner-only directory, no TCP port" : "none (--insecure)"}`);
    return launchAll(plan, broker, o, app, launches, () => stopping, log, keys, reports?.nodeArgs);
  })();
  try {
    const launched = await Promise.race([started, aborted]);
    if (typeof launched === "number") return launched;
    const origin = launched.origin;
    const b = broker!;
    // Once the origin ends the run, workers leave on their own: not worth a warning.
    let ending = false;
    b.on("shutdown", () => (ending = true));
    let originDone = false;
    // Workers that ended themselves, stuck in a task its owner gave up on (the broker hears it before they exit).
    const stuck = new Set<string>();
    b.on("peer:lost", (peer, info) => info.stuck !== undefined && stuck.add(peer.id));
    const watch = (w: LaunchedWorker, launch: Launch | undefined) => {
      void w.exited.then(({ code, signal }) => {
        if (ending || stopping || b.state !== "running" || originDone) return;
        if (code === EXIT_RECYCLED || stuck.delete(w.id)) {
          // It left after its task or memory limit, or to free its core: a fresh process takes its place.
          const fresh = launched.respawn(w);
          if (fresh) watch(fresh, launch);
          log.info({ worker: w.id, replacement: fresh?.id }, code === EXIT_RECYCLED ? "a worker recycled itself; started a fresh one" : "a worker stuck in an abandoned task ended itself; started a fresh one");
          return;
        }
        // A process of this machine that joined with this pid is gone: its
        // tasks run elsewhere now, not after the broker's liveness timeout.
        const pid = (w as Partial<LocalWorker>).child?.pid;
        if (pid !== undefined) b.peerExited(w.id, pid);
        log.warn({ worker: w.id, host: w.host, code, signal }, launch?.lost() ? "lost the host of a worker; its tasks run elsewhere" : `worker ${w.id}${pidOf(w)} ${howItEnded(w, { code, signal }, reports)} during the run; its tasks run elsewhere`);
      });
    };
    for (const launch of launches) for (const w of launch.workers) if (w !== origin) watch(w, launch);
    const code = await Promise.race([
      origin.exited.then((e) => {
        originDone = true;
        if (e.signal !== null && !stopping && !o.signal?.aborted) {
          // Killed from outside (OOM killer, kill -9), or out of memory: the origin could not say so itself.
          const { queued, running } = b.stats();
          log.error(`the origin (worker ${origin.id} on ${origin.host}${pidOf(origin)}) ${howItEnded(origin, e, reports)}: main did not finish; ${queued + running} task(s) were in flight and are dropped; the run stops with exit code ${e.code}`);
        }
        return e.code;
      }),
      aborted,
    ]);
    const originLaunch = launches.find((l) => l.workers.includes(origin));
    if (code === 255 && originLaunch?.lost()) {
      log.error({ host: origin.host }, `lost the origin's host ${origin.host}: the run cannot go on; check the network and the host, then run again`);
    }
    log.info({ code }, "the run ended");
    b.shutdown(code);
    return code;
  } finally {
    stopping = true;
    // Connections still opening are dropped, so the start-up ends quickly.
    await Promise.all(launches.filter((l) => l instanceof SshLaunch && !l.host.connected).map((l) => (l as SshLaunch).host.stop(0)));
    await started.catch(() => undefined);
    await Promise.all(launches.map((l) => l.stop(o.graceMs).catch((error) => log.warn({ err: error, host: l.group.host }, "could not stop the workers of a host"))));
    await (views as RunViews | undefined)?.close();
    await (broker as Broker | undefined)?.close();
    reports?.close();
    if (ipc) rmSync(ipc.dir, { recursive: true, force: true });
  }
}

/** What {@link launchAll} started: the origin, and how to replace a worker that recycled itself. */
interface Launched {
  origin: LaunchedWorker;
  /** Start a fresh worker in place of `worker` (same host, same keys, new id). */
  respawn(worker: LaunchedWorker): LaunchedWorker | undefined;
}

async function launchAll(plan: RunPlan, broker: Broker, o: Resolved, app: string, launches: Launch[], stopping: () => boolean, log: Logger, keys?: RunKeys, localNodeArgs?: readonly string[]): Promise<Launched> {
  // Only remote workers and a run without a Unix socket need the TCP port.
  const port = () => endpointPort(broker.endpoints.find((e) => e.startsWith("tcp://")) ?? broker.endpoint);
  const bin = workerBinPath();
  const spec = (index: number, host: string, brokerEndpoint: string, generation = 0): WorkerSpec => {
    const origin = index === 0;
    return {
      // A replacement gets a new id: the broker may not have seen its predecessor leave yet.
      id: generation === 0 ? `w${index}` : `w${index}.${generation}`,
      broker: brokerEndpoint,
      app,
      script: o.script,
      origin,
      argv: o.argv,
      cwd: o.cwd,
      nice: o.nice,
      prefix: o.prefixOutput,
      inherit: origin && !o.prefixOutput && host === "local" && !drawsLiveProgress(o.progress),
      logLevel: o.logLevel,
      secretsOnStdin: keys !== undefined,
      maxTasks: origin ? undefined : o.maxTasksPerWorker,
      maxMemoryMb: origin ? undefined : o.maxWorkerMemoryMb,
      stuckGraceMs: origin ? undefined : o.stuckGraceMs,
      // The origin roots the run's random streams; every task carries its own stream id from there.
      // A traced run sends every task through the broker (work-first runs would be missing from the trace).
      env: { ...(origin && o.seed !== undefined && { SCOOP_SEED: String(o.seed) }), ...(o.trace !== undefined && { SCOOP_WORK_FIRST: "0" }) },
    };
  };
  const secrets = (index: number) => keys?.secretsLine(`w${index}`);
  const checkStopping = () => {
    if (stopping()) throw new ScoopError("SCOOP_ABORTED", "the run was stopped while starting");
  };
  // SSH connections first, all at once: a host that refuses fails the run before any worker starts.
  // node-ssh (ssh2 and its crypto) loads only for runs that use it: a local run starts ~0.1 s sooner.
  const sshGroups = plan.groups.filter((g) => g.launcher === "ssh");
  const SshHost = sshGroups.length === 0 ? undefined : (await import("./ssh-workers.js")).SshHost;
  const ssh = sshGroups.map((g) => {
    const launch = new SshLaunch(g, new SshHost!(g.host, { ...o.ssh, node: o.remoteNode ?? o.ssh?.node, prolog: o.prolog ?? o.ssh?.prolog }, log));
    launches.push(launch);
    return launch;
  });
  await Promise.all(ssh.map((l) => l.host.open()));
  checkStopping();
  const sshEndpoint = new Map<SshLaunch, string>();
  for (const l of ssh) {
    if (plan.tunnel) sshEndpoint.set(l, tcpEndpoint("127.0.0.1", await l.host.openTunnel(port())));
    else sshEndpoint.set(l, tcpEndpoint(plan.broker.advertise ?? l.host.localAddress ?? hostname(), port()));
    log.debug({ host: l.group.host, broker: sshEndpoint.get(l) }, "remote workers dial");
  }
  checkStopping();
  const localEndpoint = broker.endpoints.find((e) => e.startsWith("ipc://")) ?? tcpEndpoint("127.0.0.1", port());
  const remoteEndpoint = () => tcpEndpoint(plan.broker.advertise ?? hostname(), port());
  let origin: LaunchedWorker | undefined;
  const where = new Map<LaunchedWorker, { index: number; start: (generation: number) => LaunchedWorker }>();
  let generation = 0;
  for (const group of plan.groups) {
    checkStopping();
    const indices = Array.from({ length: group.workers }, (_, i) => group.firstIndex + i);
    let startOne: (i: number, generation: number) => LaunchedWorker;
    if (group.launcher === "ssh") {
      const l = ssh.find((s) => s.group === group)!;
      startOne = (i, g) => l.host.start(spec(i, group.host, sshEndpoint.get(l)!, g), bin, secrets(i));
    } else {
      const launch = new ProcessLaunch(group);
      launches.push(launch);
      startOne = (i, g) => {
        const w =
          group.launcher === "local"
            ? spawnLocalWorker({ ...spec(i, "local", localEndpoint, g), nodeArgs: localNodeArgs }, log, secrets(i))
            : isSchedulerLauncher(group.launcher)
              ? spawnSchedulerWorker(group.launcher, group.host, spec(i, group.host, remoteEndpoint(), g), bin, { node: o.remoteNode, prolog: o.prolog }, log, secrets(i))
              : undefined;
        if (!w) throw new ScoopError("SCOOP_INTERNAL", `no launch method ${group.launcher}`);
        launch.workers.push(w);
        return w;
      };
    }
    for (const i of indices) {
      const w = startOne(i, 0);
      where.set(w, { index: i, start: (g) => startOne(i, g) });
      if (i === 0) origin = w;
    }
  }
  return {
    origin: origin!,
    respawn(worker) {
      const at = where.get(worker);
      if (at === undefined || stopping()) return undefined;
      const w = at.start(++generation);
      where.set(w, at);
      return w;
    },
  };
}
