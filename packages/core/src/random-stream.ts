/**
 * Reproducible random streams: Philox4x32-10 (Salmon et al., "Parallel random
 * numbers: as easy as 1, 2, 3", SC 2011), a counter-based generator.
 *
 * Why counter-based: the n-th number of a stream is a pure function of
 * (stream id, n), so a stream needs no state shipped between processes, a
 * retried task re-draws exactly what its first attempt drew, and *splitting*
 * (a child stream for the n-th task a task submits) is one more evaluation of
 * the same function in a separate counter domain. Which worker runs a task,
 * or when, cannot change a number. Philox passes TestU01's BigCrush, is the
 * generator of cuRAND, numpy (`Philox`) and Random123, and needs only 32-bit
 * multiplies (`Math.imul`), so it is fast in JavaScript without BigInt.
 *
 * A stream id is 128 bits: 64 bits of Philox key and the upper 64 bits of
 * the counter. Draws use counters `(i, 0 ≤ hi < 2^31)`; the id of child `n`
 * is the output block at counter `(n, 2^31 | n_hi)` of its parent. Philox is
 * a bijection of the counter for a fixed key, so siblings never collide;
 * streams of different parents collide only by a 128-bit chance.
 */
import { InvalidOptionError } from "@scoop/protocol";

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO32 = 4294967296;
const TWO53 = 9007199254740992;
const CHILD_DOMAIN = 0x80000000;

/** High 32 bits of the 64-bit product of two uint32 (exact: 16-bit halves). */
function mulhi(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const lh = al * bh;
  const hl = ah * bl;
  const mid = ((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/**
 * Philox4x32-10: the block for `counter` under `key` (both arrays of uint32),
 * written into `out` (4 words).
 */
export function philox4x32(counter: ArrayLike<number>, key: ArrayLike<number>, out: Uint32Array = new Uint32Array(4)): Uint32Array {
  let c0 = counter[0] >>> 0;
  let c1 = counter[1] >>> 0;
  let c2 = counter[2] >>> 0;
  let c3 = counter[3] >>> 0;
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
  return out;
}

/** Largest seed accepted: seeds are non-negative safe integers. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/** Check a seed (`where` names the option in the error). */
export function checkSeed(seed: unknown, where: string): number {
  if (typeof seed === "string" && /^\d+$/.test(seed.trim())) seed = Number(seed.trim());
  if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0) {
    throw new InvalidOptionError(`${where} must be a non-negative integer up to ${MAX_SEED} (got ${JSON.stringify(seed)})`);
  }
  return seed;
}

/**
 * A deterministic stream of random numbers, identified by 128 bits. Get the
 * running task's with `currentTask().stream` (or `currentTask().random()`),
 * the program's own (outside tasks) with `randomStream()`.
 */
export class RandomStream {
  private readonly id: Uint32Array;
  private readonly block = new Uint32Array(4);
  /** Next block index of draws. */
  private blockIndex = 0;
  /** Words of `block` used (4: take a new block). */
  private used = 4;
  /** Children split off so far. */
  private children = 0;
  private spare?: number;

  /** @param id 128-bit stream id: 4 uint32 words, or 32 hex digits. */
  constructor(id: ArrayLike<number> | string) {
    if (typeof id === "string") {
      if (!/^[0-9a-f]{32}$/.test(id)) throw new InvalidOptionError(`a random stream id is 32 lowercase hex digits (got ${JSON.stringify(id)})`);
      this.id = Uint32Array.from({ length: 4 }, (_, i) => parseInt(id.slice(8 * i, 8 * i + 8), 16));
    } else {
      this.id = Uint32Array.from(id);
    }
  }

  /** The root stream of a run with this seed (a non-negative safe integer). */
  static fromSeed(seed: number): RandomStream {
    const s = checkSeed(seed, "seed");
    // "SCOO" "P   ": a fixed domain for roots; the key is the seed itself.
    return new RandomStream(philox4x32([0x53434f4f, 0x50202020, 0, 0], [s >>> 0, Math.floor(s / TWO32)]));
  }

  /** The stream id as 32 hex digits (how it travels with a task). */
  toString(): string {
    let s = "";
    for (const w of this.id) s += w.toString(16).padStart(8, "0");
    return s;
  }

  /**
   * Position of the next child stream: the first call gives 0, then 1, …
   * A task's n-th submission gets its child n, whatever runs it.
   */
  reserveChild(): number {
    return this.children++;
  }

  /** Id of the next child stream (its position reserved, as {@link reserveChild}). */
  split(): string {
    return this.child(this.reserveChild());
  }

  /** Id of child `n` (a pure function of this stream's id and `n`). */
  child(n: number): string {
    return this.childStream(n).toString();
  }

  /** Child stream `n` itself. */
  childStream(n: number): RandomStream {
    return new RandomStream(philox4x32([n >>> 0, (CHILD_DOMAIN | Math.floor(n / TWO32)) >>> 0, this.id[2], this.id[3]], this.id));
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  uint32(): number {
    if (this.used === 4) {
      const i = this.blockIndex++;
      philox4x32([i >>> 0, Math.floor(i / TWO32), this.id[2], this.id[3]], this.id, this.block);
      this.used = 0;
    }
    return this.block[this.used++];
  }

  /** A float in [0, 1) with 53 random bits. */
  random(): number {
    return ((this.uint32() >>> 5) * 67108864 + (this.uint32() >>> 6)) / TWO53;
  }

  /** An integer in [min, max) (unbiased; `max - min` at most 2^53). */
  int(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min || max - min > TWO53) {
      throw new InvalidOptionError(`randomInt(min, max) needs safe integers with min < max and max - min ≤ 2^53 (got ${min}, ${max})`);
    }
    const range = max - min;
    if (range <= TWO32) {
      // Rejection sampling on 32 bits: reject the incomplete last copy of the range.
      const limit = TWO32 - (TWO32 % range);
      for (;;) {
        const r = this.uint32();
        if (r < limit) return min + (r % range);
      }
    }
    const limit = TWO53 - (TWO53 % range);
    for (;;) {
      const r = (this.uint32() >>> 5) * 67108864 + (this.uint32() >>> 6);
      if (r < limit) return min + (r % range);
    }
  }

  /** A normally distributed number (Box–Muller; the second of each pair is kept for the next call). */
  normal(mean = 0, sd = 1): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return mean + sd * z;
    }
    const u = 1 - this.random(); // (0, 1]: log(u) is finite
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }
}
