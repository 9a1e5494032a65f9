/**
 * Rebuilding binary values on decode: typed arrays, Buffers, DataViews and
 * ArrayBuffers, inline or out of band (views over received frames).
 */
import { ProtocolError } from "./errors.js";
import { Kind, TYPED } from "./extensions.js";

/** The error of a payload that cannot be decoded. */
export function malformed(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError("SCOOP_MALFORMED_PAYLOAD", `malformed payload: ${message}`, cause === undefined ? {} : { cause });
}

/** Copy bytes into a fresh ArrayBuffer of their own. */
export function copyOf(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

/**
 * Rebuild a binary value of `kind` over `bytes`. With `view`, the result shares
 * the bytes' memory when the alignment allows (out-of-band frames); otherwise
 * it gets its own copy (inline data, so the value does not pin frame 0).
 */
export function binaryOf(kind: number, bytes: Uint8Array, view: boolean): unknown {
  const { buffer, byteOffset, byteLength } = bytes;
  switch (kind) {
    case Kind.ArrayBuffer:
      return view && byteOffset === 0 && byteLength === buffer.byteLength && buffer instanceof ArrayBuffer ? buffer : copyOf(bytes);
    case Kind.Buffer:
      return view ? Buffer.from(buffer, byteOffset, byteLength) : Buffer.from(copyOf(bytes));
    case Kind.DataView:
      return view ? new DataView(buffer, byteOffset, byteLength) : new DataView(copyOf(bytes));
    default: {
      const Ctor = TYPED[kind];
      if (Ctor === undefined) throw malformed(`unknown binary kind ${kind}`);
      const size = Ctor.BYTES_PER_ELEMENT;
      if (byteLength % size !== 0) throw malformed(`${Ctor.name} of ${byteLength} bytes is not a whole number of ${size}-byte elements`);
      if (view && byteOffset % size === 0) return new Ctor(buffer, byteOffset, byteLength / size);
      return new Ctor(copyOf(bytes));
    }
  }
}
