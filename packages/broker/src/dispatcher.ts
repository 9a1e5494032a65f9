/**
 * The dispatcher: the broker's task table, its queue, and the pump that hands
 * queued tasks to workers holding credit.
 *
 * It knows nothing of sockets: the broker gives it a {@link DispatchHost} that
 * lists peers and sends batches. Scheduling policy (who gets what, in which
 * order) lives here and only here.
 */
import type { Header } from "@scoop/protocol";
import type { Peer, PeerTable, QueuedTask } from "./peers.js";
import { TaskQueue } from "./task-queue.js";

/** What the dispatcher needs from the broker. */
export interface DispatchHost {
  /**
   * The connected peers: `withCredit()` (an index: never a scan of every
   * peer), `runnableByOtherWorker()` (a count), and `values()`, scanned only
   * when the number of idle workers changes.
   */
  readonly peers: Pick<PeerTable, "withCredit" | "values" | "runnableByOtherWorker" | "credit" | "advertise">;
  /** False once the broker stops serving: pumps then do nothing. */
  serving(): boolean;
  /** Send a batch of tasks, already assigned to `worker`, in one DISPATCH. */
  dispatch(worker: Peer, tasks: QueuedTask[]): void;
  /** Tell `peer` that `n` workers idle (RECLAIM; 0: none any more). */
  reclaim(peer: Peer, n: number): void;
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
  /** Workers that said they have nothing to run (CREDIT idle). */
  private readonly idlers = new Set<Peer>();
  /** Number of idle workers every peer was last told about (RECLAIM). */
  private toldIdle = 0;
  /** Peers to tell again at the next pump: they answered a RECLAIM, or joined. */
  private readonly retell = new Set<Peer>();

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

  /** What a worker says about the work it can take: CREDIT (and whether it idles), RETURN, TASKS. */
  fromWorker(peer: Peer, h: Extract<Header, { t: "CREDIT" | "RETURN" | "TASKS" }>): void {
    if (h.t === "RETURN") return this.returned(peer, h.keys);
    if (h.t === "TASKS") this.host.peers.advertise(peer, h.tasks);
    else {
      this.host.peers.credit(peer, h.n);
      if (h.idle !== undefined) this.setIdle(peer, h.idle);
    }
    this.schedule();
  }

  /** A worker gave back tasks it had not started (RECLAIM): they queue again, first, with no retry spent. */
  private returned(worker: Peer, keys: number[]): void {
    this.tellAgain(worker);
    for (const key of keys) {
      const task = worker.running.get(key);
      if (task === undefined) continue; // finished or cancelled meanwhile
      worker.running.delete(key);
      this.requeue(task);
    }
    this.schedule();
  }

  /** A worker says whether it has anything to run (CREDIT idle); dispatching a task makes it busy. */
  private setIdle(worker: Peer, idle: boolean): void {
    worker.idle = idle;
    if (idle && worker.tasks.size > 0) this.idlers.add(worker);
    else this.idlers.delete(worker);
  }

  /** Tell `peer` at the next pump how many workers idle, even if it was told: it answered a RECLAIM, or joined. */
  tellAgain(peer: Peer): void {
    peer.reclaimTold = 0;
    this.retell.add(peer);
  }

  /** A peer left: it neither idles nor needs telling. */
  forget(peer: Peer): void {
    this.idlers.delete(peer);
    this.retell.delete(peer);
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
    if (this.queue.size > 0) this.dispatchQueued();
    this.reclaimForIdle();
    this.host.afterPump();
  }

  /** One scheduling round over the workers holding credit. */
  private dispatchQueued(): void {
    // Workers with nothing to run are served first; otherwise rotate the
    // starting worker so credit is served fairly.
    const workers = [...this.host.peers.withCredit()].sort((a, b) => Number(b.idle) - Number(a.idle));
    const start = workers.length > 0 && !workers[0].idle ? this.rotation++ % workers.length : 0;
    // No worker takes more than its share of what is queued now, however much
    // credit it has: a worker whose credit was sized for tiny tasks must not
    // swallow a burst of long ones that another worker could share.
    const share = Math.ceil(this.queue.size / Math.max(1, workers.length));
    const skipped: QueuedTask[] = [];
    let pumpAgain = false;
    const idleWorkers = workers.filter((w) => w.idle);
    const idleOther = (worker: Peer, name: string) => idleWorkers.find((w) => w !== worker && w.credit > 0 && w.tasks.has(name));
    for (let i = 0; i < workers.length && this.queue.size > 0; i++) {
      const worker = workers[(start + i) % workers.length];
      const batch: QueuedTask[] = [];
      while (worker.credit > 0 && batch.length < share) {
        const task = this.queue.shift(worker.tasks);
        if (task === undefined) break;
        // A task goes to its owner last: the owner held it and let it go because
        // others idle (work-first), or it has a deadline the owner's thread must keep.
        // The origin takes a task with a deadline only if no worker can, not even
        // its owner (stuck there, it would end the run; its owner can be replaced).
        const taker = worker === task.owner && !task.elsewhere ? (idleOther(worker, task.name) ?? this.freeOther(task, worker)) : undefined;
        const avoid = worker === task.owner ? task.elsewhere || taker !== undefined : task.elsewhere && worker.role === "origin";
        if (avoid && (!task.elsewhere || this.host.peers.runnableByOtherWorker(task.name, worker))) {
          // A worker with credit takes it at the next pump (idle workers are served first); one without, when it asks for work.
          if (taker !== undefined && taker.credit > 0) pumpAgain = true;
          skipped.push(task);
          continue;
        }
        worker.credit--;
        task.worker = worker;
        worker.running.set(task.key, task);
        batch.push(task);
      }
      if (batch.length > 0) {
        this.setIdle(worker, false);
        // Workers idle elsewhere: it must hear of them, even if it joined since the count last changed.
        if (this.idlers.size > 0) this.retell.add(worker);
        this.host.dispatch(worker, batch);
      }
      // Back at the head, in their order, for the next worker.
      for (let j = skipped.length - 1; j >= 0; j--) this.queue.pushFront(skipped[j]);
      skipped.length = 0;
    }
    if (pumpAgain) this.schedule();
  }

  /**
   * For a lone task its owner held and let go (work-first: it did not get to
   * it, or idle workers asked for it), another worker that can run it and runs
   * nothing of the broker's: it idles, whether or not it said so yet (seen
   * under load: the owner, idle, took back the task it let go while the other
   * worker, just done with a map, had not yet asked for work). Not the origin
   * (main may hold its thread however little it runs), not a map's chunk (the
   * owner runs its share of its own maps).
   */
  private freeOther(task: QueuedTask, owner: Peer): Peer | undefined {
    if (task.map !== undefined) return undefined;
    for (const peer of this.host.peers.values()) if (peer !== owner && peer.role === "worker" && peer.running.size === 0 && peer.tasks.has(task.name)) return peer;
    return undefined;
  }

  /**
   * Workers that said they have nothing to run, and got nothing from the
   * queue, want work that sits elsewhere: tasks other workers hold but have
   * not started, tasks held by the peers that submitted them (work-first).
   * Tell every other peer how many workers idle (RECLAIM n), once per change,
   * and RECLAIM 0 once none does: they answer with RETURN / SUBMIT. Only a
   * change of that number scans the peers; a peer that answered (or joined)
   * since is told again on its own.
   */
  private reclaimForIdle(): void {
    const idle = this.idlers.size;
    if (idle !== this.toldIdle) {
      this.toldIdle = idle;
      for (const peer of this.host.peers.values()) this.tell(peer, idle);
    } else {
      for (const peer of this.retell) this.tell(peer, idle);
    }
    this.retell.clear();
  }

  private tell(peer: Peer, idle: number): void {
    const n = this.idlers.has(peer) ? idle - 1 : idle;
    if (n === peer.reclaimTold) return;
    peer.reclaimTold = n;
    this.host.reclaim(peer, n);
  }
}
