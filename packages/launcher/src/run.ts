/**
 * Running a program: plan the run (hosts → workers → launch method), start
 * the broker (in this process), start each host's workers with its launch
 * method (local processes, SSH, a batch scheduler's tool; the first worker is
 * the origin), wait for the origin, end the run and leave nothing behind — on
 * success, failure, SIGINT, SIGTERM or a host that drops alike.
 */
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import type { Logger } from "pino";
import type { Broker } from "@scoop/broker";
import { EXIT_RECYCLED, ScoopError } from "@scoop/protocol";
import { compileScript } from "./compile-script.js";
import { spawnLocalWorker, stopLocalWorkers, workerBinPath, workerPackageJson, type LocalWorker } from "./local-workers.js";
import { admitOriginOnceJoined } from "./origin-start.js";
import { endpointPort, formatPlan, planRun, tcpEndpoint, type HostGroup, type RunPlan } from "./plan.js";
import { resolveRunOptions, type ResolvedRunOptions, type RunOptions } from "./options.js";
import { payloadStoreDir, privateIpcEndpoint } from "./private-socket.js";
import { isSchedulerLauncher, spawnSchedulerWorker } from "./scheduler-launch.js";
import { drawsLiveProgress, openRunViews, type RunViews } from "./run-views.js";
import { RunKeys } from "./secrets.js";
import type { SshHost } from "./ssh-workers.js";
import { signalExitCode, type LaunchedWorker, type WorkerSpec } from "./worker-spec.js";
import { FatalReports, howItEnded, originEnd, pidOf } from "./worker-exits.js";

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
  const allLocal = plan.groups.every((g) => g.launcher === "local");
  const ipc = o.localTransport === "ipc" && local ? privateIpcEndpoint() : undefined;
  // A run of this machine alone listens only there: its owner-only directory
  // keeps other users out, so it needs no keys (CURVE would encrypt every byte
  // twice through the broker: benchmarks/local-security.ts). Anything others
  // can reach, such as a TCP port on a shared login node, gets per-run CURVE
  // keys, or none with --insecure.
  const privateOnly = ipc !== undefined && !o.insecure && allLocal;
  const keys = o.insecure || privateOnly ? undefined : new RunKeys();
  // Every worker on this machine: large buffers pass as files in RAM, not through the broker.
  const payloadStore = o.payloadStore && allLocal ? payloadStoreDir(tmpdir()) : undefined;
  if (keys) for (let i = 0; i < plan.workers; i++) keys.client(`w${i}`);
  const launches: Launch[] = [];
  let broker: Broker | undefined;
  let views: RunViews | undefined;
  let stopping = false;
  let stopWaitingForWorkers: (() => void) | undefined;
  const abortCode = () => signalExitCode(typeof o.signal?.reason === "string" ? o.signal.reason : undefined, 130);
  const aborted = new Promise<number>((resolveAbort) => {
    if (o.signal?.aborted) resolveAbort(abortCode());
    o.signal?.addEventListener("abort", () => resolveAbort(abortCode()), { once: true });
  });
  // Local workers that end on a fatal error leave a report: the launcher tells "ran out of memory" from another abort.
  const reports = local ? new FatalReports(ipc?.dir) : undefined;
  // While the broker starts: TypeScript compiled once for this machine's workers, in the run's private directory.
  // It starts on the next turn, once the workers are spawned (loading esbuild takes the thread for ~20 ms).
  const compiled = ipc ? new Promise((next) => setImmediate(next)).then(() => compileScript(o.script, ipc.dir, workerPackageJson(), log)) : undefined;
  // A run of this machine alone that nothing watches from its start (no trace, no dashboard) starts its workers
  // at once, while the script compiles (they read the outcome on standard input once they have loaded) and the
  // broker loads and binds (they dial its Unix socket; ZeroMQ retries until it is there).
  const early = privateOnly && o.trace === undefined && o.dashboard === undefined ? launchAll(plan, { endpoint: ipc.endpoint, endpoints: [ipc.endpoint] }, o, app, launches, () => stopping, log, keys, { nodeArgs: reports?.nodeArgs, compiled, payloadStore }) : undefined;
  early?.catch(() => undefined); // awaited through `started`, or in `finally`
  const started = (async () => {
    const { startBroker } = await import("@scoop/broker");
    broker = await startBroker({
      bind: privateOnly ? ipc.endpoint : ipc ? [plan.broker.bind, ipc.endpoint] : plan.broker.bind,
      unknownTasks: "fail",
      holdOrigins: true, // main starts once the workers have joined (origin-start.ts)
      livenessMs: o.livenessMs,
      heartbeatMs: o.heartbeatMs,
      maxMessageBytes: o.maxMessageBytes,
      curve: keys && { ...keys.broker, allowedClients: keys.clientPublicKeys() },
      insecure: o.insecure,
      logger: o.logger,
    });
    views = await openRunViews(broker, { trace: o.trace, dashboard: o.dashboard, progress: o.progress }, log);
    log.info(`${formatPlan(plan, broker.endpoint)}\n  security: ${keys ? "CURVE with per-run keys" : privateOnly ? "a Unix socket in an owner-only directory, no TCP port" : "none (--insecure)"}`);
    return early ?? launchAll(plan, broker, o, app, launches, () => stopping, log, keys, { nodeArgs: reports?.nodeArgs, compiled: await compiled, payloadStore });
  })();
  try {
    const launched = await Promise.race([started, aborted]);
    if (typeof launched === "number") return launched;
    const origin = launched.origin;
    const b = broker!;
    stopWaitingForWorkers = admitOriginOnceJoined(b, launches.flatMap((l) => l.workers.filter((w) => w !== origin).map((worker) => ({ worker, local: l.group.launcher === "local" }))));
    // Once the origin ends the run, workers leave on their own: not worth a warning.
    let ending = false;
    b.on("shutdown", () => (ending = true));
    let originDone = false;
    // Workers that ended themselves, stuck in a task past its deadline (the broker hears it before they exit): id → task name.
    const stuck = new Map<string, string>();
    b.on("peer:lost", (peer, info) => info.stuck !== undefined && stuck.set(peer.id, info.task ?? "?"));
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
        if (stopping || o.signal?.aborted) return e.code;
        // Stuck past a deadline, killed from outside (OOM killer, kill -9), out of memory: the origin could not say so itself.
        const { queued, running } = b.stats();
        const end = originEnd(origin, e, queued + running, stuck.get(origin.id), reports);
        if (end.line !== undefined) log.error(end.line);
        return end.code;
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
    stopWaitingForWorkers?.();
    // Connections still opening are dropped, so the start-up ends quickly.
    await Promise.all(launches.filter((l) => l instanceof SshLaunch && !l.host.connected).map((l) => (l as SshLaunch).host.stop(0)));
    await started.catch(() => undefined);
    await early?.catch(() => undefined);
    await compiled; // never rejects; done before its directory goes
    await Promise.all(launches.map((l) => l.stop(o.graceMs).catch((error) => log.warn({ err: error, host: l.group.host }, "could not stop the workers of a host"))));
    await (views as RunViews | undefined)?.close();
    await (broker as Broker | undefined)?.close();
    reports?.close();
    if (ipc) rmSync(ipc.dir, { recursive: true, force: true });
    if (payloadStore) rmSync(payloadStore, { recursive: true, force: true });
  }
}

/** What {@link launchAll} started: the origin, and how to replace a worker that recycled itself. */
interface Launched {
  origin: LaunchedWorker;
  /** Start a fresh worker in place of `worker` (same host, same keys, new id). */
  respawn(worker: LaunchedWorker): LaunchedWorker | undefined;
}

async function launchAll(plan: RunPlan, broker: Pick<Broker, "endpoint" | "endpoints">, o: ResolvedRunOptions, app: string, launches: Launch[], stopping: () => boolean, log: Logger, keys: RunKeys | undefined, localStart: Pick<WorkerSpec, "nodeArgs" | "compiled" | "payloadStore">): Promise<Launched> {
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
      stuckGraceMs: o.stuckGraceMs,
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
            ? spawnLocalWorker({ ...spec(i, "local", localEndpoint, g), ...localStart }, log, secrets(i))
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
