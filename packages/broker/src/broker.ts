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
import pino, { type Logger } from "pino";
import { Router } from "zeromq";
import {
  Codec,
  SendQueue,
  ScoopError,
  decodeMessage,
  encodeMessage,
  type DeliveredOutcome,
  type DispatchedTask,
  type Header,
  type Message,
  type PeerRole,
} from "@scoop/protocol";
import { isLoopbackEndpoint, resolveBrokerOptions, type BrokerOptions, type ResolvedBrokerOptions } from "./options.js";
import { TaskQueue, type QueuedTask as GenericTask } from "./task-queue.js";
import { registerAllowList } from "./zap.js";

/**
 * Wire fields beyond the protocol's v1 header types, read and written by this
 * broker and `@scoop/core` (decodeMessage keeps unknown fields): `app` on a
 * DISPATCH task, a SUBMIT task, CONST and CONST_SET says which app a task or a
 * constant belongs to when it is not the receiving (or sending) peer's own;
 * `forget` on CONST tells a peer to drop an app's constants.
 */
type AppField = { app?: string };
const appOf = (value: unknown): string | undefined => {
  const app = (value as AppField | undefined)?.app;
  return typeof app === "string" && app.length > 0 && app.length <= 4096 ? app : undefined;
};
/** Most credit a peer may hold: bounds what a buggy or hostile CREDIT can do. */
const MAX_CREDIT = 1 << 20;

/** A connected peer as the broker sees it. */
export interface PeerInfo {
  /** Id the peer chose in HELLO. */
  readonly id: string;
  readonly role: PeerRole;
  readonly host: string;
  readonly pid: number;
  /** Run or application the peer belongs to; constants are scoped by it. */
  readonly app: string;
}

/** Events of a {@link Broker}. Listeners that throw are logged, never crash the broker. */
export interface BrokerEvents {
  "peer:joined": [peer: PeerInfo];
  "peer:left": [peer: PeerInfo];
  "peer:lost": [peer: PeerInfo, info: { requeued: number; failed: number }];
  "task:retried": [info: { name: string; key: number; attempt: number; lostWorker: string }];
  /** The origin ended the run with this exit code. */
  shutdown: [code: number];
  /** A failure no future owns (e.g. the socket broke). */
  error: [error: Error];
}

/** Lifecycle of a broker. */
export type BrokerState = "running" | "closing" | "closed";

/** Counters, for monitoring and tests. */
export interface BrokerStats {
  peers: number;
  workers: number;
  queued: number;
  running: number;
  submitted: number;
  delivered: number;
  retried: number;
  malformed: number;
}

interface Peer extends PeerInfo {
  /** ZeroMQ routing id of the peer's data socket. */
  readonly identity: Buffer;
  /** Routing id of the peer's heartbeat socket, once it spoke. */
  heart?: Buffer;
  tasks: Set<string>;
  /** Apps whose constants this peer has been sent (its own app, then each app of a task dispatched to it). */
  apps: Set<string>;
  /** Task names this owner was told no worker can run yet (told once per name). */
  waitNoticed: Set<string>;
  credit: number;
  /** Tasks dispatched to this peer and not finished, by key. */
  running: Map<number, QueuedTask>;
  /** Keys of tasks this peer owns, by the owner's id. */
  owned: Map<number, number>;
  lastSeen: number;
  /** Outcomes waiting to be delivered to this peer (flushed once per pump). */
  outbox: { results: DeliveredOutcome[]; frames: Buffer[] };
}

type QueuedTask = GenericTask<Peer>;

const key = (identity: Buffer) => identity.toString("latin1");

/** A running broker. Create one with {@link startBroker}. */
export class Broker extends EventEmitter<BrokerEvents> {
  /** Endpoints actually bound (ports resolved). */
  readonly endpoints: string[] = [];
  /** Unique id of this broker instance. */
  readonly id = randomUUID();
  private readonly router: Router;
  /** Outgoing messages, one send in progress at a time (zeromq.js rule). */
  private readonly out: SendQueue;
  private readonly log: Logger;
  private readonly peers = new Map<string, Peer>();
  private readonly hearts = new Map<string, Peer>();
  private readonly byName = new Map<string, Peer>();
  private readonly queue = new TaskQueue<Peer>();
  /** Every unfinished task by key: queued or running. */
  private readonly tasks = new Map<number, QueuedTask>();
  private readonly constants = new Map<string, Map<string, Buffer[]>>();
  private readonly codec = new Codec();
  private zap?: { domain: string; release(): void };
  private nextKey = 1;
  private pumpScheduled = false;
  private rotation = 0;
  private heartbeatTimer?: NodeJS.Timeout;
  private closing?: Promise<void>;
  private loop?: Promise<void>;
  private counters = { submitted: 0, delivered: 0, retried: 0, malformed: 0 };
  private lastMalformedWarn = 0;
  private _state: BrokerState = "running";

  /** @internal use {@link startBroker} */
  constructor(readonly options: ResolvedBrokerOptions) {
    super();
    this.log = (options.logger ?? pino({ level: "warn" }, pino.destination({ fd: 2, sync: true }))).child({ component: "broker" });
    this.router = new Router({
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
    const exposed = this.options.bind.filter((e) => !isLoopbackEndpoint(e));
    if (exposed.length > 0 && this.options.curve === undefined) {
      this.log.warn({ endpoints: exposed }, "INSECURE: listening beyond loopback without CURVE; anyone who can reach these endpoints can join as a worker, submit work and read results");
    }
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
    let running = 0;
    let workers = 0;
    for (const peer of this.peers.values()) {
      running += peer.running.size;
      if (peer.role !== "client") workers++;
    }
    return { peers: this.peers.size, workers, queued: this.queue.size, running, ...this.counters };
  }

  /** Peers currently connected. */
  peerList(): PeerInfo[] {
    return [...this.peers.values()].map(({ id, role, host, pid, app }) => ({ id, role, host, pid, app }));
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
      const peer = this.peers.get(key(identity)) ?? this.hearts.get(key(identity)) ?? (header.of ? this.byName.get(header.of) : undefined);
      if (peer === undefined) return; // a heart of a peer that has not joined yet, or has left
      if (header.of !== undefined && peer.heart === undefined && peer.id === header.of) {
        peer.heart = identity;
        this.hearts.set(key(identity), peer);
      }
      peer.lastSeen = now;
      return;
    }
    const peer = this.peers.get(key(identity));
    if (peer === undefined) {
      this.send(identity, { t: "ERROR", code: "SCOOP_NOT_JOINED", message: `a ${header.t} message arrived from a peer that has not joined: send HELLO first` });
      return;
    }
    peer.lastSeen = now;
    switch (header.t) {
      case "SUBMIT":
        return this.onSubmit(peer, header.tasks, message.payload);
      case "CREDIT":
        peer.credit = Math.min(MAX_CREDIT, peer.credit + header.n);
        return this.schedulePump();
      case "RESULT":
        return this.onResult(peer, header.results, message.payload);
      case "CANCEL":
        return this.onCancel(peer, header.ids);
      case "TASKS":
        for (const name of header.tasks) peer.tasks.add(name);
        return this.schedulePump();
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
        return this.removePeer(peer, "left");
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
    const existing = this.peers.get(key(identity));
    if (existing !== undefined) this.removePeer(existing, "left");
    const clash = this.byName.get(h.id);
    if (clash !== undefined) this.removePeer(clash, "lost");
    const peer: Peer = {
      id: h.id,
      role: h.role,
      host: h.host,
      pid: h.pid,
      app: h.app,
      identity,
      tasks: new Set(h.tasks),
      apps: new Set([h.app]),
      waitNoticed: new Set(),
      credit: 0,
      running: new Map(),
      owned: new Map(),
      lastSeen: Date.now(),
      outbox: { results: [], frames: [] },
    };
    this.peers.set(key(identity), peer);
    this.byName.set(peer.id, peer);
    this.send(identity, { t: "WELCOME", broker: this.id, heartbeatMs: this.options.heartbeatMs, livenessMs: this.options.livenessMs });
    for (const [name, frames] of this.constants.get(peer.app) ?? []) {
      this.send(identity, { t: "CONST", name, frames: frames.length }, frames);
    }
    this.log.info({ peer: peer.id, role: peer.role, host: peer.host, tasks: peer.tasks.size }, "peer joined");
    this.emitSafe("peer:joined", this.info(peer));
    this.schedulePump();
  }

  private onSubmit(owner: Peer, tasks: Extract<Header, { t: "SUBMIT" }>["tasks"], payload: Buffer[]): void {
    let offset = 0;
    for (const t of tasks) {
      const frames = payload.slice(offset, offset + t.frames);
      offset += t.frames;
      if (owner.owned.has(t.id)) {
        this.send(owner.identity, { t: "ERROR", code: "SCOOP_DUPLICATE_TASK", message: `task id ${t.id} is already in flight`, ref: t.id });
        continue;
      }
      // A worker submitting from inside a task of another app (daemon workers
      // serve many apps) tags the subtask with that app; a client's tasks are its own app's.
      const app = (owner.role !== "client" ? appOf(t) : undefined) ?? owner.app;
      const task: QueuedTask = { key: this.nextKey++, owner, ownerTaskId: t.id, name: t.name, frames, retries: t.retries, attempt: 1, app };
      this.tasks.set(task.key, task);
      owner.owned.set(t.id, task.key);
      this.queue.push(task);
      this.counters.submitted++;
      if (this.options.unknownTasks === "wait" && !owner.waitNoticed.has(t.name) && !this.runnable(t.name)) {
        owner.waitNoticed.add(t.name);
        this.send(owner.identity, { t: "ERROR", code: "SCOOP_TASK_WAITING", message: `no connected worker can run task "${t.name}" yet: it waits until a worker that exports it joins (bounded by the task's timeoutMs)` });
      }
    }
    this.schedulePump();
  }

  private onResult(worker: Peer, results: Extract<Header, { t: "RESULT" }>["results"], payload: Buffer[]): void {
    let offset = 0;
    for (const r of results) {
      const frames = payload.slice(offset, offset + r.frames);
      offset += r.frames;
      // Only the worker a task was dispatched to may settle it.
      if (!worker.running.delete(r.key)) continue;
      const task = this.tasks.get(r.key);
      // Exactly-once delivery: a task already finished (a retry won, or it
      // was cancelled) ignores late outcomes.
      if (task === undefined) continue;
      this.finish(task, r.ok, frames, worker);
    }
    this.schedulePump();
  }

  private onCancel(owner: Peer, ids: number[]): void {
    for (const id of ids) {
      const taskKey = owner.owned.get(id);
      if (taskKey === undefined) continue;
      const task = this.tasks.get(taskKey)!;
      this.forget(task);
      if (task.worker !== undefined) {
        task.worker.running.delete(task.key);
        this.send(task.worker.identity, { t: "ABORT", keys: [task.key] });
      } else {
        this.queue.remove(task);
      }
    }
  }

  private onConstSet(peer: Peer, h: Extract<Header, { t: "CONST_SET" }>, frames: Buffer[]): void {
    const name = h.name;
    // A worker setting a constant from inside a task of another app sets that app's.
    const app = (peer.role !== "client" ? appOf(h) : undefined) ?? peer.app;
    let scope = this.constants.get(app);
    if (scope === undefined) this.constants.set(app, (scope = new Map()));
    if (scope.has(name)) {
      this.send(peer.identity, { t: "ERROR", code: "SCOOP_CONST_EXISTS", message: `shared constant "${name}" is already set; constants are read-only: use a new name` });
      return;
    }
    scope.set(name, frames);
    for (const other of this.peers.values()) {
      if (other.apps.has(app)) this.sendConst(other, app, name, frames);
    }
  }

  /** Send one constant of `app` to a peer (naming the app when it is not the peer's own). */
  private sendConst(peer: Peer, app: string, name: string, frames: Buffer[]): void {
    const header = app === peer.app ? { t: "CONST", name, frames: frames.length } : { t: "CONST", name, frames: frames.length, app };
    this.send(peer.identity, header as Header, frames);
  }

  /** True if a connected peer advertises `name`. */
  private runnable(name: string): boolean {
    for (const peer of this.peers.values()) if (peer.tasks.has(name)) return true;
    return false;
  }

  /** Drop the constants of apps no connected peer belongs to any more, and tell peers that hold them. */
  private forgetOrphanApps(): void {
    for (const app of this.constants.keys()) {
      let used = false;
      for (const peer of this.peers.values()) if (peer.app === app) used = true;
      if (used) continue;
      this.constants.delete(app);
      for (const peer of this.peers.values()) {
        if (!peer.apps.delete(app)) continue;
        this.send(peer.identity, { t: "CONST", name: "", frames: 0, app, forget: true } as Header);
      }
    }
  }

  // --- task life ------------------------------------------------------------

  /** Deliver an outcome to the owner and drop the task. */
  private finish(task: QueuedTask, ok: boolean, frames: Buffer[], worker: { id: string; host: string }): void {
    this.forget(task);
    if (task.worker !== undefined && task.worker !== worker) {
      // Another attempt is still running: it is no longer needed.
      task.worker.running.delete(task.key);
      this.send(task.worker.identity, { t: "ABORT", keys: [task.key] });
    }
    const owner = task.owner;
    if (!this.peers.has(key(owner.identity))) return;
    owner.outbox.results.push({ id: task.ownerTaskId, ok, frames: frames.length, worker: worker.id, host: worker.host });
    for (const f of frames) owner.outbox.frames.push(f);
    this.counters.delivered++;
    this.schedulePump();
  }

  private forget(task: QueuedTask): void {
    this.tasks.delete(task.key);
    task.owner.owned.delete(task.ownerTaskId);
  }

  private fail(task: QueuedTask, code: string, message: string, by: { id: string; host: string }): void {
    const error = new ScoopError(code, message, { taskName: task.name, workerId: by.id, host: by.host });
    this.finish(task, false, this.codec.encode(error).map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)), by);
  }

  private removePeer(peer: Peer, why: "left" | "lost"): void {
    if (!this.peers.delete(key(peer.identity))) return;
    if (this.byName.get(peer.id) === peer) this.byName.delete(peer.id);
    if (peer.heart) this.hearts.delete(key(peer.heart));
    let requeued = 0;
    let failed = 0;
    // Tasks it was running go back to the queue (at-least-once execution).
    for (const task of peer.running.values()) {
      task.worker = undefined;
      if (why === "left") {
        // A goodbye (a recycling worker, a stopped one) is no crash: requeue
        // without spending the task's retries, which are for lost workers.
        requeued++;
        this.queue.pushFront(task);
      } else if (task.attempt <= task.retries) {
        task.attempt++;
        requeued++;
        this.counters.retried++;
        this.queue.pushFront(task);
        this.emitSafe("task:retried", { name: task.name, key: task.key, attempt: task.attempt, lostWorker: peer.id });
      } else {
        failed++;
        this.fail(task, "SCOOP_WORKER_LOST", `task "${task.name}" was lost with worker ${peer.id} (host ${peer.host}) after ${task.attempt} attempt(s); it ran out of retries: raise the retries option, or find why workers die (memory, crashes)`, peer);
      }
    }
    peer.running.clear();
    // Tasks it owned are no longer wanted by anyone.
    for (const taskKey of peer.owned.values()) {
      const task = this.tasks.get(taskKey);
      if (task === undefined) continue;
      this.tasks.delete(taskKey);
      if (task.worker !== undefined) {
        task.worker.running.delete(task.key);
        this.send(task.worker.identity, { t: "ABORT", keys: [task.key] });
      } else this.queue.remove(task);
    }
    peer.owned.clear();
    this.forgetOrphanApps();
    this.log.info({ peer: peer.id, host: peer.host, why, requeued, failed }, why === "lost" ? "peer lost" : "peer left");
    if (why === "lost") this.emitSafe("peer:lost", this.info(peer), { requeued, failed });
    else this.emitSafe("peer:left", this.info(peer));
    this.schedulePump();
  }

  private tick(): void {
    const now = Date.now();
    for (const peer of [...this.peers.values()]) {
      if (now - peer.lastSeen > this.options.livenessMs) {
        this.removePeer(peer, "lost");
        continue;
      }
      this.send(peer.heart ?? peer.identity, { t: "HEARTBEAT" });
    }
  }

  // --- sending --------------------------------------------------------------

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Hand queued tasks to workers with credit, then flush batched deliveries. */
  private pump(): void {
    if (this._state !== "running") return;
    const workers = [...this.peers.values()].filter((p) => p.credit > 0 && p.tasks.size > 0);
    // Rotate the starting worker so credit is served fairly.
    const start = workers.length > 0 ? this.rotation++ % workers.length : 0;
    // No worker takes more than its share of what is queued now, however much
    // credit it has: a worker whose credit was sized for tiny tasks must not
    // swallow a burst of long ones that another worker could share.
    const share = Math.ceil(this.queue.size / Math.max(1, workers.length));
    for (let i = 0; i < workers.length && this.queue.size > 0; i++) {
      const worker = workers[(start + i) % workers.length];
      const batch: Array<DispatchedTask & AppField> = [];
      const frames: Buffer[] = [];
      while (worker.credit > 0 && batch.length < share) {
        const task = this.queue.shift(worker.tasks);
        if (task === undefined) break;
        worker.credit--;
        task.worker = worker;
        worker.running.set(task.key, task);
        if (!worker.apps.has(task.app)) {
          // The worker gets an app's constants before its first task of that app
          // (same socket, so they arrive first); later ones follow as they are set.
          worker.apps.add(task.app);
          for (const [name, value] of this.constants.get(task.app) ?? []) this.sendConst(worker, task.app, name, value);
        }
        const dispatched: DispatchedTask & AppField = { key: task.key, name: task.name, frames: task.frames.length, attempt: task.attempt };
        if (task.app !== worker.app) dispatched.app = task.app;
        batch.push(dispatched);
        for (const f of task.frames) frames.push(f);
      }
      if (batch.length > 0) this.send(worker.identity, { t: "DISPATCH", tasks: batch }, frames);
    }
    if (this.options.unknownTasks === "fail") this.failUnrunnable();
    for (const peer of this.peers.values()) {
      if (peer.outbox.results.length === 0) continue;
      const { results, frames } = peer.outbox;
      peer.outbox = { results: [], frames: [] };
      this.send(peer.identity, { t: "DELIVER", results }, frames);
    }
  }

  /** In "fail" mode, tasks no connected worker can run fail at once. */
  private failUnrunnable(): void {
    for (const name of this.queue.names()) {
      let runnable = false;
      for (const peer of this.peers.values()) if (peer.tasks.has(name)) runnable = true;
      if (runnable) continue;
      for (const task of this.queue.drain(name)) {
        this.fail(task, "SCOOP_TASK_NOT_REGISTERED", `no worker can run task "${name}": export it from the script every worker loads (top level, not inside main), or wrap it with defineTask() there`, { id: "broker", host: "broker" });
      }
    }
  }

  private send(identity: Buffer, header: Header, payload: readonly Uint8Array[] = []): void {
    if (this._state === "closed") return;
    this.out.send([identity, ...encodeMessage(header, payload)]);
  }

  private info(peer: Peer): PeerInfo {
    return { id: peer.id, role: peer.role, host: peer.host, pid: peer.pid, app: peer.app };
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

/**
 * Start a broker and resolve once it listens.
 *
 * ```ts
 * const broker = await startBroker({ bind: "tcp://127.0.0.1:*" });
 * console.log(broker.endpoint); // tcp://127.0.0.1:41234
 * await broker.close();
 * ```
 */
export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const broker = new Broker(resolveBrokerOptions(options));
  try {
    await broker.bind();
  } catch (error) {
    await broker.close();
    throw error;
  }
  return broker;
}
