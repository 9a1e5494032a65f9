/**
 * Worker processes on other hosts, started over SSH: one connection per host
 * (not per worker), output streamed back, and every remote process stopped
 * on every end. A remote shell prints its PID first, so teardown can kill it
 * by PID; if the host is unreachable by then, the worker stops by itself when
 * it no longer hears the broker (its heartbeat thread).
 */
import { connect as netConnect } from "node:net";
import { NodeSSH, type Config, type SSHExecCommandOptions } from "node-ssh";
import type { Logger } from "pino";
import { ScoopError } from "@scoop/protocol";
import { createLinePrefixer, outputSink } from "./output.js";
import { shellQuote, signalExitCode, workerShellCommand, type LaunchedWorker, type WorkerSpec } from "./worker-spec.js";

export { shellQuote };

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
  /** Node executable on the remote host. @default process.execPath (the same path as here) */
  node?: string;
  /** Shell file sourced before the worker starts (module loads, environment). */
  prolog?: string;
  /** How long to wait for a connection. @default 20000 */
  connectTimeoutMs?: number;
  /** SSH keepalive interval; the connection is declared dead after 3 unanswered ones. @default 2000 */
  keepaliveMs?: number;
}

/** The remote shell command that runs one worker (prints its PID first). */
export function remoteWorkerCommand(spec: WorkerSpec, binPath: string, ssh: SshOptions): string {
  return workerShellCommand(spec, binPath, { node: ssh.node, prolog: ssh.prolog, echoPid: true });
}

/** Wait for `promise`, at most `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

type ClientChannel = Parameters<NonNullable<SSHExecCommandOptions["onChannel"]>>[0];

type Exit = { code: number; signal: NodeJS.Signals | null };


/** Workers on one remote host, over one SSH connection. */
export class SshHost {
  readonly workers: LaunchedWorker[] = [];
  private readonly ssh = new NodeSSH();
  private readonly pids = new Map<string, number>();
  /** Workers whose PID line has not arrived yet: resolved when it does or the session ends. */
  private readonly pidWaits = new Set<Promise<void>>();
  private readonly channels = new Set<ClientChannel>();
  private closed = false;
  private lost = false;
  /** Port the broker listens on, reachable from the host through a reverse tunnel (see {@link openTunnel}). */
  tunnelPort?: number;

  /** A host not connected yet; see {@link connect}. Register it for teardown before connecting. */
  constructor(readonly host: string, private readonly options: SshOptions, private readonly log: Logger) {}

  /** Connect to `host`. @throws {ScoopError} `SCOOP_SSH_FAILED` saying how to fix access. */
  static async connect(host: string, options: SshOptions, log: Logger): Promise<SshHost> {
    const h = new SshHost(host, options, log);
    await h.open();
    return h;
  }

  /** Open the connection. @throws {ScoopError} `SCOOP_SSH_FAILED` saying how to fix access. */
  async open(): Promise<void> {
    const options = this.options;
    const config: Config = {
      host: this.host,
      port: options.port ?? 22,
      username: options.username ?? process.env.USER ?? "root",
      readyTimeout: options.connectTimeoutMs ?? 20_000,
      keepaliveInterval: options.keepaliveMs ?? 2000,
      keepaliveCountMax: 3,
    };
    if (options.identityFile) config.privateKeyPath = options.identityFile;
    const agent = options.agent ?? process.env.SSH_AUTH_SOCK;
    if (agent) config.agent = agent;
    try {
      await this.ssh.connect(config);
    } catch (error) {
      throw new ScoopError(
        "SCOOP_SSH_FAILED",
        `cannot open SSH to ${config.username}@${this.host}:${config.port}: ${(error as Error).message}; check that \`ssh -p ${config.port} ${config.username}@${this.host} true\` works without a password (--ssh-key, --ssh-user, ssh-agent), or pick another --launcher`,
        { host: this.host, cause: error },
      );
    }
    if (this.closed) {
      this.ssh.dispose();
      throw new ScoopError("SCOOP_SSH_FAILED", `the run ended while connecting to ${this.host}`, { host: this.host });
    }
    const connection = this.ssh.connection!;
    connection.on("error", (error: Error) => this.log.warn({ err: error, host: this.host }, "SSH connection error"));
    connection.on("close", () => {
      if (!this.closed) {
        this.lost = true;
        this.log.warn({ host: this.host }, "lost the SSH connection; its workers stop by themselves once they stop hearing the broker");
      }
    });
  }

  /** True while the SSH connection is up. */
  get connected(): boolean {
    return !this.lost && !this.closed && this.ssh.isConnected();
  }

  /**
   * The local address of the SSH connection: the address of this machine that
   * the host reached, so the one its workers most likely reach the broker on.
   */
  get localAddress(): string | undefined {
    const sock = (this.ssh.connection as unknown as { _sock?: { localAddress?: string } } | null)?._sock;
    const address = sock?.localAddress;
    return address?.startsWith("::ffff:") ? address.slice(7) : address;
  }

  /**
   * Reverse tunnel (`ssh -R`): a port on the host's loopback whose
   * connections are carried back over this SSH connection to
   * `localHost:localPort` here. Resolves with the remote port.
   */
  async openTunnel(localPort: number, localHost = "127.0.0.1"): Promise<number> {
    try {
      const { port } = await this.ssh.forwardIn("127.0.0.1", 0, (_details, accept) => {
        const channel = accept();
        const socket = netConnect(localPort, localHost);
        socket.on("error", () => channel.close());
        channel.on("error", () => socket.destroy());
        channel.on("close", () => socket.destroy());
        socket.on("close", () => channel.close());
        channel.pipe(socket).pipe(channel);
      });
      this.tunnelPort = port;
      this.log.debug({ host: this.host, remotePort: port, localPort }, "reverse tunnel open");
      return port;
    } catch (error) {
      throw new ScoopError(
        "SCOOP_SSH_FAILED",
        `cannot open a reverse tunnel on ${this.host}: ${(error as Error).message}; the SSH server must allow TCP forwarding (AllowTcpForwarding yes), or drop --tunnel and give --broker-hostname`,
        { host: this.host, cause: error },
      );
    }
  }

  /** Start one worker on this host. `stdin` (e.g. secrets) is written to its standard input. */
  start(spec: WorkerSpec, binPath: string, stdin?: string): LaunchedWorker {
    const tag = spec.prefix ? `[${spec.id}] ` : "";
    const out = createLinePrefixer(tag);
    const err = createLinePrefixer(tag, spec.id);
    out.pipe(outputSink("stdout"), { end: false });
    err.pipe(outputSink("stderr"), { end: false });
    const command = remoteWorkerCommand(spec, binPath, this.options);
    this.log.debug({ host: this.host, worker: spec.id, command }, "starting a remote worker");
    let pidSeen!: () => void;
    const pidWait = new Promise<void>((resolve) => (pidSeen = resolve));
    this.pidWaits.add(pidWait);
    void pidWait.then(() => this.pidWaits.delete(pidWait));
    const exited = new Promise<Exit>((resolve, reject) => {
      const connection = this.ssh.connection;
      if (!connection || !this.connected) return reject(new Error("not connected"));
      connection.exec(command, (error: Error | undefined, channel: ClientChannel) => {
        if (error) return reject(error);
        this.channels.add(channel);
        let stderrHead: string | undefined = "";
        let exit: Exit | undefined;
        channel.on("data", (chunk: Buffer) => out.write(chunk));
        channel.stderr.on("data", (chunk: Buffer) => {
          if (stderrHead === undefined) return void err.write(chunk);
          // The first line is the remote PID, for teardown; the rest is output.
          stderrHead += chunk.toString("utf8");
          const nl = stderrHead.indexOf("\n");
          if (nl < 0) return;
          const m = /^SCOOP_PID=(\d+)$/.exec(stderrHead.slice(0, nl));
          if (m) this.pids.set(spec.id, Number(m[1]));
          const rest = m ? stderrHead.slice(nl + 1) : stderrHead;
          stderrHead = undefined;
          pidSeen();
          if (rest) err.write(rest);
        });
        channel.on("exit", (code: number | null, signal?: string) => {
          exit = signal ? { code: signalExitCode(`SIG${signal}`), signal: `SIG${signal}` as NodeJS.Signals } : { code: code ?? 255, signal: null };
        });
        channel.on("close", () => {
          this.channels.delete(channel);
          resolve(exit ?? { code: 255, signal: null });
        });
        if (stdin !== undefined) channel.end(stdin);
        else channel.end();
      });
    })
      .catch((error: Error) => {
        if (/open failed|channel open failure/i.test(error.message)) {
          this.log.error({ host: this.host, worker: spec.id }, "the SSH server refused another session (sshd MaxSessions, 10 by default): give this host fewer workers, or raise MaxSessions in its sshd_config");
        } else this.log.warn({ err: error, host: this.host, worker: spec.id }, "could not start a remote worker over SSH");
        return { code: 255, signal: null };
      })
      .then((result) => {
        if (!this.closed && result.code === 255) this.log.warn({ host: this.host, worker: spec.id }, "lost the SSH session of a remote worker");
        return result;
      })
      .finally(() => {
        pidSeen();
        this.pids.delete(spec.id);
        out.end();
        err.end();
      });
    const worker: LaunchedWorker = { id: spec.id, host: this.host, exited };
    this.workers.push(worker);
    return worker;
  }

  /** Run `command` on the host; false if it did not finish within `timeoutMs` (a dead connection may not say so at once). */
  private async run(command: string, timeoutMs: number): Promise<boolean> {
    if (!this.connected) return false;
    let finished = false;
    await within(
      this.ssh.execCommand(command).then(
        () => (finished = true),
        () => undefined,
      ),
      timeoutMs,
    );
    return finished;
  }

  /**
   * Stop this host's workers: SIGTERM by PID, then SIGKILL after `graceMs`;
   * then close the connection. Bounded in time even if the host is gone (its
   * workers then end by themselves once they stop hearing the broker).
   */
  async stop(graceMs: number): Promise<void> {
    if (this.closed) return;
    // Workers still starting have not said their PID: give them a moment.
    if (this.connected) await within(Promise.all([...this.pidWaits]), Math.min(graceMs, 3000));
    const signalAll = async (signal: string) => {
      const pids = [...this.pids.values()];
      return pids.length === 0 || (await this.run(`kill -${signal} ${pids.join(" ")} 2>/dev/null; true`, 3000));
    };
    const allExited = Promise.all(this.workers.map((w) => w.exited)).then(() => undefined);
    if (await signalAll("TERM")) {
      await within(allExited, graceMs);
      if (await signalAll("KILL")) await within(allExited, 2000);
    } else if (this.pids.size > 0) {
      this.log.warn({ host: this.host }, "cannot reach the host to stop its workers; they end by themselves once they stop hearing the broker");
    }
    this.dispose();
    await within(allExited, 2000);
  }

  /** Close without stopping anything (the run never started workers here). */
  dispose(): void {
    this.closed = true;
    const sock = (this.ssh.connection as unknown as { _sock?: { destroy(): void } } | null)?._sock;
    for (const channel of this.channels) channel.close();
    this.ssh.dispose();
    // end() waits for a peer that may be gone: drop the socket too.
    sock?.destroy();
  }
}
