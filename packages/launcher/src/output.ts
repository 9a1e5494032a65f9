import { Transform } from "node:stream";

/** A stream that prefixes every line with `tag` (no-op when `tag` is empty); a partial last line is kept until it ends. */
export function createLinePrefixer(tag: string): Transform {
  let rest = "";
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (tag === "") return done(null, chunk);
      const text = rest + chunk.toString("utf8");
      const cut = text.lastIndexOf("\n") + 1;
      rest = text.slice(cut);
      const lines = text.slice(0, cut);
      done(null, lines === "" ? undefined : lines.replace(/^(?=.)/gm, tag));
    },
    flush(done) {
      done(null, rest === "" ? undefined : `${tag}${rest}\n`);
    },
  });
}

const LEVELS: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warning", 50: "error", 60: "fatal" };
const SKIP = new Set(["level", "time", "pid", "hostname", "msg", "component"]);

/**
 * A pino destination for people: `scoop: warning: <message> (worker=w1 code=1)`
 * on stderr, one line per record. Files given with `--log` keep JSON.
 */
export function humanLogDestination(write: (line: string) => void = (line) => process.stderr.write(line)): { write(record: string): void } {
  return {
    write(record: string) {
      let r: Record<string, unknown>;
      try {
        r = JSON.parse(record) as Record<string, unknown>;
      } catch {
        write(record);
        return;
      }
      const fields = Object.entries(r)
        .filter(([k]) => !SKIP.has(k))
        .map(([k, v]) => `${k}=${typeof v === "object" && v !== null ? ((v as { message?: string }).message ?? JSON.stringify(v)) : String(v)}`);
      const level = LEVELS[r.level as number] ?? String(r.level);
      write(`scoop: ${level}: ${String(r.msg ?? "")}${fields.length ? ` (${fields.join(" ")})` : ""}\n`);
    },
  };
}
