import { Transform, Writable } from "node:stream";

/**
 * A stream that prefixes every line with `tag` (no-op when `tag` is empty); a
 * partial last line is kept until it ends. With `logSource`, a line that is a
 * pino record (a worker's log) is shown as the launcher shows its own:
 * `[w1] warning: <message> (k=v …)`, whatever the tag.
 */
export function createLinePrefixer(tag: string, logSource?: string): Transform {
  let rest = "";
  const line = (l: string) => (logSource === undefined ? undefined : formatLogRecord(l, `[${logSource}] `)) ?? `${tag}${l}`;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (tag === "" && logSource === undefined) return done(null, chunk);
      const text = rest + chunk.toString("utf8");
      const cut = text.lastIndexOf("\n") + 1;
      rest = text.slice(cut);
      const lines = text.slice(0, cut);
      if (lines === "") return done();
      done(null, logSource === undefined ? lines.replace(/^(?=.)/gm, tag) : lines.split("\n").slice(0, -1).map((l) => (l === "" ? "" : line(l))).join("\n") + "\n");
    },
    flush(done) {
      done(null, rest === "" ? undefined : `${line(rest)}\n`);
    },
  });
}

const LEVELS: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warning", 50: "error", 60: "fatal" };
const SKIP = new Set(["level", "time", "pid", "hostname", "msg", "component"]);

/** A pino record as one line for people, `<prefix><level>: <message> (k=v …)`; `undefined` if `record` is not one. */
export function formatLogRecord(record: string, prefix: string): string | undefined {
  if (!record.startsWith("{")) return undefined;
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(record) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof r !== "object" || r === null || typeof r.level !== "number" || typeof r.msg !== "string") return undefined;
  const fields = Object.entries(r)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === "object" && v !== null ? ((v as { message?: string }).message ?? JSON.stringify(v)) : String(v)}`);
  return `${prefix}${LEVELS[r.level] ?? String(r.level)}: ${r.msg}${fields.length ? ` (${fields.join(" ")})` : ""}`;
}

/**
 * A pino destination for people: `scoop: warning: <message> (worker=w1 code=1)`
 * on stderr, one line per record. Files given with `--log` keep JSON.
 */
export function humanLogDestination(write: (line: string) => void = (line) => writeOutput("stderr", line)): { write(record: string): void } {
  return {
    write(record: string) {
      const line = formatLogRecord(record.trimEnd(), "scoop: ");
      write(line === undefined ? record : `${line}\n`);
    },
  };
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
