/**
 * The per-task records that SUBMIT, DISPATCH, RESULT and DELIVER carry, shared by the message
 * validation (messages.ts) and the packed-batch format (packed-batch.ts) so neither imports the other.
 */

/**
 * Name prefix of a chunk: `scoop:chunk:<task>` carries several calls of task
 * `<task>` (of one map) as one task. Workers advertise that name for each task
 * they run, so a chunk goes only where its calls can run.
 */
export const CHUNK_PREFIX = "scoop:chunk:";

/** Priorities are integers of modest size: they only order tasks. */
export const MAX_PRIORITY = 1_000_000;

/** One task inside a SUBMIT. */
export interface SubmittedTask {
  /** Owner-local task id, unique per owner. */
  id: number;
  /** Registered task name. */
  name: string;
  /** How many payload frames carry its arguments. */
  frames: number;
  /** Re-runs allowed if its worker is lost. */
  retries: number;
  /** App the task belongs to, when a daemon worker submits from inside a task of another app. */
  app?: string;
  /** Higher is dispatched first (FIFO within one priority; waiting ages a task up). @default 0 */
  priority?: number;
  /** Id of the task's random stream (32 hex digits), forwarded untouched to the worker that runs it. */
  rng?: string;
  /** Broker key of the task that submitted it (for traces), when a task did. */
  parent?: number;
  /** Owner-local id of the map it belongs to (for progress), when a map submitted it. */
  map?: number;
  /** Number of tasks of that map, when known up front: sent with the map's first task. */
  total?: number;
  /**
   * Run it neither on its owner nor on the origin when another worker can
   * (a task with a deadline: a synchronous task must not block the thread
   * whose timer fires, nor `main`). @default false
   */
  elsewhere?: boolean;
  /** Calls of that map this task carries (a chunk of tiny calls run as one task): progress counts them. @default 1 */
  calls?: number;
}

/** One task inside a DISPATCH. */
export interface DispatchedTask {
  /** Broker-unique key; the worker echoes it in RESULT and ABORT refers to it. */
  key: number;
  name: string;
  frames: number;
  /** 1 for the first run, 2 for the first retry, … */
  attempt: number;
  /** App the task belongs to, when it is not the worker's own (daemon workers serve many apps). */
  app?: string;
  /** Id of the task's random stream, as submitted. */
  rng?: string;
}

/** One outcome inside a RESULT (worker → broker). */
export interface TaskOutcome {
  key: number;
  /** True: payload is the value; false: payload is the thrown error. */
  ok: boolean;
  frames: number;
}

/** One outcome inside a DELIVER (broker → owner). */
export interface DeliveredOutcome {
  /** The owner's task id. */
  id: number;
  ok: boolean;
  frames: number;
  /** Worker that ran it. */
  worker: string;
  /** Host of that worker. */
  host: string;
}
