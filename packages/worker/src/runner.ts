/**
 * Runs the tasks the broker dispatches to this worker.
 *
 * Credits: the worker asks for work (CREDIT) only at the end of a run slice,
 * never before starting a synchronous task, so a worker busy with a long task
 * holds no queued work another worker could do. How many tasks it keeps
 * buffered follows the observed task time: enough to cover about
 * `bufferMs` of work (many tiny tasks, one long task).
 *
 * A task that awaits (its children, I/O) does not hold a slot: the worker
 * keeps taking work meanwhile, which is what lets deep recursive trees finish.
 */
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { Codec, DispatchedTask, TaskOutcome } from "@scoop/protocol";
import { ScoopError } from "@scoop/protocol";
import { taskByName } from "@scoop/core";
import { CancelScope, checkMessageSize, encodeOutcome, isThenable, runInTaskContext, storedBuffers, type BrokerConnection, type DistributedExecutor, type EncodedOutcome } from "@scoop/core/internal";

interface LocalTask {
  key: number;
  name: string;
  frames: Buffer[];
  attempt: number;
  /** App the task belongs to, when not this worker's own (daemon workers serve many apps). */
  app?: string;
  /** Its random stream id, as submitted. */
  rng?: string;
  aborted?: boolean;
}

/** Options of a {@link TaskRunner}. */
export interface TaskRunnerOptions {
  connection: BrokerConnection;
  codec: Codec;
  logger: Logger;
  workerId: string;
  /** The worker's executor: tasks run as part of their app (its shared constants, its subtasks). */
  executor?: DistributedExecutor;
  /** Work to keep buffered, in milliseconds of observed task time. @default 2 */
  bufferMs?: number;
  /** Most tasks buffered at once. @default 256 */
  maxBuffered?: number;
  /** Longest run of tasks before results are flushed and other events get a turn. @default 5 */
  sliceMs?: number;
  /** Retire after this many tasks or above this resident memory (MB): stop asking for work, finish, then {@link onRetired}. */
  recycle?: { maxTasks?: number; maxMemoryMb?: number };
  /** Called once, when a retiring runner holds no task any more (results sent). */
  onRetired?: (why: string) => void;
}

/** Executes dispatched tasks and reports their outcomes. */
export class TaskRunner {
  /** Tasks completed since start. */
  completed = 0;
  private readonly local: LocalTask[] = [];
  private localHead = 0;
  private readonly running = new Map<number, CancelScope>();
  private results: TaskOutcome[] = [];
  private resultFrames: Uint8Array[] = [];
  private granted = 0;
  private avgMs = 1;
  private drainScheduled = false;
  private flushScheduled = false;
  private stopped = false;
  /** Why this runner is retiring (recycling), once it is. */
  private retiring?: string;
  /** The broker was told this worker has nothing to run (reset when it dispatches). */
  private idleReported = false;
  private lastMemoryCheck = 0;
  private readonly host = hostname();
  private readonly bufferMs: number;
  private readonly maxBuffered: number;
  private readonly sliceMs: number;

  constructor(private readonly options: TaskRunnerOptions) {
    this.bufferMs = options.bufferMs ?? 2;
    this.maxBuffered = options.maxBuffered ?? 256;
    this.sliceMs = options.sliceMs ?? 5;
    const conn = options.connection;
    conn.on("DISPATCH", (h, payload) => this.onDispatch(h.tasks, payload));
    conn.on("ABORT", (h) => this.onAbort(h.keys));
    // Local work-first runs ended: this worker may be idle now.
    if (options.executor) {
      options.executor.onReclaim = () => this.giveBack();
      options.executor.onLocalIdle = () => this.scheduleFlush();
      options.executor.onLocalBusy = () => {
        if (!this.idleReported) return;
        this.idleReported = false;
        conn.send({ t: "CREDIT", n: 0, idle: false });
      };
    }
  }

  /** Ask for the first task. */
  start(): void {
    this.topUp();
  }

  /** Stop taking work; running tasks are aborted. */
  stop(): void {
    this.stopped = true;
    for (const scope of this.running.values()) scope.cancel(new ScoopError("SCOOP_CANCELLED", "the worker is shutting down"));
  }

  private get buffered(): number {
    return this.local.length - this.localHead;
  }

  private onDispatch(tasks: DispatchedTask[], payload: Buffer[]): void {
    let offset = 0;
    for (const t of tasks) {
      const app = (t as DispatchedTask & { app?: unknown }).app;
      this.local.push({ key: t.key, name: t.name, frames: payload.slice(offset, offset + t.frames), attempt: t.attempt, app: typeof app === "string" && app !== "" ? app : undefined, rng: t.rng });
      offset += t.frames;
    }
    this.granted = Math.max(0, this.granted - tasks.length);
    this.idleReported = false;
    this.scheduleDrain();
  }

  /**
   * Another worker idles: give the broker back half of the tasks buffered
   * here and not started (steal-half), beyond what covers `bufferMs` at the
   * measured task time — tiny tasks are not worth a round trip, long ones
   * must not wait behind this worker's current task.
   */
  private giveBack(): void {
    const keep = Math.ceil(this.bufferMs / Math.max(this.avgMs, 1e-3));
    let count = Math.min(Math.ceil(this.buffered / 2), this.buffered - keep);
    if (count <= 0 || this.stopped) return;
    const keys: number[] = [];
    while (count > 0 && this.buffered > 0) {
      const task = this.local.pop()!;
      if (task.aborted) continue;
      keys.push(task.key);
      count--;
    }
    if (keys.length > 0) this.options.connection.send({ t: "RETURN", keys });
  }

  private onAbort(keys: number[]): void {
    for (const key of keys) {
      const scope = this.running.get(key);
      if (scope) {
        scope.cancel(new ScoopError("SCOOP_CANCELLED", "the task was cancelled by its owner"));
        continue;
      }
      for (let i = this.localHead; i < this.local.length; i++) if (this.local[i].key === key) this.local[i].aborted = true;
    }
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.stopped) return;
    this.drainScheduled = true;
    setImmediate(() => this.drain());
  }

  /** Run buffered tasks for up to one slice, then report and ask for more. */
  private drain(): void {
    this.drainScheduled = false;
    const sliceStart = performance.now();
    while (this.buffered > 0 && !this.stopped) {
      const task = this.local[this.localHead];
      this.local[this.localHead++] = undefined as unknown as LocalTask;
      if (!task.aborted) this.run(task);
      if (performance.now() - sliceStart > this.sliceMs) break;
    }
    if (this.localHead > 1024 && this.localHead * 2 > this.local.length) {
      this.local.splice(0, this.localHead);
      this.localHead = 0;
    }
    this.flush();
    if (this.buffered > 0) this.scheduleDrain();
  }

  private run(task: LocalTask): void {
    const fn = taskByName(task.name);
    if (fn === undefined) {
      this.report(task.key, false, encodeOutcome(this.options.codec, false, new ScoopError("SCOOP_TASK_NOT_REGISTERED", `task "${task.name}" is not registered on worker ${this.options.workerId} (host ${this.host}): export it from the script the workers load, or wrap it with defineTask()`, { taskName: task.name, workerId: this.options.workerId, host: this.host })));
      return;
    }
    // Reading the arguments is part of the task's cost (a large one read from the payload store costs more than a small task runs).
    const started = performance.now();
    let args: unknown[];
    try {
      args = this.options.codec.decode(task.frames) as unknown[];
      if (!Array.isArray(args)) throw new ScoopError("SCOOP_MALFORMED_PAYLOAD", "task arguments are not an array");
    } catch (error) {
      this.report(task.key, false, encodeOutcome(this.options.codec, false, error));
      return;
    }
    const scope = new CancelScope();
    let result: unknown;
    // The heartbeat thread watches this mark: still inside an aborted task past its grace, the worker ends.
    this.options.connection.runningTask(task.key, task);
    try {
      const context = { id: task.key, name: task.name, scope, workerId: this.options.workerId, attempt: task.attempt, rng: task.rng };
      const call = () => runInTaskContext(context, fn, ...args);
      const executor = this.options.executor;
      result = executor === undefined ? call() : executor.runAs(task.app ?? executor.app, call);
      this.options.connection.runningTask(undefined);
    } catch (error) {
      this.options.connection.runningTask(undefined);
      this.measure(started);
      this.report(task.key, false, encodeOutcome(this.options.codec, false, error));
      return;
    }
    this.measure(started);
    if (isThenable(result)) {
      this.running.set(task.key, scope);
      this.options.connection.awaitingTask(task.key, true);
      result.then(
        (value) => this.settle(task, true, value),
        (error) => this.settle(task, false, error),
      );
    } else {
      this.report(task.key, true, this.encodeValue(result, task.name));
    }
  }

  /** An async task finished: report it unless it was aborted meanwhile. */
  private settle({ key, name }: LocalTask, ok: boolean, value: unknown): void {
    if (!this.running.delete(key)) return;
    this.options.connection.awaitingTask(key, false);
    if (this.stopped) return;
    this.report(key, ok, ok ? this.encodeValue(value, name) : encodeOutcome(this.options.codec, false, value));
    this.scheduleFlush();
  }

  private measure(started: number): void {
    // Exponentially weighted: adapts within a few tasks when the workload changes.
    this.avgMs = 0.8 * this.avgMs + 0.2 * (performance.now() - started);
  }

  /** A result the broker would refuse (over its maxMessageBytes) goes back as SCOOP_MESSAGE_TOO_LARGE instead. */
  private encodeValue(value: unknown, taskName: string): EncodedOutcome {
    // Large buffers go to the run's payload store, if any: its owner removes them once it has read them.
    const codec = this.options.codec;
    const stored = codec.store === undefined ? undefined : storedBuffers(true);
    const encoded = encodeOutcome(codec, true, value, stored);
    if (!encoded.ok) return encoded;
    try {
      checkMessageSize(encoded.frames, this.options.connection.brokerMaxMessageBytes, `the result of task "${taskName}"`, { taskName, workerId: this.options.workerId, host: this.host }, stored?.largest);
      return encoded;
    } catch (error) {
      for (const name of stored?.names ?? []) codec.store?.remove(name);
      return encodeOutcome(codec, false, error);
    }
  }

  private report(key: number, ok: boolean, encoded: EncodedOutcome): void {
    this.completed++;
    this.results.push({ key, ok: ok && encoded.ok, frames: encoded.frames.length });
    for (const f of encoded.frames) this.resultFrames.push(f);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Send batched results, then ask for as much work as the buffer target allows. */
  private flush(): void {
    if (this.results.length > 0) {
      this.options.connection.send({ t: "RESULT", results: this.results }, this.resultFrames);
      this.results = [];
      this.resultFrames = [];
    }
    this.checkRecycle();
    this.topUp();
  }

  /** Past a recycling limit: take no more work; once nothing is held, retire. */
  private checkRecycle(): void {
    const limits = this.options.recycle;
    if (limits === undefined || this.stopped) return;
    if (this.retiring === undefined) {
      if (limits.maxTasks !== undefined && this.completed >= limits.maxTasks) this.retiring = `ran ${this.completed} tasks (limit ${limits.maxTasks})`;
      else if (limits.maxMemoryMb !== undefined && performance.now() - this.lastMemoryCheck > 100) {
        this.lastMemoryCheck = performance.now();
        const mb = process.memoryUsage.rss() / 2 ** 20;
        if (mb > limits.maxMemoryMb) this.retiring = `uses ${Math.round(mb)} MB (limit ${limits.maxMemoryMb})`;
      }
    }
    // Credit already granted may bring a few more tasks before the broker
    // reads our goodbye: it queues those again for another worker.
    if (this.retiring !== undefined && this.buffered === 0 && this.running.size === 0 && this.results.length === 0) {
      this.stopped = true;
      this.options.onRetired?.(this.retiring);
    }
  }

  private topUp(): void {
    if (this.stopped || this.retiring !== undefined) return;
    const target = Math.min(this.maxBuffered, Math.max(1, Math.ceil(this.bufferMs / Math.max(this.avgMs, 1e-3))));
    const want = Math.max(0, target - this.granted - this.buffered);
    // Nothing to run at all (work-first: not even a task held here): say so,
    // once, so the broker can reclaim work for this worker from busier peers.
    const executor = this.options.executor;
    let idle = false;
    if (!this.idleReported && this.buffered === 0) {
      // Tasks held here that nobody awaits yet are this worker's to run first.
      if (executor?.localBusy) executor.runHeld();
      else idle = true;
    }
    if (want === 0 && !idle) return;
    this.granted += want;
    if (idle) this.idleReported = true;
    this.options.connection.send(idle ? { t: "CREDIT", n: want, idle } : { t: "CREDIT", n: want });
  }
}
