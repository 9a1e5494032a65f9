/**
 * Chunks: many small tasks of one map travel and run as one wire task.
 *
 * A task of a few microseconds costs more to route (a future, a record in
 * four messages, a context and an abort signal on the worker) than to run.
 * The distributed executor learns, per task name, how long one call takes on
 * the workers; calls of a map batch that are that small go in chunks sized to
 * about {@link CHUNK_TARGET_MS} of work. Each call keeps everything it had
 * alone: its own future and result (or error, with the worker that threw it),
 * its random stream, its position in the output. A chunk lost with its worker
 * is re-run whole, and the first outcome of each call wins, as for any task.
 * Slower calls go in one-call chunks and lone submits travel alone, so long
 * tasks are spread one by one as before; calls of a name not yet measured
 * wait a little for a probe chunk's timing (see map-chunks.ts).
 */
import { performance } from "node:perf_hooks";
import { RandomStream } from "./random-stream.js";
import { currentScope, currentTask, runInTaskContext, runtime, taskByName } from "./runtime.js";
import { TaskNotRegisteredError } from "./errors.js";

/** Work per chunk the sizing aims for, in worker milliseconds. */
export const CHUNK_TARGET_MS = 2;
/** Most calls in one chunk. */
export const CHUNK_MAX_CALLS = 1024;
/** Most argument bytes in one chunk (larger arguments travel alone, zero-copy). */
export const CHUNK_MAX_BYTES = 256 * 1024;

/**
 * What a chunk carries: the task name, each call's arguments and where each
 * call's random stream is: their ids, or (calls of one map, in input order)
 * the map's stream id and the first call's position in it.
 */
export type ChunkArgs = [name: string, args: unknown[][], rngs: Array<string | undefined>] | [name: string, args: unknown[][], mapStream: string, first: number];
/**
 * What a chunk returns: the worker milliseconds its calls took, and per call
 * `ok, value` (value: the result, or the thrown error when not ok).
 */
export type ChunkResult = [ms: number, outcomes: unknown[]];

/** Runs on the worker: each call in its own task context, in order; async calls overlap, as tasks do. */
function runChunk(name: string, args: unknown[][], rngs: Array<string | undefined> | string, first = 0): ChunkResult | Promise<ChunkResult> {
  const fn = taskByName(name);
  if (fn === undefined) throw new TaskNotRegisteredError(`task "${name}" is not registered on this worker: export it from the script the workers load, or wrap it with defineTask()`, { taskName: name });
  const chunk = currentTask();
  // Every call of the chunk is cancelled with it (a chunk always runs in a task context: its runner made one).
  const scope = currentScope()!;
  // The first call of a task in this process pays for compiling it: time the others.
  const cold = !warmTasks.has(name) && args.length > 1;
  warmTasks.add(name);
  let started = performance.now();
  const outcomes: unknown[] = new Array(args.length * 2);
  let waiting: Array<Promise<void>> | undefined;
  const mapStream = typeof rngs === "string" ? new RandomStream(rngs) : undefined;
  for (let i = 0; i < args.length; i++) {
    if (i === 1 && cold) started = performance.now();
    try {
      let value: unknown;
      if (chunk === undefined) value = fn(...args[i]);
      else {
        const rng = mapStream ? { parent: mapStream, n: first + i } : (rngs as Array<string | undefined>)[i];
        value = runInTaskContext({ id: chunk.id, name, scope, workerId: chunk.workerId, attempt: chunk.attempt, rng }, fn, ...args[i]);
      }
      if (isThenable(value)) {
        (waiting ??= []).push(
          Promise.resolve(value).then(
            (v) => void ((outcomes[2 * i] = true), (outcomes[2 * i + 1] = v)),
            (e) => void ((outcomes[2 * i] = false), (outcomes[2 * i + 1] = e)),
          ),
        );
        continue;
      }
      outcomes[2 * i] = true;
      outcomes[2 * i + 1] = value;
    } catch (error) {
      outcomes[2 * i] = false;
      outcomes[2 * i + 1] = error;
    }
  }
  // Reported for every call of the chunk, as if each took as long as those timed.
  const scale = cold ? args.length / (args.length - 1) : 1;
  if (waiting === undefined) return [(performance.now() - started) * scale, outcomes];
  return Promise.all(waiting).then(() => [(performance.now() - started) * scale, outcomes]);
}

/** Tasks this process has run in a chunk already. */
const warmTasks = new Set<string>();

// Once per process: a second copy of core (its ESM and CJS builds, say) shares the runtime and finds it there.
runtime.chunkRunner ??= runChunk;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

interface Measure {
  /** Worker milliseconds per call of the last three chunks (newest last). */
  recent: number[];
  /** Encoded argument bytes per call (moving average over chunks). */
  bytes: number;
}

/** Median of one to three numbers. */
function median3(xs: readonly number[]): number {
  if (xs.length < 3) return Math.min(...xs);
  const [a, b, c] = xs;
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

/**
 * What the executor knows of each task name: how long a call runs and how
 * big its arguments are, from the chunks that came back.
 */
export class ChunkSizer {
  private readonly measures = new Map<string, Measure>();

  /** Calls of `name` per chunk: 0 while nothing is known (send them alone, one as a probe). */
  size(name: string): number {
    const m = this.measures.get(name);
    if (m === undefined) return 0;
    const byTime = Math.floor(CHUNK_TARGET_MS / Math.max(median3(m.recent), 1e-4));
    const byBytes = Math.floor(CHUNK_MAX_BYTES / Math.max(m.bytes, 1));
    return Math.max(1, Math.min(CHUNK_MAX_CALLS, byTime, byBytes));
  }

  /** A chunk of `calls` calls of `name` came back having run `ms` milliseconds, with `bytes` of arguments. */
  record(name: string, calls: number, ms: number, bytes: number): void {
    if (!(calls > 0) || !Number.isFinite(ms) || ms < 0) return;
    const perCall = ms / calls;
    const m = this.measures.get(name);
    if (m === undefined) this.measures.set(name, { recent: [perCall], bytes: bytes / calls });
    else {
      // The median of the last three chunks: a call that got slower makes the
      // chunks smaller after two chunks (long calls go back to travelling
      // alone), and neither one chunk that waited out a GC pause or a busy
      // machine nor the first, slow calls of a worker warming up decide the
      // size of every chunk that follows (one did: a 20,000-call map sent
      // thousands of one-call chunks).
      if (m.recent.push(perCall) > 3) m.recent.shift();
      m.bytes = 0.5 * m.bytes + 0.5 * (bytes / calls);
    }
  }
}
