/**
 * Payload codec: msgpack plus extension types for what JavaScript programs
 * really pass. A value encodes to one or more frames: frame 0 is msgpack,
 * later frames carry large binary buffers out of band, so they travel
 * without being copied into the msgpack body.
 *
 * Encoding is done by a small msgpack writer of our own rather than
 * `@msgpack/msgpack`'s `Encoder`: that encoder turns `undefined` into nil
 * before extensions are consulted, and it can only embed nested content of an
 * extension through a second encoder and a copy. Ours writes nested content
 * in place and patches the length. Decoding uses `@msgpack/msgpack`'s
 * `Decoder`, which reads every msgpack we write.
 *
 * Encoding never walks a value twice on the happy path. Anything that cannot
 * be sent makes the writer throw a private marker; only then does a separate
 * diagnostic walk find the exact path and build the {@link SerializationError}.
 */
import { Decoder, type ExtensionCodecType } from "@msgpack/msgpack";
import { InvalidOptionError, ProtocolError, ScoopError, SerializationError } from "./errors.js";

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

// --- wire constants -------------------------------------------------------

/** Extension type numbers. Part of the wire format: never renumber. */
const EXT_UNDEFINED = 0;
const EXT_DATE = 1;
const EXT_BIGINT = 2;
const EXT_MAP = 3;
const EXT_SET = 4;
const EXT_REGEXP = 5;
const EXT_ERROR = 6;
const EXT_CLASS = 7;
const EXT_FUNCTION = 8;
const EXT_OUT_OF_BAND = 9;
const EXT_BINARY = 10;

/** Binary kinds, the first byte of EXT_BINARY and EXT_OUT_OF_BAND payloads. */
enum Kind {
  ArrayBuffer = 0,
  Buffer = 1,
  Uint8Array = 2,
  Int8Array = 3,
  Uint8ClampedArray = 4,
  Int16Array = 5,
  Uint16Array = 6,
  Int32Array = 7,
  Uint32Array = 8,
  Float32Array = 9,
  Float64Array = 10,
  BigInt64Array = 11,
  BigUint64Array = 12,
  DataView = 13,
}

type TypedArrayCtor = { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): ArrayBufferView; BYTES_PER_ELEMENT: number };

/** Typed array constructors by kind (ArrayBuffer, Buffer and DataView are special-cased). */
const TYPED: Array<TypedArrayCtor | undefined> = [];
TYPED[Kind.Uint8Array] = Uint8Array;
TYPED[Kind.Int8Array] = Int8Array;
TYPED[Kind.Uint8ClampedArray] = Uint8ClampedArray;
TYPED[Kind.Int16Array] = Int16Array;
TYPED[Kind.Uint16Array] = Uint16Array;
TYPED[Kind.Int32Array] = Int32Array;
TYPED[Kind.Uint32Array] = Uint32Array;
TYPED[Kind.Float32Array] = Float32Array;
TYPED[Kind.Float64Array] = Float64Array;
TYPED[Kind.BigInt64Array] = BigInt64Array;
TYPED[Kind.BigUint64Array] = BigUint64Array;

/** Kind of each binary prototype; exact prototypes only, so subclasses are not silently flattened. */
const BINARY_KIND = new Map<object, Kind>([
  [ArrayBuffer.prototype, Kind.ArrayBuffer],
  [Buffer.prototype, Kind.Buffer],
  [DataView.prototype, Kind.DataView],
]);
for (let kind = 0; kind < TYPED.length; kind++) {
  const ctor = TYPED[kind];
  if (ctor !== undefined) BINARY_KIND.set(ctor.prototype, kind);
}

/** Error classes rebuilt as themselves; any other error class comes back as the nearest of these. */
const ERROR_CTORS: Record<string, ErrorConstructor | AggregateErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  EvalError,
  ReferenceError,
  URIError,
  AggregateError,
};
const ERROR_PROTOS = new Map<object, string>(Object.entries(ERROR_CTORS).map(([name, ctor]) => [ctor.prototype, name]));
/** Error properties carried in their own slots, not among the extra fields. */
const ERROR_OWN_SLOTS = new Set(["name", "message", "stack", "cause"]);

/** Built-ins that can never be sent, named in the error message. */
const UNSENDABLE = new Map<object, string>([
  [WeakMap.prototype, "WeakMap"],
  [WeakSet.prototype, "WeakSet"],
  [Promise.prototype, "Promise"],
  ...(typeof WeakRef === "function" ? [[WeakRef.prototype, "WeakRef"] as [object, string]] : []),
  ...(typeof SharedArrayBuffer === "function" ? [[SharedArrayBuffer.prototype, "SharedArrayBuffer"] as [object, string]] : []),
]);

/**
 * Deepest nesting the writer accepts. A cycle is found by hitting this (or
 * the stack limit), never by tracking visited objects on the happy path.
 */
const MAX_DEPTH = 10_000;
/** Deepest nesting of extensions the decoder accepts (each level is a nested decode). */
const MAX_EXT_NESTING = 4_096;
/** Writer and decoder pools keep at most this many nesting levels alive. */
const POOL_LEVELS = 16;
/** A writer buffer that grew beyond this is dropped after the call, so one big payload is not kept forever. */
const KEEP_BUFFER_BYTES = 1 << 20;

/** Thrown by the writer for anything it cannot encode; caught by `encode`, which then diagnoses. */
const UNENCODABLE: unique symbol = Symbol("unencodable");

const hasOwn = Object.prototype.hasOwnProperty;
const textEncoder = new TextEncoder();

interface ClassEntry {
  cls: Function;
  name: string;
  encode?: (value: any) => unknown;
  decode?: (data: any) => unknown;
}

// --- writer ---------------------------------------------------------------

/** State of one `encode` call: output buffer and out-of-band frames. */
class Writer {
  bytes = new Uint8Array(2048);
  view = new DataView(this.bytes.buffer);
  pos = 0;
  frames: Uint8Array[] = [];
  busy = false;

  constructor(private readonly codec: Codec, private readonly classes: Map<object, ClassEntry>) {}

  reset(): void {
    this.pos = 0;
    this.frames = [];
    if (this.bytes.byteLength > KEEP_BUFFER_BYTES) {
      this.bytes = new Uint8Array(2048);
      this.view = new DataView(this.bytes.buffer);
    }
  }

  private reserve(n: number): void {
    if (this.pos + n > this.bytes.byteLength) this.grow(n);
  }

  private grow(n: number): void {
    let size = this.bytes.byteLength * 2;
    while (size < this.pos + n) size *= 2;
    const bytes = new Uint8Array(size);
    bytes.set(this.bytes.subarray(0, this.pos));
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
  }

  write(v: unknown, depth: number): void {
    switch (typeof v) {
      case "number":
        return this.number(v);
      case "string":
        return this.string(v);
      case "boolean":
        this.reserve(1);
        this.bytes[this.pos++] = v ? 0xc3 : 0xc2;
        return;
      case "undefined":
        // fixext1 so the decoder hands it to our extension codec.
        this.reserve(3);
        this.bytes[this.pos++] = 0xd4;
        this.bytes[this.pos++] = EXT_UNDEFINED;
        this.bytes[this.pos++] = 0;
        return;
      case "object":
        if (v === null) {
          this.reserve(1);
          this.bytes[this.pos++] = 0xc0;
          return;
        }
        return this.object(v, depth + 1);
      case "bigint":
        return this.bigint(v);
      case "function": {
        const name = this.codec.options.functions?.nameOf(v);
        if (name === undefined) throw UNENCODABLE;
        const start = this.beginExt(EXT_FUNCTION);
        this.string(name);
        return this.endExt(start);
      }
      default:
        throw UNENCODABLE; // symbol
    }
  }

  private object(o: object, depth: number): void {
    if (depth > MAX_DEPTH) throw UNENCODABLE;
    if (Array.isArray(o)) {
      const n = o.length;
      this.arrayHeader(n);
      for (let i = 0; i < n; i++) this.write(o[i], depth);
      return;
    }
    const proto = Object.getPrototypeOf(o);
    if (proto === Object.prototype || proto === null) return this.fields(o, Object.keys(o), depth);
    const entry = this.classes.get(proto);
    if (entry !== undefined) {
      const start = this.beginExt(EXT_CLASS);
      this.arrayHeader(2);
      this.string(entry.name);
      if (entry.encode !== undefined) this.write(entry.encode(o), depth);
      else this.fields(o, Object.keys(o), depth);
      return this.endExt(start);
    }
    const kind = BINARY_KIND.get(proto);
    if (kind !== undefined) return this.binary(o as ArrayBuffer | ArrayBufferView, kind);
    if (proto === Date.prototype) {
      this.reserve(10);
      this.bytes[this.pos++] = 0xd7; // fixext8
      this.bytes[this.pos++] = EXT_DATE;
      this.view.setFloat64(this.pos, (o as Date).getTime());
      this.pos += 8;
      return;
    }
    if (proto === Map.prototype) {
      const start = this.beginExt(EXT_MAP);
      this.arrayHeader((o as Map<unknown, unknown>).size * 2);
      for (const [k, v] of o as Map<unknown, unknown>) {
        this.write(k, depth);
        this.write(v, depth);
      }
      return this.endExt(start);
    }
    if (proto === Set.prototype) {
      const start = this.beginExt(EXT_SET);
      this.arrayHeader((o as Set<unknown>).size);
      for (const v of o as Set<unknown>) this.write(v, depth);
      return this.endExt(start);
    }
    if (proto === RegExp.prototype) {
      const start = this.beginExt(EXT_REGEXP);
      this.arrayHeader(2);
      this.string((o as RegExp).source);
      this.string((o as RegExp).flags);
      return this.endExt(start);
    }
    const errorClass = errorClassOf(o);
    if (errorClass !== undefined) return this.error(o as Error, errorClass, depth);
    throw UNENCODABLE;
  }

  /** A msgpack map of the given own keys, as plain objects and default class encoding use. */
  private fields(o: object, keys: string[], depth: number): void {
    const n = keys.length;
    this.mapHeader(n);
    for (let i = 0; i < n; i++) {
      const k = keys[i];
      this.string(k);
      this.write((o as Record<string, unknown>)[k], depth);
    }
  }

  private error(e: Error, errorClass: string, depth: number): void {
    const start = this.beginExt(EXT_ERROR);
    // [class, name, message, stack, hasCause, cause, fields, errors]
    this.arrayHeader(8);
    this.string(errorClass);
    this.write(e.name, depth);
    this.write(e.message, depth);
    this.write(e.stack, depth);
    const hasCause = hasOwn.call(e, "cause");
    this.write(hasCause, depth);
    this.write(hasCause ? e.cause : undefined, depth);
    this.fields(e, errorFieldKeys(e), depth);
    const errors = errorClass === "AggregateError" ? (e as AggregateError).errors : undefined;
    this.write(Array.isArray(errors) ? errors : null, depth);
    this.endExt(start);
  }

  private binary(o: ArrayBuffer | ArrayBufferView, kind: Kind): void {
    const bytes = ArrayBuffer.isView(o) ? new Uint8Array(o.buffer, o.byteOffset, o.byteLength) : new Uint8Array(o);
    const n = bytes.byteLength;
    if (n >= this.codec.outOfBandThreshold) {
      // Zero-copy: the frame is a view over the caller's memory.
      const index = this.frames.length + 1;
      this.frames.push(bytes);
      this.reserve(8);
      this.bytes[this.pos++] = 0xc7; // ext8
      this.bytes[this.pos++] = 5;
      this.bytes[this.pos++] = EXT_OUT_OF_BAND;
      this.bytes[this.pos++] = kind;
      this.view.setUint32(this.pos, index);
      this.pos += 4;
      return;
    }
    if (kind === Kind.Uint8Array) {
      // Plain msgpack bin: the decoder returns a Uint8Array.
      this.reserve(5 + n);
      if (n < 0x100) {
        this.bytes[this.pos++] = 0xc4;
        this.bytes[this.pos++] = n;
      } else if (n < 0x10000) {
        this.bytes[this.pos++] = 0xc5;
        this.view.setUint16(this.pos, n);
        this.pos += 2;
      } else {
        this.bytes[this.pos++] = 0xc6;
        this.view.setUint32(this.pos, n);
        this.pos += 4;
      }
    } else {
      this.reserve(7 + n);
      this.extHeader(EXT_BINARY, n + 1);
      this.bytes[this.pos++] = kind;
    }
    this.bytes.set(bytes, this.pos);
    this.pos += n;
  }

  private bigint(v: bigint): void {
    // Sign byte, then the magnitude big-endian: any size, no precision loss.
    const negative = v < 0n;
    let hex = (negative ? -v : v).toString(16);
    if (hex.length & 1) hex = "0" + hex;
    const n = hex.length >> 1;
    this.reserve(6 + n);
    this.extHeader(EXT_BIGINT, n + 1);
    this.bytes[this.pos++] = negative ? 1 : 0;
    for (let i = 0; i < n; i++) this.bytes[this.pos++] = parseInt(hex.substr(i * 2, 2), 16);
  }

  private number(n: number): void {
    this.reserve(9);
    const b = this.bytes;
    // -0 must stay a float, or it comes back as 0.
    if ((n | 0) === n && (n !== 0 || 1 / n > 0)) {
      if (n >= 0) {
        if (n < 0x80) b[this.pos++] = n;
        else if (n < 0x100) {
          b[this.pos++] = 0xcc;
          b[this.pos++] = n;
        } else if (n < 0x10000) {
          b[this.pos++] = 0xcd;
          this.view.setUint16(this.pos, n);
          this.pos += 2;
        } else {
          b[this.pos++] = 0xce;
          this.view.setUint32(this.pos, n);
          this.pos += 4;
        }
      } else if (n >= -0x20) b[this.pos++] = n & 0xff;
      else if (n >= -0x80) {
        b[this.pos++] = 0xd0;
        this.view.setInt8(this.pos++, n);
      } else if (n >= -0x8000) {
        b[this.pos++] = 0xd1;
        this.view.setInt16(this.pos, n);
        this.pos += 2;
      } else {
        b[this.pos++] = 0xd2;
        this.view.setInt32(this.pos, n);
        this.pos += 4;
      }
      return;
    }
    if (n >= 0x80000000 && n < 0x100000000 && Number.isInteger(n)) {
      b[this.pos++] = 0xce;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
      return;
    }
    // float64 is exact for every other number, including NaN, ±Infinity and large integers.
    b[this.pos++] = 0xcb;
    this.view.setFloat64(this.pos, n);
    this.pos += 8;
  }

  private string(s: string): void {
    const len = s.length;
    const max = len * 3; // UTF-8 bytes per UTF-16 unit, at most
    // The header is sized for the worst case and patched with the real length;
    // a wider header than needed is still valid msgpack.
    const head = max < 32 ? 1 : max < 0x100 ? 2 : max < 0x10000 ? 3 : 5;
    this.reserve(head + max);
    const start = this.pos;
    let p = start + head;
    const b = this.bytes;
    if (len <= 64) {
      for (let i = 0; i < len; i++) {
        let c = s.charCodeAt(i);
        if (c < 0x80) b[p++] = c;
        else if (c < 0x800) {
          b[p++] = 0xc0 | (c >> 6);
          b[p++] = 0x80 | (c & 0x3f);
        } else {
          if (c >= 0xd800 && c <= 0xdfff) {
            const d = i + 1 < len ? s.charCodeAt(i + 1) : 0;
            if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
              i++;
              const cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
              b[p++] = 0xf0 | (cp >> 18);
              b[p++] = 0x80 | ((cp >> 12) & 0x3f);
              b[p++] = 0x80 | ((cp >> 6) & 0x3f);
              b[p++] = 0x80 | (cp & 0x3f);
              continue;
            }
            c = 0xfffd; // lone surrogate, as TextEncoder does
          }
          b[p++] = 0xe0 | (c >> 12);
          b[p++] = 0x80 | ((c >> 6) & 0x3f);
          b[p++] = 0x80 | (c & 0x3f);
        }
      }
    } else {
      p += textEncoder.encodeInto(s, b.subarray(p)).written;
    }
    const n = p - start - head;
    if (head === 1) b[start] = 0xa0 | n;
    else if (head === 2) {
      b[start] = 0xd9;
      b[start + 1] = n;
    } else if (head === 3) {
      b[start] = 0xda;
      this.view.setUint16(start + 1, n);
    } else {
      b[start] = 0xdb;
      this.view.setUint32(start + 1, n);
    }
    this.pos = p;
  }

  private arrayHeader(n: number): void {
    this.reserve(5);
    if (n < 16) this.bytes[this.pos++] = 0x90 | n;
    else if (n < 0x10000) {
      this.bytes[this.pos++] = 0xdc;
      this.view.setUint16(this.pos, n);
      this.pos += 2;
    } else {
      this.bytes[this.pos++] = 0xdd;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    }
  }

  private mapHeader(n: number): void {
    this.reserve(5);
    if (n < 16) this.bytes[this.pos++] = 0x80 | n;
    else if (n < 0x10000) {
      this.bytes[this.pos++] = 0xde;
      this.view.setUint16(this.pos, n);
      this.pos += 2;
    } else {
      this.bytes[this.pos++] = 0xdf;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    }
  }

  /** Header of an extension whose payload length is known; caller reserved room. */
  private extHeader(type: number, n: number): void {
    if (n < 0x100) {
      this.bytes[this.pos++] = 0xc7;
      this.bytes[this.pos++] = n;
    } else if (n < 0x10000) {
      this.bytes[this.pos++] = 0xc8;
      this.view.setUint16(this.pos, n);
      this.pos += 2;
    } else {
      this.bytes[this.pos++] = 0xc9;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    }
    this.bytes[this.pos++] = type;
  }

  /** Start an ext32 whose payload (one msgpack value) is written in place; see {@link endExt}. */
  private beginExt(type: number): number {
    this.reserve(6);
    const start = this.pos;
    this.bytes[start] = 0xc9;
    this.bytes[start + 5] = type;
    this.pos += 6;
    return start;
  }

  private endExt(start: number): void {
    this.view.setUint32(start + 1, this.pos - start - 6);
  }
}

/** Name of the built-in error class to rebuild `o` as, or `undefined` if `o` is not an error. */
function errorClassOf(o: object): string | undefined {
  if (!(o instanceof Error) && Object.prototype.toString.call(o) !== "[object Error]") return undefined;
  for (let p = Object.getPrototypeOf(o); p !== null; p = Object.getPrototypeOf(p)) {
    const name = ERROR_PROTOS.get(p);
    if (name !== undefined) return name;
  }
  return "Error"; // an error from another realm
}

function errorFieldKeys(e: Error): string[] {
  return Object.keys(e).filter((k) => !ERROR_OWN_SLOTS.has(k));
}

// --- diagnosis --------------------------------------------------------------

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function member(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function describeMapKey(key: unknown, index: number): string {
  switch (typeof key) {
    case "string":
      return JSON.stringify(key);
    case "number":
    case "boolean":
      return String(key);
    case "bigint":
      return `${key}n`;
    default:
      return key === null || key === undefined ? String(key) : `<key #${index}>`;
  }
}

function className(proto: object): string {
  const ctor = (proto as { constructor?: unknown }).constructor;
  return typeof ctor === "function" && ctor.name ? ctor.name : "(anonymous)";
}

interface Visit {
  value: unknown;
  path: string;
  /** Set on the marker that takes `value` off the ancestor list when its subtree is done. */
  exit?: boolean;
}

// --- codec ----------------------------------------------------------------

/** Encodes values to frames and back. One instance per process holds the class registry. */
export class Codec {
  /** Resolved {@link CodecOptions.outOfBandThreshold}. */
  readonly outOfBandThreshold: number;
  private readonly classesByProto = new Map<object, ClassEntry>();
  private readonly classesByName = new Map<string, ClassEntry>();
  private readonly writer: Writer;
  private readonly decoders: Decoder[] = [];
  private readonly extensions: ExtensionCodecType<undefined>;
  /** Frames of the `decode` call in progress. */
  private inFrames: readonly Uint8Array[] = [];
  /** Extension nesting level of the `decode` call in progress. */
  private level = 0;

  constructor(readonly options: CodecOptions = {}) {
    const threshold = options.outOfBandThreshold ?? 4096;
    if (!(typeof threshold === "number" && threshold >= 0)) {
      throw new InvalidOptionError(`options.outOfBandThreshold must be a non-negative number (got ${String(threshold)})`);
    }
    this.outOfBandThreshold = threshold;
    this.writer = new Writer(this, this.classesByProto);
    this.extensions = {
      tryToEncode: () => null,
      decode: (data, type) => this.decodeExt(data, type),
    };
  }

  /** Register a class so its instances survive the trip with their prototype. */
  registerClass<T>(cls: new (...args: any[]) => T, options: ClassCodecOptions<T> = {}): void {
    if (typeof cls !== "function" || typeof cls.prototype !== "object" || cls.prototype === null) {
      throw new InvalidOptionError(`registerClass expects a class (got ${typeof cls})`);
    }
    const name = options.name ?? cls.name;
    if (typeof name !== "string" || name === "") {
      throw new InvalidOptionError("registerClass needs { name } for an anonymous class: the name identifies the class on the wire");
    }
    const sameName = this.classesByName.get(name);
    const sameClass = this.classesByProto.get(cls.prototype);
    if (sameName !== undefined && sameName.cls === cls) return; // re-registering is a no-op
    if (sameName !== undefined) {
      throw new InvalidOptionError(
        `two different classes are registered under the name "${name}"; pass registerClass(cls, { name: "…" }) with a name unique to each class`,
      );
    }
    if (sameClass !== undefined) {
      throw new InvalidOptionError(`class ${cls.name || name} is already registered under the name "${sameClass.name}"; register it once, with one name`);
    }
    const entry: ClassEntry = { cls, name };
    if (options.encode !== undefined) entry.encode = options.encode as (value: any) => unknown;
    if (options.decode !== undefined) entry.decode = options.decode;
    this.classesByName.set(name, entry);
    this.classesByProto.set(cls.prototype, entry);
  }

  /**
   * Encode a value. `path` names the value in error messages
   * (`args[0].items[3].callback is a function`).
   * Buffers of at least {@link CodecOptions.outOfBandThreshold} bytes are not
   * copied: the returned frames view the caller's memory, so do not modify
   * them until the frames are sent.
   * @throws {SerializationError} naming the path of what cannot be sent.
   */
  encode(value: unknown, path = "value"): Uint8Array[] {
    // A registered class's encode hook may call encode again: give it its own writer.
    const w = this.writer.busy ? new Writer(this, this.classesByProto) : this.writer;
    w.busy = true;
    try {
      w.write(value, 0);
      const frames = w.frames;
      frames.unshift(w.bytes.slice(0, w.pos));
      return frames;
    } catch (error) {
      throw this.diagnose(value, path, error);
    } finally {
      w.reset();
      w.busy = false;
    }
  }

  /**
   * Decode frames produced by {@link Codec.encode}. Out-of-band buffers are
   * views over the received frames when their alignment allows (else copied once).
   * @throws {ProtocolError} `SCOOP_MALFORMED_PAYLOAD` if the frames are not a valid payload.
   * @throws {SerializationError} if a function travels by a name not registered here.
   */
  decode(frames: readonly Uint8Array[]): unknown {
    if (!Array.isArray(frames) || frames.length === 0) throw malformed("no frames (expected at least the msgpack frame)");
    const head = frames[0];
    if (!(head instanceof Uint8Array)) throw malformed("frame 0 is not binary");
    if (head.byteLength === 0) throw malformed("frame 0 is empty");
    const prevFrames = this.inFrames;
    const prevLevel = this.level;
    this.inFrames = frames;
    this.level = 0;
    try {
      // A plain Uint8Array view, so msgpack bin values come back as Uint8Array, not Buffer.
      return this.decoderAt(0).decode(new Uint8Array(head.buffer, head.byteOffset, head.byteLength));
    } catch (error) {
      if (error instanceof ScoopError) throw error;
      if (error instanceof RangeError && /call stack/i.test(error.message)) throw malformed("nested too deeply to decode", error);
      const reason = error instanceof Error ? error.message : String(error);
      throw malformed(`not a valid msgpack payload (${reason})`, error);
    } finally {
      this.inFrames = prevFrames;
      this.level = prevLevel;
    }
  }

  private decoderAt(level: number): Decoder {
    let decoder = this.decoders[level];
    if (decoder === undefined) {
      decoder = new Decoder({ extensionCodec: this.extensions });
      if (level < POOL_LEVELS) this.decoders[level] = decoder;
    }
    return decoder;
  }

  /** Decode the msgpack value an extension carries. */
  private nested(data: Uint8Array): unknown {
    if (this.level >= MAX_EXT_NESTING) throw malformed(`extensions nested more than ${MAX_EXT_NESTING} deep`);
    this.level++;
    try {
      return this.decoderAt(this.level).decode(data);
    } finally {
      this.level--;
    }
  }

  private decodeExt(data: Uint8Array, type: number): unknown {
    switch (type) {
      case EXT_UNDEFINED:
        return undefined;
      case EXT_DATE:
        if (data.byteLength !== 8) throw malformed(`Date extension of ${data.byteLength} bytes (expected 8)`);
        return new Date(new DataView(data.buffer, data.byteOffset, 8).getFloat64(0));
      case EXT_BIGINT: {
        if (data.byteLength < 2 || data[0] > 1) throw malformed("BigInt extension has no magnitude or a bad sign byte");
        let hex = "0x";
        for (let i = 1; i < data.byteLength; i++) hex += (data[i] < 16 ? "0" : "") + data[i].toString(16);
        const magnitude = BigInt(hex);
        return data[0] === 1 ? -magnitude : magnitude;
      }
      case EXT_MAP: {
        const flat = this.nested(data);
        if (!Array.isArray(flat) || flat.length % 2 !== 0) throw malformed("Map extension does not hold an even-length array");
        const map = new Map();
        for (let i = 0; i < flat.length; i += 2) map.set(flat[i], flat[i + 1]);
        return map;
      }
      case EXT_SET: {
        const members = this.nested(data);
        if (!Array.isArray(members)) throw malformed("Set extension does not hold an array");
        return new Set(members);
      }
      case EXT_REGEXP: {
        const parts = this.nested(data);
        if (!Array.isArray(parts) || parts.length !== 2 || typeof parts[0] !== "string" || typeof parts[1] !== "string") {
          throw malformed("RegExp extension does not hold [source, flags]");
        }
        try {
          return new RegExp(parts[0], parts[1]);
        } catch (error) {
          throw malformed(`RegExp extension holds an invalid pattern /${parts[0]}/${parts[1]}`, error);
        }
      }
      case EXT_ERROR:
        return this.decodeError(this.nested(data));
      case EXT_CLASS: {
        const parts = this.nested(data);
        if (!Array.isArray(parts) || parts.length !== 2 || typeof parts[0] !== "string") throw malformed("class extension does not hold [name, data]");
        const entry = this.classesByName.get(parts[0]);
        if (entry === undefined) {
          throw malformed(`an instance of class "${parts[0]}" arrived, but no class is registered under that name here; call registerClass() in every process`);
        }
        if (entry.decode !== undefined) {
          try {
            return entry.decode(parts[1]);
          } catch (error) {
            throw malformed(`the decode hook of class "${entry.name}" threw: ${error instanceof Error ? error.message : String(error)}`, error);
          }
        }
        if (typeof parts[1] !== "object" || parts[1] === null || Array.isArray(parts[1])) throw malformed(`class "${entry.name}" data is not a map of fields`);
        return Object.assign(Object.create(entry.cls.prototype as object), parts[1]);
      }
      case EXT_FUNCTION: {
        const name = this.nested(data);
        if (typeof name !== "string" || name === "") throw malformed("function extension does not hold a name");
        const fn = this.options.functions?.byName(name);
        if (typeof fn !== "function") {
          throw new SerializationError(
            `function "${name}" is not registered in this process; export it from a module every process loads, or define it with defineTask()`,
          );
        }
        return fn;
      }
      case EXT_OUT_OF_BAND: {
        if (data.byteLength !== 5) throw malformed(`out-of-band extension of ${data.byteLength} bytes (expected 5)`);
        const index = new DataView(data.buffer, data.byteOffset, 5).getUint32(1);
        const frame = index >= 1 && index < this.inFrames.length ? this.inFrames[index] : undefined;
        if (!(frame instanceof Uint8Array)) {
          throw malformed(`out-of-band buffer refers to frame ${index}, but there are ${this.inFrames.length} frames`);
        }
        return binaryOf(data[0], frame, true);
      }
      case EXT_BINARY:
        if (data.byteLength < 1) throw malformed("binary extension has no kind byte");
        return binaryOf(data[0], data.subarray(1), false);
      default:
        throw malformed(`unknown extension type ${type}`);
    }
  }

  private decodeError(parts: unknown): Error {
    if (!Array.isArray(parts) || parts.length !== 8 || typeof parts[0] !== "string" || typeof parts[4] !== "boolean") {
      throw malformed("Error extension does not hold [class, name, message, stack, hasCause, cause, fields, errors]");
    }
    const [cls, name, message, stack, hasCause, cause, fields, errors] = parts as [string, unknown, unknown, unknown, boolean, unknown, unknown, unknown];
    if (typeof fields !== "object" || fields === null || Array.isArray(fields)) throw malformed("Error extension fields are not a map");
    const Ctor = hasOwn.call(ERROR_CTORS, cls) ? ERROR_CTORS[cls] : Error;
    let error: Error;
    if (Ctor === AggregateError) error = new AggregateError(Array.isArray(errors) ? errors : []);
    else error = new (Ctor as ErrorConstructor)();
    const hidden = (key: string, value: unknown) => Object.defineProperty(error, key, { value, writable: true, configurable: true, enumerable: false });
    if (message !== undefined) hidden("message", message);
    if (name !== error.name) hidden("name", name);
    if (stack === undefined) delete error.stack;
    else hidden("stack", stack);
    if (hasCause) hidden("cause", cause);
    Object.assign(error, fields);
    return error;
  }

  /** Build the {@link SerializationError} for a failed encode, walking `value` to find the culprit. */
  private diagnose(value: unknown, path: string, cause: unknown): SerializationError {
    let found: SerializationError | undefined;
    try {
      found = this.findUnencodable(value, path);
    } catch (error) {
      cause = error; // only reachable if a value changes under us; fall through to the generic message
    }
    if (found !== undefined) return found;
    if (cause === UNENCODABLE || (cause instanceof RangeError && /call stack/i.test(cause.message))) {
      return new SerializationError(`${path} is nested too deeply to encode (more than ${MAX_DEPTH} levels); flatten it`, { path });
    }
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new SerializationError(`${path} could not be encoded: ${reason}`, { path, cause });
  }

  /**
   * Walk `value` the way {@link Writer.write} does, iteratively (deep values
   * must not overflow the stack here) and tracking ancestors to name cycles.
   */
  private findUnencodable(value: unknown, root: string): SerializationError | undefined {
    const ancestors = new Map<object, string>();
    const todo: Visit[] = [{ value, path: root }];
    const fail = (path: string, message: string, cause?: unknown) =>
      new SerializationError(`${path} ${message}`, cause === undefined ? { path } : { path, cause });
    while (todo.length > 0) {
      const { value: v, path, exit } = todo.pop()!;
      if (exit) {
        ancestors.delete(v as object);
        continue;
      }
      if (typeof v === "function") {
        if (this.options.functions?.nameOf(v) !== undefined) continue;
        return fail(path, "is a function (anonymous or not registered as a task); functions cannot be copied to another process: define it with defineTask() and pass the task, or pass data instead");
      }
      if (typeof v === "symbol") {
        return fail(path, `is a symbol (${String(v)}); symbols are unique to their process: pass a string instead`);
      }
      if (typeof v !== "object" || v === null) continue;
      const back = ancestors.get(v);
      if (back !== undefined) {
        return fail(path, `is a cycle back to ${back}; values are copied, so send a tree (shared references are fine, loops are not): replace the back-reference with an id`);
      }
      const children: Visit[] = [];
      const own = (o: object, keys: string[]) => {
        for (const k of keys) children.push({ value: (o as Record<string, unknown>)[k], path: member(path, k) });
      };
      const proto = Object.getPrototypeOf(v);
      const entry = Array.isArray(v) || proto === Object.prototype || proto === null ? undefined : this.classesByProto.get(proto);
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) children.push({ value: v[i], path: `${path}[${i}]` });
      } else if (proto === Object.prototype || proto === null) {
        own(v, Object.keys(v));
      } else if (entry !== undefined) {
        if (entry.encode !== undefined) {
          let data: unknown;
          try {
            data = entry.encode(v);
          } catch (error) {
            return fail(path, `could not be encoded: the encode hook of class ${entry.name} threw (${error instanceof Error ? error.message : String(error)})`, error);
          }
          children.push({ value: data, path });
        } else own(v, Object.keys(v));
      } else if (BINARY_KIND.has(proto) || proto === Date.prototype || proto === RegExp.prototype) {
        // leaves
      } else if (proto === Map.prototype) {
        let i = 0;
        for (const [k, item] of v as Map<unknown, unknown>) {
          children.push({ value: k, path: `${path}.keys()[${i}]` });
          children.push({ value: item, path: `${path}.get(${describeMapKey(k, i)})` });
          i++;
        }
      } else if (proto === Set.prototype) {
        let i = 0;
        for (const item of v as Set<unknown>) children.push({ value: item, path: `${path}[Set #${i++}]` });
      } else if (errorClassOf(v) !== undefined) {
        const e = v as Error;
        children.push({ value: e.name, path: `${path}.name` }, { value: e.message, path: `${path}.message` }, { value: e.stack, path: `${path}.stack` });
        if (hasOwn.call(e, "cause")) children.push({ value: e.cause, path: `${path}.cause` });
        own(e, errorFieldKeys(e));
        if (errorClassOf(v) === "AggregateError" && Array.isArray((e as AggregateError).errors)) {
          children.push({ value: (e as AggregateError).errors, path: `${path}.errors` });
        }
      } else {
        const builtin = UNSENDABLE.get(proto);
        if (builtin !== undefined) return fail(path, `is a ${builtin}, which cannot be copied to another process; pass the data it holds instead`);
        const name = className(proto);
        return fail(path, `is an instance of class ${name}, which is not registered; call registerClass(${name}) in every process (or pass a plain object)`);
      }
      ancestors.set(v, path);
      todo.push({ value: v, path, exit: true });
      for (let i = children.length - 1; i >= 0; i--) todo.push(children[i]);
    }
    return undefined;
  }
}

function malformed(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError("SCOOP_MALFORMED_PAYLOAD", `malformed payload: ${message}`, cause === undefined ? {} : { cause });
}

/** Copy bytes into a fresh ArrayBuffer of their own. */
function copyOf(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

/**
 * Rebuild a binary value of `kind` over `bytes`. With `view`, the result shares
 * the bytes' memory when the alignment allows (out-of-band frames); otherwise
 * it gets its own copy (inline data, so the value does not pin frame 0).
 */
function binaryOf(kind: number, bytes: Uint8Array, view: boolean): unknown {
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
