/**
 * The decoding side of {@link Codec.decode}: `@msgpack/msgpack` decoders (one
 * per extension nesting level, pooled) and the extension types they hand us.
 */
import { Decoder, type ExtensionCodecType } from "@msgpack/msgpack";
import { binaryOf, malformed } from "./binary.js";
import type { BufferStore, ClassEntry, CodecOptions } from "./codec-types.js";
import { ScoopError, SerializationError } from "./errors.js";
import { ERROR_CTORS, Ext, MAX_EXT_NESTING, hasOwn } from "./extensions.js";

/** What a store's name may look like: never a path. */
const STORED_NAME = /^[0-9a-z][0-9a-z-]*$/;

/** Decoders pools keep at most this many nesting levels alive. */
const POOL_LEVELS = 16;

/** Decodes payloads for one {@link Codec} (its class registry and function naming). */
export class Reader {
  private readonly decoders: Decoder[] = [];
  private readonly extensions: ExtensionCodecType<undefined>;
  /** Frames of the `decode` call in progress. */
  private inFrames: readonly Uint8Array[] = [];
  /** Extension nesting level of the `decode` call in progress. */
  private level = 0;
  /** The `decode` call in progress removes stored buffers once read. */
  private consume = false;

  constructor(
    private readonly classes: ReadonlyMap<string, ClassEntry>,
    private readonly options: CodecOptions,
    private readonly store: () => BufferStore | undefined,
  ) {
    this.extensions = {
      tryToEncode: () => null,
      decode: (data, type) => this.decodeExt(data, type),
    };
  }

  /**
   * Decode frames produced by {@link Codec.encode}. Out-of-band buffers are
   * views over the received frames when their alignment allows (else copied once).
   * @throws {ProtocolError} `SCOOP_MALFORMED_PAYLOAD` if the frames are not a valid payload.
   * @throws {SerializationError} if a function travels by a name not registered here.
   */
  decode(frames: readonly Uint8Array[], consume = false): unknown {
    if (!Array.isArray(frames) || frames.length === 0) throw malformed("no frames (expected at least the msgpack frame)");
    const head = frames[0];
    if (!(head instanceof Uint8Array)) throw malformed("frame 0 is not binary");
    if (head.byteLength === 0) throw malformed("frame 0 is empty");
    const prevFrames = this.inFrames;
    const prevLevel = this.level;
    const prevConsume = this.consume;
    this.inFrames = frames;
    this.level = 0;
    this.consume = consume;
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
      this.consume = prevConsume;
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
      case Ext.Undefined:
        return undefined;
      case Ext.Date:
        if (data.byteLength !== 8) throw malformed(`Date extension of ${data.byteLength} bytes (expected 8)`);
        return new Date(new DataView(data.buffer, data.byteOffset, 8).getFloat64(0));
      case Ext.BigInt: {
        if (data.byteLength < 2 || data[0] > 1) throw malformed("BigInt extension has no magnitude or a bad sign byte");
        let hex = "0x";
        for (let i = 1; i < data.byteLength; i++) hex += (data[i] < 16 ? "0" : "") + data[i].toString(16);
        const magnitude = BigInt(hex);
        return data[0] === 1 ? -magnitude : magnitude;
      }
      case Ext.Map: {
        const flat = this.nested(data);
        if (!Array.isArray(flat) || flat.length % 2 !== 0) throw malformed("Map extension does not hold an even-length array");
        const map = new Map();
        for (let i = 0; i < flat.length; i += 2) map.set(flat[i], flat[i + 1]);
        return map;
      }
      case Ext.Set: {
        const members = this.nested(data);
        if (!Array.isArray(members)) throw malformed("Set extension does not hold an array");
        return new Set(members);
      }
      case Ext.RegExp: {
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
      case Ext.Error:
        return this.decodeError(this.nested(data));
      case Ext.Class: {
        const parts = this.nested(data);
        if (!Array.isArray(parts) || parts.length !== 2 || typeof parts[0] !== "string") throw malformed("class extension does not hold [name, data]");
        const entry = this.classes.get(parts[0]);
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
      case Ext.Function: {
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
      case Ext.OutOfBand: {
        if (data.byteLength !== 5) throw malformed(`out-of-band extension of ${data.byteLength} bytes (expected 5)`);
        const index = new DataView(data.buffer, data.byteOffset, 5).getUint32(1);
        const frame = index >= 1 && index < this.inFrames.length ? this.inFrames[index] : undefined;
        if (!(frame instanceof Uint8Array)) {
          throw malformed(`out-of-band buffer refers to frame ${index}, but there are ${this.inFrames.length} frames`);
        }
        return binaryOf(data[0], frame, true);
      }
      case Ext.Stored: {
        const name = data.byteLength >= 2 && data.byteLength <= 65 ? String.fromCharCode(...data.subarray(1)) : "";
        if (!STORED_NAME.test(name)) throw malformed("stored-buffer extension does not hold a kind and a store name");
        const store = this.store();
        if (store === undefined) {
          throw new ScoopError(
            "SCOOP_PAYLOAD_GONE",
            "a large buffer of this payload was kept in its run's payload store, which this process does not share (it did not start on the run's machine with the run's --payload-store); only workers the launcher starts on the submitting machine get it",
          );
        }
        return binaryOf(data[0], store.get(name, this.consume), true);
      }
      case Ext.Binary:
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
}
