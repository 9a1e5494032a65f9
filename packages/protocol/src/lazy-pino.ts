/**
 * A pino logger that loads pino only when it first writes a record. Loading
 * pino (its ~30 files) is ~20–40 ms of a process's start, and a process at
 * the default level (warn) usually writes nothing: `scoop -n 2` loaded pino
 * in every process (launcher, origin, workers) for no line at all (see the
 * start notes, W0). Every SCOOP logger made by default is one of these.
 */
import { createRequire } from "node:module";
import type pino from "pino";
import type { Bindings, ChildLoggerOptions, DestinationStream, Logger } from "pino";

type Pino = typeof pino;

/** pino itself, loaded now (it is CommonJS: a synchronous require). */
export function requirePino(): Pino {
  return createRequire(__filename)("pino") as Pino;
}

/** SCOOP's log destination: `file` (its directory made if need be), else stderr, written synchronously (nothing is lost when a process ends). */
export function syncDestination(pino: Pino, file?: string): DestinationStream {
  return pino.destination(file ? { dest: file, sync: true, mkdir: true } : { fd: 2, sync: true });
}

/** pino's levels, and what a level name means as a threshold. */
const LEVEL_VALUES: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
const noop = () => undefined;

/**
 * `pino({ level }, destination(pino))`, created when a record at `level` or
 * above is first written, or when anything beyond the level methods,
 * `child`, `level`, `levelVal`, `isLevelEnabled` and `bindings` is used (then
 * it forwards everything to the real logger). An unknown level fails at once,
 * as pino does.
 */
export function lazyPino(level: string, destination: (pino: Pino) => DestinationStream = syncDestination): Logger {
  let root: Logger | undefined;
  const load = () => {
    const pino = requirePino();
    return (root ??= pino({ level }, destination(pino)));
  };
  if (LEVEL_VALUES[level] === undefined) load();
  return deferred(load, level, {});
}

/** A logger standing for `make()` (with `bindings`), made on first need. */
function deferred(parent: () => Logger, level: string, bindings: Bindings): Logger {
  let real: Logger | undefined;
  const make = () => (real ??= Object.keys(bindings).length === 0 ? parent() : parent().child(bindings));
  const threshold = LEVEL_VALUES[level];
  const writers = new Map<string, (...args: unknown[]) => void>();
  // A level method that makes the logger, then writes through it.
  const writer = (name: string) => {
    let method = writers.get(name);
    if (method === undefined) writers.set(name, (method = (...args: unknown[]) => (make()[name as "info"] as (...a: unknown[]) => void)(...args)));
    return method;
  };
  const own: Record<string, unknown> = {
    level,
    levelVal: threshold,
    isLevelEnabled: (name: string) => LEVEL_VALUES[name] !== undefined && LEVEL_VALUES[name] >= threshold,
    bindings: () => ({ ...bindings }),
    child: (more: Bindings, options?: ChildLoggerOptions) => (options === undefined ? deferred(make, level, { ...bindings, ...more }) : make().child(more, options)),
  };
  return new Proxy({} as Logger, {
    get(_, key) {
      if (real === undefined && typeof key === "string") {
        const value = LEVEL_VALUES[key];
        if (value !== undefined && key !== "silent") return value < threshold ? noop : writer(key);
        if (Object.hasOwn(own, key)) return own[key];
        if (key === "then") return undefined; // not a promise (pino has no `then` either): awaiting it needs no pino
      }
      const logger = make();
      const value = Reflect.get(logger, key, logger) as unknown;
      return typeof value === "function" ? value.bind(logger) : value;
    },
    set(_, key, value) {
      return Reflect.set(make(), key, value);
    },
  });
}
