/**
 * Queued tasks, one FIFO per (task name, priority) lane, so a worker is only
 * offered tasks it advertised.
 *
 * Order: a task's rank is its queueing time minus `priority × agingMs` (a
 * "virtual deadline"), ties broken by arrival. So a higher priority goes
 * first, one priority is FIFO, and nothing starves: a task is overtaken only
 * by tasks of higher priority that arrive less than `Δpriority × agingMs`
 * after it, so it waits at most that long behind newcomers. Retried tasks
 * jump the line (they have waited longest). Taking a task costs one look at
 * the head of each lane, whatever the number of workers.
 */

/** A task the broker holds, queued or running. `P` is the broker's peer type. */
export interface QueuedTask<P = unknown> {
  /** Broker-unique key. */
  readonly key: number;
  readonly owner: P;
  /** The owner's id for it. */
  readonly ownerTaskId: number;
  readonly name: string;
  /** Argument frames, forwarded untouched. */
  readonly frames: Buffer[];
  readonly retries: number;
  attempt: number;
  readonly app: string;
  /** Higher runs first (see the module comment for aging). @default 0 */
  readonly priority?: number;
  /** The task's random stream id, forwarded untouched to the worker that runs it. */
  readonly rng?: string;
  /**
   * Run it neither on its owner nor on the origin when another worker can:
   * it has a deadline, or it was lost with a worker (it may kill the process
   * that runs it, and the origin runs `main`).
   */
  elsewhere?: boolean;
  /** Worker running it, when dispatched. */
  worker?: P;
  /** Workers lost while it was dispatched to them (retries spent or not). */
  losses?: number;
  /** Virtual deadline: queueing time − priority × agingMs (lower first). @internal */
  rank?: number;
  /** Arrival order, to break rank ties (lower first). @internal */
  order?: number;
  /** True while it sits in a queue. @internal */
  queued?: boolean;
}

class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  push(item: T): void {
    this.items.push(item);
  }
  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined as T;
    // Compact now and then so memory follows the live length.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  get length(): number {
    return this.items.length - this.head;
  }
}

/** One lane: the queued tasks of one name and one priority, in rank order. */
interface Lane<P> {
  readonly name: string;
  readonly fifo: Fifo<QueuedTask<P>>;
}

/** Options of a {@link TaskQueue}. */
export interface TaskQueueOptions {
  /** Waiting this long is worth one priority level. @default 10000 */
  agingMs?: number;
  /** Clock in milliseconds (monotonic). @default performance.now */
  now?: () => number;
}

/** The broker's queue of tasks waiting for a worker. */
export class TaskQueue<P = unknown> {
  private readonly lanes = new Map<string, Lane<P>>();
  private readonly agingMs: number;
  private readonly now: () => number;
  private nextOrder = 0;
  private nextFrontOrder = -1;
  private count = 0;

  constructor(options: TaskQueueOptions = {}) {
    this.agingMs = options.agingMs ?? 10_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** Number of queued tasks. */
  get size(): number {
    return this.count;
  }

  /** Queue behind the tasks of its priority. */
  push(task: QueuedTask<P>): void {
    task.rank = this.now() - (task.priority ?? 0) * this.agingMs;
    task.order = this.nextOrder++;
    this.lane(task).fifo.push(task);
    task.queued = true;
    this.count++;
  }

  /** Queue at the front (a retry). */
  pushFront(task: QueuedTask<P>): void {
    task.rank = -Infinity;
    task.order = this.nextFrontOrder--;
    this.lane(task).fifo.unshift(task);
    task.queued = true;
    this.count++;
  }

  /** Take the first task (lowest rank) whose name is in `names`. */
  shift(names: ReadonlySet<string>): QueuedTask<P> | undefined {
    let best: Lane<P> | undefined;
    let bestHead: QueuedTask<P> | undefined;
    for (const [id, lane] of this.lanes) {
      if (!names.has(lane.name)) continue;
      const head = this.liveHead(id, lane);
      if (head !== undefined && (bestHead === undefined || before(head, bestHead))) {
        best = lane;
        bestHead = head;
      }
    }
    if (best === undefined) return undefined;
    const task = best.fifo.shift()!;
    task.queued = false;
    this.count--;
    return task;
  }

  /** Remove a queued task (cancelled or no longer wanted). */
  remove(task: QueuedTask<P>): void {
    if (!task.queued) return;
    task.queued = false; // left in its FIFO as a tombstone, skipped on shift
    this.count--;
  }

  /** Queued tasks per name (for monitoring: a cancelled task still counts until the queue skips it). */
  depths(): Array<{ name: string; queued: number }> {
    const depth = new Map<string, number>();
    for (const lane of this.lanes.values()) if (lane.fifo.length > 0) depth.set(lane.name, (depth.get(lane.name) ?? 0) + lane.fifo.length);
    return [...depth].map(([name, queued]) => ({ name, queued }));
  }

  /** Names that have queued tasks. */
  names(): string[] {
    const names = new Set<string>();
    for (const [id, lane] of this.lanes) if (this.liveHead(id, lane) !== undefined) names.add(lane.name);
    return [...names];
  }

  /** Remove and return every queued task of one name, in rank order. */
  drain(name: string): QueuedTask<P>[] {
    const out: QueuedTask<P>[] = [];
    for (const [id, lane] of this.lanes) {
      if (lane.name !== name) continue;
      for (let task = lane.fifo.shift(); task !== undefined; task = lane.fifo.shift()) {
        if (!task.queued) continue;
        task.queued = false;
        this.count--;
        out.push(task);
      }
      this.lanes.delete(id);
    }
    return out.sort((a, b) => (before(a, b) ? -1 : 1));
  }

  private lane(task: QueuedTask<P>): Lane<P> {
    const id = `${task.priority ?? 0}\0${task.name}`;
    let lane = this.lanes.get(id);
    if (lane === undefined) this.lanes.set(id, (lane = { name: task.name, fifo: new Fifo() }));
    return lane;
  }

  /** Head of a lane after dropping tombstones; forgets empty lanes. */
  private liveHead(id: string, lane: Lane<P>): QueuedTask<P> | undefined {
    const fifo = lane.fifo;
    while (fifo.length > 0 && !fifo.peek()!.queued) fifo.shift();
    if (fifo.length === 0) {
      this.lanes.delete(id);
      return undefined;
    }
    return fifo.peek();
  }
}

/** True if `a` goes before `b`. */
function before(a: QueuedTask<unknown>, b: QueuedTask<unknown>): boolean {
  return a.rank! < b.rank! || (a.rank === b.rank && a.order! < b.order!);
}
