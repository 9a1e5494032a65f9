/**
 * `@scoop/core`: what programs import. Futures, the `futures` API, shared
 * constants, the task registry, the serial fallback, `connect()` and
 * `start()`. The client side of the broker connection and the executors that
 * `@scoop/worker` builds on are in `@scoop/core/internal`.
 */
import * as futures from "./futures.js";
import * as shared from "./shared.js";
import { connect } from "./connect.js";
import { start, stop } from "./start.js";
import { scheduleAutoMain } from "./run-main.js";

export { futures, shared };
export { Future, isFuture } from "./future.js";
export type { DoneFuture, FutureState, WaitOptions } from "./future.js";
export type { CallOptions, MapOptions, MapProgress, ReduceOptions, MapResult, ReturnWhen, WaitManyOptions, WaitResult } from "./futures.js";
export { FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED } from "./futures.js";
export type { GetConstOptions } from "./shared.js";
export {
  defineTask,
  registerModule,
  registerClass,
  registeredTaskNames,
  runnableTaskNames,
  taskByName,
  taskName,
  currentTask,
  setSeed,
  runSeed,
  randomStream,
  getExecutor,
  getCodec,
  getLogger,
  setLogger,
} from "./runtime.js";
export type { TaskContext } from "./runtime.js";
export { runMain } from "./run-main.js";
export { connect } from "./connect.js";
export type { ScoopConnection } from "./connect.js";
export { CONNECT_DEFAULTS } from "./options.js";
export type { ConnectOptions, ConnectCurveOptions, StartOptions } from "./options.js";
export { start, stop } from "./start.js";
export type { ScoopCluster, LauncherModule } from "./start.js";
export { RandomStream, philox4x32 } from "./random-stream.js";
export { RetriesExhaustedError, RETRY_ON_ERROR_DEFAULTS } from "./retry-on-error.js";
export type { RetryOnError, RetryOnErrorOptions, RetryPredicate } from "./retry-on-error.js";
export { TaskNotRegisteredError, TimeoutError, CancelledError, AbortedError, RemoteTaskFailure, WorkerLostFailure, MessageTooLargeError } from "./errors.js";
export type { RemoteTaskFailureOptions } from "./errors.js";
export { ScoopError, SerializationError } from "@scoop/protocol";
export type { Executor, TaskCall, TaskSink, TaskOptions } from "./executor.js";
export { SerialExecutor } from "./serial-executor.js";

/** Start and stop clusters from code: `await scoop.start({ workers: 4, modules })` … `await scoop.stop()`. */
export const scoop = { start, stop, connect };

scheduleAutoMain();
