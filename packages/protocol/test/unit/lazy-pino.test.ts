/**
 * lazyPino: pino is made only when a record at the level is written (or the
 * logger is used beyond what needs no pino), and then writes what pino writes.
 */
import pino from "pino";
import { lazyPino } from "../../src/lazy-pino.js";

/** A destination keeping each record, parsed, without its time. */
function records() {
  const lines: Record<string, unknown>[] = [];
  return { lines, write: (line: string) => void lines.push({ ...JSON.parse(line), time: 0 }) };
}

test("nothing below the level, children, level and bindings make the logger; the first record does, and reads as pino's", () => {
  let made = 0;
  const dest = records();
  const log = lazyPino("warn", () => (made++, dest)).child({ component: "worker" });
  log.debug("hidden");
  log.info({ a: 1 }, "hidden");
  const child = log.child({ worker: "w1" });
  expect([child.level, child.levelVal, child.isLevelEnabled("warn"), child.isLevelEnabled("info"), child.isLevelEnabled("nonsense")]).toEqual(["warn", 40, true, false, false]);
  expect(child.bindings()).toEqual({ component: "worker", worker: "w1" });
  expect(made).toBe(0);

  child.warn({ task: "t" }, "shown %d", 2);
  log.error(new Error("boom"));
  expect(made).toBe(1);
  const peer = records();
  const real = pino({ level: "warn" }, peer).child({ component: "worker" });
  real.child({ worker: "w1" }).warn({ task: "t" }, "shown %d", 2);
  real.error(new Error("boom"));
  const same = (r: Record<string, unknown>) => ({ ...r, err: r.err && { ...(r.err as object), stack: undefined } });
  expect(dest.lines.map(same)).toEqual(peer.lines.map(same));
});

test("anything else is pino's own: setting the level makes the logger and takes effect", () => {
  let made = 0;
  const dest = records();
  const log = lazyPino("warn", () => (made++, dest));
  log.level = "debug";
  expect(made).toBe(1);
  log.debug("now shown");
  expect(dest.lines).toEqual([expect.objectContaining({ level: 20, msg: "now shown" })]);
  expect(log.isLevelEnabled("debug")).toBe(true);
});

test("an unknown level fails at once, as pino does", () => {
  expect(() => lazyPino("loud", () => records())).toThrow(/level:loud/);
});
