export { ScoopError, SerializationError, ProtocolError, InvalidOptionError } from "./errors.js";
export type { ScoopErrorContext, ScoopErrorOptions } from "./errors.js";
export { SCOOP_ERROR_CODES, isScoopErrorCode } from "./error-codes.js";
export type { ScoopErrorCode } from "./error-codes.js";
export { Codec } from "./codec.js";
export type { BufferStore, CodecOptions, ClassCodecOptions, FunctionNaming, StoredBuffers } from "./codec.js";
export {
  PROTOCOL_VERSION,
  MAX_HEADER_BYTES,
  MessageType,
  encodeMessage,
  decodeMessage,
  isMessageType,
} from "./messages.js";
export type {
  MessageTypeName,
  PeerRole,
  Header,
  Message,
} from "./messages.js";
export { CHUNK_PREFIX, MAX_PRIORITY } from "./task-records.js";
export type { SubmittedTask, DispatchedTask, TaskOutcome, DeliveredOutcome } from "./task-records.js";
export { PACK_EXT_BYTES, PACK_ITEM_MAX_BYTES, PACK_MAX_BYTES, PACK_RECORD_BYTES } from "./packed-batch.js";
export { SendQueue } from "./send-queue.js";
export type { Frames } from "./send-queue.js";
export { EXIT_RECYCLED } from "./exit-codes.js";
export { curveClientOptions, curveKeyPair, isZ85Key, keyFileField, keyFileText, readServerKey, z85Encode } from "./curve-keys.js";
export type { CurveClientOptions, CurveKeyPair, KeyFileField } from "./curve-keys.js";
export { SCOOP_EVENT_TYPES, MAX_INCIDENTS } from "./events.js";
export type {
  ScoopEvent,
  ScoopEventType,
  ScoopEventOf,
  PeerSummary,
  TaskQueuedEvent,
  TaskStartedEvent,
  TaskFinishedEvent,
  TaskRetriedEvent,
  TaskCancelledEvent,
  WorkerJoinedEvent,
  WorkerGoneEvent,
  WorkerStatsEvent,
  MapProgressEvent,
  MapSummary,
  WorkerSnapshot,
  BrokerSnapshot,
} from "./events.js";
export { SCOOP_VERSION } from "./version.js";
export { WORKER_MODE_ENV, enterWorkerMode, isWorkerMode } from "./worker-mode.js";
export { LOG_FORMATS, formatLogRecord, prettyLogDestination, tagLogRecord, type LogFormat } from "./log-format.js";
