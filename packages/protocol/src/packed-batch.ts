/**
 * Packed batches: the wire form of the batched messages (SUBMIT, DISPATCH,
 * RESULT, DELIVER). ZeroMQ's cost is per frame, not per byte, so a batch of
 * 4,096 tasks must not travel as 4,097 frames:
 *
 * - frame 0 (the header) carries a binary item table (`tab`, fixed-width
 *   records, see {@link PACK_RECORD_BYTES}), the item count `n`, a string table
 *   `s` (task names, apps, workers, hosts: each once per batch) and, only
 *   when some task has a priority, a random stream or another optional field, `ext` (see
 *   {@link PACK_EXT_BYTES});
 * - frame 1 (the pack) holds the small payloads of every item back to back:
 *   each record gives its item's offset and length inside it;
 * - later frames are the items' own frames (large buffers, which keep their
 *   zero-copy frames), in item order; each record says how many it owns.
 *
 * Receivers read the table only: the broker slices the pack into per-item
 * views and re-packs for the next hop without decoding any payload. The
 * table is validated as strictly as a header: offsets in range, items
 * tiling the pack in order (no overlap, no gap), counts matching the frames
 * that arrived. {@link unpackBatch} turns a packed batch back into the same
 * items and payload frames the unpacked form carries, so code above the
 * wire sees one shape. An item with a field the records cannot hold makes the
 * whole batch travel unpacked, so a field added later is never lost.
 */
import { ProtocolError } from "./errors.js";
import { MAX_PRIORITY, type DeliveredOutcome, type DispatchedTask, type SubmittedTask, type TaskOutcome } from "./task-records.js";

/**
 * Bytes of one table record:
 * `f64 id|key · u32 offset · u32 length · u32 own frames · u32 aux · u16 s1 · u16 s2`
 * (little-endian). `aux` is retries (SUBMIT), attempt (DISPATCH) or ok 0/1
 * (RESULT, DELIVER); `s1`/`s2` index the string table: name/app (SUBMIT,
 * DISPATCH), worker/host (DELIVER), unused (RESULT); {@link NO_STRING} = none.
 */
export const PACK_RECORD_BYTES = 28;
/**
 * Bytes of one `ext` record:
 * `u8 flags · i32 priority · 16 bytes rng · f64 parent · f64 map · f64 total · f64 calls`
 * (flags: 1 priority, 4 parent, 8 map, 16 total, 32 elsewhere (no bytes: the flag is
 * the value `true`), 64 calls: SUBMIT only; 2 rng: SUBMIT and DISPATCH).
 */
export const PACK_EXT_BYTES = 53;
const HAS_PRIORITY = 1;
const HAS_RNG = 2;
const ELSEWHERE = 32;
/** The optional unsigned SUBMIT fields an `ext` record holds as f64: flag and byte offset. */
const UINT_FIELDS = [
  ["parent", 4, 21],
  ["map", 8, 29],
  ["total", 16, 37],
  ["calls", 64, 45],
] as const;
const SUBMIT_FLAGS = HAS_PRIORITY | HAS_RNG | 4 | 8 | 16 | ELSEWHERE | 64;
const STREAM_ID = /^[0-9a-f]{32}$/;
/** The fields each item type's records can hold. */
const FIELDS: Record<BatchedType, ReadonlySet<string>> = {
  SUBMIT: new Set(["id", "name", "frames", "retries", "app", "priority", "rng", "parent", "map", "total", "elsewhere", "calls"]),
  DISPATCH: new Set(["key", "name", "frames", "attempt", "app", "rng"]),
  RESULT: new Set(["key", "ok", "frames"]),
  DELIVER: new Set(["id", "ok", "frames", "worker", "host"]),
};
/** String index meaning "no string". */
const NO_STRING = 0xffff;
/** Largest string table of one batch (indices are u16, one value is reserved). */
const MAX_STRINGS = NO_STRING;
/**
 * An item's first payload frame larger than this keeps a frame of its own
 * instead of being copied into the pack. Below it, a copy costs less than a
 * frame (see `benchmarks/` and the README for the measurement).
 */
export const PACK_ITEM_MAX_BYTES = 4096;
/** The pack never grows past this; later items keep their own frames (bounds one message part). */
export const PACK_MAX_BYTES = 1 << 20;

/** The item types of the batched messages. */
export type BatchedType = "SUBMIT" | "DISPATCH" | "RESULT" | "DELIVER";
type Item = SubmittedTask | DispatchedTask | TaskOutcome | DeliveredOutcome;

/** True for the message types that travel packed. */
export function isBatched(t: string): t is BatchedType {
  return t === "SUBMIT" || t === "DISPATCH" || t === "RESULT" || t === "DELIVER";
}

/** The list field of each batched type. */
export function itemsField(t: BatchedType): "tasks" | "results" {
  return t === "SUBMIT" || t === "DISPATCH" ? "tasks" : "results";
}

/**
 * Pack a batch: header fields to encode (`n`, `s`, `tab`) and the payload
 * frames to send after the header (the pack, then the items' own frames).
 * Returns `undefined` when the items' frame counts do not add up to
 * `payload` (the caller sends the unpacked form, which the receiver rejects)
 * or there are no items.
 */
export function packBatch(t: BatchedType, items: readonly Item[], payload: readonly Uint8Array[]): { fields: { n: number; s: string[]; tab: Uint8Array; ext?: Uint8Array }; frames: Uint8Array[] } | undefined {
  const n = items.length;
  if (n === 0) return undefined;
  const known = FIELDS[t];
  let total = 0;
  let extended = false;
  for (let i = 0; i < n; i++) {
    const item = items[i] as unknown as Record<string, unknown> & { frames: number };
    total += item.frames;
    for (const k in item) if (!known.has(k) && item[k] !== undefined) return undefined;
    if (item.priority !== undefined || item.rng !== undefined || item.parent !== undefined || item.map !== undefined || item.total !== undefined || item.elsewhere !== undefined || item.calls !== undefined) extended = true;
  }
  if (total !== payload.length) return undefined;
  const ext = extended ? new Uint8Array(n * PACK_EXT_BYTES) : undefined;
  const extView = ext && new DataView(ext.buffer);

  const tab = new Uint8Array(n * PACK_RECORD_BYTES);
  const view = new DataView(tab.buffer);
  const strings: string[] = [];
  const index = new Map<string, number>();
  const str = (s: string | undefined): number => {
    if (s === undefined) return NO_STRING;
    let k = index.get(s);
    if (k === undefined) {
      k = strings.length;
      if (k >= MAX_STRINGS) return -1;
      strings.push(s);
      index.set(s, k);
    }
    return k;
  };

  // First pass: which first frames go into the pack, and its size.
  let packBytes = 0;
  const inline = new Uint8Array(n);
  for (let i = 0, f = 0; i < n; f += items[i].frames, i++) {
    if (items[i].frames === 0) continue;
    const len = payload[f].byteLength;
    if (len > 0 && len <= PACK_ITEM_MAX_BYTES && packBytes + len <= PACK_MAX_BYTES) {
      inline[i] = 1;
      packBytes += len;
    }
  }
  const pack = new Uint8Array(packBytes);
  const own: Uint8Array[] = [pack];
  let offset = 0;
  for (let i = 0, f = 0; i < n; i++) {
    const item = items[i] as Item & { app?: string; key?: number; id?: number; ok?: boolean; retries?: number; attempt?: number; name?: string; worker?: string; host?: string; priority?: number; rng?: string; parent?: number; map?: number; total?: number; elsewhere?: boolean; calls?: number };
    const frames = item.frames;
    const at = i * PACK_RECORD_BYTES;
    let len = 0;
    if (inline[i] === 1) {
      const first = payload[f];
      len = first.byteLength;
      pack.set(first, offset);
    }
    const start = offset;
    offset += len;
    for (let j = inline[i]; j < frames; j++) own.push(payload[f + j]);
    f += frames;
    let id: number;
    let aux: number;
    let s1: number;
    let s2: number;
    switch (t) {
      case "SUBMIT":
      case "DISPATCH":
        id = t === "SUBMIT" ? item.id! : item.key!;
        aux = t === "SUBMIT" ? item.retries! : item.attempt!;
        s1 = str(item.name);
        s2 = str(typeof item.app === "string" ? item.app : undefined);
        break;
      case "RESULT":
        id = item.key!;
        aux = item.ok ? 1 : 0;
        s1 = s2 = NO_STRING;
        break;
      default:
        id = item.id!;
        aux = item.ok ? 1 : 0;
        s1 = str(item.worker);
        s2 = str(item.host);
    }
    // Out of what a record can say (a sender bug): send the unpacked form, which the receiver judges.
    if (s1 < 0 || s2 < 0 || !(aux >= 0 && aux <= 0xffffffff) || frames - inline[i] > 0xffffffff) return undefined;
    view.setFloat64(at, id, true);
    view.setUint32(at + 8, start, true);
    view.setUint32(at + 12, len, true);
    view.setUint32(at + 16, frames - inline[i], true);
    view.setUint32(at + 20, aux, true);
    view.setUint16(at + 24, s1, true);
    view.setUint16(at + 26, s2, true);
    if (extView !== undefined) {
      const e = i * PACK_EXT_BYTES;
      let flags = 0;
      if (item.priority !== undefined) {
        if (!(Number.isInteger(item.priority) && Math.abs(item.priority) <= MAX_PRIORITY)) return undefined;
        flags |= HAS_PRIORITY;
        extView.setInt32(e + 1, item.priority, true);
      }
      if (item.rng !== undefined) {
        if (typeof item.rng !== "string" || !STREAM_ID.test(item.rng)) return undefined;
        flags |= HAS_RNG;
        for (let b = 0; b < 16; b++) ext![e + 5 + b] = parseInt(item.rng.substr(b * 2, 2), 16);
      }
      for (const [field, flag, offset] of UINT_FIELDS) {
        const v = item[field];
        if (v === undefined) continue;
        if (!(Number.isSafeInteger(v) && v >= 0)) return undefined;
        flags |= flag;
        extView.setFloat64(e + offset, v, true);
      }
      // Only `true` has a flag; anything else (false, a sender bug) travels unpacked, exactly as given.
      if (item.elsewhere === true) flags |= ELSEWHERE;
      else if (item.elsewhere !== undefined) return undefined;
      ext![e] = flags;
    }
  }
  return { fields: ext === undefined ? { n, s: strings, tab } : { n, s: strings, tab, ext }, frames: own };
}

/**
 * Validate a packed batch and return its items (the same objects the
 * unpacked form decodes to) and each item's payload frames in order (an
 * item's packed bytes first, as a view into the pack, then its own frames).
 * @param h the decoded header fields (`n`, `s`, `tab` not yet checked)
 * @param payload the frames after the header: the pack, then own frames
 * @throws {ProtocolError} `SCOOP_MALFORMED_MESSAGE` naming what is wrong
 */
export function unpackBatch(t: BatchedType, h: Record<string, unknown>, payload: readonly Buffer[]): { items: Item[]; payload: Buffer[] } {
  const { n, s, tab, ext } = h;
  if (!(typeof n === "number" && Number.isSafeInteger(n) && n > 0)) throw malformed(t, `item count n must be a positive integer (got ${String(n)})`);
  if (!(tab instanceof Uint8Array)) throw malformed(t, "the item table is not binary");
  if (tab.byteLength !== n * PACK_RECORD_BYTES) throw malformed(t, `the item table holds ${tab.byteLength} bytes; ${n} items need ${n * PACK_RECORD_BYTES}`);
  if (ext !== undefined && !(ext instanceof Uint8Array && ext.byteLength === n * PACK_EXT_BYTES && (t === "SUBMIT" || t === "DISPATCH"))) {
    throw malformed(t, `the extension table must be binary, ${n * PACK_EXT_BYTES} bytes, on a SUBMIT or DISPATCH only`);
  }
  if (!Array.isArray(s) || s.length > MAX_STRINGS || !s.every((x) => typeof x === "string" && x.length <= 4096)) throw malformed(t, "the string table is not a list of strings");
  const pack = payload[0];
  if (pack === undefined) throw malformed(t, "the pack frame is missing");
  const view = new DataView(tab.buffer, tab.byteOffset, tab.byteLength);
  const strings = s as string[];
  const stringAt = (k: number, what: string, i: number): string => {
    if (k >= strings.length) throw malformed(t, `item ${i}: ${what} index ${k} is outside the string table (${strings.length} strings)`);
    return strings[k];
  };
  const items: Item[] = new Array(n);
  const out: Buffer[] = [];
  let end = 0;
  let next = 1; // next own frame
  for (let i = 0; i < n; i++) {
    const at = i * PACK_RECORD_BYTES;
    const id = view.getFloat64(at, true);
    const off = view.getUint32(at + 8, true);
    const len = view.getUint32(at + 12, true);
    const frames = view.getUint32(at + 16, true);
    const aux = view.getUint32(at + 20, true);
    const s1 = view.getUint16(at + 24, true);
    const s2 = view.getUint16(at + 26, true);
    if (!(Number.isSafeInteger(id) && id >= 0)) throw malformed(t, `item ${i}: id ${id} is not a non-negative safe integer`);
    if (off < end) throw malformed(t, `item ${i}: offset ${off} overlaps the previous item (which ends at ${end})`);
    if (off > end) throw malformed(t, `item ${i}: offset ${off} leaves a gap after the previous item (which ends at ${end})`);
    if (off + len > pack.length) throw malformed(t, `item ${i}: bytes ${off}..${off + len} are out of range of the ${pack.length}-byte pack`);
    if (next + frames > payload.length) throw malformed(t, `item ${i} owns ${frames} frames but only ${payload.length - next} are left`);
    end = off + len;
    if (len > 0) out.push(pack.subarray(off, end));
    for (let j = 0; j < frames; j++) out.push(payload[next++]);
    const total = frames + (len > 0 ? 1 : 0);
    switch (t) {
      case "SUBMIT": {
        const item: SubmittedTask = { id, name: stringAt(s1, "name", i), frames: total, retries: aux };
        if (s2 !== NO_STRING) item.app = stringAt(s2, "app", i);
        if (ext !== undefined) readExt(t, ext as Uint8Array, i, item);
        items[i] = item;
        break;
      }
      case "DISPATCH": {
        const item: DispatchedTask = { key: id, name: stringAt(s1, "name", i), frames: total, attempt: aux };
        if (s2 !== NO_STRING) item.app = stringAt(s2, "app", i);
        if (ext !== undefined) readExt(t, ext as Uint8Array, i, item);
        items[i] = item;
        break;
      }
      case "RESULT":
        if (aux > 1) throw malformed(t, `item ${i}: ok must be 0 or 1 (got ${aux})`);
        if (s1 !== NO_STRING || s2 !== NO_STRING) throw malformed(t, `item ${i}: a result names no strings`);
        items[i] = { key: id, ok: aux === 1, frames: total };
        break;
      default:
        if (aux > 1) throw malformed(t, `item ${i}: ok must be 0 or 1 (got ${aux})`);
        items[i] = { id, ok: aux === 1, frames: total, worker: stringAt(s1, "worker", i), host: stringAt(s2, "host", i) };
    }
  }
  if (end !== pack.length) throw malformed(t, `the items cover ${end} bytes of the ${pack.length}-byte pack`);
  if (next !== payload.length) throw malformed(t, `the items own ${next - 1} frames but ${payload.length - 1} arrived after the pack`);
  return { items, payload: out };
}

/** Set `priority` and `rng` of item `i` from its `ext` record, validated. */
function readExt(t: "SUBMIT" | "DISPATCH", ext: Uint8Array, i: number, item: { priority?: number; rng?: string; parent?: number; map?: number; total?: number; elsewhere?: boolean; calls?: number }): void {
  const at = i * PACK_EXT_BYTES;
  const flags = ext[at];
  if ((flags & ~(t === "SUBMIT" ? SUBMIT_FLAGS : HAS_RNG)) !== 0) throw malformed(t, `item ${i}: unknown extension flags ${flags}`);
  if (flags === 0) return;
  const view = new DataView(ext.buffer, ext.byteOffset + at, PACK_EXT_BYTES);
  if (flags & HAS_PRIORITY) {
    const priority = view.getInt32(1, true);
    if (Math.abs(priority) > MAX_PRIORITY) throw malformed(t, `item ${i}: priority ${priority} is beyond ±${MAX_PRIORITY}`);
    item.priority = priority;
  }
  if (flags & HAS_RNG) item.rng = Buffer.from(ext.buffer, ext.byteOffset + at + 5, 16).toString("hex");
  for (const [field, flag, offset] of UINT_FIELDS) {
    if ((flags & flag) === 0) continue;
    const v = view.getFloat64(offset, true);
    if (!(Number.isSafeInteger(v) && v >= 0)) throw malformed(t, `item ${i}: ${field} ${v} is not a non-negative safe integer`);
    item[field] = v;
  }
  if (flags & ELSEWHERE) item.elsewhere = true;
}

function malformed(t: string, what: string): ProtocolError {
  return new ProtocolError("SCOOP_MALFORMED_MESSAGE", `malformed SCOOP message: a packed ${t} is invalid: ${what}`);
}
