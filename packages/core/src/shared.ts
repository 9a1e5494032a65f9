/**
 * Shared constants: read-only values set once (usually by `main`) and
 * broadcast to every worker of the run, late joiners included.
 */
import { InvalidOptionError } from "@scoop/protocol";
import { executorForConstants as executor } from "./active-executor.js";

/** Options of {@link getConst}. */
export interface GetConstOptions {
  /** How long to wait for a constant not set yet. @default 30000 */
  timeoutMs?: number;
  /** Stop waiting when this aborts. */
  signal?: AbortSignal;
}

/**
 * Set shared constants: `setConst("name", value)` or `setConst({ a: 1, b: 2 })`.
 * Resolves once the broker has them (every worker will see them).
 * @throws {ScoopError} `SCOOP_CONST_EXISTS` if a name is already set (constants are read-only).
 * @throws {SerializationError} if a value cannot be sent.
 */
export async function setConst(nameOrValues: string | Record<string, unknown>, value?: unknown): Promise<void> {
  if (typeof nameOrValues === "string") {
    if (nameOrValues === "") throw new InvalidOptionError("setConst: the name must be a non-empty string");
    return executor().setConst(nameOrValues, value);
  }
  if (typeof nameOrValues !== "object" || nameOrValues === null) {
    throw new InvalidOptionError(`setConst: pass a name and a value, or an object of constants (got ${nameOrValues === null ? "null" : typeof nameOrValues})`);
  }
  await Promise.all(Object.entries(nameOrValues).map(([name, v]) => executor().setConst(name, v)));
}

/**
 * Read a shared constant, waiting for it to be set (up to `timeoutMs`).
 * @throws {TimeoutError} `SCOOP_TIMEOUT` if it is not set in time.
 */
export async function getConst<T = unknown>(name: string, options: GetConstOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!(typeof timeoutMs === "number" && timeoutMs >= 0)) throw new InvalidOptionError(`getConst: options.timeoutMs must be a non-negative number (got ${String(timeoutMs)})`);
  return (await executor().getConst(name, { timeoutMs, signal: options.signal })) as T;
}
