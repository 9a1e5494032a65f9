/**
 * Stacks a person can read: the frames of the user's program first, the
 * frames inside SCOOP and Node dropped. Every capture here happens on an
 * error path or once per map call, never per task.
 */
import { ScoopError } from "@scoop/protocol";

/** A frame inside SCOOP's own packages (installed or in this workspace), Node's internals, a native builtin or the tsx loader. */
const LIBRARY_FRAME = /\(node:|at node:|[\\/]@scoop[\\/+]|[\\/]packages[\\/](?:protocol|core|worker|broker|launcher)[\\/](?:dist|src)[\\/]|\(<anonymous>\)$|[\\/]node_modules[\\/]tsx[\\/]/;
const FRAME = /^\s+at /;

/** The `at …` lines of `stack`, split into the user's frames and a count of the library frames dropped. */
export function userFrames(stack: string | undefined): { frames: string[]; hidden: number } {
  const frames: string[] = [];
  let hidden = 0;
  for (const line of (stack ?? "").split("\n")) {
    if (!FRAME.test(line)) continue;
    if (LIBRARY_FRAME.test(line)) hidden++;
    else frames.push(`    ${line.trim()}`);
  }
  return { frames, hidden };
}

/**
 * Where a map was called: captured once per map, turned into text only if
 * the map fails (V8 formats a captured stack lazily).
 */
export interface CallSite {
  readonly stack?: string;
}

/** Capture the current call site (the caller's frames are picked out when it is read). */
export function captureCallSite(): CallSite {
  const site: { stack?: string } = {};
  Error.captureStackTrace(site);
  return site;
}

/** The header line(s) of an error's stack: `Name: message`. */
function header(error: Error): string {
  return `${error.name}: ${error.message}`;
}

/**
 * Make a SCOOP error raised synchronously inside `submit`/`map` point at the
 * user's call: its stack is re-taken here and SCOOP's frames are dropped.
 * Other errors are returned untouched.
 */
export function atCaller<E>(error: E): E {
  if (!(error instanceof ScoopError) || error.code === "SCOOP_TASK_FAILED") return error;
  Error.captureStackTrace(error);
  const { frames } = userFrames(error.stack);
  if (frames.length > 0) error.stack = `${header(error)}\n${frames.join("\n")}`;
  return error;
}

/**
 * A map failed with `error`: make it say where the map was called. A remote
 * failure gets its caller's frames after the remote ones; an error raised on
 * this side (an argument that cannot be sent) gets the call site as its stack.
 */
export function withCallSite<E>(error: E, site: CallSite, what: string): E {
  if (!(error instanceof ScoopError) || error.stack === undefined) return error;
  const { frames } = userFrames(site.stack);
  if (frames.length === 0) return error;
  if (error.code === "SCOOP_TASK_FAILED") error.stack = `${error.stack}\n    --- ${what}() called at ---\n${frames.join("\n")}`;
  else if (error.code === "SCOOP_UNSERIALIZABLE" || error.code === "SCOOP_MESSAGE_TOO_LARGE") error.stack = `${header(error)}\n${frames.join("\n")}`;
  return error;
}

/**
 * The stack of a remote task failure as it is printed: the failure's own
 * line, the remote frames of the user's code, and how many SCOOP/Node frames
 * were dropped (the full remote stack stays in `remoteStack`).
 */
export function remoteFailureStack(error: Error, remoteStack: string | undefined): string {
  const { frames, hidden } = userFrames(remoteStack);
  const lines = [header(error), ...frames];
  if (hidden > 0) lines.push(`    ... ${hidden} frame${hidden === 1 ? "" : "s"} inside SCOOP and Node hidden (error.remoteStack has them all)`);
  return lines.join("\n");
}
