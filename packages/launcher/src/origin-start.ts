/**
 * When the origin's `main` starts: once the run's other workers have joined,
 * so a short run is spread from its first task (the broker holds the
 * origin's WELCOME until then: `holdOrigins`). Workers of this machine are
 * waited for until each has joined or ended; workers on other hosts only for
 * a short while, after which `main` starts anyway (a straggler that joins
 * later still gets work).
 */
import type { Broker } from "@scoop/broker";
import type { LaunchedWorker } from "./worker-spec.js";

/** How long `main` waits for workers on other hosts (SSH, a scheduler's tool) after they were started. */
export const REMOTE_JOIN_WAIT_MS = 2000;
/** The longest `main` waits at all: within the origin's own 10 s wait for its WELCOME. */
export const MAX_JOIN_WAIT_MS = 8000;

/** A worker started for the run, and whether it runs on this machine. */
export interface StartedWorker {
  worker: LaunchedWorker;
  local: boolean;
}

/**
 * Admit the broker's held origin once every worker of `others` has joined
 * or ended (those on other hosts: for at most `remoteWaitMs`). Returns a
 * function that stops waiting (and admits the origin).
 */
export function admitOriginOnceJoined(broker: Broker, others: readonly StartedWorker[], remoteWaitMs = REMOTE_JOIN_WAIT_MS): () => void {
  const joined = new Set(broker.peerList().map((p) => p.id));
  const pending = new Map(others.filter((o) => !joined.has(o.worker.id)).map((o) => [o.worker.id, o.local]));
  let remoteWaitOver = false;
  let done = false;
  const onJoined = (peer: { id: string }) => settle(peer.id);
  const remoteTimer = setTimeout(() => {
    remoteWaitOver = true;
    check();
  }, remoteWaitMs);
  const maxTimer = setTimeout(() => admit(), MAX_JOIN_WAIT_MS);
  function admit(): void {
    if (done) return;
    done = true;
    clearTimeout(remoteTimer);
    clearTimeout(maxTimer);
    broker.off("peer:joined", onJoined);
    broker.admitOrigins();
  }
  function check(): void {
    if (pending.size === 0 || (remoteWaitOver && ![...pending.values()].includes(true))) admit();
  }
  function settle(id: string): void {
    pending.delete(id);
    check();
  }
  broker.on("peer:joined", onJoined);
  for (const { worker } of others) void worker.exited.then(() => settle(worker.id));
  check();
  return admit;
}
