/**
 * `@scoop/core/internal`: what the sibling packages (`@scoop/worker`) build
 * on, and apps do not need: the broker connection, the distributed executor,
 * the peer session, installing an executor and running a function as a task.
 * No stability promise beyond the SCOOP version it ships with.
 */
export { BrokerConnection } from "./connection.js";
export { startHeart } from "./heart.js";
export type { ConnectionOptions, MessageHandlers } from "./connection.js";
export { DistributedExecutor } from "./distributed-executor.js";
export type { DistributedExecutorOptions } from "./distributed-options.js";
export { openPeerSession } from "./peer-session.js";
export type { PeerSession, PeerSessionOptions, SessionAttachment } from "./peer-session.js";
export { setExecutor, runInTaskContext } from "./runtime.js";
export { CancelScope } from "./cancel-scope.js";
export type { TaskContextInit } from "./runtime.js";
export { encodeOutcome, isThenable } from "./task-outcome.js";
export type { EncodedOutcome } from "./task-outcome.js";
export { checkMessageSize } from "./message-size.js";
export { PayloadStore, STORE_THRESHOLD_BYTES, storedBuffers } from "./payload-store.js";
