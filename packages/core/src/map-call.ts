/**
 * One call of a map, as the map and the executor see it: a plain record for
 * its outcome, and the call itself (whose random stream id is worked out
 * only when read).
 */
import type { Executor, TaskCall, TaskOptions, TaskSink } from "./executor.js";
import type { RandomStream } from "./random-stream.js";
import type { Fn } from "./task-call.js";

/** Outcome of one call of a map. */
export const PENDING = 0;
export const OK = 1;
export const FAILED = 2;
export const DROPPED = 3;

/**
 * One call of a map, as the map and the executor see it: a plain record, not
 * a future (a map of a million calls makes a million of these). Calls with a
 * deadline or a retry policy go through a full future ({@link prepare}).
 */
export class MapItem implements TaskSink {
  state: typeof PENDING | typeof OK | typeof FAILED | typeof DROPPED = PENDING;
  value: unknown;
  /** A call with a deadline or retry policy: its future, the executor's sink, and what arms the deadline. */
  future?: { cancel(): unknown; sink: TaskSink; arm: () => void };

  constructor(
    private readonly map: { itemDone(item: MapItem): void; readonly exec: Executor },
    readonly call: TaskCall,
  ) {}

  /** What the executor reports to (the item itself, or its future). */
  get sink(): TaskSink {
    return this.future?.sink ?? this;
  }

  started(): void {}

  resolve(value: unknown): void {
    if (this.state !== PENDING) return;
    this.state = OK;
    this.value = value;
    this.map.itemDone(this);
  }

  reject(error: unknown): void {
    if (this.state !== PENDING) return;
    this.state = FAILED;
    this.value = error;
    this.map.itemDone(this);
  }

  /** The map no longer wants it: ask the executor to drop it. */
  cancel(): void {
    if (this.state !== PENDING) return;
    this.state = DROPPED;
    if (this.future) this.future.cancel();
    else this.map.exec.cancel(this.call.id);
  }
}

/** A map's call: its random stream id is worked out only if something reads it (chunks carry the map's stream and a position instead). */
export class MapCall implements TaskCall {
  #rng?: string;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly fn: Fn,
    readonly args: readonly unknown[],
    readonly options: TaskOptions,
    /** The map's stream; this call's is its child {@link position}. */
    readonly stream: RandomStream,
    readonly position: number,
    readonly map: TaskCall["map"],
  ) {}

  get rng(): string {
    return (this.#rng ??= this.stream.child(this.position));
  }
}
