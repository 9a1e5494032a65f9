import { decode, encode } from "@msgpack/msgpack";
import { decodeMessage, encodeMessage, type Header } from "../../src/messages.js";
import { PACK_EXT_BYTES, PACK_ITEM_MAX_BYTES, PACK_MAX_BYTES, PACK_RECORD_BYTES } from "../../src/packed-batch.js";
import { ProtocolError } from "../../src/errors.js";
import { codeOf } from "./code-of.js";

const toBuffers = (frames: Uint8Array[]) => frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength));
const bytes = (n: number, fill = 1) => Buffer.alloc(n, fill);


/** A valid packed SUBMIT of three one-frame tasks, the table rewritten by `mutate`. */
function tampered(mutate: (table: DataView, header: Record<string, any>) => void, payload: Buffer[] = [bytes(3, 1), bytes(4, 2), bytes(5, 3)]): Buffer[] {
  const header: Header = { t: "SUBMIT", tasks: payload.map((_, i) => ({ id: i + 1, name: "sq", frames: 1, retries: 0 })) };
  const [head, ...rest] = toBuffers(encodeMessage(header, payload));
  const h = decode(head) as Record<string, any>;
  h.tab = Uint8Array.from(h.tab as Uint8Array);
  mutate(new DataView(h.tab.buffer), h);
  return [Buffer.from(encode(h)), ...rest];
}
const OFFSET = 8;
const LENGTH = 12;
const OWN = 16;
const AUX = 20;
const S1 = 24;

describe("packed batches", () => {
  test("a batch of 4,096 small tasks travels as 2 frames, and decodes to the unpacked shape", () => {
    const tasks = Array.from({ length: 4096 }, (_, i) => ({ id: i, name: i % 2 ? "odd" : "even", frames: 1, retries: 3 }));
    const payload = tasks.map((_, i) => Buffer.from([0x91, i & 0x7f]));
    const frames = encodeMessage({ t: "SUBMIT", tasks }, payload);
    expect(frames).toHaveLength(2);
    expect(frames[0].byteLength).toBeLessThan(4096 * PACK_RECORD_BYTES + 64);
    const back = decodeMessage(toBuffers(frames));
    expect(back.header).toEqual({ t: "SUBMIT", tasks });
    expect(back.payload).toEqual(payload);
  });

  test("every batched type round-trips: apps, ok flags, workers, hosts, items with no frames", () => {
    const cases: Array<[Header, number]> = [
      [{ t: "SUBMIT", tasks: [{ id: 1, name: "a", frames: 1, retries: 2, app: "other" }, { id: 2 ** 40, name: "b", frames: 0, retries: 0 }] }, 1],
      [{ t: "DISPATCH", tasks: [{ key: 7, name: "a", frames: 2, attempt: 3 }, { key: 8, name: "a", frames: 1, attempt: 1, app: "x" }] }, 3],
      [{ t: "RESULT", results: [{ key: 7, ok: true, frames: 1 }, { key: 8, ok: false, frames: 1 }] }, 2],
      [{ t: "DELIVER", results: [{ id: 1, ok: true, frames: 1, worker: "w1", host: "h1" }, { id: 2, ok: false, frames: 1, worker: "w2", host: "h1" }] }, 2],
    ];
    for (const [header, count] of cases) {
      const payload = Array.from({ length: count }, (_, i) => bytes(i + 1, i));
      const back = decodeMessage(toBuffers(encodeMessage(header, payload)));
      expect(back.header).toStrictEqual(header);
      expect(back.payload).toEqual(payload);
    }
  });

  test("priorities and random streams travel in the extension table; an unknown item field sends the batch unpacked", () => {
    const rng = "0123456789abcdef0123456789abcdef";
    const submit: Header = { t: "SUBMIT", tasks: [{ id: 1, name: "a", frames: 1, retries: 0, priority: -1_000_000, rng, parent: 2 ** 40, map: 3, total: 7 }, { id: 2, name: "a", frames: 1, retries: 0 }] };
    const dispatch: Header = { t: "DISPATCH", tasks: [{ key: 1, name: "a", frames: 1, attempt: 1, rng }] };
    for (const header of [submit, dispatch]) {
      const frames = encodeMessage(header, [bytes(2), bytes(2)].slice(0, header.tasks.length));
      expect(decode(frames[0])).toHaveProperty("ext");
      expect(decodeMessage(toBuffers(frames)).header).toStrictEqual(header);
    }
    const future = { t: "SUBMIT", tasks: [{ id: 1, name: "a", frames: 1, retries: 0, deadline: 5 }] } as unknown as Header;
    const frames = encodeMessage(future, [bytes(2)]);
    expect(decode(frames[0])).not.toHaveProperty("tab");
    expect(decodeMessage(toBuffers(frames)).header).toEqual(future);
  });

  test("elsewhere travels as an extension flag (true only; any other value sends the batch unpacked, as given)", () => {
    const submit: Header = { t: "SUBMIT", tasks: [{ id: 1, name: "a", frames: 1, retries: 0, elsewhere: true }, { id: 2, name: "a", frames: 1, retries: 0, rng: "0123456789abcdef0123456789abcdef", elsewhere: true }, { id: 3, name: "a", frames: 1, retries: 0 }] };
    const frames = encodeMessage(submit, [bytes(2), bytes(3), bytes(4)]);
    expect(decode(frames[0])).toHaveProperty("ext");
    expect(decodeMessage(toBuffers(frames)).header).toStrictEqual(submit);
    const unflagged: Header = { t: "SUBMIT", tasks: [{ id: 1, name: "a", frames: 1, retries: 0, elsewhere: false }] };
    const plain = encodeMessage(unflagged, [bytes(2)]);
    expect(decode(plain[0])).not.toHaveProperty("tab");
    expect(decodeMessage(toBuffers(plain)).header).toStrictEqual(unflagged);
  });

  test("a chunk's calls count travels in the extension record, with its map", () => {
    const submit: Header = { t: "SUBMIT", tasks: [{ id: 1, name: "scoop:chunk:a", frames: 1, retries: 3, map: 4, total: 5000, calls: 1024 }, { id: 2, name: "scoop:chunk:a", frames: 1, retries: 3, map: 4, calls: 17 }] };
    const frames = encodeMessage(submit, [bytes(2), bytes(3)]);
    expect(decode(frames[0])).toHaveProperty("ext");
    expect(decodeMessage(toBuffers(frames)).header).toStrictEqual(submit);
  });

  test("large buffers keep their own frame (same memory); the pack stays bounded", () => {
    const big = bytes(PACK_ITEM_MAX_BYTES + 1, 9);
    const small = bytes(10, 1);
    const frames = encodeMessage({ t: "RESULT", results: [{ key: 1, ok: true, frames: 2 }, { key: 2, ok: true, frames: 1 }] }, [small, big, small]);
    expect(frames).toHaveLength(3); // header, pack (both smalls), the big one
    expect(frames[2]).toBe(big);
    expect(decodeMessage(toBuffers(frames)).payload).toEqual([small, big, small]);

    const many = Array.from({ length: PACK_MAX_BYTES / PACK_ITEM_MAX_BYTES + 10 }, () => bytes(PACK_ITEM_MAX_BYTES, 2));
    const results = many.map((_, i) => ({ key: i, ok: true, frames: 1 }));
    const out = encodeMessage({ t: "RESULT", results }, many);
    expect(out[1].byteLength).toBe(PACK_MAX_BYTES);
    expect(out).toHaveLength(2 + 10); // the last ten keep their own frames
    const back = decodeMessage(toBuffers(out)).payload;
    expect(back).toHaveLength(many.length);
    expect(Buffer.concat(back).equals(Buffer.concat(many))).toBe(true); // (toEqual on hundreds of buffers is slow)
  });

  test("frame counts that do not add up fall back to the unpacked form, which the receiver rejects", () => {
    const frames = toBuffers(encodeMessage({ t: "SUBMIT", tasks: [{ id: 1, name: "a", frames: 2, retries: 0 }] }, [Buffer.from([1])]));
    expect(codeOf(frames)).toBe("SCOOP_MALFORMED_MESSAGE");
  });
});

describe("a packed batch is validated strictly (SCOOP_MALFORMED_MESSAGE)", () => {
  test("the valid base case decodes", () => {
    expect(decodeMessage(tampered(() => undefined)).header).toMatchObject({ t: "SUBMIT" });
  });

  test.each<[string, (v: DataView, h: Record<string, any>) => void, RegExp]>([
    ["offset out of range", (v) => v.setUint32(2 * PACK_RECORD_BYTES + LENGTH, 999, true), /out of range/],
    ["offsets overlapping", (v) => v.setUint32(PACK_RECORD_BYTES + OFFSET, 1, true), /overlaps/],
    ["a gap between items", (v) => v.setUint32(PACK_RECORD_BYTES + OFFSET, 5, true), /gap/],
    ["items not covering the pack", (v) => v.setUint32(2 * PACK_RECORD_BYTES + LENGTH, 4, true), /cover 11 bytes of the 12-byte pack/],
    ["item count not matching the table", (_, h) => (h.n = 4), /table holds/],
    ["own frames miscounted (too many)", (v) => v.setUint32(OWN, 1, true), /owns 1 frames/],
    ["string index outside the table", (v) => v.setUint16(S1, 5, true), /outside the string table/],
    ["an id that is not a safe integer", (v) => v.setFloat64(0, -1, true), /safe integer/],
    ["a table that is not binary", (_, h) => (h.tab = "x"), /not binary/],
    ["a string table of non-strings", (_, h) => (h.s = [1]), /string table/],
    ["an extension table of the wrong size", (_, h) => (h.ext = new Uint8Array(5)), /extension table/],
    ["unknown extension flags", (_, h) => (h.ext = new Uint8Array(3 * PACK_EXT_BYTES).fill(128)), /extension flags/],
  ])("%s", (_, mutate, reason) => {
    const frames = tampered(mutate);
    expect(codeOf(frames)).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(() => decodeMessage(frames)).toThrow(reason);
  });

  test("an extra or a missing frame after the pack", () => {
    const frames = tampered(() => undefined);
    expect(codeOf([...frames, bytes(1)])).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(codeOf(frames.slice(0, 1))).toBe("SCOOP_MALFORMED_MESSAGE");
  });

  test("ok flags other than 0/1 and strings on a RESULT", () => {
    const base = toBuffers(encodeMessage({ t: "RESULT", results: [{ key: 1, ok: true, frames: 1 }] }, [bytes(2)]));
    const rewrite = (at: number, value: number, width: 2 | 4) => {
      const h = decode(base[0]) as Record<string, any>;
      const tab = Uint8Array.from(h.tab as Uint8Array);
      const v = new DataView(tab.buffer);
      if (width === 2) v.setUint16(at, value, true);
      else v.setUint32(at, value, true);
      return [Buffer.from(encode({ ...h, tab })), ...base.slice(1)];
    };
    expect(codeOf(rewrite(AUX, 2, 4))).toBe("SCOOP_MALFORMED_MESSAGE");
    expect(codeOf(rewrite(S1, 0, 2))).toBe("SCOOP_MALFORMED_MESSAGE");
  });

  test("fuzz: 5,000 random table and frame corruptions never escape as anything but ProtocolError, and what is accepted is consistent", () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const big = bytes(PACK_ITEM_MAX_BYTES + 1, 5);
    const base = toBuffers(
      encodeMessage(
        { t: "DELIVER", results: [{ id: 1, ok: true, frames: 2, worker: "w", host: "h" }, { id: 2, ok: false, frames: 1, worker: "w", host: "h2" }, { id: 3, ok: true, frames: 1, worker: "v", host: "h" }] },
        [bytes(3, 1), big, bytes(4, 2), bytes(5, 3)],
      ),
    );
    const h0 = decode(base[0]) as Record<string, any>;
    let accepted = 0;
    for (let i = 0; i < 5_000; i++) {
      const tab = Uint8Array.from(h0.tab as Uint8Array);
      for (let k = 0, flips = 1 + Math.floor(rand() * 3); k < flips; k++) tab[Math.floor(rand() * tab.length)] = Math.floor(rand() * 256);
      const h = { ...h0, tab, n: rand() < 0.1 ? Math.floor(rand() * 5) : h0.n };
      let rest = base.slice(1);
      if (rand() < 0.1) rest = rest.slice(0, Math.floor(rand() * rest.length));
      if (rand() < 0.1) rest = [rest[0]?.subarray(0, Math.floor(rand() * rest[0].length)) ?? bytes(0), ...rest.slice(1)];
      try {
        const m = decodeMessage([Buffer.from(encode(h)), ...rest]);
        accepted++;
        const results = (m.header as Extract<Header, { t: "DELIVER" }>).results;
        if (m.payload.length !== results.reduce((sum, r) => sum + r.frames, 0) || !m.payload.every((p) => p instanceof Buffer)) {
          throw new Error(`accepted an inconsistent batch: ${JSON.stringify(results)}`);
        }
      } catch (error) {
        if (!(error instanceof ProtocolError && error.code === "SCOOP_MALFORMED_MESSAGE")) throw error;
      }
    }
    expect(accepted).toBeGreaterThan(0); // flips in ids, retries and reserved-range bytes are legal
  });
});
