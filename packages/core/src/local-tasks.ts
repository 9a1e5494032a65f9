/**
 * Work-first local execution (as SCOOP does it, and Cilk or Tokio schedule):
 * a task submitted on its own is first held in the process that submitted
 * it. If that process awaits it while it is still held, the process runs it
 * itself, in-process, with no socket hop; if it goes idle, it runs what it
 * holds. Held tasks stay available to the rest of the cluster: when a worker
 * idles, the broker asks every other peer for work (RECLAIM) and held tasks
 * nobody awaits yet go to the broker, oldest first (in a recursion, the
 * biggest subtrees), so every core still gets work. A held task nobody
 * awaits within `maxHoldMs` (ten times that while this process is busy
 * running its own tasks) goes to the broker anyway: its submitter may wait
 * for it by other means (a file, shared state) while busy with another task.
 *
 * A local run is a remote run without the sockets: arguments are decoded from
 * the frames encoded at submit, the result or error makes the codec round
 * trip (plain values, which would come back the same, skip it: see
 * plain-values.ts), `currentTask()` names this process and attempt 1,
 * cancellation aborts the task's signal. Tasks with a deadline are never held (see the executor):
 * a synchronous task would block the very thread whose timer must fire.
 */
import { hostname } from "node:os";
import type { Codec } from "@scoop/protocol";
import { ScoopError } from "@scoop/protocol";
import type { TaskCall, TaskSink } from "./executor.js";
import { CancelScope } from "./cancel-scope.js";
import { checkMessageSize } from "./message-size.js";
import { PLAIN_MIN_LIMIT, isPlain } from "./plain-values.js";
import { remoteFailure } from "./remote-failure.js";
import { runInTaskContext } from "./runtime.js";
import { encodeOutcome, isThenable } from "./task-outcome.js";

/** A task kept in this process until it is run here or sent to the broker. */
export interface HeldTask {
  readonly call: TaskCall;
  readonly sink: TaskSink;
  /** Its arguments, encoded at submit (a local run decodes them: same copies as remote); absent when they are plain values, passed as they are. */
  readonly frames?: Uint8Array[];
  /** App it belongs to (its constants and subtasks). */
  readonly app: string;
  /** Key of the task that submitted it, for traces (sent with it if it goes to the broker). */
  readonly parent?: number;
  /** Someone waits for it: run it here soon. */
  awaited?: boolean;
  /** When it was held (performance.now()). @internal */
  since?: number;
}

/** Options of {@link LocalTasks}. */
export interface LocalTasksOptions {
  codec: Codec;
  /** What `currentTask().workerId` says inside a task run here. */
  workerId: string;
  /** Run `fn` as part of `app` (its constants, its subtasks). */
  runAs<T>(app: string, fn: () => T): T;
  /** The broker's message limit: a larger result fails here as it would on any worker. */
  maxResultBytes?(): number | undefined;
  /** Send held tasks to the broker: they become ordinary remote tasks. */
  exportTasks(tasks: HeldTask[]): void;
  /** A held task was run here (or cancelled) and settled: its owner forgets it. */
  onSettled(id: number): void;
  /** Nothing is held or running here any more. */
  onIdle?(): void;
  /** Local work outlasted a slice: this process is busy (a worker that said it idles takes that back). */
  onBusy?(): void;
  /** Longest run of local tasks before I/O gets a turn (RECLAIM, results). @default 5 */
  sliceMs?: number;
  /** Most tasks held at once; more go to the broker at once. @default 1024 */
  maxHeld?: number;
  /**
   * A held task nobody awaits goes to the broker after this long, even if no
   * worker idles: its submitter may wait for it without awaiting its future
   * (a file, shared state), and this process may be busy with another task.
   * Ten times this while this process keeps running its own tasks. @default 20
   */
  maxHoldMs?: number;
}

/** The held tasks of one process, and the local runs of those it awaits. */
export class LocalTasks {
  /** Held tasks by id, in submission order (oldest first). */
  private readonly held = new Map<number, HeldTask>();
  /** Awaited held tasks, to run here in this order. */
  private ready: HeldTask[] = [];
  private readyHead = 0;
  /** Async tasks running here, by id: cancelling one cancels its scope. */
  private readonly running = new Map<number, CancelScope>();
  /** Tasks idle workers still want (RECLAIM): held tasks nobody awaits go to the broker. */
  private hunger = 0;
  private drainScheduled = false;
  private sliceOpen = false;
  private sliceStart = 0;
  private readonly host = hostname();
  private readonly sliceMs: number;
  private readonly maxHeld: number;
  private readonly maxHoldMs: number;
  /** Sends held tasks nobody awaited in time to the broker; armed while tasks are held. */
  private sweeper?: NodeJS.Timeout;
  /** Tasks run here so far, and at the last sweep: did this process make progress since? */
  private runs = 0;
  private runsAtSweep = 0;

  constructor(private readonly options: LocalTasksOptions) {
    this.sliceMs = options.sliceMs ?? 5;
    this.maxHeld = options.maxHeld ?? 1024;
    this.maxHoldMs = options.maxHoldMs ?? 20;
  }

  /** True while a task is held or running here. */
  get busy(): boolean {
    return this.held.size > 0 || this.running.size > 0;
  }

  /** True while idle workers want tasks held here. */
  get hungry(): boolean {
    return this.hunger > 0 && this.held.size > 0;
  }

  /** Keep `task` here. False if it must go to the broker now (too many held). */
  hold(task: HeldTask): boolean {
    if (this.held.size >= this.maxHeld) return false;
    task.since = performance.now();
    this.held.set(task.call.id, task);
    this.sweeper ??= setTimeout(() => this.sweep(), this.maxHoldMs);
    return true;
  }

  /**
   * Held tasks nobody awaited within maxHoldMs go to the broker (held order
   * is age order). While this process keeps running its own tasks, what it
   * holds is awaited as it gets there (and idle workers take it meanwhile,
   * through RECLAIM), so only tasks held ten times as long go: a tree of tiny
   * tasks on a cold process sent hundreds of subtrees on a round trip
   * through the broker for nothing.
   */
  private sweep(): void {
    this.sweeper = undefined;
    const busy = this.runs !== this.runsAtSweep;
    this.runsAtSweep = this.runs;
    const maxAge = busy ? 10 * this.maxHoldMs : this.maxHoldMs;
    const now = performance.now();
    const out: HeldTask[] = [];
    for (const task of this.held.values()) {
      if (task.awaited) continue;
      if (now - task.since! < maxAge) break;
      out.push(task);
    }
    if (out.length > 0) {
      for (const task of out) this.held.delete(task.call.id);
      this.options.exportTasks(out);
      this.checkIdle();
    }
    if (this.held.size > 0) this.sweeper = setTimeout(() => this.sweep(), this.maxHoldMs);
  }

  /** True if task `id` is held here (not run, not sent). */
  holds(id: number): boolean {
    return this.held.has(id);
  }

  /** Someone waits for task `id`: if it is held, run it here soon. */
  awaited(id: number): void {
    const task = this.held.get(id);
    if (task === undefined || task.awaited) return;
    task.awaited = true;
    this.ready.push(task);
    this.schedule();
  }

  /**
   * The broker says `n` idle workers want work (0: none any more). Held tasks
   * nobody awaits go to the broker, oldest first; the hunger left over takes
   * tasks held later (at {@link feedHunger}).
   */
  reclaim(n: number): void {
    this.hunger = n;
    this.feedHunger();
  }

  /**
   * While idle workers want work, send held tasks to the broker, oldest
   * first: at least one per idle worker, and half of what is held (steal-half:
   * `await Promise.all(xs.map((x) => futures.submit(f, x)))` must spread).
   * The task this process runs next stays: a lone `await submit()` runs here.
   */
  feedHunger(): void {
    if (this.hunger === 0 || this.held.size === 0) return;
    const next = this.nextReady();
    const want = Math.max(this.hunger, Math.floor((this.held.size - (next ? 1 : 0)) / 2));
    const out: HeldTask[] = [];
    for (const task of this.held.values()) {
      if (out.length >= want) break;
      if (task !== next) out.push(task);
    }
    if (out.length === 0) return;
    for (const task of out) this.held.delete(task.call.id);
    this.hunger = Math.max(0, this.hunger - out.length);
    this.options.exportTasks(out);
    this.checkIdle();
  }

  /**
   * This process has nothing else to do: run what it holds (newest first,
   * like a deque's owner). Not while a task runs here (it awaits something):
   * what it holds then stays for idle workers to take.
   */
  runHeld(): boolean {
    if (this.held.size === 0 || this.running.size > 0) return false;
    for (const task of [...this.held.values()].reverse()) {
      if (task.awaited) continue;
      task.awaited = true;
      this.ready.push(task);
    }
    this.schedule();
    return true;
  }

  /** Send everything held to the broker (shutting down, or the executor stops holding). */
  exportAll(): void {
    if (this.held.size === 0) return;
    const out = [...this.held.values()];
    this.held.clear();
    this.options.exportTasks(out);
    this.checkIdle();
  }

  /** Cancel task `id` if it is held or running here; false if it is not here. */
  cancel(id: number): boolean {
    if (this.held.delete(id)) {
      this.checkIdle();
      return true;
    }
    const scope = this.running.get(id);
    if (scope === undefined) return false;
    this.running.delete(id);
    scope.cancel(new ScoopError("SCOOP_CANCELLED", "the task was cancelled by its owner"));
    this.checkIdle();
    return true;
  }

  /** Forget everything (the executor failed every future). Running tasks go on; their outcomes are dropped. */
  clear(): void {
    this.held.clear();
    clearTimeout(this.sweeper);
    this.sweeper = undefined;
    this.ready = [];
    this.readyHead = 0;
    this.hunger = 0;
    for (const scope of this.running.values()) scope.cancel(new ScoopError("SCOOP_CANCELLED", "the executor was closed"));
    this.running.clear();
  }

  private schedule(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    // Within a slice, go on at once (a chain of awaits runs without a turn of
    // the event loop); past it, let I/O in first.
    if (this.withinSlice()) queueMicrotask(() => this.drain());
    else setImmediate(() => this.drain());
  }

  /** True while the current slice of local work has time left (a slice ends at the next turn of the event loop). */
  private withinSlice(): boolean {
    if (!this.sliceOpen) {
      this.sliceOpen = true;
      this.sliceStart = performance.now();
      setImmediate(() => (this.sliceOpen = false));
    }
    return performance.now() - this.sliceStart < this.sliceMs;
  }

  /** The awaited task this process runs next, if it is still held. */
  private nextReady(): HeldTask | undefined {
    for (let i = this.readyHead; i < this.ready.length; i++) {
      const task = this.ready[i];
      if (task !== undefined && this.held.get(task.call.id) === task) return task;
    }
    return undefined;
  }

  private drain(): void {
    this.drainScheduled = false;
    while (this.readyHead < this.ready.length) {
      if (!this.withinSlice()) {
        this.drainScheduled = true;
        setImmediate(() => this.drain());
        this.options.onBusy?.();
        return;
      }
      const task = this.ready[this.readyHead];
      this.ready[this.readyHead++] = undefined as unknown as HeldTask;
      // Sent to the broker or cancelled since it was awaited: not ours any more.
      if (this.held.get(task.call.id) !== task) continue;
      this.held.delete(task.call.id);
      this.run(task);
    }
    this.ready = [];
    this.readyHead = 0;
    this.checkIdle();
  }

  private run(task: HeldTask): void {
    const { call, sink, frames } = task;
    this.runs++;
    sink.started();
    const scope = new CancelScope();
    let result: unknown;
    try {
      const args = frames === undefined ? call.args : (this.options.codec.decode(frames) as unknown[]);
      const context = { id: call.id, name: call.name, scope, workerId: this.options.workerId, attempt: 1, rng: call.rng };
      result = this.options.runAs(task.app, () => runInTaskContext(context, call.fn, ...args));
    } catch (error) {
      this.settle(task, false, error);
      return;
    }
    if (!isThenable(result)) {
      this.settle(task, true, result);
      return;
    }
    this.running.set(call.id, scope);
    result.then(
      (value) => {
        if (this.running.delete(call.id)) this.settle(task, true, value);
        this.checkIdle();
      },
      (error) => {
        if (this.running.delete(call.id)) this.settle(task, false, error);
        this.checkIdle();
      },
    );
  }

  /** The outcome makes the codec round trip, as if it came back from a worker (a plain value would come back the same: it is passed as it is). */
  private settle(task: HeldTask, ok: boolean, value: unknown): void {
    const { call, sink } = task;
    if (ok && isPlain(value) && (this.options.maxResultBytes?.() ?? Infinity) >= PLAIN_MIN_LIMIT) {
      this.options.onSettled(call.id);
      sink.resolve(value);
      return;
    }
    const codec = this.options.codec;
    let outcome = encodeOutcome(codec, ok, value);
    if (outcome.ok) {
      try {
        checkMessageSize(outcome.frames, this.options.maxResultBytes?.(), `the result of task "${call.name}"`, { taskName: call.name, workerId: this.options.workerId, host: this.host });
      } catch (error) {
        outcome = encodeOutcome(codec, false, error);
      }
    }
    this.options.onSettled(call.id);
    let decoded: unknown;
    try {
      decoded = codec.decode(outcome.frames);
    } catch (error) {
      sink.reject(error);
      return;
    }
    if (outcome.ok) sink.resolve(decoded);
    else sink.reject(remoteFailure(call.name, decoded, this.options.workerId, this.host));
  }

  private checkIdle(): void {
    if (!this.busy && this.readyHead >= this.ready.length) this.options.onIdle?.();
  }
}
