/**
 * Values a local run may pass as they are: the codec round trip would give
 * back the very same value (numbers, -0 and NaN included, booleans, null,
 * undefined, well-formed strings), so encoding and decoding them in the
 * process that runs the task changes nothing but the time it takes. A tree
 * of tiny tasks run where they are awaited spent more time in the codec than
 * in the tasks. Anything else (objects, arrays, typed arrays, functions,
 * bigints, strings with a lone surrogate, which UTF-8 cannot carry) makes the
 * round trip, so a local run still gets its own copies and the same errors.
 */

/** Longest string passed as it is; well below any broker message limit. */
const MAX_PLAIN_STRING = 1024;
/** Most arguments passed as they are. */
const MAX_PLAIN_ARGS = 16;
/** Smallest broker message limit under which plain values skip the size check (16 strings of 1,024 chars fit). */
export const PLAIN_MIN_LIMIT = 65_536;

/** True if `value` makes the codec round trip unchanged and is small. */
export function isPlain(value: unknown): boolean {
  switch (typeof value) {
    case "number":
    case "boolean":
    case "undefined":
      return true;
    case "string":
      return value.length <= MAX_PLAIN_STRING && (value as string & { isWellFormed(): boolean }).isWellFormed();
    case "object":
      return value === null;
    default:
      return false;
  }
}

/** True if every argument is {@link isPlain} (and there are few). */
export function plainArgs(args: readonly unknown[]): boolean {
  if (args.length > MAX_PLAIN_ARGS) return false;
  for (let i = 0; i < args.length; i++) if (!isPlain(args[i])) return false;
  return true;
}
