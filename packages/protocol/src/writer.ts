/**
 * The msgpack writer of {@link Codec.encode}: writes nested extension content
 * in place and patches lengths, so a value is walked once on the happy path.
 * Anything it cannot encode makes it throw {@link UNENCODABLE}.
 */
import type { BufferStore, ClassEntry, FunctionNaming, StoredBuffers } from "./codec-types.js";
import { BINARY_KIND, Ext, Kind, MAX_DEPTH, UNENCODABLE, errorClassOf, errorFieldKeys, hasOwn } from "./extensions.js";
import { MsgpackWriter } from "./msgpack-writer.js";

/** A writer buffer that grew beyond this is dropped after the call, so one big payload is not kept forever. */
const KEEP_BUFFER_BYTES = 1 << 20;

/** What the writer needs from its codec. */
export interface WriterHost {
  readonly options: { readonly functions?: FunctionNaming };
  readonly outOfBandThreshold: number;
  readonly store?: BufferStore;
}

/** State of one `encode` call: output buffer and out-of-band frames. */
export class Writer extends MsgpackWriter {
  frames: Uint8Array[] = [];
  /** Set for an encode whose large buffers may go to the store (they leave this process). */
  stored?: StoredBuffers;
  busy = false;

  constructor(
    private readonly codec: WriterHost,
    private readonly classes: Map<object, ClassEntry>,
  ) {
    super();
  }

  reset(): void {
    this.pos = 0;
    this.frames = [];
    this.stored = undefined;
    if (this.bytes.byteLength > KEEP_BUFFER_BYTES) {
      this.bytes = new Uint8Array(2048);
      this.view = new DataView(this.bytes.buffer);
    }
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
        this.bytes[this.pos++] = Ext.Undefined;
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
        const start = this.beginExt(Ext.Function);
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
      const start = this.beginExt(Ext.Class);
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
      this.bytes[this.pos++] = Ext.Date;
      this.view.setFloat64(this.pos, (o as Date).getTime());
      this.pos += 8;
      return;
    }
    if (proto === Map.prototype) {
      const start = this.beginExt(Ext.Map);
      this.arrayHeader((o as Map<unknown, unknown>).size * 2);
      for (const [k, v] of o as Map<unknown, unknown>) {
        this.write(k, depth);
        this.write(v, depth);
      }
      return this.endExt(start);
    }
    if (proto === Set.prototype) {
      const start = this.beginExt(Ext.Set);
      this.arrayHeader((o as Set<unknown>).size);
      for (const v of o as Set<unknown>) this.write(v, depth);
      return this.endExt(start);
    }
    if (proto === RegExp.prototype) {
      const start = this.beginExt(Ext.RegExp);
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
    const start = this.beginExt(Ext.Error);
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
      const store = this.codec.store;
      if (this.stored !== undefined && store !== undefined && n >= store.threshold && this.keep(store, bytes, kind)) return;
      // Zero-copy: the frame is a view over the caller's memory.
      const index = this.frames.length + 1;
      this.frames.push(bytes);
      this.reserve(8);
      this.bytes[this.pos++] = 0xc7; // ext8
      this.bytes[this.pos++] = 5;
      this.bytes[this.pos++] = Ext.OutOfBand;
      this.bytes[this.pos++] = kind;
      this.view.setUint32(this.pos, index);
      this.pos += 4;
      return;
    }
    if (kind === Kind.Uint8Array) {
      // Plain msgpack bin: the decoder returns a Uint8Array.
      this.reserve(5 + n);
      this.binHeader(n);
    } else {
      this.reserve(7 + n);
      this.extHeader(Ext.Binary, n + 1);
      this.bytes[this.pos++] = kind;
    }
    this.bytes.set(bytes, this.pos);
    this.pos += n;
  }

  /** Put `bytes` in the store and write its name; false if the store could not keep them. */
  private keep(store: BufferStore, bytes: Uint8Array, kind: Kind): boolean {
    const stored = this.stored!;
    const name = store.put(bytes, stored.forOthers);
    if (name === undefined) return false;
    stored.names.push(name);
    if (bytes.byteLength > stored.largest) stored.largest = bytes.byteLength;
    this.reserve(7 + name.length);
    this.extHeader(Ext.Stored, name.length + 1);
    this.bytes[this.pos++] = kind;
    for (let i = 0; i < name.length; i++) this.bytes[this.pos++] = name.charCodeAt(i);
    return true;
  }
}
