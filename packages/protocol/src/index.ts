export { ScoopError, SerializationError, ProtocolError, InvalidOptionError } from "./errors.js";
export type { ScoopErrorContext, ScoopErrorOptions } from "./errors.js";
export { Codec } from "./codec.js";
export type { CodecOptions, ClassCodecOptions, FunctionNaming } from "./codec.js";
export {
  PROTOCOL_VERSION,
  MAX_HEADER_BYTES,
  MAX_PRIORITY,
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
  SubmittedTask,
  DispatchedTask,
  TaskOutcome,
  DeliveredOutcome,
} from "./messages.js";
export { SendQueue } from "./send-queue.js";
export type { Frames } from "./send-queue.js";
export { EXIT_RECYCLED } from "./exit-codes.js";
export { curveKeyPair, isZ85Key, z85Encode } from "./curve-keys.js";
export type { CurveKeyPair } from "./curve-keys.js";
