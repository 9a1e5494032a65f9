/**
 * Deadlines of this process's own pending tasks, by random stream id (a
 * task's stream id travels with it to the worker that runs it). When no other
 * worker can run a task with a deadline, the broker gives it to its owner, and
 * a synchronous task there blocks the very thread whose timer must fire: the
 * runner looks its deadline up here so the heartbeat thread can act on it
 * (see heart.ts). Only tasks with a `timeoutMs` are entered.
 */
const deadlines = new Map<string, number>();

/** Task `rng` of this process must be done by `at` (epoch ms); returns how to forget it. */
export function addOwnDeadline(rng: string, at: number): () => void {
  deadlines.set(rng, at);
  return () => deadlines.delete(rng);
}

/** The deadline (epoch ms) of this process's own pending task with stream `rng`, if it has one. */
export function ownDeadline(rng: string | undefined): number | undefined {
  return rng === undefined || deadlines.size === 0 ? undefined : deadlines.get(rng);
}
