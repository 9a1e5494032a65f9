/**
 * Chrome Trace Event JSON of a run, written as the run goes (memory stays
 * flat however many tasks run): one track per worker, one span per task
 * attempt (name, key, attempt, argument bytes, outcome), flow arrows from a
 * parent task to the children it submitted, and instant events for retries
 * and lost workers. Opens in Perfetto and `chrome://tracing`.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import type { PeerSummary, ScoopEvent } from "@scoop/protocol";

/** One Chrome trace event (the fields this writer uses). */
export interface TraceEvent {
  name: string;
  ph: "X" | "i" | "M" | "s" | "f";
  pid: number;
  tid: number;
  /** Microseconds since the trace started. */
  ts?: number;
  dur?: number;
  cat?: string;
  id?: number;
  bp?: "e";
  s?: "t" | "p" | "g";
  args?: Record<string, unknown>;
}

/** A whole trace file. */
export interface TraceFile {
  traceEvents: TraceEvent[];
  displayTimeUnit?: "ms" | "ns";
  otherData?: Record<string, unknown>;
}

const PID = 1;
/** Track of events that belong to no worker (the broker's own). */
const BROKER_TID = 0;
const FLUSH_CHARS = 1 << 16;

interface Queued {
  name: string;
  bytes: number;
  owner: string;
  parent?: number;
  map?: string;
  at: number;
}

interface Attempt {
  tid: number;
  at: number;
  attempt: number;
}

/**
 * Turns {@link ScoopEvent}s into Chrome trace events and streams them to a
 * file. Feed it every event (`broker.on("event", (e) => trace.record(e))`),
 * then `close()`.
 */
export class TraceWriter {
  private readonly out: WriteStream;
  private buffer = "";
  private first = true;
  private readonly origin: number;
  private readonly tids = new Map<string, number>();
  private readonly queued = new Map<number, Queued>();
  /** Attempts running now, by task key. */
  private readonly running = new Map<number, Attempt>();
  private nextFlow = 1;
  private closing?: Promise<void>;

  /** Start a trace file at `path` (overwritten). Times count from `startedAt` (ms since the epoch). */
  constructor(readonly path: string, startedAt = performance.timeOrigin + performance.now()) {
    this.origin = startedAt;
    this.out = createWriteStream(path);
    this.buffer = '{"displayTimeUnit":"ms","otherData":{"producer":"scoop"},"traceEvents":[\n';
    this.emit({ name: "process_name", ph: "M", pid: PID, tid: BROKER_TID, args: { name: "scoop run" } });
    this.emit({ name: "thread_name", ph: "M", pid: PID, tid: BROKER_TID, args: { name: "broker" } });
  }

  /** Record one event of the run. */
  record(event: ScoopEvent): void {
    switch (event.type) {
      case "task:queued":
        this.queued.set(event.key, { name: event.name, bytes: event.bytes, owner: event.owner, parent: event.parent, map: event.map, at: event.at });
        return;
      case "task:started": {
        const tid = this.tid(event.worker);
        this.running.set(event.key, { tid, at: event.at, attempt: event.attempt });
        const q = this.queued.get(event.key);
        if (q?.parent !== undefined) {
          // The arrow starts inside the parent's span (on its worker) when the child was submitted.
          const parent = this.running.get(q.parent);
          const id = this.nextFlow++;
          this.emit({ name: "submit", cat: "flow", ph: "s", id, pid: PID, tid: parent?.tid ?? this.tid(q.owner), ts: this.us(q.at) });
          this.emit({ name: "submit", cat: "flow", ph: "f", bp: "e", id, pid: PID, tid, ts: this.us(event.at) });
        }
        return;
      }
      case "task:finished": {
        const { a, q } = this.end(event.key, true);
        const start = a?.at ?? event.at - event.ms;
        this.span(event.name, a?.tid ?? this.tid(event.worker), start, event.at, { key: event.key, attempt: event.attempt, bytes: q?.bytes, ok: event.ok, map: q?.map, parent: q?.parent });
        return;
      }
      case "task:retried": {
        const { a, q } = this.end(event.key, false);
        const tid = a?.tid ?? this.tid(event.lostWorker);
        if (a !== undefined) this.span(event.name, tid, a.at, event.at, { key: event.key, attempt: a.attempt, bytes: q?.bytes, ok: false, lost: true, map: q?.map, parent: q?.parent });
        this.emit({ name: `retry ${event.name} #${event.key}`, cat: "retry", ph: "i", s: "t", pid: PID, tid, ts: this.us(event.at), args: { key: event.key, attempt: event.attempt, lostWorker: event.lostWorker } });
        return;
      }
      case "task:cancelled": {
        const { a, q } = this.end(event.key, true);
        if (a !== undefined) this.span(event.name, a.tid, a.at, event.at, { key: event.key, attempt: a.attempt, bytes: q?.bytes, cancelled: true });
        return;
      }
      case "worker:joined":
        this.tid(event.worker.id, event.worker);
        return;
      case "worker:lost":
      case "worker:left":
      case "worker:recycled":
        this.emit({
          name: event.type === "worker:lost" ? `worker ${event.worker.id} lost` : `worker ${event.worker.id} ${event.type.slice(7)}`,
          cat: "worker",
          ph: "i",
          s: event.type === "worker:lost" ? "g" : "t",
          pid: PID,
          tid: this.tid(event.worker.id),
          ts: this.us(event.at),
          args: { host: event.worker.host, pid: event.worker.pid, requeued: event.requeued, failed: event.failed },
        });
        return;
      default:
        return; // stats and progress are not drawn
    }
  }

  /** Finish the file (valid JSON) and close it. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      this.buffer += "\n]}\n";
      this.out.on("error", reject);
      this.out.end(this.buffer, () => resolve());
      this.buffer = "";
    });
    return this.closing;
  }

  /** The attempt of `key` that ends now, and what was queued (forgotten when the task is done for good). */
  private end(key: number, done: boolean): { a?: Attempt; q?: Queued } {
    const a = this.running.get(key);
    this.running.delete(key);
    const q = this.queued.get(key);
    if (done) this.queued.delete(key);
    return { a, q };
  }

  private span(name: string, tid: number, start: number, end: number, args: Record<string, unknown>): void {
    for (const k of Object.keys(args)) if (args[k] === undefined) delete args[k];
    this.emit({ name, cat: "task", ph: "X", pid: PID, tid, ts: this.us(start), dur: Math.max(0, Math.round((end - start) * 1000)), args });
  }

  /** The track of a worker, named on first sight. */
  private tid(worker: string, info?: PeerSummary): number {
    let tid = this.tids.get(worker);
    if (tid === undefined) {
      this.tids.set(worker, (tid = this.tids.size + 1));
      const name = info ? `${worker} (${info.role}, ${info.host} pid ${info.pid})` : worker;
      this.emit({ name: "thread_name", ph: "M", pid: PID, tid, args: { name } });
      this.emit({ name: "thread_sort_index", ph: "M", pid: PID, tid, args: { sort_index: tid } });
    }
    return tid;
  }

  private us(at: number): number {
    return Math.round((at - this.origin) * 1000);
  }

  private emit(event: TraceEvent): void {
    if (this.closing) return;
    this.buffer += (this.first ? "" : ",\n") + JSON.stringify(event);
    this.first = false;
    if (this.buffer.length >= FLUSH_CHARS) {
      this.out.write(this.buffer);
      this.buffer = "";
    }
  }
}
