/**
 * Errors shared by every SCOOP package. Each error has a stable `code`
 * (tests and programs match on it, never on the message text) and a message
 * that says what happened and what to do.
 */

/** Context a SCOOP error may carry, so programs can react without parsing text. */
export interface ScoopErrorContext {
  /** Name of the task concerned. */
  taskName?: string;
  /** Id of the worker concerned. */
  workerId?: string;
  /** Host of the worker concerned. */
  host?: string;
  /** Endpoint concerned, e.g. `tcp://127.0.0.1:5555`. */
  address?: string;
  /** Path inside a value, e.g. `args[0].items[3]`. */
  path?: string;
}

/** Options accepted by every SCOOP error constructor. */
export interface ScoopErrorOptions extends ScoopErrorContext {
  /** The underlying error, if any. */
  cause?: unknown;
}

/** Brand of every ScoopError, shared by every copy of this library in a process. */
const SCOOP_ERROR = Symbol.for("scoop.ScoopError");

/**
 * Base class of every error SCOOP throws. `instanceof ScoopError` also holds
 * for a ScoopError made by another copy of `@scoop/protocol` (two versions in
 * one `node_modules`): it checks a `Symbol.for` brand, not the prototype chain.
 */
export class ScoopError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses keep the ordinary prototype check.
    if (this !== ScoopError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === "object" && value !== null && (value as { [SCOOP_ERROR]?: unknown })[SCOOP_ERROR] === true;
  }

  /** Stable machine-readable code, always starting with `SCOOP_`. */
  readonly code: string;
  declare readonly taskName?: string;
  declare readonly workerId?: string;
  declare readonly host?: string;
  declare readonly address?: string;
  declare readonly path?: string;

  constructor(code: string, message: string, options: ScoopErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Spelled out: the bundler renames this class (_ScoopError), and the name is what a person reads first.
    this.name = new.target === ScoopError ? "ScoopError" : new.target.name;
    this.code = code;
    if (options.taskName !== undefined) this.taskName = options.taskName;
    if (options.workerId !== undefined) this.workerId = options.workerId;
    if (options.host !== undefined) this.host = options.host;
    if (options.address !== undefined) this.address = options.address;
    if (options.path !== undefined) this.path = options.path;
  }

  /** @internal the cross-copy brand checked by `instanceof ScoopError`. */
  get [SCOOP_ERROR](): true {
    return true;
  }

  /** Own fields `console.log` leaves out: they repeat what the stack already says. */
  protected get inspectHidden(): readonly string[] {
    return [];
  }

  /**
   * How `console.log(error)` and `util.inspect` show it: the stack once, then
   * the code and the context that is set (no `undefined` fields), then the
   * cause unless the stack already tells it.
   */
  [Symbol.for("nodejs.util.inspect.custom")](_depth: number, options: { depth?: number | null }, inspect: (value: unknown, options?: object) => string): string {
    const hidden = this.inspectHidden;
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this)) if (value !== undefined && key !== "name" && !hidden.includes(key)) fields[key] = value;
    let text = `${this.stack ?? `${this.name}: ${this.message}`}\n  ${inspect(fields, { ...options, breakLength: Infinity })}`;
    if (this.cause !== undefined && !hidden.includes("cause")) {
      const depth = typeof options.depth === "number" ? options.depth - 1 : options.depth;
      text += `\n  [cause]: ${inspect(this.cause, { ...options, depth }).replaceAll("\n", "\n  ")}`;
    }
    return text;
  }
}

/** A value cannot be sent to another process (function, symbol, cycle, unregistered class…). */
export class SerializationError extends ScoopError {
  constructor(message: string, options: ScoopErrorOptions = {}) {
    super("SCOOP_UNSERIALIZABLE", message, options);
  }
}

/** Bytes received from a peer are not a valid SCOOP message or payload. */
export class ProtocolError extends ScoopError {
  constructor(code: "SCOOP_MALFORMED_MESSAGE" | "SCOOP_PROTOCOL_VERSION" | "SCOOP_MESSAGE_TOO_LARGE" | "SCOOP_MALFORMED_PAYLOAD", message: string, options: ScoopErrorOptions = {}) {
    super(code, message, options);
  }
}

/** An option passed by the caller is invalid. */
export class InvalidOptionError extends ScoopError {
  constructor(message: string, options: ScoopErrorOptions = {}) {
    super("SCOOP_INVALID_OPTION", message, options);
  }
}
