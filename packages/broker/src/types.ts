import type { ScoopEvent, ScoopEventOf, ScoopEventType } from "@scoop/protocol";
import type { PeerInfo } from "./peers.js";

/** The run's event stream, one listener signature per event type (`broker.on("task:finished", (e) => …)`). */
export type StreamEvents = { [T in ScoopEventType]: [event: ScoopEventOf<T>] };

/**
 * Events of a {@link Broker}. Listeners that throw are logged, never crash the
 * broker. Besides these, every event of the run's stream comes under its own
 * type (`task:queued`, `task:started`, `task:finished`, `task:retried`,
 * `task:cancelled`, `worker:joined`, `worker:left`, `worker:recycled`,
 * `worker:lost`, `worker:stats`, `map:progress`) and all of them under `event`.
 * Listening to a per-task type (or `event`) turns the broker's per-task hooks
 * on; with no such listener they cost one branch per task.
 */
export interface BrokerEvents extends StreamEvents {
  "peer:joined": [peer: PeerInfo];
  "peer:left": [peer: PeerInfo];
  /** `stuck`, `task`: the broker key and name of the task the worker's main thread was stuck in (it ended itself; its tasks went back: without spending retries if that task's owner had aborted it). */
  "peer:lost": [peer: PeerInfo, info: { requeued: number; failed: number; stuck?: number; task?: string }];
  /** Every event of the run's stream. */
  event: [event: ScoopEvent];
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
