import { Codec, type FunctionNaming } from "../../src/codec.js";
import { InvalidOptionError, ProtocolError, ScoopError, SerializationError } from "../../src/errors.js";

const codec = new Codec();
const roundTrip = <T>(value: T, c: Codec = codec): T => c.decode(c.encode(value)) as T;

/** The SerializationError thrown by `fn`, which must throw one. */
function serializationError(fn: () => unknown): SerializationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as SerializationError).code).toBe("SCOOP_UNSERIALIZABLE");
    return error as SerializationError;
  }
  throw new Error("expected a SerializationError");
}

/** The ProtocolError thrown by decoding `frames`, which must throw one. */
function malformed(c: Codec, frames: unknown): ProtocolError {
  try {
    c.decode(frames as Uint8Array[]);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe("SCOOP_MALFORMED_PAYLOAD");
    return error as ProtocolError;
  }
  throw new Error("expected a ProtocolError");
}

/** Small deterministic PRNG (mulberry32), so fuzz failures reproduce. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("primitives and plain data", () => {
  test.each([
    [null],
    [true],
    [false],
    [0],
    [1],
    [-1],
    [127],
    [128],
    [255],
    [256],
    [65535],
    [65536],
    [-32],
    [-33],
    [-128],
    [-129],
    [-32768],
    [-32769],
    [2 ** 31 - 1],
    [-(2 ** 31)],
    [2 ** 32 - 1],
    [2 ** 32],
    [Number.MAX_SAFE_INTEGER],
    [Number.MIN_SAFE_INTEGER],
    [2 ** 60],
    [1.5],
    [-1e-300],
    [Number.MAX_VALUE],
    [""],
    ["hello"],
    ["é漢字😀"],
    ["x".repeat(31)],
    ["x".repeat(32)],
    ["y".repeat(100)],
    ["ü".repeat(70000)],
    [[]],
    [{}],
    [[1, 2, 3]],
    [{ a: 1, b: [true, null, "s"], c: { d: {} } }],
  ])("%p round-trips", (value) => {
    expect(roundTrip(value)).toEqual(value);
  });

  test("NaN, Infinity and -0", () => {
    const back = roundTrip([NaN, Infinity, -Infinity, -0, 0]);
    expect(Object.is(back[0], NaN)).toBe(true);
    expect(back[1]).toBe(Infinity);
    expect(back[2]).toBe(-Infinity);
    expect(Object.is(back[3], -0)).toBe(true);
    expect(Object.is(back[4], 0)).toBe(true);
  });

  test("lone surrogates become U+FFFD like TextEncoder", () => {
    expect(roundTrip("a\ud800b")).toBe("a\ufffdb");
    expect(roundTrip("a\udc00".repeat(40))).toBe("a\ufffd".repeat(40));
  });

  test("undefined at top level, in arrays and as object values (keys kept)", () => {
    expect(roundTrip(undefined)).toBeUndefined();
    const arr = roundTrip([1, undefined, 3]);
    expect(arr).toHaveLength(3);
    expect(1 in arr).toBe(true);
    expect(arr[1]).toBeUndefined();
    const obj = roundTrip({ a: undefined, b: 1 });
    expect(Object.keys(obj)).toEqual(["a", "b"]);
    expect(obj.a).toBeUndefined();
  });

  test("symbol-keyed properties are ignored", () => {
    expect(roundTrip({ a: 1, [Symbol("s")]: 2 })).toEqual({ a: 1 });
  });

  test("object with a null prototype comes back as a plain object", () => {
    const o = Object.assign(Object.create(null), { x: 1 });
    expect(roundTrip(o)).toEqual({ x: 1 });
  });

  test("a DAG (repeated, non-cyclic reference) is fine and encoded twice", () => {
    const shared = { n: 1 };
    const back = roundTrip({ a: shared, b: [shared, shared] });
    expect(back).toEqual({ a: { n: 1 }, b: [{ n: 1 }, { n: 1 }] });
    expect(back.a).not.toBe(back.b[0]);
  });

  test("deep nesting (2000 levels) round-trips", () => {
    let deep: unknown[] = [];
    const root = deep;
    for (let i = 0; i < 2000; i++) {
      const next: unknown[] = [];
      deep.push(i, next);
      deep = next;
    }
    expect(roundTrip(root)).toEqual(root);
    // Each extension level (Map, Set, Error, class) is a nested decode, so they nest less deep than arrays.
    let map: unknown = "leaf";
    for (let i = 0; i < 500; i++) map = new Map([[i, map]]);
    expect(roundTrip(map)).toEqual(map);
  });
});

describe("extension types", () => {
  test("Date, including an invalid Date", () => {
    const d = new Date("2024-02-29T12:34:56.789Z");
    const back = roundTrip(d);
    expect(back).toBeInstanceOf(Date);
    expect(back.getTime()).toBe(d.getTime());
    const bad = roundTrip(new Date(NaN));
    expect(bad).toBeInstanceOf(Date);
    expect(Number.isNaN(bad.getTime())).toBe(true);
  });

  test.each([0n, 1n, -1n, 255n, 256n, -256n, 2n ** 63n, -(2n ** 64n), 2n ** 200n, -(2n ** 200n), 10n ** 1000n])("BigInt %p", (n) => {
    expect(roundTrip(n)).toBe(n);
  });

  test("Map with keys of any type, in insertion order", () => {
    const key = { k: 1 };
    const m = new Map<unknown, unknown>([
      ["z", 1],
      [1, "one"],
      [key, [1]],
      [undefined, null],
      [10n, new Date(0)],
      ["a", undefined],
    ]);
    const back = roundTrip(m);
    expect(back).toBeInstanceOf(Map);
    expect([...back.keys()]).toEqual(["z", 1, { k: 1 }, undefined, 10n, "a"]);
    expect([...back.values()]).toEqual([1, "one", [1], null, new Date(0), undefined]);
  });

  test("Set, empty collections, and Maps in Sets in arrays", () => {
    expect(roundTrip(new Set())).toEqual(new Set());
    expect(roundTrip(new Map())).toEqual(new Map());
    const value = [new Set([1, "a", new Map([["k", new Set([new Map([[1, [2n]]])])]])]), []];
    const back = roundTrip(value);
    expect(back).toEqual(value);
    const inner = [...(back[0] as Set<unknown>)][2] as Map<string, Set<Map<number, bigint[]>>>;
    expect(inner).toBeInstanceOf(Map);
    expect([...inner.get("k")!][0].get(1)).toEqual([2n]);
  });

  test("RegExp keeps source and flags", () => {
    for (const re of [/a+b/gi, /^x\/y$/msuy, new RegExp("", "d")]) {
      const back = roundTrip(re);
      expect(back).toBeInstanceOf(RegExp);
      expect(back.source).toBe(re.source);
      expect(back.flags).toBe(re.flags);
    }
  });

  test("Error keeps name, message, stack, cause chain and own fields", () => {
    const root = new RangeError("too big");
    const err = Object.assign(new Error("outer", { cause: new TypeError("middle", { cause: root }) }), { code: "E_X", detail: { n: 1n } });
    const back = roundTrip(err);
    expect(back).toBeInstanceOf(Error);
    expect(back.message).toBe("outer");
    expect(back.stack).toBe(err.stack);
    expect(back.code).toBe("E_X");
    expect(back.detail).toEqual({ n: 1n });
    const middle = back.cause as TypeError;
    expect(middle).toBeInstanceOf(TypeError);
    expect(middle.message).toBe("middle");
    expect(middle.cause).toBeInstanceOf(RangeError);
    expect((middle.cause as Error).message).toBe("too big");
    expect(Object.keys(back)).toEqual(["code", "detail"]);
  });

  test("a cause of any value, and no cause stays no cause", () => {
    expect(roundTrip(new Error("x", { cause: 42 })).cause).toBe(42);
    expect(Object.prototype.hasOwnProperty.call(roundTrip(new Error("x", { cause: undefined })), "cause")).toBe(true);
    expect(Object.prototype.hasOwnProperty.call(roundTrip(new Error("x")), "cause")).toBe(false);
  });

  test.each([TypeError, RangeError, SyntaxError, EvalError, ReferenceError, URIError])("%p is rebuilt as itself", (Ctor) => {
    const back = roundTrip(new Ctor("m"));
    expect(back).toBeInstanceOf(Ctor);
    expect(back.name).toBe(Ctor.name);
    expect(back.message).toBe("m");
  });

  test("AggregateError keeps .errors", () => {
    const back = roundTrip(new AggregateError([new Error("a"), "b"], "both"));
    expect(back).toBeInstanceOf(AggregateError);
    expect(back.message).toBe("both");
    expect(back.errors).toHaveLength(2);
    expect(back.errors[0]).toBeInstanceOf(Error);
    expect(back.errors[0].message).toBe("a");
    expect(back.errors[1]).toBe("b");
  });

  test("an unknown Error subclass comes back as its nearest built-in with its name", () => {
    class MyErr extends Error {
      constructor(message: string) {
        super(message);
        this.name = "MyErr";
      }
    }
    class MyTypeErr extends TypeError {}
    const back = roundTrip(new MyErr("mine"));
    expect(back).toBeInstanceOf(Error);
    expect(back).not.toBeInstanceOf(MyErr);
    expect(back.name).toBe("MyErr");
    expect(back.message).toBe("mine");
    expect(roundTrip(new MyTypeErr("t"))).toBeInstanceOf(TypeError);
  });

  test("a ScoopError comes back with its code and name", () => {
    const back = roundTrip(new SerializationError("nope", { path: "args[0]" }));
    expect(back.name).toBe("SerializationError");
    expect(back.code).toBe("SCOOP_UNSERIALIZABLE");
    expect(back.path).toBe("args[0]");
  });
});

describe("binary buffers", () => {
  const ctors = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];

  test.each(ctors)("%p round-trips inline and out of band, keeping its type", (Ctor) => {
    for (const length of [0, 3, 4096]) {
      const input = new (Ctor as any)(length) as ArrayLike<number | bigint> & ArrayBufferView;
      for (let i = 0; i < length; i++) (input as any)[i] = typeof (input as any)[0] === "bigint" ? BigInt(i * 7 - 3) : (i * 7 - 3) % 100;
      const frames = codec.encode(input);
      expect(frames.length).toBe(input.byteLength >= 4096 ? 2 : 1);
      const back = codec.decode(frames) as typeof input;
      expect(Object.getPrototypeOf(back)).toBe(Ctor.prototype);
      expect(back.byteLength).toBe(input.byteLength);
      expect(back).toEqual(input);
    }
  });

  test("a 1 MiB buffer travels out of band without a copy", () => {
    const big = new Float64Array(1 << 17);
    big.fill(1.25);
    const frames = codec.encode({ data: big, label: "x" });
    expect(frames.length).toBeGreaterThan(1);
    expect(frames[1].buffer).toBe(big.buffer);
    expect(frames[1].byteLength).toBe(1 << 20);
    expect(frames[0].byteLength).toBeLessThan(100);
    const back = codec.decode(frames) as { data: Float64Array; label: string };
    expect(back.label).toBe("x");
    expect(back.data).toBeInstanceOf(Float64Array);
    expect(back.data.length).toBe(1 << 17);
    expect(back.data.buffer).toBe(big.buffer); // aligned frame: a view, not a copy
  });

  test("Buffer stays Buffer, Uint8Array stays Uint8Array, inline and out of band", () => {
    for (const size of [5, 10_000]) {
      const buf = Buffer.alloc(size, 3);
      const u8 = new Uint8Array(size).fill(4);
      const back = roundTrip({ buf, u8 });
      expect(Buffer.isBuffer(back.buf)).toBe(true);
      expect(back.buf.equals(buf)).toBe(true);
      expect(Buffer.isBuffer(back.u8)).toBe(false);
      expect(Object.getPrototypeOf(back.u8)).toBe(Uint8Array.prototype);
      expect(back.u8).toEqual(u8);
    }
  });

  test("decoding from Buffer frames still gives Uint8Array for a Uint8Array", () => {
    const frames = codec.encode(new Uint8Array([1, 2, 3])).map((f) => Buffer.from(f));
    const back = codec.decode(frames);
    expect(Buffer.isBuffer(back)).toBe(false);
    expect(back).toEqual(new Uint8Array([1, 2, 3]));
  });

  test("small buffers are inline (one frame)", () => {
    const frames = codec.encode([new Float32Array(4), Buffer.alloc(10), new ArrayBuffer(8), new DataView(new ArrayBuffer(4))]);
    expect(frames).toHaveLength(1);
  });

  test("ArrayBuffer and DataView, inline and out of band", () => {
    for (const size of [16, 8192]) {
      const ab = new ArrayBuffer(size);
      new Uint8Array(ab).fill(9);
      const dv = new DataView(new ArrayBuffer(size + 8), 4, size);
      dv.setUint8(0, 200);
      const back = roundTrip({ ab, dv });
      expect(back.ab).toBeInstanceOf(ArrayBuffer);
      expect(new Uint8Array(back.ab)).toEqual(new Uint8Array(ab));
      expect(back.dv).toBeInstanceOf(DataView);
      expect(back.dv.byteLength).toBe(size);
      expect(back.dv.getUint8(0)).toBe(200);
    }
  });

  test("a typed array that views part of a larger buffer sends only its part", () => {
    const backing = new Float64Array(2000).map((_, i) => i);
    const part = backing.subarray(1000, 1600);
    const frames = codec.encode(part);
    expect(frames[1].byteLength).toBe(600 * 8);
    expect(codec.decode(frames)).toEqual(part);
  });

  test("an unaligned out-of-band frame is copied into an aligned array", () => {
    const input = new Float64Array(1024).map((_, i) => i / 3);
    const frames = codec.encode(input);
    const odd = new Uint8Array(frames[1].byteLength + 1);
    odd.set(frames[1], 1);
    const shifted = odd.subarray(1);
    expect(shifted.byteOffset % 8).not.toBe(0);
    const back = codec.decode([frames[0], shifted]) as Float64Array;
    expect(back).toBeInstanceOf(Float64Array);
    expect(back).toEqual(input);
    expect(back.buffer).not.toBe(odd.buffer);
  });

  test("outOfBandThreshold is configurable", () => {
    const c = new Codec({ outOfBandThreshold: 4 });
    expect(c.encode(new Uint8Array(4))).toHaveLength(2);
    expect(c.encode(new Uint8Array(3))).toHaveLength(1);
    expect(() => new Codec({ outOfBandThreshold: -1 })).toThrow(InvalidOptionError);
  });
});

describe("registered classes", () => {
  class Point {
    constructor(
      public x: number,
      public y: number,
    ) {}
    norm(): number {
      return Math.hypot(this.x, this.y);
    }
  }

  test("default encoding copies own fields and restores the prototype", () => {
    const c = new Codec();
    c.registerClass(Point);
    const back = roundTrip({ p: new Point(3, 4), list: [new Point(1, 0)] }, c);
    expect(back.p).toBeInstanceOf(Point);
    expect(back.p.norm()).toBe(5);
    expect(back.list[0]).toBeInstanceOf(Point);
  });

  test("custom encode/decode", () => {
    class Money {
      constructor(readonly cents: bigint, readonly currency: string) {}
    }
    const c = new Codec();
    c.registerClass(Money, { name: "app.Money", encode: (m) => [m.cents, m.currency], decode: ([cents, currency]) => new Money(cents, currency) });
    const back = roundTrip(new Money(12345678901234567890n, "EUR"), c);
    expect(back).toBeInstanceOf(Money);
    expect(back.cents).toBe(12345678901234567890n);
    expect(back.currency).toBe("EUR");
  });

  test("a registered Map subclass or typed array subclass is honoured", () => {
    class Registry extends Map<string, number> {}
    const c = new Codec();
    c.registerClass(Registry, { encode: (r) => [...r], decode: (entries) => new Registry(entries) });
    const back = roundTrip(new Registry([["a", 1]]), c);
    expect(back).toBeInstanceOf(Registry);
    expect(back.get("a")).toBe(1);
  });

  test("an encode hook may call encode itself; a throwing hook is reported with its path", () => {
    class Wrapper {
      constructor(readonly inner: unknown) {}
    }
    const c = new Codec();
    c.registerClass(Wrapper, { encode: (w) => c.encode(w.inner), decode: (frames) => new Wrapper(c.decode(frames)) });
    const back = roundTrip([new Wrapper(new Map([[1, new Wrapper("deep")]]))], c);
    expect(back[0]).toBeInstanceOf(Wrapper);
    expect((back[0].inner as Map<number, Wrapper>).get(1)!.inner).toBe("deep");

    class Grumpy {}
    c.registerClass(Grumpy, {
      encode: () => {
        throw new Error("no thanks");
      },
    });
    const err = serializationError(() => c.encode({ g: new Grumpy() }, "args"));
    expect(err.path).toBe("args.g");
    expect(err.message).toContain("no thanks");
  });

  test("two classes under one name is an error; registering the same class twice is not", () => {
    const c = new Codec();
    c.registerClass(Point);
    expect(() => c.registerClass(Point)).not.toThrow();
    class Other {}
    let thrown: unknown;
    try {
      c.registerClass(Other, { name: "Point" });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect(thrown).toBeInstanceOf(ScoopError);
    expect((thrown as ScoopError).code).toBe("SCOOP_INVALID_OPTION");
    expect((thrown as Error).message).toContain('"Point"');
  });

  test("an instance of a class not registered on the decoding side is malformed", () => {
    const sender = new Codec();
    sender.registerClass(Point);
    const e = malformed(new Codec(), sender.encode(new Point(1, 2)));
    expect(e.message).toContain("Point");
  });
});

describe("functions", () => {
  function square(x: number): number {
    return x * x;
  }
  const naming: FunctionNaming = {
    nameOf: (fn) => (fn === square ? "square" : undefined),
    byName: (name) => (name === "square" ? square : undefined),
  };

  test("a named function travels by name", () => {
    const c = new Codec({ functions: naming });
    const back = roundTrip({ f: square, args: [3] }, c);
    expect(back.f).toBe(square);
  });

  test("a name unknown to the decoding process is a SerializationError", () => {
    const sender = new Codec({ functions: naming });
    const err = serializationError(() => new Codec().decode(sender.encode(square)));
    expect(err.message).toContain('"square"');
  });

  test("an unnamed function is unserializable, with its path", () => {
    const args = [{ items: [0, 1, 2, { callback: () => 1 }] }];
    const err = serializationError(() => new Codec({ functions: naming }).encode(args, "args"));
    expect(err.path).toBe("args[0].items[3].callback");
    expect(err.message.startsWith("args[0].items[3].callback is a function")).toBe(true);
    expect(serializationError(() => codec.encode(square)).path).toBe("value");
  });
});

describe("what cannot be sent fails with a path", () => {
  class Point {
    x = 1;
  }

  test.each<[string, unknown, string]>([
    ["a symbol", { s: Symbol("x") }, "v.s"],
    ["an unregistered class", [{ point: new Point() }], "v[0].point"],
    ["a WeakMap", { w: new WeakMap() }, "v.w"],
    ["a WeakSet", [new WeakSet()], "v[0]"],
    ["a Promise", { "key with space": Promise.resolve(1) }, 'v["key with space"]'],
    ["a function in a Map value", new Map([["k", () => 1]]), 'v.get("k")'],
    ["a function as a Map key", new Map([[() => 1, 1]]), "v.keys()[0]"],
    ["a symbol in a Set", new Set([1, Symbol("s")]), "v[Set #1]"],
    ["a function in an error field", Object.assign(new Error("e"), { fn: () => 1 }), "v.fn"],
    ["a function in an error cause", new Error("e", { cause: { fn: () => 1 } }), "v.cause.fn"],
    ["a subclass of Map", { m: new (class Registry extends Map {})() }, "v.m"],
    ["a boxed number", { n: new Number(1) }, "v.n"],
  ])("%s", (_, value, path) => {
    const err = serializationError(() => codec.encode(value, "v"));
    expect(err.path).toBe(path);
    expect(err.message.startsWith(path + " ")).toBe(true);
  });

  test("an unregistered class names the class and registerClass", () => {
    const err = serializationError(() => codec.encode([{ point: new Point() }], "args"));
    expect(err.message).toContain("class Point");
    expect(err.message).toContain("registerClass(Point)");
  });

  test("a cycle names where it loops back to", () => {
    const node: Record<string, unknown> = { name: "n" };
    node.self = node;
    const err = serializationError(() => codec.encode([node], "args"));
    expect(err.path).toBe("args[0].self");
    expect(err.message).toContain("cycle back to args[0]");
  });

  test("a cycle through a Map, a Set and an Error cause", () => {
    const m = new Map<string, unknown>();
    m.set("me", [m]);
    expect(serializationError(() => codec.encode(m, "v")).path).toBe('v.get("me")[0]');
    const s = new Set<unknown>();
    s.add({ s });
    expect(serializationError(() => codec.encode(s, "v")).path).toBe("v[Set #0].s");
    const e = new Error("loop");
    (e as { cause?: unknown }).cause = e;
    expect(serializationError(() => codec.encode(e, "v")).path).toBe("v.cause");
  });

  test("the codec stays usable after a failure", () => {
    serializationError(() => codec.encode({ f: () => 1 }));
    expect(roundTrip({ ok: [1, 2, 3] })).toEqual({ ok: [1, 2, 3] });
  });
});

describe("decode rejects malformed input with a ProtocolError", () => {
  test("empty frame list, empty or non-binary frame 0", () => {
    malformed(codec, []);
    malformed(codec, [new Uint8Array(0)]);
    malformed(codec, ["text"]);
    malformed(codec, null);
  });

  test("truncated msgpack", () => {
    const frame = codec.encode({ a: "hello", b: [1, 2, 3] })[0];
    for (let n = 1; n < frame.byteLength; n++) malformed(codec, [frame.subarray(0, n)]);
  });

  test("extra bytes after the value", () => {
    malformed(codec, [new Uint8Array([0x01, 0x02])]);
  });

  test("out-of-band index out of range and bad sizes", () => {
    const frames = codec.encode(new Float64Array(1024));
    expect(malformed(codec, [frames[0]]).message).toMatch(/frame 1/);
    malformed(codec, [frames[0], frames[1].subarray(0, 12)]);
  });

  test("wrong extension payloads", () => {
    const ext = (type: number, ...data: number[]) => [new Uint8Array([0xc7, data.length, type, ...data])];
    malformed(codec, ext(1, 1, 2, 3)); // Date of 3 bytes
    malformed(codec, ext(2)); // BigInt without magnitude
    malformed(codec, ext(3, 0x91, 0x01)); // Map of an odd-length array
    malformed(codec, ext(4, 0x01)); // Set of a number
    malformed(codec, ext(5, 0x92, 0xa1, 0x28, 0xa0)); // RegExp "(" is invalid
    malformed(codec, ext(6, 0x90)); // Error of []
    malformed(codec, ext(7, 0x92, 0xa1, 0x51, 0xc0)); // unregistered class "Q"
    malformed(codec, ext(9, 0, 0, 0, 0, 7)); // out-of-band frame 7
    malformed(codec, ext(10, 99, 1)); // unknown binary kind
    malformed(codec, ext(10, 5, 1, 2, 3)); // Int16Array of 3 bytes
    malformed(codec, ext(100)); // unknown extension type
    malformed(codec, [new Uint8Array([0xd6, 0xff, 0, 0, 0, 0])]); // msgpack timestamp: not ours
    malformed(codec, [new Uint8Array([0x81, 0xa9, ...Buffer.from("__proto__"), 0x01])]);
  });

  test("random bytes: a value or a ProtocolError, never anything else", () => {
    const random = rng(12345);
    const sample = codec.encode({ a: [1, 2.5, "x", new Map([[1, new Set([2n])]])], d: new Date(0), e: new Error("e"), u: undefined, b: new Int32Array(3) })[0];
    for (let i = 0; i < 1000; i++) {
      let bytes: Uint8Array;
      if (i % 2 === 0) {
        bytes = new Uint8Array(1 + Math.floor(random() * 64));
        for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
      } else {
        // Mutate a valid payload: more likely to reach the extension decoders.
        bytes = sample.slice();
        for (let k = 0; k < 3; k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      try {
        codec.decode([bytes]);
      } catch (error) {
        expect(error).toBeInstanceOf(ProtocolError);
        expect((error as ProtocolError).code).toBe("SCOOP_MALFORMED_PAYLOAD");
      }
    }
  });
});

describe("speed", () => {
  test("small values encode quickly (one reused writer, no pre-walk)", () => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < 100_000; i++) codec.encode([1, 2, 3]);
    const perCallNs = Number(process.hrtime.bigint() - start) / 100_000;
    expect(perCallNs).toBeLessThan(20_000); // generous: catches accidental O(heavy) work, not a benchmark
  });
});
