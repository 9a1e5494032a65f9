/**
 * The codec's wire vocabulary: msgpack extension type numbers, binary kinds,
 * the error and built-in classes it knows, and its nesting limits. Part of the
 * wire format: every process must agree on these.
 */

/** Extension type numbers. Part of the wire format: never renumber. */
export enum Ext {
  Undefined = 0,
  Date = 1,
  BigInt = 2,
  Map = 3,
  Set = 4,
  RegExp = 5,
  Error = 6,
  Class = 7,
  Function = 8,
  OutOfBand = 9,
  Binary = 10,
  /** A large buffer kept in the run's payload store: kind byte, then the store's name for it (ASCII). */
  Stored = 11,
}

/** Binary kinds, the first byte of Ext.Binary, Ext.OutOfBand and Ext.Stored payloads. */
export enum Kind {
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

export type TypedArrayCtor = { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): ArrayBufferView; BYTES_PER_ELEMENT: number };

/** Typed array constructors by kind (ArrayBuffer, Buffer and DataView are special-cased). */
export const TYPED: Array<TypedArrayCtor | undefined> = [];
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
export const BINARY_KIND = new Map<object, Kind>([
  [ArrayBuffer.prototype, Kind.ArrayBuffer],
  [Buffer.prototype, Kind.Buffer],
  [DataView.prototype, Kind.DataView],
]);
for (let kind = 0; kind < TYPED.length; kind++) {
  const ctor = TYPED[kind];
  if (ctor !== undefined) BINARY_KIND.set(ctor.prototype, kind);
}

/** Error classes rebuilt as themselves; any other error class comes back as the nearest of these. */
export const ERROR_CTORS: Record<string, ErrorConstructor | AggregateErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  EvalError,
  ReferenceError,
  URIError,
  AggregateError,
};
export const ERROR_PROTOS = new Map<object, string>(Object.entries(ERROR_CTORS).map(([name, ctor]) => [ctor.prototype, name]));
/** Error properties carried in their own slots, not among the extra fields. */
export const ERROR_OWN_SLOTS = new Set(["name", "message", "stack", "cause"]);

/** Built-ins that can never be sent, named in the error message. */
export const UNSENDABLE = new Map<object, string>([
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
export const MAX_DEPTH = 10_000;
/** Deepest nesting of extensions the decoder accepts (each level is a nested decode). */
export const MAX_EXT_NESTING = 4_096;

/** Thrown by the writer for anything it cannot encode; caught by `encode`, which then diagnoses. */
export const UNENCODABLE: unique symbol = Symbol("unencodable");


/** `Object.prototype.hasOwnProperty`, for objects that may shadow it. */
export const hasOwn = Object.prototype.hasOwnProperty;

/** Name of the built-in error class to rebuild `o` as, or `undefined` if `o` is not an error. */
export function errorClassOf(o: object): string | undefined {
  if (!(o instanceof Error) && Object.prototype.toString.call(o) !== "[object Error]") return undefined;
  for (let p = Object.getPrototypeOf(o); p !== null; p = Object.getPrototypeOf(p)) {
    const name = ERROR_PROTOS.get(p);
    if (name !== undefined) return name;
  }
  return "Error"; // an error from another realm
}

export function errorFieldKeys(e: Error): string[] {
  return Object.keys(e).filter((k) => !ERROR_OWN_SLOTS.has(k));
}
