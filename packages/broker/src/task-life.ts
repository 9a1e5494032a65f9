/**
 * A task's life in the broker, from SUBMIT to DELIVER: owners submit and
 * cancel, workers report outcomes, lost workers' tasks are retried or failed,
 * and outcomes are delivered exactly once to the owner's outbox.
 */
import { Codec, ScoopError, type Header } from "@scoop/protocol";
import type { Dispatcher } from "./dispatcher.js";
import { appOfMessage, type Peer, type QueuedTask } from "./peers.js";
import { taskLabel, type RunObserver } from "./run-observer.js";

/** What the task life needs from the broker. */
export interface TaskLifeHost {
  send(identity: Buffer, header: Header, frames?: readonly Uint8Array[]): void;
  /** True while `peer` is connected (outcomes for a departed owner are dropped). */
  connected(peer: Peer): boolean;
  /** True if a connected peer advertises task `name`. */
  runnable(name: string): boolean;
  /** Tell the owner once per name when no worker can run a task yet. */
  noticeWaiting(): boolean;
  /** An outcome waits in `owner`'s outbox (flushed at the end of the pump). */
  delivering(owner: Peer): void;
  /** Map progress and the event stream. */
  readonly observer: RunObserver;
  readonly counters: { submitted: number; delivered: number; retried: number };
}

/** Submission, outcomes, cancellation and loss of tasks. */
export class TaskLife {
  private readonly codec = new Codec();

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly host: TaskLifeHost,
  ) {}

  /** SUBMIT from an owner. */
  submit(owner: Peer, tasks: Extract<Header, { t: "SUBMIT" }>["tasks"], payload: Buffer[]): void {
    this.dispatcher.tellAgain(owner); // it may have answered a RECLAIM: tell it again if workers still idle
    let offset = 0;
    for (const t of tasks) {
      const frames = payload.slice(offset, offset + t.frames);
      offset += t.frames;
      if (owner.owned.has(t.id)) {
        this.host.send(owner.identity, { t: "ERROR", code: "SCOOP_DUPLICATE_TASK", message: `task id ${t.id} is already in flight`, ref: t.id });
        continue;
      }
      const app = appOfMessage(owner, t);
      const task = this.dispatcher.submit({ owner, ownerTaskId: t.id, name: t.name, frames, retries: t.retries, attempt: 1, app, priority: t.priority, rng: t.rng });
      if (t.elsewhere === true) task.elsewhere = true;
      owner.owned.set(t.id, task.key);
      const observer = this.host.observer;
      if (t.map !== undefined) {
        // A chunk of a map's calls counts as its calls, under the task's own name.
        if (t.calls !== undefined && t.calls > 1) task.calls = t.calls;
        task.map = observer.mapOf(owner.id, t.map, taskLabel(t.name), t.total, t.id, task.calls);
      }
      if (observer.hot) {
        let bytes = 0;
        for (const f of frames) bytes += f.length;
        observer.queued(task, owner.id, bytes, t.parent);
      }
      this.host.counters.submitted++;
      if (this.host.noticeWaiting() && !owner.waitNoticed.has(t.name) && !this.host.runnable(t.name)) {
        owner.waitNoticed.add(t.name);
        this.host.send(owner.identity, { t: "ERROR", code: "SCOOP_TASK_WAITING", message: `no connected worker can run task "${taskLabel(t.name)}" yet: it waits until a worker that exports it joins (bounded by the task's timeoutMs)` });
      }
    }
    this.dispatcher.schedule();
  }

  /** RESULT from a worker. */
  result(worker: Peer, results: Extract<Header, { t: "RESULT" }>["results"], payload: Buffer[]): void {
    let offset = 0;
    for (const r of results) {
      const frames = payload.slice(offset, offset + r.frames);
      offset += r.frames;
      // Only the worker a task was dispatched to may settle it.
      if (!worker.running.delete(r.key)) continue;
      const task = this.dispatcher.get(r.key);
      // Exactly-once delivery: a task already finished (a retry won, or it
      // was cancelled) ignores late outcomes.
      if (task === undefined) continue;
      this.finish(task, r.ok, frames, worker);
    }
    this.dispatcher.schedule();
  }

  /** CANCEL from an owner. */
  cancel(owner: Peer, ids: number[]): void {
    for (const id of ids) {
      const taskKey = owner.owned.get(id);
      if (taskKey === undefined) continue;
      const task = this.dispatcher.get(taskKey)!;
      this.forget(task);
      this.abortOrUnqueue(task);
      this.host.observer.cancelled(task);
    }
  }

  /**
   * A peer went away (`left` said goodbye, `lost` fell silent or exited): the
   * tasks it ran go back to the queue (at-least-once execution) or fail when
   * out of retries; the tasks it owned are no longer wanted by anyone.
   *
   * Retries are spent only by the task that can have killed a lost worker:
   * the oldest it held, since a worker runs its tasks in the order they were
   * dispatched and reports a long one before starting the next. The others
   * (prefetched, never started) go back free, unless lost with more than
   * 2 × (retries + 1) workers: a task that kills whoever runs it cannot
   * loop forever behind another.
   */
  release(peer: Peer, why: "left" | "lost"): { requeued: number; failed: number } {
    this.dispatcher.forget(peer);
    let failed = 0;
    let oldest = true;
    const back: QueuedTask[] = [];
    const retried: QueuedTask[] = [];
    for (const task of peer.running.values()) {
      task.worker = undefined;
      let charged = false;
      if (why === "lost") {
        task.losses = (task.losses ?? 0) + 1;
        charged = oldest || task.losses > 2 * (task.retries + 1);
        oldest = false;
      }
      if (!charged) {
        // A goodbye (a recycling worker, a stopped one) is no crash, and a
        // task that never started did not cause one: requeue without
        // spending the task's retries, which are for tasks that may have.
        back.push(task);
      } else if (task.attempt <= task.retries) {
        task.attempt++;
        // It may be what killed its worker: keep it away from the origin (main) if it can.
        task.elsewhere = true;
        back.push(task);
        this.host.counters.retried++;
        retried.push(task);
      } else {
        failed++;
        this.fail(task, "SCOOP_WORKER_LOST", `task "${task.name}" was lost with worker ${peer.id} (host ${peer.host}) after ${task.attempt} attempt(s)${task.losses !== undefined && task.losses > 1 ? ` (${task.losses} workers were lost while they held it)` : ""}; it ran out of retries: raise the retries option, or find why workers die (memory, crashes)`, peer);
      }
    }
    peer.running.clear();
    // Back to the front of the queue in the order they were dispatched.
    for (let i = back.length - 1; i >= 0; i--) this.dispatcher.requeue(back[i]);
    for (const task of retried) this.host.observer.retried(task, peer.id);
    for (const taskKey of peer.owned.values()) {
      const task = this.dispatcher.get(taskKey);
      if (task === undefined) continue;
      this.dispatcher.drop(task);
      this.abortOrUnqueue(task);
    }
    peer.owned.clear();
    return { requeued: back.length, failed };
  }

  /** Fail a task with a {@link ScoopError} the broker makes (`by` names who failed it). */
  fail(task: QueuedTask, code: string, message: string, by: { id: string; host: string }): void {
    const error = new ScoopError(code, message, { taskName: task.name, workerId: by.id, host: by.host });
    this.finish(task, false, this.codec.encode(error).map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)), by);
  }

  /** Deliver an outcome to the owner and drop the task. */
  private finish(task: QueuedTask, ok: boolean, frames: Buffer[], worker: { id: string; host: string; figures?: Peer["figures"] }): void {
    this.forget(task);
    this.host.observer.finished(task, worker.id, worker.figures, ok);
    // Another attempt is still running: it is no longer needed.
    if (task.worker !== undefined && task.worker !== worker) this.abort(task, task.worker);
    const owner = task.owner;
    if (!this.host.connected(owner)) return;
    owner.outbox.push({ id: task.ownerTaskId, ok, frames: frames.length, worker: worker.id, host: worker.host }, frames);
    this.host.delivering(owner);
    this.host.counters.delivered++;
    this.dispatcher.schedule();
  }

  private forget(task: QueuedTask): void {
    this.dispatcher.drop(task);
    task.owner.owned.delete(task.ownerTaskId);
  }

  /** A task nobody wants any more: abort it where it runs, or take it out of the queue. */
  private abortOrUnqueue(task: QueuedTask): void {
    if (task.worker !== undefined) this.abort(task, task.worker);
    else this.dispatcher.unqueue(task);
  }

  /**
   * Abort a task where it runs. Its worker's heartbeat thread hears of it
   * too: a synchronous task cannot be interrupted, and if the worker's main
   * thread is still inside it after a grace period, the worker ends itself
   * (see the HEARTBEAT `stuck` field) instead of holding its core forever.
   */
  private abort(task: QueuedTask, worker: Peer): void {
    worker.running.delete(task.key);
    this.host.send(worker.identity, { t: "ABORT", keys: [task.key] });
    if (worker.heart !== undefined) this.host.send(worker.heart, { t: "ABORT", keys: [task.key], names: [task.name] });
  }
}
