/**
 * Msgpack primitives over a growable buffer: numbers, strings, bigints,
 * array/map/extension headers, and extensions whose payload is written in
 * place and patched with its length.
 */
import { Ext } from "./extensions.js";

const textEncoder = new TextEncoder();

/** A growable output buffer and the msgpack encodings of primitives. */
export class MsgpackWriter {
  bytes = new Uint8Array(2048);
  view = new DataView(this.bytes.buffer);
  pos = 0;

  protected reserve(n: number): void {
    if (this.pos + n > this.bytes.byteLength) this.grow(n);
  }

  protected grow(n: number): void {
    let size = this.bytes.byteLength * 2;
    while (size < this.pos + n) size *= 2;
    const bytes = new Uint8Array(size);
    bytes.set(this.bytes.subarray(0, this.pos));
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
  }

  protected bigint(v: bigint): void {
    // Sign byte, then the magnitude big-endian: any size, no precision loss.
    const negative = v < 0n;
    let hex = (negative ? -v : v).toString(16);
    if (hex.length & 1) hex = "0" + hex;
    const n = hex.length >> 1;
    this.reserve(6 + n);
    this.extHeader(Ext.BigInt, n + 1);
    this.bytes[this.pos++] = negative ? 1 : 0;
    for (let i = 0; i < n; i++) this.bytes[this.pos++] = parseInt(hex.substr(i * 2, 2), 16);
  }

  protected number(n: number): void {
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

  protected string(s: string): void {
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

  protected arrayHeader(n: number): void {
    this.reserve(5);
    this.sizePrefix(n, 0x90, -1, 0xdc, 0xdd);
  }

  protected mapHeader(n: number): void {
    this.reserve(5);
    this.sizePrefix(n, 0x80, -1, 0xde, 0xdf);
  }

  /** Header of an extension whose payload length is known; caller reserved room. */
  protected extHeader(type: number, n: number): void {
    this.sizePrefix(n, -1, 0xc7, 0xc8, 0xc9);
    this.bytes[this.pos++] = type;
  }

  /** Header of a msgpack bin of n bytes; caller reserved room. */
  protected binHeader(n: number): void {
    this.sizePrefix(n, -1, 0xc4, 0xc5, 0xc6);
  }

  /**
   * The smallest msgpack size prefix for n: `fix | n` below 16 where the
   * family has a fix form, else the 8-, 16- or 32-bit opcode and length
   * (-1 marks a form the family lacks). Caller reserved room.
   */
  private sizePrefix(n: number, fix: number, op8: number, op16: number, op32: number): void {
    if (fix >= 0 && n < 16) this.bytes[this.pos++] = fix | n;
    else if (op8 >= 0 && n < 0x100) {
      this.bytes[this.pos++] = op8;
      this.bytes[this.pos++] = n;
    } else if (n < 0x10000) {
      this.bytes[this.pos++] = op16;
      this.view.setUint16(this.pos, n);
      this.pos += 2;
    } else {
      this.bytes[this.pos++] = op32;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    }
  }

  /** Start an ext32 whose payload (one msgpack value) is written in place; see {@link endExt}. */
  protected beginExt(type: number): number {
    this.reserve(6);
    const start = this.pos;
    this.bytes[start] = 0xc9;
    this.bytes[start + 5] = type;
    this.pos += 6;
    return start;
  }

  protected endExt(start: number): void {
    this.view.setUint32(start + 1, this.pos - start - 6);
  }
}
