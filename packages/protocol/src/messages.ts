/**
 * Wire messages. A message is a ZeroMQ multipart message: frame 0 is a small
 * msgpack map (the header: version, type and the ids needed for routing);
 * later frames are opaque payloads that only workers decode. The broker reads
 * frame 0 only, so its cost per task does not depend on payload size.
 *
 * Every received header goes through {@link decodeMessage}, which validates
 * it field by field and throws a {@link ProtocolError} instead of letting a
 * malformed message reach program logic.
 */
import { Decoder, Encoder } from "@msgpack/msgpack";
import { ProtocolError } from "./errors.js";
import { MAX_PRIORITY, type DeliveredOutcome, type DispatchedTask, type SubmittedTask, type TaskOutcome } from "./task-records.js";
import type { BrokerSnapshot, ScoopEvent } from "./events.js";
import { isBatched, itemsField, packBatch, unpackBatch } from "./packed-batch.js";

/** Version of the wire protocol. Peers of another version are refused at join. */
export const PROTOCOL_VERSION = 1;

/** Largest header frame accepted. Payload frames are bounded by the socket's maxMessageSize. */
export const MAX_HEADER_BYTES = 1 << 20;

/** Every message type, by name. */
export const MessageType = {
  /** peer → broker: join with identity, role and the tasks it can run. */
  HELLO: "HELLO",
  /** broker → peer: join accepted; liveness settings. */
  WELCOME: "WELCOME",
  /** broker → peer: join refused (wrong version, bad key…). */
  REFUSED: "REFUSED",
  /** owner → broker: new tasks (batched); payload = argument frames of each task in order. */
  SUBMIT: "SUBMIT",
  /** broker → worker: tasks to run (batched); payload = argument frames in order. */
  DISPATCH: "DISPATCH",
  /** worker → broker: the worker can take `n` more tasks; `idle`: it has nothing to run at all (the broker may reclaim work for it). */
  CREDIT: "CREDIT",
  /** worker → broker: outcomes of dispatched tasks (batched); payload = value/error frames. */
  RESULT: "RESULT",
  /** broker → owner: outcomes of the owner's tasks (batched); payload = value/error frames. */
  DELIVER: "DELIVER",
  /** owner → broker: cancel tasks by the owner's ids. */
  CANCEL: "CANCEL",
  /** broker → worker: abort running tasks by broker key (to its heartbeat socket too, with their `names`: see the worker README on stuck tasks). */
  ABORT: "ABORT",
  /** broker → worker: give back up to `n` dispatched tasks you have not started (another worker idles). */
  RECLAIM: "RECLAIM",
  /** worker → broker: dispatched tasks given back unstarted (queued again, no retry spent). */
  RETURN: "RETURN",
  /** peer → broker: set a shared constant; payload = value frames. */
  CONST_SET: "CONST_SET",
  /** broker → peer: a shared constant (sent to every peer of the run, late joiners too). */
  CONST: "CONST",
  /** peer → broker: tasks this peer can now run besides those in HELLO (registered later). */
  TASKS: "TASKS",
  /** either way: I am alive. A worker's heartbeat thread names its worker in `of`. */
  HEARTBEAT: "HEARTBEAT",
  /** origin → broker → everyone: the run is over, with this exit code. */
  SHUTDOWN: "SHUTDOWN",
  /** peer → broker: I am leaving cleanly. */
  BYE: "BYE",
  /** broker → peer: your message could not be served. */
  ERROR: "ERROR",
  /** monitor → broker: send me a snapshot; broker → monitor: the snapshot. */
  STATUS: "STATUS",
  /** monitor → broker: start (`on`) or stop sending me the event stream. */
  WATCH: "WATCH",
  /** broker → monitor: events of the run (batched). */
  EVENTS: "EVENTS",
} as const;

/** A message type name. */
export type MessageTypeName = (typeof MessageType)[keyof typeof MessageType];

/** Role of a peer: the origin runs `main`; workers run tasks; clients only submit; monitors only watch (read-only). */
export type PeerRole = "origin" | "worker" | "client" | "monitor";

/** Header of each message type. */
export type Header =
  | { t: "HELLO"; id: string; role: PeerRole; host: string; pid: number; app: string; tasks: string[] }
  | { t: "WELCOME"; broker: string; heartbeatMs: number; livenessMs: number; maxMessageBytes?: number }
  | { t: "REFUSED"; code: string; message: string }
  | { t: "SUBMIT"; tasks: SubmittedTask[] }
  | { t: "DISPATCH"; tasks: DispatchedTask[] }
  | { t: "CREDIT"; n: number; idle?: boolean }
  | { t: "RESULT"; results: TaskOutcome[] }
  | { t: "DELIVER"; results: DeliveredOutcome[] }
  | { t: "CANCEL"; ids: number[] }
  | { t: "ABORT"; keys: number[]; names?: string[] }
  | { t: "RECLAIM"; n: number }
  | { t: "RETURN"; keys: number[] }
  | { t: "CONST_SET"; name: string; frames: number; app?: string }
  | { t: "CONST"; name: string; frames: number; app?: string; forget?: boolean }
  | { t: "TASKS"; tasks: string[] }
  | { t: "HEARTBEAT"; of?: string; cpu?: number; rss?: number; stuck?: number; task?: string }
  | { t: "SHUTDOWN"; code: number }
  | { t: "BYE"; reason?: "recycled" }
  | { t: "ERROR"; code: string; message: string; ref?: number; name?: string }
  | { t: "STATUS"; snapshot?: BrokerSnapshot }
  | { t: "WATCH"; on: boolean }
  | { t: "EVENTS"; events: ScoopEvent[] };

/** A validated message: its header and its payload frames. */
export interface Message<H extends Header = Header> {
  header: H;
  payload: Buffer[];
}

// One encoder and one decoder for every header: msgpack's encode()/decode()
// build a new one (and a 2 KiB buffer) per call, which was the largest cost of
// a small message in the broker's profile with 1,000 peers (a HEARTBEAT
// header encoded and decoded: 2.25 → 1.45 µs once warm, 5.0 → 1.0 µs cold).
// Both are re-entrant (they clone themselves if used while busy); encode() returns a copy.
const headerEncoder = new Encoder();
// Binary is allowed for a packed batch's item table only (other fields are type-checked).
const headerDecoder = new Decoder({ maxStrLength: MAX_HEADER_BYTES, maxBinLength: MAX_HEADER_BYTES, maxExtLength: 0 });

/**
 * Encode a message to the frames to send. Batched messages (SUBMIT,
 * DISPATCH, RESULT, DELIVER) travel packed (see `packed-batch.ts`): small
 * payloads are copied into one frame, large ones pass through untouched, as
 * every payload frame of the other messages does.
 */
export function encodeMessage(header: Header, payload: readonly Uint8Array[] = []): Uint8Array[] {
  if (isBatched(header.t)) {
    const packed = packBatch(header.t, (header as Record<string, any>)[itemsField(header.t)], payload);
    if (packed !== undefined) return [headerEncoder.encode({ v: PROTOCOL_VERSION, t: header.t, ...packed.fields }), ...packed.frames];
  }
  const head = headerEncoder.encode({ v: PROTOCOL_VERSION, ...header });
  return [head, ...payload];
}

// --- validation -----------------------------------------------------------

type Check = (value: unknown) => boolean;
const isString: Check = (v) => typeof v === "string" && v.length <= 4096;
const isUint: Check = (v) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isInt: Check = (v) => typeof v === "number" && Number.isSafeInteger(v);
const isBool: Check = (v) => typeof v === "boolean";
const isRole: Check = (v) => v === "origin" || v === "worker" || v === "client" || v === "monitor";
const isNumber: Check = (v) => typeof v === "number" && Number.isFinite(v);
const isObject: Check = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
const arrayOf = (item: Check): Check => (v) => Array.isArray(v) && v.every(item);
const record = (fields: Record<string, Check>, optional: Record<string, Check> = {}): Check => (v) => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  for (const [k, check] of Object.entries(fields)) if (!check(o[k])) return false;
  for (const [k, check] of Object.entries(optional)) if (o[k] !== undefined && !check(o[k])) return false;
  return true;
};

const isPriority: Check = (v) => isInt(v) && Math.abs(v as number) <= MAX_PRIORITY;
const isStreamId: Check = (v) => typeof v === "string" && /^[0-9a-f]{32}$/.test(v);
const submitted = record({ id: isUint, name: isString, frames: isUint, retries: isUint }, { app: isString, priority: isPriority, rng: isStreamId, parent: isUint, map: isUint, total: isUint, elsewhere: isBool, calls: isUint });
const dispatched = record({ key: isUint, name: isString, frames: isUint, attempt: isUint }, { app: isString, rng: isStreamId });
const outcome = record({ key: isUint, ok: isBool, frames: isUint });
const delivered = record({ id: isUint, ok: isBool, frames: isUint, worker: isString, host: isString });

/** Field checks of each type, and which field lists the payload frames. */
const SCHEMAS: Record<MessageTypeName, { fields: Record<string, Check>; optional?: Record<string, Check>; frames: (h: any) => number }> = {
  HELLO: { fields: { id: isString, role: isRole, host: isString, pid: isUint, app: isString, tasks: arrayOf(isString) }, frames: () => 0 },
  WELCOME: { fields: { broker: isString, heartbeatMs: isUint, livenessMs: isUint }, optional: { maxMessageBytes: isUint }, frames: () => 0 },
  REFUSED: { fields: { code: isString, message: isString }, frames: () => 0 },
  SUBMIT: { fields: { tasks: arrayOf(submitted) }, frames: (h) => sumFrames(h.tasks) },
  DISPATCH: { fields: { tasks: arrayOf(dispatched) }, frames: (h) => sumFrames(h.tasks) },
  CREDIT: { fields: { n: isUint }, optional: { idle: isBool }, frames: () => 0 },
  RESULT: { fields: { results: arrayOf(outcome) }, frames: (h) => sumFrames(h.results) },
  DELIVER: { fields: { results: arrayOf(delivered) }, frames: (h) => sumFrames(h.results) },
  CANCEL: { fields: { ids: arrayOf(isUint) }, frames: () => 0 },
  ABORT: { fields: { keys: arrayOf(isUint) }, optional: { names: arrayOf(isString) }, frames: () => 0 },
  RECLAIM: { fields: { n: isUint }, frames: () => 0 },
  RETURN: { fields: { keys: arrayOf(isUint) }, frames: () => 0 },
  CONST_SET: { fields: { name: isString, frames: isUint }, optional: { app: isString }, frames: (h) => h.frames },
  CONST: { fields: { name: isString, frames: isUint }, optional: { app: isString, forget: isBool }, frames: (h) => h.frames },
  TASKS: { fields: { tasks: arrayOf(isString) }, frames: () => 0 },
  HEARTBEAT: { fields: {}, optional: { of: isString, cpu: isNumber, rss: isUint, stuck: isUint, task: isString }, frames: () => 0 },
  SHUTDOWN: { fields: { code: isInt }, frames: () => 0 },
  BYE: { fields: {}, optional: { reason: (v) => v === "recycled" }, frames: () => 0 },
  ERROR: { fields: { code: isString, message: isString }, optional: { ref: isUint, name: isString }, frames: () => 0 },
  STATUS: { fields: {}, optional: { snapshot: isObject }, frames: () => 0 },
  WATCH: { fields: { on: isBool }, frames: () => 0 },
  EVENTS: { fields: { events: arrayOf(isObject) }, frames: () => 0 },
};

function sumFrames(items: Array<{ frames: number }>): number {
  let n = 0;
  for (const item of items) n += item.frames;
  return n;
}

/** True if `t` names a message type. */
export function isMessageType(t: unknown): t is MessageTypeName {
  return typeof t === "string" && Object.prototype.hasOwnProperty.call(SCHEMAS, t);
}

/**
 * Decode and validate received frames.
 * @throws {ProtocolError} `SCOOP_MALFORMED_MESSAGE` (not a SCOOP header, unknown
 * type, bad field, wrong payload frame count), `SCOOP_PROTOCOL_VERSION` (another
 * version) or `SCOOP_MESSAGE_TOO_LARGE` (header over {@link MAX_HEADER_BYTES}).
 */
export function decodeMessage(frames: readonly Buffer[]): Message {
  const head = frames[0];
  if (head === undefined || head.length === 0) throw malformed("the message has no header frame");
  if (head.length > MAX_HEADER_BYTES) {
    throw new ProtocolError("SCOOP_MESSAGE_TOO_LARGE", `header frame is ${head.length} bytes; the limit is ${MAX_HEADER_BYTES}`);
  }
  let raw: unknown;
  try {
    raw = headerDecoder.decode(head);
  } catch (error) {
    throw malformed("frame 0 is not valid msgpack", error);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw malformed("frame 0 is not a msgpack map");
  const h = raw as Record<string, unknown>;
  if (h.v !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      "SCOOP_PROTOCOL_VERSION",
      `peer speaks SCOOP protocol version ${String(h.v)}; this process speaks version ${PROTOCOL_VERSION}: run the same @scoop/* version everywhere`,
    );
  }
  if (!isMessageType(h.t)) throw malformed(`unknown message type ${JSON.stringify(h.t)}`);
  if (h.tab !== undefined && isBatched(h.t)) {
    const { items, payload } = unpackBatch(h.t, h, frames.slice(1) as Buffer[]);
    return { header: { t: h.t, [itemsField(h.t)]: items } as unknown as Header, payload };
  }
  const schema = SCHEMAS[h.t];
  if (!record(schema.fields, schema.optional)(h)) throw malformed(`a ${h.t} header has missing or ill-typed fields`);
  const expected = schema.frames(h);
  if (expected !== frames.length - 1) {
    throw malformed(`a ${h.t} header announces ${expected} payload frames but ${frames.length - 1} arrived`);
  }
  delete h.v;
  return { header: h as unknown as Header, payload: frames.slice(1) as Buffer[] };
}

function malformed(what: string, cause?: unknown): ProtocolError {
  return new ProtocolError("SCOOP_MALFORMED_MESSAGE", `malformed SCOOP message: ${what}`, { cause });
}
