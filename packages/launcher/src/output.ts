import { Transform, Writable } from "node:stream";
import { formatLogRecord, prettyLogDestination } from "@scoop/protocol";

/**
 * A stream that prefixes every line with `tag` (no-op when `tag` is empty); a
 * partial last line is kept until it ends. With `logSource`, a line that is a
 * pino record (a worker's log) is shown as the launcher shows its own:
 * `[w1] warning: <message> (k=v …)`, whatever the tag.
 */
export function createLinePrefixer(tag: string, logSource?: string): Transform {
  let rest = "";
  const line = (l: string): string | undefined => {
    if (logSource !== undefined && workerLogSink !== undefined && formatLogRecord(l, "") !== undefined) {
      workerLogSink(l, logSource);
      return undefined;
    }
    return (logSource === undefined ? undefined : formatLogRecord(l, `[${logSource}] `)) ?? `${tag}${l}`;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (tag === "" && logSource === undefined) return done(null, chunk);
      const text = rest + chunk.toString("utf8");
      const cut = text.lastIndexOf("\n") + 1;
      rest = text.slice(cut);
      const lines = text.slice(0, cut);
      if (lines === "") return done();
      if (logSource === undefined) return done(null, lines.replace(/^(?=.)/gm, tag));
      const shown = lines.split("\n").slice(0, -1).flatMap((l) => (l === "" ? [""] : (line(l) ?? [])));
      done(null, shown.length > 0 ? `${shown.join("\n")}\n` : undefined);
    },
    flush(done) {
      const last = rest === "" ? undefined : line(rest);
      done(null, last === undefined ? undefined : `${last}\n`);
    },
  });
}

/**
 * A pino destination for people: `scoop: warning: <message> (worker=w1 code=1)`
 * on stderr, one line per record (`--log-format pretty`, the default).
 */
export function humanLogDestination(write: (line: string) => void = (line) => writeOutput("stderr", line)): { write(record: string): void } {
  return prettyLogDestination("scoop: ", write);
}

/** Where workers' log records go instead of the launcher's stderr (a `--log` file, `--log-format json`). */
let workerLogSink: ((record: string, worker: string) => void) | undefined;

/** Send workers' log records (JSON lines on their stderr) to `sink`, or back to stderr as readable lines (`undefined`). */
export function sendWorkerLogsTo(sink: ((record: string, worker: string) => void) | undefined): void {
  workerLogSink = sink;
}

/** Name of a standard output stream of the launcher. */
export type OutputName = "stdout" | "stderr";

const sinks = new Map<OutputName, { sink: Writable; closed: boolean }>();
const closedListeners = new Set<(name: OutputName, error: Error) => void>();

/**
 * Where worker output is forwarded to: the launcher's stdout or stderr,
 * guarded against a reader that went away (`scoop … | head -2`). The first
 * error on the stream (EPIPE) is reported once to {@link onOutputClosed}
 * listeners, never left unhandled; from then on output is dropped, so workers
 * never block on a pipe nobody reads while they are being stopped. One sink
 * per stream; every worker pipes into it.
 */
export function outputSink(name: OutputName): Writable {
  let entry = sinks.get(name);
  if (entry) return entry.sink;
  const stream = name === "stdout" ? process.stdout : process.stderr;
  let waiting: (() => void) | undefined;
  const state = { closed: false };
  stream.on("error", (error: Error) => {
    if (state.closed) return;
    state.closed = true;
    const done = waiting;
    waiting = undefined;
    done?.();
    for (const listener of closedListeners) listener(name, error);
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (state.closed || stream.write(chunk)) return done();
      waiting = done;
      stream.once("drain", () => {
        if (waiting !== done) return;
        waiting = undefined;
        done();
      });
    },
  });
  // Every worker's output is piped here: as many listeners as workers.
  sink.setMaxListeners(0);
  entry = { sink, get closed() { return state.closed; } };
  sinks.set(name, entry);
  return sink;
}

/** Whether the reader of the launcher's `name` stream went away. */
export function outputClosed(name: OutputName): boolean {
  return sinks.get(name)?.closed ?? false;
}

/**
 * Call `listener` once per stream whose reader goes away (EPIPE). Guards
 * both streams from now on. Returns a function that removes the listener.
 */
export function onOutputClosed(listener: (name: OutputName, error: Error) => void): () => void {
  outputSink("stdout");
  outputSink("stderr");
  closedListeners.add(listener);
  return () => closedListeners.delete(listener);
}

/** Write to the launcher's stream `name` unless its reader went away. */
export function writeOutput(name: OutputName, text: string): void {
  if (!outputClosed(name)) (name === "stdout" ? process.stdout : process.stderr).write(text);
}
