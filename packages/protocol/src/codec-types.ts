/** Public option types of the {@link Codec}, and its class registry entry. */

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

/**
 * Where a run keeps large buffers so that processes of one machine pass them
 * by name instead of through the broker (core's `PayloadStore` is the one
 * SCOOP uses: files in an owner-only directory of a RAM file system).
 */
export interface BufferStore {
  /** Bytes from which a buffer is kept in the store rather than sent in a frame. */
  readonly threshold: number;
  /**
   * Keep a copy of `bytes`; returns its name, or `undefined` if it cannot be
   * kept (it then travels in a frame). `forOthers`: another process removes
   * them (a result its owner reads), so this one need not answer for them.
   */
  put(bytes: Uint8Array, forOthers?: boolean): string | undefined;
  /**
   * The bytes kept under `name`; with `consume`, forgotten once read.
   * @throws {ScoopError} `SCOOP_PAYLOAD_GONE` if they are no longer kept.
   */
  get(name: string, consume: boolean): Uint8Array;
  /** Forget the bytes kept under `name` (nothing if they are gone). */
  remove(name: string): void;
}

/** The buffers one {@link Codec.encode} call put in the store: their names and the largest size (the broker's per-part limit applies to it). */
export interface StoredBuffers {
  names: string[];
  largest: number;
  /** The payload is another process's to release (a result): see {@link BufferStore.put}. */
  forOthers?: boolean;
}

/** A registered class, as the codec keeps it. */
export interface ClassEntry {
  cls: Function;
  name: string;
  encode?: (value: any) => unknown;
  decode?: (data: any) => unknown;
}
