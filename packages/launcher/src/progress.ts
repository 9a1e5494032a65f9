/**
 * The progress view of `scoop`: one line per running map (done/total,
 * tasks/s, ETA, failures, retries). On a TTY the lines are redrawn in place
 * with Node's own terminal helpers (`readline.moveCursor`/`clearScreenDown`);
 * elsewhere (`--progress` into a pipe or a file) a plain line per map is
 * printed now and then, without any escape code.
 */
import { clearScreenDown, cursorTo, moveCursor } from "node:readline";
import type { MapSummary } from "@scoop/protocol";

/** Options of {@link ProgressView}. */
export interface ProgressOptions {
  /** Where to draw. @default process.stderr */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Redraw in place (a terminal) or print plain lines. @default stream.isTTY */
  live?: boolean;
  /** How often to redraw. @default 200 on a terminal, 2000 otherwise */
  intervalMs?: number;
}

interface Seen {
  /** Recent samples for the rate: [time ms, done]. */
  samples: Array<[number, number]>;
  finished: boolean;
}

/** Format a duration in seconds as `42s`, `3m05s` or `1h02m`. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** One line of progress for a map: `name  done/total  pct  rate tasks/s  ETA  failed  retried`. */
export function formatProgress(map: MapSummary, tasksPerSec: number): string {
  const total = map.total;
  const parts = [map.name, total === undefined ? `${map.done}/?` : `${map.done}/${total}`];
  if (total !== undefined && total > 0) parts.push(`${((map.done / total) * 100).toFixed(0).padStart(3)}%`);
  parts.push(`${tasksPerSec >= 100 ? Math.round(tasksPerSec) : tasksPerSec.toFixed(1)} tasks/s`);
  if (total !== undefined) parts.push(`ETA ${map.done >= total ? "0s" : tasksPerSec > 0 ? formatEta((total - map.done) / tasksPerSec) : "?"}`);
  if (map.failed > 0) parts.push(`${map.failed} failed`);
  if (map.retried > 0) parts.push(`${map.retried} retried`);
  return parts.join("  ");
}

type Stream = NonNullable<ProgressOptions["stream"]>;
type Write = Stream["write"];

/**
 * Draws the progress of running maps, read from `source` (the broker's map
 * counters) every `intervalMs`. On a terminal, the lines stay below whatever
 * else this process prints: writes to stdout and stderr first erase them and
 * a redraw follows (so forwarded worker output is never overwritten).
 * `stop()` draws the final state and leaves the terminal clean.
 */
export class ProgressView {
  private readonly stream: Stream;
  private readonly live: boolean;
  private readonly timer: NodeJS.Timeout;
  private readonly seen = new Map<string, Seen>();
  /** Lines of running maps on screen now. */
  private drawn = 0;
  /** Someone else's partial line is on screen: draw nothing until it ends. */
  private partial = false;
  private redrawSoon = false;
  private stopped = false;
  /** The streams whose write was wrapped, and their own write. */
  private readonly wrapped: Array<[Stream, Write]> = [];
  private readonly write: (text: string) => void;
  /** The stream as readline's cursor helpers see it, writing past the wrapper. */
  private readonly raw: NodeJS.WritableStream;

  constructor(
    private readonly source: () => MapSummary[],
    options: ProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.live = options.live ?? this.stream.isTTY === true;
    const own = this.stream.write.bind(this.stream) as Write;
    this.write = (text) => void own(text);
    this.raw = { write: (text: string) => own(text) } as unknown as NodeJS.WritableStream;
    if (this.live) for (const s of new Set<Stream>([this.stream, process.stdout, process.stderr])) this.wrap(s);
    this.timer = setInterval(() => this.draw(), options.intervalMs ?? (this.live ? 200 : 2000));
    this.timer.unref();
  }

  /** Stop drawing; prints each map's last state once (finished maps included). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.draw();
    this.drawn = 0; // leave the last lines on screen
    for (const [s, write] of this.wrapped.splice(0)) s.write = write;
  }

  /** Redraw now. */
  draw(): void {
    // Never cut someone else's unfinished line in two: wait for its newline.
    if (this.live && this.partial && !this.stopped) return;
    const now = Date.now();
    const done: string[] = [];
    const lines: string[] = [];
    for (const map of this.source()) {
      let seen = this.seen.get(map.id);
      if (seen === undefined) this.seen.set(map.id, (seen = { samples: [], finished: false }));
      if (seen.finished) continue;
      seen.samples.push([now, map.done]);
      // Rate over the last ~3 s, so it follows changes without jitter.
      while (seen.samples.length > 2 && now - seen.samples[0][0] > 3000) seen.samples.shift();
      const [t0, d0] = seen.samples[0];
      const rate = now > t0 ? ((map.done - d0) * 1000) / (now - t0) : 0;
      const end = map.finishedAt ?? now;
      const overall = end > map.startedAt ? (map.done * 1000) / (end - map.startedAt) : 0;
      const complete = map.finishedAt !== undefined || (map.total !== undefined && map.done >= map.total);
      if (complete) seen.finished = true;
      (complete ? done : lines).push(formatProgress(map, complete || seen.samples.length < 2 ? overall : rate));
    }
    if (!this.live) {
      for (const line of [...done, ...lines]) this.write(`scoop: ${line}\n`);
      return;
    }
    this.erase();
    const width = Math.max(20, (this.stream.columns ?? 80) - 1);
    for (const line of [...done, ...lines]) this.write(`${line.slice(0, width)}\n`);
    this.drawn = lines.length;
  }

  /** Remove the running maps' lines (a finished map's last line stays for good). */
  private erase(): void {
    if (this.drawn === 0) return;
    moveCursor(this.raw, 0, -this.drawn);
    cursorTo(this.raw, 0);
    clearScreenDown(this.raw);
    this.drawn = 0;
  }

  /** Other output to `s` first erases the progress lines; they come back right after. */
  private wrap(s: Stream): void {
    const write = s.write;
    this.wrapped.push([s, write]);
    s.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      this.erase();
      const ok = (write as (...a: unknown[]) => boolean).call(s, chunk, ...rest);
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("latin1");
      if (text.length > 0) this.partial = !text.endsWith("\n");
      if (!this.redrawSoon && !this.stopped) {
        this.redrawSoon = true;
        setImmediate(() => {
          this.redrawSoon = false;
          if (!this.stopped) this.draw();
        });
      }
      return ok;
    }) as Write;
  }
}
