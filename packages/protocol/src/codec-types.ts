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

/** A registered class, as the codec keeps it. */
export interface ClassEntry {
  cls: Function;
  name: string;
  encode?: (value: any) => unknown;
  decode?: (data: any) => unknown;
}
