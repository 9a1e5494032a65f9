/**
 * The run's event stream: what the broker (which sees every task) publishes
 * to in-process listeners and to monitor peers on the wire (`EVENTS`), and
 * the snapshot it answers `STATUS` with. Every view (progress, trace,
 * dashboard, metrics, `scoop-broker status`) is built on these, so they never
 * disagree. Times are milliseconds since the Unix epoch, with fractions.
 */
import type { PeerRole } from "./messages.js";

/** A peer as events and snapshots name it. */
export interface PeerSummary {
  /** Id the peer chose in HELLO (`w3`, …). */
  readonly id: string;
  readonly role: PeerRole;
  readonly host: string;
  readonly pid: number;
  /** Run or application the peer belongs to. */
  readonly app: string;
}

/** A task entered the broker's queue. */
export interface TaskQueuedEvent {
  type: "task:queued";
  at: number;
  /** Broker-unique key. */
  key: number;
  name: string;
  /** Peer that submitted it (owns its future). */
  owner: string;
  /** Argument bytes. */
  bytes: number;
  /** Key of the task that submitted it, when a task did. */
  parent?: number;
  /** Map it belongs to (`owner/id`), when a map submitted it. */
  map?: string;
}

/** A task was handed to a worker. */
export interface TaskStartedEvent {
  type: "task:started";
  at: number;
  key: number;
  name: string;
  worker: string;
  /** 1 for the first run, 2 for the first retry, … */
  attempt: number;
}

/** A worker returned a task's outcome (the broker forwards it to the owner). */
export interface TaskFinishedEvent {
  type: "task:finished";
  at: number;
  key: number;
  name: string;
  worker: string;
  attempt: number;
  /** False: the task threw. */
  ok: boolean;
  /** Time from dispatch to result, ms. */
  ms: number;
  map?: string;
}

/** A task's worker was lost while it ran: it goes back to the queue for another attempt. */
export interface TaskRetriedEvent {
  type: "task:retried";
  at: number;
  key: number;
  name: string;
  /** The attempt that will run next. */
  attempt: number;
  lostWorker: string;
  map?: string;
}

/** A task was cancelled by its owner, or dropped because its owner left. */
export interface TaskCancelledEvent {
  type: "task:cancelled";
  at: number;
  key: number;
  name: string;
  map?: string;
}

/** A peer joined (worker, origin, client or monitor). */
export interface WorkerJoinedEvent {
  type: "worker:joined";
  at: number;
  worker: PeerSummary;
}

/** A peer left: said goodbye (`left`), left to be replaced by a fresh process (`recycled`), or fell silent (`lost`). */
export interface WorkerGoneEvent {
  type: "worker:left" | "worker:recycled" | "worker:lost";
  at: number;
  worker: PeerSummary;
  /** Its unfinished tasks that went back to the queue. */
  requeued: number;
  /** Its unfinished tasks that failed (out of retries). */
  failed: number;
}

/** A worker's resources, sent with its heartbeat. */
export interface WorkerStatsEvent {
  type: "worker:stats";
  at: number;
  worker: string;
  /** CPU use since the previous sample, percent of one core. */
  cpu: number;
  /** Resident memory, bytes. */
  rssBytes: number;
}

/** A map's progress changed (sent at most a few times a second per map, and when it completes). */
export interface MapProgressEvent {
  type: "map:progress";
  at: number;
  map: MapSummary;
}

/** One event of the run. */
export type ScoopEvent =
  | TaskQueuedEvent
  | TaskStartedEvent
  | TaskFinishedEvent
  | TaskRetriedEvent
  | TaskCancelledEvent
  | WorkerJoinedEvent
  | WorkerGoneEvent
  | WorkerStatsEvent
  | MapProgressEvent;

/** The name of an event type. */
export type ScoopEventType = ScoopEvent["type"];

/** The event of one type. */
export type ScoopEventOf<T extends ScoopEventType> = Extract<ScoopEvent, { type: T }>;

/** Every event type, in the order a task or worker goes through them. */
export const SCOOP_EVENT_TYPES: readonly ScoopEventType[] = Object.freeze([
  "task:queued",
  "task:started",
  "task:finished",
  "task:retried",
  "task:cancelled",
  "worker:joined",
  "worker:left",
  "worker:recycled",
  "worker:lost",
  "worker:stats",
  "map:progress",
]);

/** How many incidents a {@link BrokerSnapshot} keeps. */
export const MAX_INCIDENTS = 50;

/** A running map as the broker counts it. */
export interface MapSummary {
  /** `owner/id`: unique per broker. */
  id: string;
  /** Task name. */
  name: string;
  owner: string;
  /** Number of tasks, when the owner knew it up front (undefined for an iterable of unknown length). */
  total?: number;
  /** Tasks submitted so far. */
  submitted: number;
  /** Tasks settled: finished (ok or failed) or cancelled. */
  done: number;
  /** Tasks whose last attempt failed. */
  failed: number;
  /** Attempts made again: after a lost worker, or by the owner (`retryOnError`: a failed item submitted again is unsettled, not a new item). */
  retried: number;
  /** When its first task was queued. */
  startedAt: number;
  /** When its last task finished (a finished map stays listed for a while). */
  finishedAt?: number;
}

/** A connected peer in a {@link BrokerSnapshot}. */
export interface WorkerSnapshot extends PeerSummary {
  /** `busy` while it runs tasks, `idle` otherwise. */
  state: "busy" | "idle";
  /** Tasks it runs now. */
  running: number;
  /** Tasks it finished (ok or failed) since it joined. */
  tasksRun: number;
  failed: number;
  /** CPU use, percent of one core (from its last heartbeat that carried it). */
  cpu?: number;
  rssBytes?: number;
  joinedAt: number;
}

/** What a broker holds at one moment: answered to `STATUS`, served by the dashboard and `/metrics`. */
export interface BrokerSnapshot {
  at: number;
  broker: string;
  endpoints: string[];
  /** Since the broker started, ms. */
  uptimeMs: number;
  workers: WorkerSnapshot[];
  /** Queued tasks by name. */
  queues: Array<{ name: string; queued: number }>;
  maps: MapSummary[];
  /** Shared constants by app. */
  constants: Array<{ app: string; name: string; bytes: number }>;
  /** The latest failures, retries, lost workers and cancellations (oldest first, at most {@link MAX_INCIDENTS}). */
  incidents: ScoopEvent[];
  counters: { submitted: number; delivered: number; failed: number; retried: number; cancelled: number; malformed: number; lost: number };
}
