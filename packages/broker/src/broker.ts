/**
 * The broker: a ZeroMQ ROUTER that queues tasks, hands them to workers that
 * asked for work (credits), routes results back to the peer that owns each
 * future, broadcasts shared constants and notices peers that fall silent.
 *
 * It reads frame 0 (the header) only: argument and result frames are held as
 * the Buffers ZeroMQ gave us and forwarded untouched.
 */
import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { zmq, type Zmq } from "./zeromq.js";
import { SendQueue, ScoopError, decodeMessage, encodeMessage, type BrokerSnapshot, type DispatchedTask, type Header, type Message } from "@scoop/protocol";
import { lazyPino } from "@scoop/protocol/internal";
import { AppConstants } from "./constants.js";
import { Dispatcher } from "./dispatcher.js";
import { logRefusedHandshakes, warnIfInsecure } from "./handshake-log.js";
import type { ResolvedBrokerOptions } from "./options.js";
import { PeerTable, appOfMessage, newPeer, peerInfo, type Peer, type PeerInfo, type QueuedTask } from "./peers.js";
import { EventStream } from "./event-stream.js";
import { buildSnapshot } from "./snapshot.js";
import { TaskLife } from "./task-life.js";
import type { BrokerEvents, BrokerState, BrokerStats } from "./types.js";
import { registerAllowList } from "./zap.js";

export type { PeerInfo } from "./peers.js";
export type { BrokerEvents, BrokerState, BrokerStats } from "./types.js";

/**
 * A HEARTBEAT without fields, encoded once: the broker sends one to every peer per interval and receives one
 * from most, so at a thousand peers this is most of an idle broker's work. Received, it is recognised by its
 * bytes and skips decoding.
 */
const HEARTBEAT_FRAMES = encodeMessage({ t: "HEARTBEAT" });
const HEARTBEAT_HEADER = Buffer.from(HEARTBEAT_FRAMES[0]);

/** A running broker. Create one with {@link startBroker}. */
export class Broker extends EventEmitter<BrokerEvents> {
  /** Endpoints actually bound (ports resolved). */
  readonly endpoints: string[] = [];
  /** Unique id of this broker instance. */
  readonly id = randomUUID();
  private readonly router: Zmq.Router;
  /** Outgoing messages, one send in progress at a time (zeromq.js rule). */
  private readonly out: SendQueue;
  private readonly log: Logger;
  private readonly counters = { submitted: 0, delivered: 0, retried: 0, malformed: 0 };
  private readonly peers = new PeerTable();
  /** Owners with outcomes in their outbox: the end of a pump flushes these, not every peer. */
  private readonly delivering = new Set<Peer>();
  private readonly stream = new EventStream(this as EventEmitter, (type, event) => this.emitSafe(type as "event", event), {
    send: (peer, header) => this.send(peer.identity, header),
    snapshot: () => this.snapshot(),
    leave: (peer) => this.removePeer(peer, "left"),
  });
  private readonly observer = this.stream.observer;
  private readonly constants = new AppConstants((peer, header, frames) => this.send(peer.identity, header, frames));
  private readonly dispatcher = new Dispatcher({
    peers: this.peers,
    serving: () => this._state === "running",
    dispatch: (worker, tasks) => this.dispatch(worker, tasks),
    reclaim: (peer, n) => this.send(peer.identity, { t: "RECLAIM", n }),
    afterPump: () => this.afterPump(),
  });
  private readonly taskLife = new TaskLife(this.dispatcher, {
    send: (identity, header, frames) => this.send(identity, header, frames),
    connected: (peer) => this.peers.get(peer.identity) !== undefined,
    runnable: (name) => this.peers.runnable(name),
    noticeWaiting: () => this.options.unknownTasks === "wait",
    delivering: (owner) => this.delivering.add(owner),
    observer: this.observer,
    counters: this.counters,
  });
  private readonly startedAt = Date.now();
  private zap?: { domain: string; release(): void };
  private heartbeatTimer?: NodeJS.Timeout;
  private closing?: Promise<void>;
  private loop?: Promise<void>;
  private lastMalformedWarn = 0;
  /** Origins' HELLOs held until {@link admitOrigins} (`holdOrigins`); undefined once admitted. */
  private heldOrigins?: [Buffer, Extract<Header, { t: "HELLO" }>][];
  private _state: BrokerState = "running";

  /** @internal use {@link startBroker} */
  constructor(readonly options: ResolvedBrokerOptions) {
    super();
    if (options.holdOrigins) this.heldOrigins = [];
    this.log = (options.logger ?? lazyPino("warn")).child({ component: "broker" });
    this.router = new zmq.Router({
      mandatory: true,
      sendHighWaterMark: 0,
      maxMessageSize: options.maxMessageBytes,
      linger: 0,
      ...(options.curve ? { curveServer: true, curveSecretKey: options.curve.secretKey } : {}),
    });
    this.out = new SendQueue(
      (frames) => this.router.send(frames as Uint8Array[]),
      (error) => {
        // EHOSTUNREACH: the peer is gone; liveness will clean up after it.
        if ((error as NodeJS.ErrnoException).code !== "EHOSTUNREACH" && this._state === "running") this.log.debug({ err: error }, "send failed");
      },
    );
  }

  /** Current lifecycle state. */
  get state(): BrokerState {
    return this._state;
  }

  /** The first bound endpoint, e.g. `tcp://127.0.0.1:41234`. */
  get endpoint(): string {
    return this.endpoints[0];
  }

  /** @internal */
  async bind(): Promise<void> {
    if (this.options.curve?.allowedClients !== undefined) {
      this.zap = await registerAllowList(this.options.curve.allowedClients, this.log);
      this.router.zapDomain = this.zap.domain;
    }
    warnIfInsecure(this.options.bind, this.options.curve !== undefined, this.log);
    if (this.options.curve) logRefusedHandshakes(this.router, this.log);
    for (const endpoint of this.options.bind) {
      try {
        await this.router.bind(endpoint);
      } catch (error) {
        throw new ScoopError("SCOOP_BIND_FAILED", `cannot bind the broker to ${endpoint}: ${(error as Error).message}; pick a free port or another address`, { address: endpoint, cause: error });
      }
      this.endpoints.push(this.router.lastEndpoint ?? endpoint);
    }
    this.loop = this.receiveLoop();
    this.heartbeatTimer = setInterval(() => this.tick(), this.options.heartbeatMs);
    this.heartbeatTimer.unref();
    this.log.info({ endpoints: this.endpoints }, "broker listening");
  }

  /** Counters of peers and tasks. */
  stats(): BrokerStats {
    return { ...this.peers.counts(), queued: this.dispatcher.queued, ...this.counters };
  }

  /**
   * What the broker holds now: peers with their tasks, CPU and memory, queue
   * depth per task name, running maps, shared constants, the latest
   * incidents and the counters. Served by the dashboard, `/metrics` and
   * `STATUS` (`scoop-broker status`).
   */
  snapshot(): BrokerSnapshot {
    const { id: broker, endpoints, startedAt, peers, observer, constants, counters } = this;
    return buildSnapshot({ broker, endpoints, startedAt, peers: peers.values(), queues: this.dispatcher.depths(), observer, constants, counters });
  }

  /** Peers currently connected. */
  peerList(): PeerInfo[] {
    return [...this.peers.values()].map(({ id, role, host, pid, app }) => ({ id, role, host, pid, app }));
  }

  /** Peer `id`'s process (joined with `pid`) ended: release it now, not after `livenessMs` of silence. False if no such peer. */
  peerExited(id: string, pid: number): boolean {
    const peer = this.peers.byId(id);
    if (peer?.pid === pid) this.removePeer(peer, "lost");
    return peer?.pid === pid;
  }

  /** Welcome the origins `holdOrigins` held, and from now on every origin at once. Idempotent. */
  admitOrigins(): void {
    const held = this.heldOrigins ?? [];
    this.heldOrigins = undefined;
    for (const [identity, hello] of held) this.onHello(identity, hello);
  }

  /** Tell every peer the run is over (they exit), then keep serving until closed. */
  shutdown(code = 0): void {
    for (const peer of this.peers.values()) this.send(peer.identity, { t: "SHUTDOWN", code });
    this.emitSafe("shutdown", code);
  }

  /** Stop serving: idempotent; every call returns the same promise. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this._state = "closing";
      try {
        clearInterval(this.heartbeatTimer);
        this.router.close();
        this.zap?.release();
        await this.loop;
      } finally {
        this._state = "closed";
        this.log.info("broker closed");
      }
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // --- receiving ------------------------------------------------------------

  private async receiveLoop(): Promise<void> {
    try {
      for await (const [identity, ...frames] of this.router) {
        try {
          this.onMessage(identity, frames);
        } catch (error) {
          this.log.error({ err: error }, "unexpected error while handling a message; the broker keeps serving");
        }
      }
    } catch (error) {
      if (this._state === "running") this.emitSafe("error", error as Error);
    }
  }

  private onMessage(identity: Buffer, frames: Buffer[]): void {
    if (frames.length === 1 && frames[0].equals(HEARTBEAT_HEADER)) {
      this.peers.beat(identity, undefined, Date.now());
      return;
    }
    let message: Message;
    try {
      message = decodeMessage(frames);
    } catch (error) {
      this.onMalformed(identity, error as ScoopError);
      return;
    }
    const header = message.header;
    const now = Date.now();
    if (header.t === "HELLO") return this.onHello(identity, header);
    if (header.t === "HEARTBEAT") {
      const beating = this.peers.beat(identity, header.of, now);
      if (beating !== undefined && header.cpu !== undefined && header.rss !== undefined) this.observer.stats(beating.id, beating.figures, header.cpu, header.rss);
      if (header.stuck !== undefined && beating?.heart?.equals(identity)) this.onStuck(beating, identity, header.stuck, header.task);
      return;
    }
    const peer = this.peers.get(identity);
    if (peer === undefined) {
      this.send(identity, { t: "ERROR", code: "SCOOP_NOT_JOINED", message: `a ${header.t} message arrived from a peer that has not joined: send HELLO first` });
      return;
    }
    peer.lastSeen = now;
    if (peer.role === "monitor") return this.stream.monitors.onMessage(peer, header);
    switch (header.t) {
      case "SUBMIT":
        return this.taskLife.submit(peer, header.tasks, message.payload);
      case "CREDIT":
      case "RETURN":
      case "TASKS":
        return this.dispatcher.fromWorker(peer, header);
      case "RESULT":
        return this.taskLife.result(peer, header.results, message.payload);
      case "CANCEL":
        return this.taskLife.cancel(peer, header.ids);
      case "CONST_SET":
        return this.onConstSet(peer, header, message.payload);
      case "SHUTDOWN":
        if (peer.role !== "origin") {
          this.send(identity, { t: "ERROR", code: "SCOOP_NOT_ORIGIN", message: "only the origin may shut the run down" });
          return;
        }
        this.log.info({ code: header.code, app: peer.app }, "origin ended the run");
        // Only the origin's own run ends: a daemon serves other apps too.
        for (const other of this.peers.values()) if (other.app === peer.app) this.send(other.identity, { t: "SHUTDOWN", code: header.code });
        this.emitSafe("shutdown", header.code);
        return;
      case "BYE":
        return this.removePeer(peer, header.reason === "recycled" ? "recycled" : "left");
      default:
        this.send(identity, { t: "ERROR", code: "SCOOP_UNEXPECTED_MESSAGE", message: `a broker does not accept ${header.t} messages` });
    }
  }

  private onMalformed(identity: Buffer, error: ScoopError): void {
    this.counters.malformed++;
    const now = Date.now();
    if (now - this.lastMalformedWarn > 1000) {
      this.lastMalformedWarn = now;
      this.log.warn({ code: error.code, reason: error.message, total: this.counters.malformed }, "dropped a malformed message");
    }
    // A peer of another protocol version is refused (it cannot join); anything else gets an ERROR.
    if (error.code === "SCOOP_PROTOCOL_VERSION") this.send(identity, { t: "REFUSED", code: error.code, message: error.message });
    else this.send(identity, { t: "ERROR", code: error.code, message: error.message });
  }

  private onHello(identity: Buffer, h: Extract<Header, { t: "HELLO" }>): void {
    if (h.role === "origin" && this.heldOrigins) {
      this.heldOrigins.push([identity, h]); // welcomed by admitOrigins()
      return;
    }
    const existing = this.peers.get(identity);
    if (existing !== undefined) this.removePeer(existing, "left");
    const clash = this.peers.byId(h.id);
    if (clash !== undefined) this.removePeer(clash, "lost");
    const peer = newPeer(identity, h);
    this.peers.add(peer);
    this.send(identity, { t: "WELCOME", broker: this.id, heartbeatMs: this.options.heartbeatMs, livenessMs: this.options.livenessMs, maxMessageBytes: this.options.maxMessageBytes });
    if (peer.role !== "monitor") this.constants.sendAll(peer, peer.app);
    this.log.info({ peer: peer.id, role: peer.role, host: peer.host, tasks: peer.tasks.size }, "peer joined");
    this.emitSafe("peer:joined", peerInfo(peer));
    this.observer.joined(peerInfo(peer));
    this.dispatcher.schedule();
  }

  private onConstSet(peer: Peer, h: Extract<Header, { t: "CONST_SET" }>, frames: Buffer[]): void {
    const name = h.name;
    // A worker setting a constant from inside a task of another app sets that app's.
    const app = appOfMessage(peer, h);
    if (!this.constants.set(app, name, frames, this.peers.values())) {
      this.send(peer.identity, { t: "ERROR", code: "SCOOP_CONST_EXISTS", message: `shared constant "${name}" is already set; constants are read-only: use a new name`, name });
    }
  }

  /** A worker's heart says its thread is stuck in a task; it ends once told its tasks went back: free if the task's owner had aborted it; if it is still its own (past its deadline, nobody else could run it), as for a crash (a retry spent: no endless cycle). */
  private onStuck(peer: Peer, heart: Buffer, key: number, task?: string): void {
    this.removePeer(peer, "lost", { key, task, charged: peer.running.has(key) });
    this.send(heart, { t: "HEARTBEAT", stuck: key });
  }

  private removePeer(peer: Peer, why: "left" | "recycled" | "lost", stuck?: { key: number; task?: string; charged: boolean }): void {
    if (!this.peers.delete(peer)) return;
    const { requeued, failed } = this.taskLife.release(peer, why === "lost" && (stuck === undefined || stuck.charged) ? "lost" : "left");
    this.constants.forgetOrphans(this.peers.values());
    this.observer.ownerLeft(peer.id);
    this.stream.monitors.forget(peer);
    this.log.info({ peer: peer.id, host: peer.host, why, requeued, failed, stuck: stuck?.key, task: stuck?.task }, why === "lost" ? "peer lost" : "peer left");
    if (why === "lost") this.emitSafe("peer:lost", peerInfo(peer), { requeued, failed, ...(stuck && { stuck: stuck.key, task: stuck.task }) });
    else this.emitSafe("peer:left", peerInfo(peer));
    this.observer.gone(peerInfo(peer), why, requeued, failed);
    this.dispatcher.schedule();
  }

  private tick(): void {
    const now = Date.now();
    for (const peer of [...this.peers.values()]) {
      if (now - peer.lastSeen > this.options.livenessMs) {
        this.removePeer(peer, "lost");
        continue;
      }
      this.out.send([peer.heart ?? peer.identity, ...HEARTBEAT_FRAMES]);
    }
  }

  // --- sending --------------------------------------------------------------

  /** Send tasks the dispatcher assigned to a worker, after the constants of their apps. */
  private dispatch(worker: Peer, tasks: QueuedTask[]): void {
    const batch: DispatchedTask[] = [];
    const frames: Buffer[] = [];
    const observer = this.observer;
    for (const task of tasks) {
      if (observer.hot) observer.started(task, worker.id);
      this.constants.ensure(worker, task.app);
      const dispatched: DispatchedTask = { key: task.key, name: task.name, frames: task.frames.length, attempt: task.attempt };
      if (task.rng !== undefined) dispatched.rng = task.rng;
      if (task.app !== worker.app) dispatched.app = task.app;
      batch.push(dispatched);
      for (const f of task.frames) frames.push(f);
    }
    this.send(worker.identity, { t: "DISPATCH", tasks: batch }, frames);
  }

  /** End of a pump: fail what cannot run (in "fail" mode), then flush batched deliveries. */
  private afterPump(): void {
    if (this.options.unknownTasks === "fail") {
      for (const task of this.dispatcher.drainUnrunnable((name) => this.peers.runnable(name))) {
        this.taskLife.fail(task, "SCOOP_TASK_NOT_REGISTERED", `no worker can run task "${task.name}": export it from the script every worker loads (top level, not inside main), or wrap it with defineTask() there`, { id: "broker", host: "broker" });
      }
    }
    for (const peer of this.delivering) {
      const batch = peer.outbox.take();
      if (batch !== undefined && this.peers.get(peer.identity) === peer) this.send(peer.identity, { t: "DELIVER", results: batch.results }, batch.frames);
    }
    this.delivering.clear();
  }

  private send(identity: Buffer, header: Header, payload: readonly Uint8Array[] = []): void {
    if (this._state === "closed") return;
    this.out.send([identity, ...encodeMessage(header, payload)]);
  }

  private emitSafe<E extends keyof BrokerEvents>(event: E, ...args: BrokerEvents[E]): void {
    if (event === "error" && this.listenerCount("error") === 0) {
      this.log.error({ err: args[0] }, "broker error");
      return;
    }
    for (const listener of this.listeners(event) as Array<(...a: BrokerEvents[E]) => void>) {
      try {
        listener(...args);
      } catch (error) {
        this.log.error({ err: error, event }, "a broker event listener threw; ignored");
      }
    }
  }
}
