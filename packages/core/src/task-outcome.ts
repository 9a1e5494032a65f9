/**
 * How a finished task's outcome is put on the wire. Shared by the worker's
 * runner (remote runs) and by work-first local runs, so a task run in the
 * process that awaits it fails and succeeds exactly as it would elsewhere.
 */
import type { Codec, StoredBuffers } from "@scoop/protocol";

/** The encoded outcome of one task run: `ok` is false when the frames hold an error. */
export interface EncodedOutcome {
  ok: boolean;
  frames: Uint8Array[];
}

/**
 * Encode a task's value (`ok`) or thrown error. A value that cannot travel
 * becomes the failure it causes; an error that cannot travel (it holds a
 * function, say) is sent as a plain Error with its name, message and stack.
 * `stored`: a value's large buffers may go to the run's payload store (see {@link Codec.encode}).
 */
export function encodeOutcome(codec: Codec, ok: boolean, value: unknown, stored?: StoredBuffers): EncodedOutcome {
  if (ok) {
    try {
      return { ok: true, frames: codec.encode(value, "result", stored) };
    } catch (error) {
      return encodeOutcome(codec, false, error);
    }
  }
  try {
    return { ok: false, frames: codec.encode(value, "error") };
  } catch {
    const e = value as Error;
    const plain = new Error(String(e?.message ?? value));
    plain.name = String(e?.name ?? "Error");
    plain.stack = String(e?.stack ?? plain.stack);
    return { ok: false, frames: codec.encode(plain, "error") };
  }
}

/** True for a promise or any other thenable. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";
}
