/**
 * The dispatcher: the broker's task table, its queue, and the pump that hands
 * queued tasks to workers holding credit.
 *
 * It knows nothing of sockets: the broker gives it a {@link DispatchHost} that
 * lists peers and sends batches. Scheduling policy (who gets what, in which
 * order) lives here and only here.
 */
import type { Peer, QueuedTask } from "./peers.js";
import { TaskQueue } from "./task-queue.js";

/** What the dispatcher needs from the broker. */
export interface DispatchHost {
  /** Connected peers that hold credit and run tasks (an index: never a scan of every peer). */
  withCredit(): Iterable<Peer>;
  /** False once the broker stops serving: pumps then do nothing. */
  serving(): boolean;
  /** Send a batch of tasks, already assigned to `worker`, in one DISPATCH. */
  dispatch(worker: Peer, tasks: QueuedTask[]): void;
  /** Runs at the end of every pump (fail what cannot run, flush deliveries). */
  afterPump(): void;
}

/** Fields of a new task; the dispatcher assigns its key. */
export type NewTask = Omit<QueuedTask, "key" | "order" | "queued" | "worker">;

/** The task table, the queue and the pump. */
export class Dispatcher {
  private readonly queue = new TaskQueue<Peer>();
  /** Every unfinished task by key: queued or running. */
  private readonly tasks = new Map<number, QueuedTask>();
  private nextKey = 1;
  private rotation = 0;
  private pumpScheduled = false;

  constructor(private readonly host: DispatchHost) {}

  /** Number of queued (not running) tasks. */
  get queued(): number {
    return this.queue.size;
  }

  /** Queued tasks per task name. */
  depths(): Array<{ name: string; queued: number }> {
    return this.queue.depths();
  }

  /** Add a task to the table and the back of the queue. */
  submit(fields: NewTask): QueuedTask {
    const task: QueuedTask = { key: this.nextKey++, ...fields };
    this.tasks.set(task.key, task);
    this.queue.push(task);
    return task;
  }

  /** An unfinished task by key. */
  get(key: number): QueuedTask | undefined {
    return this.tasks.get(key);
  }

  /** Forget a task (finished, cancelled, or no longer wanted); false if it was not in the table. */
  drop(task: QueuedTask): boolean {
    return this.tasks.delete(task.key);
  }

  /** Take a task out of the queue (no-op when it is running). */
  unqueue(task: QueuedTask): void {
    this.queue.remove(task);
  }

  /** Put a task whose worker went away back at the front of the queue. */
  requeue(task: QueuedTask): void {
    task.worker = undefined;
    this.queue.pushFront(task);
  }

  /** Remove and return every queued task no connected peer can run. */
  drainUnrunnable(runnable: (name: string) => boolean): QueuedTask[] {
    const out: QueuedTask[] = [];
    for (const name of this.queue.names()) {
      if (runnable(name)) continue;
      for (const task of this.queue.drain(name)) out.push(task);
    }
    return out;
  }

  /** Pump soon (once per turn of the event loop, however many times it is asked). */
  schedule(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Hand queued tasks to workers with credit, then let the host finish the turn. */
  private pump(): void {
    if (!this.host.serving()) return;
    if (this.queue.size === 0) return this.host.afterPump();
    const workers = [...this.host.withCredit()];
    // Rotate the starting worker so credit is served fairly.
    const start = workers.length > 0 ? this.rotation++ % workers.length : 0;
    // No worker takes more than its share of what is queued now, however much
    // credit it has: a worker whose credit was sized for tiny tasks must not
    // swallow a burst of long ones that another worker could share.
    const share = Math.ceil(this.queue.size / Math.max(1, workers.length));
    for (let i = 0; i < workers.length && this.queue.size > 0; i++) {
      const worker = workers[(start + i) % workers.length];
      const batch: QueuedTask[] = [];
      while (worker.credit > 0 && batch.length < share) {
        const task = this.queue.shift(worker.tasks);
        if (task === undefined) break;
        worker.credit--;
        task.worker = worker;
        worker.running.set(task.key, task);
        batch.push(task);
      }
      if (batch.length > 0) this.host.dispatch(worker, batch);
    }
    this.host.afterPump();
  }
}
