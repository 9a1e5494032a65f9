/**
 * Errors of the futures API. All extend `ScoopError` from `@scoop/protocol`
 * and carry a stable `code`; what came back from another process is a
 * `…Failure`, what went wrong locally is an `…Error`.
 */
import { ScoopError, type ScoopErrorOptions } from "@scoop/protocol";
import { remoteFailureStack } from "./error-format.js";

/** A function passed to `submit`/`map` has no task name the workers know. */
export class TaskNotRegisteredError extends ScoopError {
  constructor(message: string, options: ScoopErrorOptions = {}) {
    super("SCOOP_TASK_NOT_REGISTERED", message, options);
  }
}

/** A deadline passed: a task's `timeoutMs`, or a wait's. */
export class TimeoutError extends ScoopError {
  constructor(message: string, options: ScoopErrorOptions = {}) {
    super("SCOOP_TIMEOUT", message, options);
  }
}

/** The future was cancelled before it produced a result. */
export class CancelledError extends ScoopError {
  constructor(message: string, options: ScoopErrorOptions = {}) {
    super("SCOOP_CANCELLED", message, options);
  }
}

/** An `AbortSignal` passed by the caller fired; `cause` is `signal.reason`. */
export class AbortedError extends ScoopError {
  constructor(message: string, options: ScoopErrorOptions = {}) {
    super("SCOOP_ABORTED", message, options);
  }
}

/** What a {@link RemoteTaskFailure} knows about the error thrown by the task. */
export interface RemoteTaskFailureOptions extends ScoopErrorOptions {
  remoteName: string;
  remoteMessage: string;
  remoteStack?: string;
  remoteCode?: string;
}

/**
 * A task threw (or rejected). Keeps the original error's name, message and
 * stack (also as `cause`, rebuilt as the right class where possible) and says
 * which worker and host ran it. Serial runs use worker id `"serial"`. Its
 * `stack` is the remote stack's frames in the user's files (SCOOP's and
 * Node's are in `remoteStack`), then, for a map, where the map was called.
 */
export class RemoteTaskFailure extends ScoopError {
  /** `name` of the error the task threw, e.g. `"RangeError"`. */
  readonly remoteName: string;
  readonly remoteMessage: string;
  declare readonly remoteStack?: string;
  /** `code` of the error the task threw, if it had one. */
  declare readonly remoteCode?: string;

  constructor(message: string, options: RemoteTaskFailureOptions) {
    super("SCOOP_TASK_FAILED", message, options);
    this.remoteName = options.remoteName;
    this.remoteMessage = options.remoteMessage;
    if (options.remoteStack !== undefined) this.remoteStack = options.remoteStack;
    if (options.remoteCode !== undefined) this.remoteCode = options.remoteCode;
    // Where it really happened (the user's frames of the remote stack), not where the result arrived here.
    this.stack = remoteFailureStack(this, options.remoteStack);
  }

  /** The message and the stack say it all: the remote error (`cause`) is not printed again. */
  protected override get inspectHidden(): readonly string[] {
    return ["cause", "remoteMessage", "remoteStack"];
  }
}

/** A task was lost with the workers that ran it more times than its `retries` allow. */
export class WorkerLostFailure extends ScoopError {
  constructor(message: string, options: ScoopErrorOptions = {}) {
    super("SCOOP_WORKER_LOST", message, options);
  }
}

/**
 * A message part would be larger than the broker accepts (its
 * `maxMessageBytes`): the submit (or result, or constant) fails at once
 * instead of the broker dropping the connection and the message with it.
 */
export class MessageTooLargeError extends ScoopError {
  constructor(message: string, options: ScoopErrorOptions = {}) {
    super("SCOOP_MESSAGE_TOO_LARGE", message, options);
  }
}
