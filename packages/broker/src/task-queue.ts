/**
 * Queued tasks, one FIFO per task name, so a worker is only offered tasks it
 * advertised. Across names, the oldest task goes first; retried tasks jump
 * the line (they have waited longest).
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
  /** Worker running it, when dispatched. */
  worker?: P;
  /** Position in the global order (lower first). @internal */
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

/** The broker's queue of tasks waiting for a worker. */
export class TaskQueue<P = unknown> {
  private readonly byName = new Map<string, Fifo<QueuedTask<P>>>();
  private nextOrder = 0;
  private nextFrontOrder = -1;
  private count = 0;

  /** Number of queued tasks. */
  get size(): number {
    return this.count;
  }

  /** Queue at the back. */
  push(task: QueuedTask<P>): void {
    task.order = this.nextOrder++;
    this.fifo(task.name).push(task);
    task.queued = true;
    this.count++;
  }

  /** Queue at the front (a retry). */
  pushFront(task: QueuedTask<P>): void {
    task.order = this.nextFrontOrder--;
    this.fifo(task.name).unshift(task);
    task.queued = true;
    this.count++;
  }

  /** Take the oldest task whose name is in `names`. */
  shift(names: ReadonlySet<string>): QueuedTask<P> | undefined {
    let best: Fifo<QueuedTask<P>> | undefined;
    let bestOrder = Infinity;
    for (const [name, fifo] of this.byName) {
      if (!names.has(name)) continue;
      const head = this.liveHead(fifo, name);
      if (head !== undefined && head.order! < bestOrder) {
        best = fifo;
        bestOrder = head.order!;
      }
    }
    if (best === undefined) return undefined;
    const task = best.shift()!;
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

  /** Names that have queued tasks. */
  names(): string[] {
    return [...this.byName.keys()].filter((name) => this.liveHead(this.byName.get(name)!, name) !== undefined);
  }

  /** Remove and return every queued task of one name. */
  drain(name: string): QueuedTask<P>[] {
    const fifo = this.byName.get(name);
    if (fifo === undefined) return [];
    const out: QueuedTask<P>[] = [];
    for (let task = fifo.shift(); task !== undefined; task = fifo.shift()) {
      if (!task.queued) continue;
      task.queued = false;
      this.count--;
      out.push(task);
    }
    this.byName.delete(name);
    return out;
  }

  private fifo(name: string): Fifo<QueuedTask<P>> {
    let fifo = this.byName.get(name);
    if (fifo === undefined) this.byName.set(name, (fifo = new Fifo()));
    return fifo;
  }

  /** Head of a FIFO after dropping tombstones; forgets empty FIFOs. */
  private liveHead(fifo: Fifo<QueuedTask<P>>, name: string): QueuedTask<P> | undefined {
    while (fifo.length > 0 && !fifo.peek()!.queued) fifo.shift();
    if (fifo.length === 0) {
      this.byName.delete(name);
      return undefined;
    }
    return fifo.peek();
  }
}
