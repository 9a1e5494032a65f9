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
