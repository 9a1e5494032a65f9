/**
 * The owner side of chunks (see chunks.ts): gathers a map's calls until the
 * flush, probes a task name never timed, packs calls into chunks, and hands
 * each call its outcome when its chunk comes back. The distributed executor
 * owns the wire; this owns which calls share a wire task.
 */
import { CHUNK_PREFIX, ScoopError, type Codec } from "@scoop/protocol";
import { ChunkSizer, type ChunkArgs, type ChunkResult } from "./chunks.js";
import type { TaskCall, TaskSink } from "./executor.js";
import { MapCall } from "./map-call.js";
import { remoteFailure } from "./remote-failure.js";
import { runtime, streamId } from "./runtime.js";

/**
 * How long the calls of a map wait for the first timing of their task before
 * some of them go out one by one (each a one-call chunk, so it is timed too).
 */
const PROBE_WAIT_MS = 5;

/** Calls let out one by one at the first wait; each further wait lets out twice as many. */
const FIRST_RELEASE = 8;

/** Runs longer than this probe with two calls. */
const PAIR_PROBE_FROM = 2 * FIRST_RELEASE;

/** A call and where its outcome goes. */
export type Entry = { call: TaskCall; sink: TaskSink };

/** Where calls were submitted from, as it was when they were: the app they belong to and the task (broker key) that submitted them. */
export interface Origin {
  readonly app: string;
  readonly parent?: number;
}

/** Calls held together: submitted from one place. */
interface Held {
  readonly origin: Origin;
  entries: Entry[];
}

/** A chunk: the calls it carries (undefined once cancelled), how many are still wanted, and the range of their ids. */
export interface Chunk {
  readonly name: string;
  readonly items: Array<Entry | undefined>;
  live: number;
  readonly minId: number;
  readonly maxId: number;
}

/** How a chunk came back. */
export interface ChunkOutcome {
  ok: boolean;
  value: unknown;
  worker: string;
  host: string;
}

/** What {@link MapChunks} needs of the executor. */
export interface ChunkWire {
  readonly codec: Codec;
  /** Send one wire task (a chunk) with its encoded frames. */
  enqueueChunk(call: TaskCall, sink: TaskSink, frames: Uint8Array[], chunk: Chunk, origin: Origin): void;
  /** Encode a wire task's arguments and check their size; throws if they cannot go. */
  encodeArgs(args: unknown, name: string): Uint8Array[];
  /** Throws if encoded frames are too big for the broker. */
  checkSize(frames: Uint8Array[], name: string): void;
  /** Cancel a wire task. */
  cancel(id: number): boolean;
  /** Flush soon (held calls were released). */
  scheduleFlush(): void;
  /** Whether the executor refuses new work. */
  closed(): boolean;
}

/** A task name whose call timing is being measured: the calls waiting for it. */
interface Probe {
  /** Calls parked until a chunk of the name is back with its timing. */
  parked: Held[];
  timer: NodeJS.Timeout;
  /** How many parked calls the next wait lets out one by one. */
  nextBatch: number;
}

/** Where a chunk's calls draw from: one map's consecutive positions travel as the map's stream and the first position. */
function streamsOf(entries: Entry[]): [Array<string | undefined>] | [string, number] {
  const first = entries[0].call;
  if (first instanceof MapCall) {
    const consecutive = entries.every((e, i) => e.call instanceof MapCall && e.call.stream === first.stream && e.call.position === first.position + i);
    if (consecutive) return [first.stream.toString(), first.position];
  }
  return [entries.map((e) => streamId(e.call.rng))];
}

/** Whether `call` belongs to the same run of a chunk as a call of `name`, `options` and map `mapId`. */
function sameRun(call: TaskCall, name: string, options: TaskCall["options"], mapId: number | undefined): boolean {
  return call.name === name && call.options.priority === options.priority && call.options.retries === options.retries && call.map?.id === mapId;
}

/** Which calls of maps share a wire task, and their outcomes when it comes back. */
export class MapChunks {
  /** Call timings per task name, which size the chunks. */
  private readonly sizer = new ChunkSizer();
  private readonly probes = new Map<string, Probe>();
  /** Chunks not settled, by wire id. */
  private readonly chunks = new Map<number, Chunk>();
  /** Calls submitted since the last flush. */
  private gathered: Held[] = [];
  /** Calls gathered or parked (not yet in a chunk or on their way alone), and those of them cancelled. */
  private held = 0;
  private readonly dropped = new Set<number>();

  constructor(private readonly wire: ChunkWire) {}

  /** A map's calls: they wait for the flush, so a map that refills one result at a time still fills whole chunks. */
  gather(entries: ReadonlyArray<Entry>, origin: Origin): void {
    this.hold(entries, origin, this.gathered);
  }

  /** Make chunks of what was gathered (called at the start of each flush). */
  flush(): void {
    if (this.gathered.length === 0) return;
    const gathered = this.gathered;
    this.gathered = [];
    for (const held of gathered) this.pack(this.release(held.entries), held.origin);
  }

  /** Nothing held (every call is in a chunk, alone on its way, or cancelled). */
  idle(): boolean {
    return this.held <= this.dropped.size;
  }

  /** Cancel a call held or in a chunk (a chunk none of whose calls is wanted is cancelled). False: not one of ours. */
  cancel(id: number): boolean {
    for (const [wireId, chunk] of this.chunks) {
      if (id < chunk.minId || id > chunk.maxId) continue;
      const i = chunk.items.findIndex((e) => e?.call.id === id);
      if (i < 0) continue;
      chunk.items[i] = undefined;
      if (--chunk.live === 0) {
        this.chunks.delete(wireId);
        this.wire.cancel(wireId);
      }
      return true;
    }
    if (this.held === 0) return false;
    this.dropped.add(id);
    return true;
  }

  /** Every call held, for failing them; nothing is held afterwards. */
  drain(): Entry[] {
    const entries: Entry[] = [];
    for (const probe of this.probes.values()) {
      clearTimeout(probe.timer);
      for (const held of probe.parked) entries.push(...this.release(held.entries));
    }
    for (const held of this.gathered) entries.push(...this.release(held.entries));
    this.gathered = [];
    this.probes.clear();
    this.chunks.clear();
    return entries;
  }

  /** A chunk came back: record its timing, hand each call its outcome. */
  settle(wireId: number, chunk: Chunk, bytes: number, outcome: ChunkOutcome): void {
    this.chunks.delete(wireId);
    const { name, items } = chunk;
    const result = outcome.value as ChunkResult;
    if (!outcome.ok || !Array.isArray(result) || !Array.isArray(result[1]) || result[1].length !== items.length * 2) {
      const error = outcome.ok
        ? new ScoopError("SCOOP_MALFORMED_PAYLOAD", `a chunk of task "${name}" came back from worker ${outcome.worker} without one outcome per call`, { taskName: name })
        : remoteFailure(name, outcome.value, outcome.worker, outcome.host);
      for (const e of items) e?.sink.reject(error);
    } else {
      const [ms, outcomes] = result;
      this.sizer.record(name, items.length, ms, bytes);
      items.forEach((e, i) => {
        if (e === undefined) return;
        if (outcomes[2 * i] === true) e.sink.resolve(outcomes[2 * i + 1]);
        else e.sink.reject(remoteFailure(name, outcomes[2 * i + 1], outcome.worker, outcome.host));
      });
    }
    if (this.probes.has(name)) this.unpark(name);
  }

  /** Held calls come out: those cancelled meanwhile are dropped. */
  private release(entries: Entry[]): Entry[] {
    this.held -= entries.length;
    const live = this.dropped.size === 0 ? entries : entries.filter((e) => !this.dropped.delete(e.call.id));
    if (this.held === 0) this.dropped.clear();
    return live;
  }

  /** Hold calls in `into`, with the calls held last when they come from the same place. */
  private hold(entries: ReadonlyArray<Entry>, origin: Origin, into: Held[]): void {
    const last = into.at(-1);
    const held = last !== undefined && last.origin.app === origin.app && last.origin.parent === origin.parent ? last : undefined;
    if (held === undefined) into.push({ origin, entries: entries.slice() });
    else for (const entry of entries) held.entries.push(entry);
    this.held += entries.length;
  }

  /**
   * Runs of one name, map and priority go in chunks sized by the timing of
   * earlier chunks. A name never timed sends a probe chunk (of two calls in a
   * long run: the worker times the second, the first pays for compiling the
   * task) and parks the rest until a chunk of it is back. Each
   * {@link PROBE_WAIT_MS} without one lets out a doubling number of parked
   * calls one by one: slow calls keep the workers busy without a timing, and
   * tiny calls whose probe waits behind other work (a busy machine) are not
   * all sent alone.
   */
  private pack(entries: ReadonlyArray<Entry>, origin: Origin): void {
    let start = 0;
    while (start < entries.length) {
      const { name, options, map } = entries[start].call;
      let end = start + 1;
      while (end < entries.length && sameRun(entries[end].call, name, options, map?.id)) end++;
      const run = entries.slice(start, end);
      start = end;
      const size = this.sizer.size(name);
      if (size > 0) {
        for (let i = 0; i < run.length; i += size) this.chunk(name, run.slice(i, i + size), origin);
        continue;
      }
      const probe = this.probes.get(name);
      if (probe !== undefined) {
        this.hold(run, origin, probe.parked);
        continue;
      }
      // Two calls share the probe only in a run large enough that they cannot unbalance it.
      const n = run.length > PAIR_PROBE_FROM ? 2 : 1;
      if (this.chunk(name, run.slice(0, n), origin) === undefined) {
        this.pack(run.slice(n), origin);
        continue;
      }
      const parked: Probe = { parked: [], timer: setTimeout(() => this.letOut(name), PROBE_WAIT_MS), nextBatch: FIRST_RELEASE };
      if (run.length > n) this.hold(run.slice(n), origin, parked.parked);
      this.probes.set(name, parked);
    }
  }

  /** Still no timing of `name`: let some parked calls out one by one, and wait again. */
  private letOut(name: string): void {
    const probe = this.probes.get(name);
    if (probe === undefined) return;
    let n = probe.nextBatch;
    probe.nextBatch *= 2;
    while (n > 0 && probe.parked.length > 0 && !this.wire.closed()) {
      const held = probe.parked[0];
      const out = held.entries.splice(0, n);
      if (held.entries.length === 0) probe.parked.shift();
      n -= out.length;
      for (const entry of this.release(out)) this.chunk(name, [entry], held.origin);
    }
    if (probe.parked.length === 0) this.probes.delete(name);
    else probe.timer = setTimeout(() => this.letOut(name), PROBE_WAIT_MS);
    this.wire.scheduleFlush();
  }

  /** A chunk of `name` is back with its timing: pack what waited for it. */
  private unpark(name: string): void {
    const probe = this.probes.get(name);
    if (probe === undefined) return;
    clearTimeout(probe.timer);
    this.probes.delete(name);
    for (const held of probe.parked) {
      const entries = this.release(held.entries);
      if (entries.length > 0 && !this.wire.closed()) this.pack(entries, held.origin);
    }
    this.wire.scheduleFlush();
  }

  /**
   * One chunk of calls of `name`, encoded in one pass. A call whose arguments
   * cannot be sent is rejected alone (with the path of what cannot be sent);
   * the others go. Returns the chunk's wire id, if any call went.
   */
  private chunk(name: string, entries: Entry[], origin: Origin): number | undefined {
    const args: ChunkArgs = [name, entries.map((e) => e.call.args as unknown[]), ...streamsOf(entries)];
    let frames: Uint8Array[];
    try {
      frames = this.wire.encodeArgs(args, name);
    } catch (error) {
      // Each call on its own, for the precise reason of those that cannot go.
      const sendable = entries.filter((e) => {
        try {
          this.wire.checkSize(this.wire.codec.encode(e.call.args, "args"), name);
          return true;
        } catch (own) {
          e.sink.reject(own);
          return false;
        }
      });
      if (sendable.length === 0) return undefined;
      if (sendable.length < entries.length) return this.chunk(name, sendable, origin);
      // Every call fits alone but not together (or the chunk's wrapper tips a lone call over the limit).
      if (entries.length === 1) {
        entries[0].sink.reject(error);
        return undefined;
      }
      return this.halves(name, entries, origin);
    }
    const first = entries[0].call;
    // Progress counts calls: the broker adds `calls` for the chunk; the map's size rides on its first call.
    const total = entries.find((e) => e.call.map?.total !== undefined)?.call.map?.total;
    const map = first.map === undefined ? undefined : { id: first.map.id, total, calls: entries.length };
    const call: TaskCall = { id: runtime.nextTaskId++, name: CHUNK_PREFIX + name, fn: () => undefined, args, options: { retries: first.options.retries, priority: first.options.priority }, map };
    let minId = first.id;
    let maxId = first.id;
    for (const e of entries) {
      minId = Math.min(minId, e.call.id);
      maxId = Math.max(maxId, e.call.id);
    }
    const chunk: Chunk = { name, items: entries, live: entries.length, minId, maxId };
    const sink: TaskSink = {
      started: () => chunk.items.forEach((e) => e?.sink.started()),
      resolve: () => undefined, // outcomes are handed out per call by settle()
      reject: (error) => {
        this.chunks.delete(call.id);
        chunk.items.forEach((e) => e?.sink.reject(error));
      },
    };
    this.chunks.set(call.id, chunk);
    this.wire.enqueueChunk(call, sink, frames, chunk, origin);
    return call.id;
  }

  /** Every call fits alone but not all together: two chunks. */
  private halves(name: string, entries: Entry[], origin: Origin): number | undefined {
    const mid = entries.length >> 1;
    const id = this.chunk(name, entries.slice(0, mid), origin);
    return this.chunk(name, entries.slice(mid), origin) ?? id;
  }
}
