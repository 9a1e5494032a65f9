/**
 * Every error code SCOOP uses, in one list. `ERRORS.md` at the repository
 * root gives each one's meaning and what to do; a test fails when a code is
 * used in a package's source without being listed here and there.
 */
export const SCOOP_ERROR_CODES = [
  "SCOOP_ABORTED",
  "SCOOP_ALREADY_CONNECTED",
  "SCOOP_ALREADY_STARTED",
  "SCOOP_BAD_HOSTS",
  "SCOOP_BAD_KEY_FILE",
  "SCOOP_BAD_TRACE",
  "SCOOP_BIND_FAILED",
  "SCOOP_BROKER_LOST",
  "SCOOP_BROKER_UNREACHABLE",
  "SCOOP_CANCELLED",
  "SCOOP_CLOSED",
  "SCOOP_CONST_EXISTS",
  "SCOOP_DUPLICATE_TASK",
  "SCOOP_EMPTY_REDUCE",
  "SCOOP_INSECURE_BIND",
  "SCOOP_INTERNAL",
  "SCOOP_INVALID_OPTION",
  "SCOOP_KEY_EXISTS",
  "SCOOP_LAUNCHER_MISSING",
  "SCOOP_LAUNCH_FAILED",
  "SCOOP_MALFORMED_MESSAGE",
  "SCOOP_MALFORMED_PAYLOAD",
  "SCOOP_MAP_CONSUMED",
  "SCOOP_MESSAGE_TOO_LARGE",
  "SCOOP_MONITOR_READ_ONLY",
  "SCOOP_NOT_JOINED",
  "SCOOP_NOT_ORIGIN",
  "SCOOP_NO_MAIN",
  "SCOOP_NOT_CLOSED",
  "SCOOP_NO_SECRETS",
  "SCOOP_PAYLOAD_GONE",
  "SCOOP_PROTOCOL_VERSION",
  "SCOOP_RETRIES_EXHAUSTED",
  "SCOOP_SCRIPT_LOAD_FAILED",
  "SCOOP_SCRIPT_NOT_FOUND",
  "SCOOP_SSH_FAILED",
  "SCOOP_TASK_EXIT",
  "SCOOP_TASK_FAILED",
  "SCOOP_TASK_NAME_TAKEN",
  "SCOOP_TASK_NOT_REGISTERED",
  "SCOOP_TASK_WAITING",
  "SCOOP_TIMEOUT",
  "SCOOP_TOP_LEVEL_TASKS",
  "SCOOP_UNEXPECTED_MESSAGE",
  "SCOOP_UNSERIALIZABLE",
  "SCOOP_USAGE",
  "SCOOP_WORKER_LOST",
] as const;

/** A code SCOOP's own errors carry (`error.code`); see `ERRORS.md` for each one's meaning. */
export type ScoopErrorCode = (typeof SCOOP_ERROR_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(SCOOP_ERROR_CODES);

/** True if `code` is one of SCOOP's error codes (a peer of another version may send others). */
export function isScoopErrorCode(code: unknown): code is ScoopErrorCode {
  return typeof code === "string" && KNOWN.has(code);
}
