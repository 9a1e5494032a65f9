/**
 * Worker processes on other hosts, started over SSH: one connection per host
 * (not per worker), output streamed back, and every remote process stopped
 * on every end. A remote shell prints its PID first, so teardown can kill it
 * by PID; if the host is unreachable by then, the worker stops by itself when
 * it no longer hears the broker (its heartbeat thread).
 */
import { NodeSSH, type Config } from "node-ssh";
import type { Logger } from "pino";
import { ScoopError } from "@scoop/protocol";
import { workerArgs, type LaunchedWorker, type WorkerSpec } from "./worker-spec.js";
import { createLinePrefixer } from "./output.js";

/** How to reach a host over SSH. */
export interface SshOptions {
  /** Login name. @default the current user */
  username?: string;
  /** @default 22 */
  port?: number;
  /** Private key file. */
  identityFile?: string;
  /** ssh-agent socket. @default process.env.SSH_AUTH_SOCK */
  agent?: string;
  /** Node executable on the remote host. @default "node" */
  node?: string;
  /** Shell file sourced before the worker starts (module loads, environment). */
  prolog?: string;
  /** How long to wait for a connection. @default 20000 */
  connectTimeoutMs?: number;
}

/** Quote for a POSIX shell. */
export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The remote shell command that runs one worker. */
export function remoteWorkerCommand(spec: WorkerSpec, binPath: string, ssh: SshOptions): string {
  const env = `SCOOP_WORKER=1 SCOOP_LOG_LEVEL=${shellQuote(spec.logLevel)}`;
  const nice = spec.nice ? `nice -n ${spec.nice} ` : "";
  const argv = [ssh.node ?? "node", binPath, ...workerArgs(spec)].map(shellQuote).join(" ");
  const steps = [`echo SCOOP_PID=$$ >&2`];
  if (spec.cwd) steps.push(`cd ${shellQuote(spec.cwd)}`);
  if (ssh.prolog) steps.push(`. ${shellQuote(ssh.prolog)}`);
  steps.push(`${env} exec ${nice}${argv}`);
  return steps.join(" && ");
}


/** Workers on one remote host, over one SSH connection. */
export class SshHost {
  readonly workers: LaunchedWorker[] = [];
  private readonly ssh = new NodeSSH();
  private readonly pids = new Map<string, number>();

  private constructor(readonly host: string, private readonly options: SshOptions, private readonly log: Logger) {}

  /** Connect to `host`. @throws {ScoopError} `SCOOP_SSH_FAILED` saying how to fix access. */
  static async connect(host: string, options: SshOptions, log: Logger): Promise<SshHost> {
    const h = new SshHost(host, options, log);
    const config: Config = {
      host,
      port: options.port ?? 22,
      username: options.username ?? process.env.USER ?? "root",
      readyTimeout: options.connectTimeoutMs ?? 20_000,
      keepaliveInterval: 5000,
      keepaliveCountMax: 3,
    };
    if (options.identityFile) config.privateKeyPath = options.identityFile;
    const agent = options.agent ?? process.env.SSH_AUTH_SOCK;
    if (agent) config.agent = agent;
    try {
      await h.ssh.connect(config);
    } catch (error) {
      throw new ScoopError(
        "SCOOP_SSH_FAILED",
        `cannot open SSH to ${config.username}@${host}:${config.port}: ${(error as Error).message}; check that \`ssh -p ${config.port} ${config.username}@${host} true\` works without a password (--ssh-key, ssh-agent), or use --launcher for the batch scheduler`,
        { host, cause: error },
      );
    }
    h.ssh.connection?.on("error", (error: Error) => log.warn({ err: error, host }, "SSH connection error"));
    return h;
  }

  /** Start one worker on this host. `stdin` (e.g. secrets) is written to its standard input. */
  start(spec: WorkerSpec, binPath: string, stdin?: string): LaunchedWorker {
    const tag = spec.prefix ? `[${spec.id}] ` : "";
    const out = createLinePrefixer(tag);
    const err = createLinePrefixer(tag);
    out.pipe(process.stdout, { end: false });
    err.pipe(process.stderr, { end: false });
    let pidSeen = false;
    let stderrHead = "";
    const command = remoteWorkerCommand(spec, binPath, this.options);
    this.log.debug({ host: this.host, worker: spec.id, command }, "starting a remote worker");
    const exited = this.ssh
      .execCommand(command, {
        stdin,
        noTrim: true,
        onStdout: (chunk) => out.write(chunk),
        onStderr: (chunk) => {
          if (pidSeen) return void err.write(chunk);
          // The first line is the remote PID, for teardown; the rest is output.
          stderrHead += chunk.toString("utf8");
          const nl = stderrHead.indexOf("\n");
          if (nl < 0) return;
          const m = /^SCOOP_PID=(\d+)$/.exec(stderrHead.slice(0, nl));
          if (m) this.pids.set(spec.id, Number(m[1]));
          pidSeen = true;
          const rest = m ? stderrHead.slice(nl + 1) : stderrHead;
          if (rest) err.write(rest);
        },
      })
      .then(
        (r) => ({ code: r.code ?? (r.signal ? 129 : 255), signal: (r.signal as NodeJS.Signals | null) ?? null }),
        (error: Error) => {
          this.log.warn({ err: error, host: this.host, worker: spec.id }, "lost the SSH session of a remote worker");
          return { code: 255, signal: null };
        },
      )
      .finally(() => {
        this.pids.delete(spec.id);
        out.end();
        err.end();
      });
    const worker: LaunchedWorker = { id: spec.id, host: this.host, exited };
    this.workers.push(worker);
    return worker;
  }

  /** Stop this host's workers: SIGTERM, then SIGKILL after `graceMs`; then close the connection. */
  async stop(graceMs: number): Promise<void> {
    const signalAll = async (signal: string) => {
      const pids = [...this.pids.values()];
      if (pids.length === 0 || !this.ssh.isConnected()) return;
      await this.ssh.execCommand(`kill -${signal} ${pids.join(" ")} 2>/dev/null; true`).catch(() => undefined);
    };
    await signalAll("TERM");
    let timer: NodeJS.Timeout | undefined;
    const killLater = new Promise<void>((resolve) => {
      timer = setTimeout(() => void signalAll("KILL").then(resolve), graceMs);
    });
    const allExited = Promise.all(this.workers.map((w) => w.exited)).then(() => undefined);
    await Promise.race([allExited, killLater.then(() => Promise.race([allExited, new Promise((r) => setTimeout(r, 2000))]))]);
    clearTimeout(timer);
    this.ssh.dispose();
  }
}
