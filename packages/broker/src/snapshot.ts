/** The broker's state as views show it: the dashboard, `/metrics` and `STATUS` (`scoop-broker status`). */
import type { BrokerSnapshot } from "@scoop/protocol";
import type { AppConstants } from "./constants.js";
import { peerInfo, type Peer } from "./peers.js";
import type { RunObserver } from "./run-observer.js";

/** What a snapshot is made of. */
export interface SnapshotParts {
  broker: string;
  endpoints: readonly string[];
  startedAt: number;
  peers: Iterable<Peer>;
  queues: BrokerSnapshot["queues"];
  observer: RunObserver;
  constants: AppConstants;
  counters: { submitted: number; delivered: number; retried: number; malformed: number };
}

/** The broker's state as views show it (dashboard, `/metrics`, `STATUS`). */
export function buildSnapshot(parts: SnapshotParts): BrokerSnapshot {
  const at = Date.now();
  return {
    at,
    broker: parts.broker,
    endpoints: [...parts.endpoints],
    uptimeMs: at - parts.startedAt,
    workers: [...parts.peers].map((p) => ({
      ...peerInfo(p),
      state: p.running.size > 0 ? "busy" : "idle",
      running: p.running.size,
      tasksRun: p.figures.tasksRun,
      failed: p.figures.failed,
      joinedAt: p.figures.joinedAt,
      // Only when known: msgpack would turn undefined into null on the wire.
      ...(p.figures.cpu === undefined ? {} : { cpu: p.figures.cpu, rssBytes: p.figures.rssBytes }),
    })),
    queues: parts.queues,
    maps: parts.observer.mapList(),
    constants: parts.constants.list(),
    incidents: [...parts.observer.incidents],
    counters: { ...parts.counters, ...parts.observer.counters },
  };
}
