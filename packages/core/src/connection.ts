/**
 * A peer's connection to the broker: one DEALER socket for data, plus the
 * heartbeat thread. It joins (HELLO → WELCOME), validates every message it
 * receives and hands each to the handler of its type. Used by apps that
 * `connect()` and by workers (which add task execution on top).
 */
import { createRequire } from "node:module";
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { Dealer } from "zeromq";
import {
  ScoopError,
  SendQueue,
  decodeMessage,
  encodeMessage,
  type CurveClientOptions,
  type Header,
  type Message,
  type PeerRole,
} from "@scoop/protocol";
import { retryInterrupted } from "@scoop/protocol/internal";
import { startHeart, type Heart } from "./heart.js";
import { ownDeadline } from "./own-deadlines.js";

/**
 * zeromq.js is CommonJS: required, not imported. An ES `import` (this
 * package's ES build) makes Node parse its entry again for export names and
 * build an ES facade, ~8-10 ms of CPU at every process start.
 */
const zmq = createRequire(__filename)("zeromq") as typeof import("zeromq");

/** What a connection does with each message type it may receive. */
export type MessageHandlers = {
  [T in Header["t"]]?: (header: Extract<Header, { t: T }>, payload: Buffer[]) => void;
};

/** Options of {@link BrokerConnection.open}. */
export interface ConnectionOptions {
  /** Broker endpoint, e.g. `tcp://127.0.0.1:5555`. */
  endpoint: string;
  /** This peer's id (unique per broker). */
  id: string;
  role: PeerRole;
  /** Run or application id; constants are scoped by it. */
  app: string;
  /** Task names this peer can run. */
  tasks: string[];
  /** How long to wait for the broker to answer HELLO. */
  connectTimeoutMs: number;
  logger: Logger;
  /** CURVE client options (`curveServerKey`, `curvePublicKey`, `curveSecretKey`), when the broker uses CURVE. */
  curve?: CurveClientOptions;
  /**
   * How long the main thread has to react once the broker is lost before the
   * heartbeat thread ends the process (so a worker stuck in a synchronous task
   * is not left orphaned); 0 never ends it.
   * @default 0 for clients; max(2000, livenessMs) for workers and the origin
   */
  graceMs?: number;
  /**
   * How long the main thread may stay inside a synchronous task the broker
   * aborted (its owner gave up on it) before the heartbeat thread ends the
   * process (see heart.ts); 0 never ends it. The runner marks the task it
   * runs with {@link BrokerConnection.runningTask}.
   * @default 0
   */
  stuckGraceMs?: number;
  /** Largest message part accepted from the broker (the socket's maxMessageSize). @default unlimited */
  maxMessageBytes?: number;
  /**
   * Called once if the broker is lost: silent past its liveness bound, or it
   * answered that this peer is unknown (it restarted). `reason` says which;
   * `dropped` is true when the silence was this process's own (it was
   * stopped or suspended) or the broker answered: it is most likely up, and
   * dropped this peer as lost.
   */
  onBrokerLost(silentMs: number, reason: string, dropped: boolean): void;
}

/** An open connection to a broker. */
export class BrokerConnection {
  /** Host name sent in HELLO. */
  readonly host = hostname();
  /** Liveness settings the broker announced. */
  heartbeatMs = 0;
  livenessMs = 0;
  /** Largest message part the broker accepts (it announces it in WELCOME); `undefined` if it did not say. */
  brokerMaxMessageBytes?: number;
  private readonly sock: Dealer;
  /** One send in progress at a time (zeromq.js rule); the rest wait in order. */
  private readonly out: SendQueue;
  private readonly handlers: MessageHandlers = {};
  /** Messages received before their handler was set, until {@link ready}. */
  private early: Message[] = [];
  private buffering = true;
  private heart?: Heart;
  /** Stop the main thread's stand-in heartbeats (see {@link join}). */
  private stopBridge: () => void = () => undefined;
  private loop?: Promise<void>;
  private closing?: Promise<void>;
  private advertised: Set<string>;
  private joined = false;
  private lost = false;
  private refuse?: (error: ScoopError) => void;

  private constructor(readonly options: ConnectionOptions) {
    this.sock = new zmq.Dealer({
      routingId: options.id,
      linger: 0,
      sendHighWaterMark: 0,
      ...(options.maxMessageBytes !== undefined ? { maxMessageSize: options.maxMessageBytes } : {}),
      ...(options.curve ?? {}),
    });
    this.advertised = new Set(options.tasks);
    this.out = new SendQueue(
      (frames) => this.sock.send(frames as Uint8Array[]),
      (error) => {
        if (!this.closing) this.options.logger.warn({ err: error }, "send to broker failed");
      },
    );
  }

  /**
   * Connect and join. Resolves once the broker welcomed this peer.
   * @throws {ScoopError} `SCOOP_BROKER_UNREACHABLE` if the broker does not answer in time,
   * or the broker's refusal (e.g. `SCOOP_PROTOCOL_VERSION`).
   */
  static async open(options: ConnectionOptions): Promise<BrokerConnection> {
    const conn = new BrokerConnection(options);
    try {
      await conn.join();
    } catch (error) {
      await conn.close(false);
      throw error;
    }
    return conn;
  }

  /** Route messages of one type to `handler` (one handler per type). */
  on<T extends Header["t"]>(type: T, handler: NonNullable<MessageHandlers[T]>): void {
    (this.handlers as Record<string, unknown>)[type] = handler;
    // Messages of this type that arrived before anyone listened (the broker
    // sends constants, even SHUTDOWN, right after WELCOME) are handled now.
    const early = this.early.filter((m) => m.header.t === type);
    if (early.length === 0) return;
    this.early = this.early.filter((m) => m.header.t !== type);
    for (const m of early) this.dispatch(m);
  }

  /**
   * Every handler is in place: from now on a message nobody handles is
   * dropped instead of kept for a handler to come.
   */
  ready(): void {
    this.buffering = false;
    for (const m of this.early) if (m.header.t !== "HEARTBEAT") this.options.logger.debug({ type: m.header.t }, "no handler for message");
    this.early = [];
  }

  /** Queue a message for the broker. Never blocks (the socket's queue is unbounded; callers bound what they send). */
  send(header: Header, payload: readonly Uint8Array[] = []): void {
    if (this.closing) return;
    this.out.send(encodeMessage(header, payload));
  }

  /**
   * The broker task the main thread runs synchronously from now on
   * (`undefined`: none); read by the heartbeat thread. A task of this process's
   * own with a deadline (no other worker could run it) is watched against it.
   */
  runningTask(key: number | undefined, task?: { name: string; rng?: string }): void {
    this.heart?.running(key);
    const deadline = ownDeadline(task?.rng);
    if (deadline !== undefined) this.heart?.ownDeadline(key!, task!.name, deadline);
  }

  /** The runner awaits broker task `key` from now on (`true`) or no longer (`false`); read by the heartbeat thread. */
  awaitingTask(key: number, on: boolean): void {
    this.heart?.awaiting(key, on);
  }

  /** Tell the broker about task names registered since joining. */
  advertise(names: Iterable<string>): void {
    const added: string[] = [];
    for (const name of names) if (!this.advertised.has(name)) added.push(name);
    if (added.length === 0) return;
    for (const name of added) this.advertised.add(name);
    this.send({ t: "TASKS", tasks: added });
  }

  /**
   * Leave (BYE unless `polite` is false; `reason: "recycled"` tells the broker
   * a fresh process takes this one's place) and release the socket and the
   * heartbeat thread. Idempotent.
   */
  close(polite = true, reason?: "recycled"): Promise<void> {
    this.closing ??= (async () => {
      try {
        if (polite) {
          this.out.send(encodeMessage(reason ? { t: "BYE", reason } : { t: "BYE" }));
          // Bounded: a broker that is gone must not hold the close.
          await Promise.race([this.out.flushed(), new Promise((r) => setTimeout(r, 1000).unref())]);
        }
      } finally {
        this.stopBridge();
        await this.heart?.stop();
        this.sock.close();
        await this.loop;
      }
    })();
    return this.closing;
  }

  private async join(): Promise<void> {
    const { endpoint, id, role, app, tasks, connectTimeoutMs } = this.options;
    retryInterrupted(() => this.sock.connect(endpoint));
    const welcome = new Promise<Extract<Header, { t: "WELCOME" }>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ScoopError("SCOOP_BROKER_UNREACHABLE", `no answer from the broker at ${endpoint} within ${connectTimeoutMs} ms: wrong key or wrong address? Check that the broker runs there and, with CURVE, that the server key is its broker.pub (a CURVE broker drops a handshake with the wrong key without a word)`, { address: endpoint })),
        connectTimeoutMs,
      );
      this.on("WELCOME", (h) => {
        clearTimeout(timer);
        resolve(h);
      });
      this.refuse = (error) => {
        clearTimeout(timer);
        reject(error);
      };
      this.on("REFUSED", (h) => this.refuse?.(new ScoopError(h.code, `the broker at ${endpoint} refused this peer: ${h.message}`, { address: endpoint })));
    });
    this.loop = this.receiveLoop();
    this.send({ t: "HELLO", id, role, host: this.host, pid: process.pid, app, tasks });
    const w = await welcome;
    this.joined = true;
    this.refuse = undefined;
    this.heartbeatMs = w.heartbeatMs;
    this.livenessMs = w.livenessMs;
    this.brokerMaxMessageBytes = w.maxMessageBytes;
    // Until the heartbeat thread beats (it is a second Node environment: over a
    // second to start on a loaded machine), this thread does: a worker idle
    // meanwhile (main waits for every worker to join) must not look lost.
    const bridge = setInterval(() => this.send({ t: "HEARTBEAT" }), w.heartbeatMs);
    bridge.unref();
    this.stopBridge = () => clearInterval(bridge);
    this.heart = startHeart({
      onBeating: () => this.stopBridge(),
      endpoint,
      workerId: id,
      heartbeatMs: w.heartbeatMs,
      livenessMs: w.livenessMs,
      // An app that connected must survive its broker; a worker must not outlive it.
      graceMs: this.options.graceMs ?? (role === "client" ? 0 : Math.max(2000, w.livenessMs)),
      curve: this.options.curve,
      stuckGraceMs: this.options.stuckGraceMs ?? 0,
      origin: role === "origin",
      log: { level: this.options.logger.levelVal, bindings: this.options.logger.bindings() },
      onBrokerLost: (silentMs, frozen) =>
        frozen
          ? this.brokerLost(silentMs, `this process was stopped or suspended for about ${silentMs} ms, past the broker's liveness timeout (${w.livenessMs} ms)`, true)
          : this.brokerLost(silentMs, `nothing heard from it for ${silentMs} ms`, false),
    });
  }

  /** Report the broker lost, once. */
  private brokerLost(silentMs: number, reason: string, dropped: boolean): void {
    if (this.lost || this.closing) return;
    this.lost = true;
    this.options.onBrokerLost(silentMs, reason, dropped);
  }

  /**
   * A message of another protocol version while joining: the broker (most
   * likely refusing us) speaks another version. Fail the join with a message
   * that names both versions instead of waiting for the timeout.
   */
  private onOtherVersion(error: ScoopError): void {
    const endpoint = this.options.endpoint;
    this.refuse?.(new ScoopError("SCOOP_PROTOCOL_VERSION", `the broker at ${endpoint} speaks another protocol version: ${error.message}`, { address: endpoint, cause: error }));
  }

  private dispatch(message: Message): void {
    const handler = this.handlers[message.header.t] as ((h: Header, p: Buffer[]) => void) | undefined;
    if (handler === undefined) {
      if (message.header.t === "HEARTBEAT") return;
      if (this.buffering && this.early.length < 10_000) this.early.push(message);
      else this.options.logger.debug({ type: message.header.t }, "no handler for message");
      return;
    }
    try {
      handler(message.header, message.payload);
    } catch (error) {
      this.options.logger.error({ err: error, type: message.header.t }, "error while handling a message from the broker");
    }
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const frames of this.sock) {
        let message: Message;
        try {
          message = decodeMessage(frames);
        } catch (error) {
          if ((error as ScoopError).code === "SCOOP_PROTOCOL_VERSION") this.onOtherVersion(error as ScoopError);
          this.options.logger.warn({ err: error }, "dropped a malformed message from the broker");
          continue;
        }
        const header = message.header;
        if (header.t === "ERROR" && header.code === "SCOOP_NOT_JOINED" && this.joined) {
          // The broker restarted (or dropped us as lost): it no longer knows this peer.
          this.brokerLost(0, `it no longer knows this peer (it restarted, or dropped this peer as lost: silent past its liveness timeout of ${this.livenessMs} ms, e.g. stopped, suspended or starved of CPU)`, true);
          continue;
        }
        this.dispatch(message);
      }
    } catch (error) {
      if (!this.closing) this.options.logger.error({ err: error }, "broker connection failed");
    }
  }
}
