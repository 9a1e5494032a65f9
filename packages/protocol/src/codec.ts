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
import type { BufferStore, ClassCodecOptions, ClassEntry, CodecOptions, StoredBuffers } from "./codec-types.js";
import { diagnose } from "./diagnose.js";
import { InvalidOptionError } from "./errors.js";
import { Reader } from "./reader.js";
import { Writer } from "./writer.js";

export type { BufferStore, ClassCodecOptions, CodecOptions, FunctionNaming, StoredBuffers } from "./codec-types.js";

/** Encodes values to frames and back. One instance per process holds the class registry. */
export class Codec {
  /** Resolved {@link CodecOptions.outOfBandThreshold}. */
  readonly outOfBandThreshold: number;
  /**
   * The run's payload store, when this process shares one with the others
   * (set by the worker): large buffers of an encode given a
   * {@link StoredBuffers} record go there, and decode reads them back.
   */
  store?: BufferStore;
  private readonly classesByProto = new Map<object, ClassEntry>();
  private readonly classesByName = new Map<string, ClassEntry>();
  private readonly writer: Writer;
  private readonly reader: Reader;

  constructor(readonly options: CodecOptions = {}) {
    const threshold = options.outOfBandThreshold ?? 4096;
    if (!(typeof threshold === "number" && threshold >= 0)) {
      throw new InvalidOptionError(`options.outOfBandThreshold must be a non-negative number (got ${String(threshold)})`);
    }
    this.outOfBandThreshold = threshold;
    this.writer = new Writer(this, this.classesByProto);
    this.reader = new Reader(this.classesByName, options, () => this.store);
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
   *
   * With `stored` (for a payload that leaves this process) and a
   * {@link Codec.store}, buffers of at least the store's threshold are copied
   * into the store instead and only their names travel; `stored` records them.
   * Whoever owns the payload removes them from the store when it is done.
   * @throws {SerializationError} naming the path of what cannot be sent (nothing is left in the store).
   */
  encode(value: unknown, path = "value", stored?: StoredBuffers): Uint8Array[] {
    // A registered class's encode hook may call encode again: give it its own writer.
    const w = this.writer.busy ? new Writer(this, this.classesByProto) : this.writer;
    w.busy = true;
    w.stored = stored;
    const keptBefore = stored?.names.length ?? 0;
    try {
      w.write(value, 0);
      const frames = w.frames;
      frames.unshift(w.bytes.slice(0, w.pos));
      return frames;
    } catch (error) {
      if (stored !== undefined) for (const name of stored.names.splice(keptBefore)) this.store?.remove(name);
      throw diagnose(value, path, error, { functions: this.options.functions, classes: this.classesByProto });
    } finally {
      w.reset();
      w.busy = false;
    }
  }

  /**
   * Decode frames produced by {@link Codec.encode}. Out-of-band buffers are
   * views over the received frames when their alignment allows (else copied once).
   * Buffers kept in the {@link Codec.store} are read from it; with `consume`
   * (a result, read once by its owner) they are removed from it as well.
   * @throws {ProtocolError} `SCOOP_MALFORMED_PAYLOAD` if the frames are not a valid payload.
   * @throws {SerializationError} if a function travels by a name not registered here.
   * @throws {ScoopError} `SCOOP_PAYLOAD_GONE` if a stored buffer is no longer kept.
   */
  decode(frames: readonly Uint8Array[], consume = false): unknown {
    return this.reader.decode(frames, consume);
  }
}
