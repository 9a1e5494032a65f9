/**
 * Turns an error that came back from the process that ran a task into the
 * error its future rejects with.
 */
import { ScoopError } from "@scoop/protocol";
import { MessageTooLargeError, RemoteTaskFailure, TaskNotRegisteredError, WorkerLostFailure } from "./errors.js";

/** Codes produced by the SCOOP runtime itself (not by the task): kept as they are. */
const RUNTIME_FAILURES: Record<string, (message: string, options: ConstructorParameters<typeof ScoopError>[2]) => ScoopError> = {
  SCOOP_WORKER_LOST: (m, o) => new WorkerLostFailure(m, o),
  SCOOP_TASK_NOT_REGISTERED: (m, o) => new TaskNotRegisteredError(m, o),
  SCOOP_MESSAGE_TOO_LARGE: (m, o) => new MessageTooLargeError(m, o),
};

/**
 * Build the rejection of task `taskName` from the decoded remote error.
 * @param workerId the worker that ran it (`"broker"` when the broker itself failed it)
 */
export function remoteFailure(taskName: string, remote: unknown, workerId: string, host: string): ScoopError {
  const e = (typeof remote === "object" && remote !== null ? remote : { message: String(remote) }) as {
    name?: unknown;
    message?: unknown;
    stack?: unknown;
    code?: unknown;
  };
  const name = typeof e.name === "string" ? e.name : typeof remote === "object" ? "Error" : typeof remote;
  const message = typeof e.message === "string" ? e.message : String(remote);
  const code = typeof e.code === "string" ? e.code : undefined;
  const runtime = code === undefined ? undefined : RUNTIME_FAILURES[code];
  if (runtime) return runtime(message, { taskName, workerId, host, cause: remote });
  return new RemoteTaskFailure(`task "${taskName}" failed on worker ${workerId} (host ${host}): ${name}: ${message}`, {
    taskName,
    workerId,
    host,
    cause: remote,
    remoteName: name,
    remoteMessage: message,
    remoteStack: typeof e.stack === "string" ? e.stack : undefined,
    remoteCode: code,
  });
}
