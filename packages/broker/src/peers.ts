/**
 * The broker's connected peers: who they are, which sockets they speak from,
 * what they run, and when they were last heard from (liveness).
 */
import type { Header, PeerRole } from "@scoop/protocol";
import { Outbox } from "./outbox.js";
import type { MapState, WorkerFigures } from "./run-observer.js";
import type { QueuedTask as GenericTask } from "./task-queue.js";

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

/** A peer with the broker's bookkeeping about it. */
export interface Peer extends PeerInfo {
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
  /** The worker said it has nothing to run at all (reset when it is dispatched a task). */
  idle: boolean;
  /** Idle workers this peer was last told about in a RECLAIM (0: none, or not told). */
  reclaimTold: number;
  /** Tasks dispatched to this peer and not finished, by key. */
  running: Map<number, QueuedTask>;
  /** Keys of tasks this peer owns, by the owner's id. */
  owned: Map<number, number>;
  lastSeen: number;
  /** Outcomes waiting to be delivered to this peer (flushed once per pump). */
  outbox: Outbox;
  /** Tasks run, CPU and memory, for monitoring. */
  figures: WorkerFigures;
}

/** A task the broker holds, queued or running. */
export type QueuedTask = GenericTask<Peer> & {
  /** The map it belongs to, if a map submitted it. */
  map?: MapState;
  /** Calls of the map it carries (a chunk). @default 1 */
  calls?: number;
  /** When its current attempt was dispatched (set only while someone watches). */
  startedAt?: number;
};

/** Most credit a peer may hold: bounds what a buggy or hostile CREDIT can do. */
export const MAX_CREDIT = 1 << 20;

const key = (identity: Buffer) => identity.toString("latin1");

/** Add `by` to a count, forgetting it at 0. */
function bump(counts: Map<string, number>, name: string, by: number): void {
  const n = (counts.get(name) ?? 0) + by;
  if (n === 0) counts.delete(name);
  else counts.set(name, n);
}

/** A new peer from its HELLO. */
export function newPeer(identity: Buffer, h: Extract<Header, { t: "HELLO" }>, now = Date.now()): Peer {
  return {
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
    idle: false,
    reclaimTold: 0,
    running: new Map(),
    owned: new Map(),
    lastSeen: now,
    outbox: new Outbox(),
    figures: { tasksRun: 0, failed: 0, joinedAt: now },
  };
}

/** The public view of a peer. */
export function peerInfo(peer: Peer): PeerInfo {
  return { id: peer.id, role: peer.role, host: peer.host, pid: peer.pid, app: peer.app };
}

/**
 * Connected peers, found by data socket, heartbeat socket or id, with the
 * indexes that keep the broker's cost per message independent of the number
 * of peers: who holds credit, and how many peers run each task name.
 */
export class PeerTable {
  private readonly byIdentity = new Map<string, Peer>();
  private readonly hearts = new Map<string, Peer>();
  private readonly byName = new Map<string, Peer>();
  /** Peers that were granted credit (pruned lazily when it is spent). */
  private readonly creditors = new Set<Peer>();
  /** How many connected peers advertise each task name. */
  private readonly runners = new Map<string, number>();
  /** The same, counting only workers (not the origin, not clients). */
  private readonly workerRunners = new Map<string, number>();

  get size(): number {
    return this.byIdentity.size;
  }

  /** Peers, those that run tasks (not clients nor monitors), and tasks running on them. */
  counts(): { peers: number; workers: number; running: number } {
    let running = 0;
    let workers = 0;
    for (const peer of this.byIdentity.values()) {
      running += peer.running.size;
      if (peer.role !== "client" && peer.role !== "monitor") workers++;
    }
    return { peers: this.byIdentity.size, workers, running };
  }

  /** Connected peers in join order. */
  values(): IterableIterator<Peer> {
    return this.byIdentity.values();
  }

  /** The peer whose data socket has this routing id. */
  get(identity: Buffer): Peer | undefined {
    return this.byIdentity.get(key(identity));
  }

  /** The peer that chose this id. */
  byId(id: string): Peer | undefined {
    return this.byName.get(id);
  }

  add(peer: Peer): void {
    this.byIdentity.set(key(peer.identity), peer);
    this.byName.set(peer.id, peer);
    for (const name of peer.tasks) this.count(peer, name, 1);
  }

  /** Remove a peer; false if it was not connected. */
  delete(peer: Peer): boolean {
    if (!this.byIdentity.delete(key(peer.identity))) return false;
    if (this.byName.get(peer.id) === peer) this.byName.delete(peer.id);
    if (peer.heart) this.hearts.delete(key(peer.heart));
    this.creditors.delete(peer);
    for (const name of peer.tasks) this.count(peer, name, -1);
    return true;
  }

  /** The peer can run these tasks too (TASKS). */
  advertise(peer: Peer, names: Iterable<string>): void {
    for (const name of names) {
      if (peer.tasks.has(name)) continue;
      peer.tasks.add(name);
      this.count(peer, name, 1);
    }
  }

  /** The peer can take `n` more tasks (CREDIT). */
  credit(peer: Peer, n: number): void {
    peer.credit = Math.min(MAX_CREDIT, peer.credit + n);
    if (peer.credit > 0) this.creditors.add(peer);
  }

  /** Peers holding credit that run tasks: the only ones a scheduling round visits. */
  *withCredit(): IterableIterator<Peer> {
    for (const peer of this.creditors) {
      if (peer.credit === 0) this.creditors.delete(peer); // spent since: forget until it asks again
      else if (peer.tasks.size > 0) yield peer;
    }
  }

  /**
   * A HEARTBEAT arrived from `identity` (for peer `of`, when sent by a separate
   * heart socket): the peer is alive. The first beat of a heart socket tells
   * which socket to send heartbeats to.
   */
  beat(identity: Buffer, of: string | undefined, now: number): Peer | undefined {
    const peer = this.byIdentity.get(key(identity)) ?? this.hearts.get(key(identity)) ?? (of ? this.byName.get(of) : undefined);
    if (peer === undefined) return undefined; // a heart of a peer that has not joined yet, or has left
    if (of !== undefined && peer.heart === undefined && peer.id === of) {
      peer.heart = identity;
      this.hearts.set(key(identity), peer);
    }
    peer.lastSeen = now;
    return peer;
  }

  /** True if a connected peer advertises `name`. */
  runnable(name: string): boolean {
    return this.runners.has(name);
  }

  /** True if a connected worker other than `peer` advertises `name`. */
  runnableByOtherWorker(name: string, peer: Peer): boolean {
    const own = peer.role === "worker" && peer.tasks.has(name) ? 1 : 0;
    return (this.workerRunners.get(name) ?? 0) > own;
  }

  private count(peer: Peer, name: string, by: 1 | -1): void {
    bump(this.runners, name, by);
    if (peer.role === "worker") bump(this.workerRunners, name, by);
  }
}

/**
 * The app a SUBMIT task or CONST_SET of `peer` belongs to: a worker acting
 * from inside a task of another app (daemon workers serve many apps) names
 * that app in the message's `app` field (typed and checked by the protocol);
 * a client's messages are always its own app's.
 */
export function appOfMessage(peer: Peer, message: { app?: string }): string {
  return (peer.role !== "client" && message.app) || peer.app;
}
