/** The Philox generator against Random123's known answers, and the stream's draws and splits. */
import { philox4x32, RandomStream } from "../../src/random-stream.js";

const hex = (words: Uint32Array) => [...words].map((w) => w.toString(16).padStart(8, "0")).join(" ");

describe("philox4x32-10", () => {
  it("matches the Random123 known-answer vectors", () => {
    expect(hex(philox4x32([0, 0, 0, 0], [0, 0]))).toBe("6627e8d5 e169c58d bc57ac4c 9b00dbd8");
    expect(hex(philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff]))).toBe("408f276d 41c83b0e a20bc7c6 6d5451fd");
    expect(hex(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]))).toBe("d16cfe09 94fdcceb 5001e420 24126ea1");
  });
});

describe("RandomStream", () => {
  it("is a pure function of its id: same id, same numbers", () => {
    const a = RandomStream.fromSeed(42);
    const b = new RandomStream(a.toString());
    const xs = Array.from({ length: 100 }, () => a.random());
    expect(Array.from({ length: 100 }, () => b.random())).toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });

  it("different seeds and different children give different numbers; children are positional", () => {
    expect(RandomStream.fromSeed(1).random()).not.toBe(RandomStream.fromSeed(2).random());
    const root = RandomStream.fromSeed(7);
    const first = root.split();
    const second = root.split();
    expect(first).not.toBe(second);
    expect(first).toBe(RandomStream.fromSeed(7).child(0));
    // Drawing numbers does not move the children: they depend on position only.
    const other = RandomStream.fromSeed(7);
    other.random();
    expect(other.split()).toBe(first);
    expect(new RandomStream(first).random()).not.toBe(new RandomStream(second).random());
  });

  it("draws uniform floats, unbiased integers and standard normals", () => {
    const s = RandomStream.fromSeed(2026);
    const n = 20000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += s.random();
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
    const counts = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 6000; i++) counts[s.int(1, 7) - 1]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
    const big = s.int(0, 2 ** 53 - 1);
    expect(Number.isSafeInteger(big)).toBe(true);
    let m = 0;
    let m2 = 0;
    for (let i = 0; i < n; i++) {
      const z = s.normal();
      m += z;
      m2 += z * z;
    }
    expect(Math.abs(m / n)).toBeLessThan(0.05);
    expect(Math.abs(m2 / n - 1)).toBeLessThan(0.05);
    expect(() => s.int(3, 3)).toThrow(expect.objectContaining({ code: "SCOOP_INVALID_OPTION" }));
  });

  it("refuses bad seeds and ids with a clear error", () => {
    expect(() => RandomStream.fromSeed(-1)).toThrow(expect.objectContaining({ code: "SCOOP_INVALID_OPTION" }));
    expect(() => RandomStream.fromSeed(1.5)).toThrow(/non-negative integer/);
    expect(() => new RandomStream("xyz")).toThrow(/32 lowercase hex/);
  });
});
