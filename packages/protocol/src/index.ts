export { ScoopError, SerializationError, ProtocolError, InvalidOptionError } from "./errors.js";
export type { ScoopErrorContext, ScoopErrorOptions } from "./errors.js";
export { Codec } from "./codec.js";
export type { CodecOptions, ClassCodecOptions, FunctionNaming } from "./codec.js";
