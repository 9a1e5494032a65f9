import type { PeerInfo } from "./peers.js";

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
