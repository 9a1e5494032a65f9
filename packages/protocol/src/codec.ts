/**
 * Payload codec: msgpack plus extension types for what JavaScript programs
 * really pass. A value encodes to one or more frames: frame 0 is msgpack,
 * later frames carry large binary buffers out of band, so they travel
 * without being copied into the msgpack body.
 *
 * STUB: signatures fixed, implementation pending.
 */
import { SerializationError } from "./errors.js";

/** Hooks that let registered task functions travel by name. */
export interface FunctionNaming {
  /** Stable name of a function that may cross the wire, or `undefined`. */
  nameOf(fn: Function): string | undefined;
  /** The local function registered under `name`, or `undefined`. */
  byName(name: string): Function | undefined;
}

/** How a registered class is encoded; defaults copy own enumerable fields. */
export interface ClassCodecOptions<T> {
  /** Wire name; defaults to the class name. Must be the same in every process. */
  name?: string;
  /** Turn an instance into a serializable value. */
  encode?: (value: T) => unknown;
  /** Rebuild an instance from what `encode` produced. */
  decode?: (data: any) => T;
}

/** Options of a {@link Codec}. */
export interface CodecOptions {
  /** Lets registered functions travel by name; without it functions are rejected. */
  functions?: FunctionNaming;
  /** Byte size from which a binary buffer travels in a frame of its own. @default 4096 */
  outOfBandThreshold?: number;
}

/** Encodes values to frames and back. One instance per process holds the class registry. */
export class Codec {
  constructor(readonly options: CodecOptions = {}) {}

  /** Register a class so its instances survive the trip with their prototype. */
  registerClass<T>(cls: new (...args: any[]) => T, options: ClassCodecOptions<T> = {}): void {
    void cls;
    void options;
    throw new Error("not implemented");
  }

  /**
   * Encode a value. `path` names the value in error messages
   * (`args[0].items[3].callback is a function`).
   * @throws {SerializationError} naming the path of what cannot be sent.
   */
  encode(value: unknown, path = "value"): Uint8Array[] {
    void value;
    throw new SerializationError(`${path}: not implemented`);
  }

  /** Decode frames produced by {@link Codec.encode}. */
  decode(frames: readonly Uint8Array[]): unknown {
    void frames;
    throw new Error("not implemented");
  }
}
