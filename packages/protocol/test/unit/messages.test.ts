import { encode } from "@msgpack/msgpack";
import { decodeMessage, encodeMessage, MAX_HEADER_BYTES, PROTOCOL_VERSION, type Header } from "../../src/messages.js";
import { ProtocolError } from "../../src/errors.js";
import { codeOf } from "./code-of.js";

const toBuffers = (frames: Uint8Array[]) => frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength));


const samples: Array<[Header, number]> = [
  [{ t: "HELLO", id: "w1", role: "worker", host: "h", pid: 12, app: "run", tasks: ["a", "b"] }, 0],
  [{ t: "WELCOME", broker: "b", heartbeatMs: 1000, livenessMs: 5000 }, 0],
  [{ t: "REFUSED", code: "SCOOP_PROTOCOL_VERSION", message: "no" }, 0],
  [{ t: "SUBMIT", tasks: [{ id: 1, name: "sq", frames: 1, retries: 3 }, { id: 2, name: "sq", frames: 2, retries: 0 }] }, 3],
  [{ t: "SUBMIT", tasks: [{ id: 3, name: "sq", frames: 0, retries: 0, priority: -5, rng: "0123456789abcdef0123456789abcdef" }] }, 0],
  [{ t: "DISPATCH", tasks: [{ key: 9, name: "sq", frames: 1, attempt: 1 }] }, 1],
  [{ t: "DISPATCH", tasks: [{ key: 9, name: "sq", frames: 0, attempt: 2, rng: "0123456789abcdef0123456789abcdef" }] }, 0],
  [{ t: "CREDIT", n: 4 }, 0],
  [{ t: "CREDIT", n: 0, idle: true }, 0],
  [{ t: "RESULT", results: [{ key: 9, ok: true, frames: 1 }] }, 1],
  [{ t: "DELIVER", results: [{ id: 1, ok: false, frames: 1, worker: "w1", host: "h" }] }, 1],
  [{ t: "CANCEL", ids: [1, 2] }, 0],
  [{ t: "ABORT", keys: [9] }, 0],
  [{ t: "RECLAIM", n: 3 }, 0],
  [{ t: "SUBMIT", tasks: [{ id: 1, name: "sq", frames: 0, retries: 0, elsewhere: true }] }, 0],
  [{ t: "RETURN", keys: [9, 10] }, 0],
  [{ t: "CONST_SET", name: "k", frames: 2 }, 2],
  [{ t: "CONST", name: "k", frames: 1 }, 1],
  [{ t: "HEARTBEAT" }, 0],
  [{ t: "HEARTBEAT", of: "w1" }, 0],
  [{ t: "TASKS", tasks: ["late"] }, 0],
  [{ t: "SHUTDOWN", code: -1 }, 0],
  [{ t: "BYE" }, 0],
  [{ t: "ERROR", code: "SCOOP_X", message: "m", ref: 3 }, 0],
  [{ t: "ERROR", code: "SCOOP_X", message: "m" }, 0],
  [{ t: "ERROR", code: "SCOOP_CONST_EXISTS", message: "m", name: "answer" }, 0],
];

describe("encodeMessage / decodeMessage", () => {
  test.each(samples)("round-trips %o", (header, payloadCount) => {
    const payload = Array.from({ length: payloadCount }, (_, i) => Buffer.from([i, 1, 2]));
    const { header: back, payload: got } = decodeMessage(toBuffers(encodeMessage(header, payload)));
    expect(back).toEqual(header);
    expect(got).toEqual(payload);
  });

  test("payload frames pass through untouched (same memory)", () => {
    const big = Buffer.alloc(1 << 16, 7);
    const frames = encodeMessage({ t: "CONST", name: "x", frames: 1 }, [big]);
    expect(frames[1]).toBe(big);
  });
});

describe("decodeMessage rejects bad input with a ProtocolError", () => {
  const header = (h: Record<string, unknown>) => Buffer.from(encode(h));

  test("no frames or an empty header", () => {
    expect(codeOf([])).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(codeOf([Buffer.alloc(0)])).toBe("SCOOP_MALFORMED_MESSAGE");
  });

  test("wrong protocol version says which versions meet", () => {
    const frames = [header({ v: PROTOCOL_VERSION + 1, t: "HEARTBEAT" })];
    expect(codeOf(frames)).toBe("SCOOP_PROTOCOL_VERSION");
    expect(() => decodeMessage(frames)).toThrow(/version 2.*version 1/);
    expect(codeOf([header({ t: "HEARTBEAT" })])).toBe("SCOOP_PROTOCOL_VERSION");
  });

  test("unknown type, missing and ill-typed fields", () => {
    expect(codeOf([header({ v: 1, t: "NOPE" })])).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(codeOf([header({ v: 1, t: "CREDIT" })])).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(codeOf([header({ v: 1, t: "CREDIT", n: -1 })])).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(codeOf([header({ v: 1, t: "CREDIT", n: 1.5 })])).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(codeOf([header({ v: 1, t: "SUBMIT", tasks: [{ id: 1, name: 5, frames: 0, retries: 0 }] })])).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(codeOf([header({ v: 1, t: "SUBMIT", tasks: [{ id: 1, name: "f", frames: 0, retries: 0, priority: 1.5 }] })])).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(codeOf([header({ v: 1, t: "SUBMIT", tasks: [{ id: 1, name: "f", frames: 0, retries: 0, priority: 2e6 }] })])).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(codeOf([header({ v: 1, t: "SUBMIT", tasks: [{ id: 1, name: "f", frames: 0, retries: 0, rng: "XYZ" }] })])).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(codeOf([header({ v: 1, t: "HELLO", id: "w", role: "king", host: "h", pid: 1, app: "a", tasks: [] })])).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(codeOf([header({ v: 1, t: "ERROR", code: "X", message: "m", ref: "x" })])).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(codeOf([header({ v: 1, t: "ERROR", code: "X", message: "m", name: 3 })])).toBe("SCOOP_MALFORMED_MESSAGE");
  });

  test("not a map: arrays, scalars, prototype keys", () => {
    expect(codeOf([Buffer.from(encode([1, "HEARTBEAT"]))])).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(codeOf([Buffer.from(encode(42))])).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(codeOf([header({ v: 1, t: "constructor" })])).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(codeOf([header({ v: 1, t: "toString" })])).toBe("SCOOP_MALFORMED_MESSAGE");
  });

  test("payload frame count must match the header", () => {
    const frames = toBuffers(encodeMessage({ t: "SUBMIT", tasks: [{ id: 1, name: "a", frames: 2, retries: 0 }] }, [Buffer.from([1])]));
    expect(codeOf(frames)).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(codeOf([header({ v: 1, t: "HEARTBEAT" }), Buffer.from([1])])).toBe("SCOOP_MALFORMED_MESSAGE");
  });

  test("oversized header", () => {
    expect(codeOf([Buffer.alloc(MAX_HEADER_BYTES + 1, 0x90)])).toBe("SCOOP_MESSAGE_TOO_LARGE");
  });

  test("8,000 random and truncated frames never escape as anything but ProtocolError", () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const valid = samples.map(([h, n]) => toBuffers(encodeMessage(h, Array.from({ length: n }, () => Buffer.from([1])))));
    for (let i = 0; i < 8000; i++) {
      let frames: Buffer[];
      if (i % 2 === 0) {
        frames = [Buffer.from(Array.from({ length: Math.floor(rand() * 64) + 1 }, () => Math.floor(rand() * 256)))];
      } else {
        const v = valid[i % valid.length];
        const cut = Math.floor(rand() * v[0].length);
        frames = [v[0].subarray(0, cut), ...v.slice(1)];
      }
      try {
        decodeMessage(frames);
      } catch (error) {
        expect(error).toBeInstanceOf(ProtocolError);
      }
    }
  });
});
