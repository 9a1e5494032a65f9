/**
 * The diagnostic walk: when the writer gives up, find the exact path of what
 * cannot be sent (a function, a symbol, a cycle, an unregistered class…) and
 * say how to fix it in a {@link SerializationError}.
 */
import type { ClassEntry, FunctionNaming } from "./codec-types.js";
import { SerializationError } from "./errors.js";
import { BINARY_KIND, MAX_DEPTH, UNENCODABLE, UNSENDABLE, errorClassOf, errorFieldKeys, hasOwn } from "./extensions.js";

/** What the walk needs from the codec. */
export interface DiagnoseHost {
  readonly functions?: FunctionNaming;
  readonly classes: ReadonlyMap<object, ClassEntry>;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function member(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function describeMapKey(key: unknown, index: number): string {
  switch (typeof key) {
    case "string":
      return JSON.stringify(key);
    case "number":
    case "boolean":
      return String(key);
    case "bigint":
      return `${key}n`;
    default:
      return key === null || key === undefined ? String(key) : `<key #${index}>`;
  }
}

function className(proto: object): string {
  const ctor = (proto as { constructor?: unknown }).constructor;
  return typeof ctor === "function" && ctor.name ? ctor.name : "(anonymous)";
}

interface Visit {
  value: unknown;
  path: string;
  /** Set on the marker that takes `value` off the ancestor list when its subtree is done. */
  exit?: boolean;
}

/** Build the {@link SerializationError} for a failed encode, walking `value` to find the culprit. */
export function diagnose(value: unknown, path: string, cause: unknown, codec: DiagnoseHost): SerializationError {
  let found: SerializationError | undefined;
  try {
    found = findUnencodable(value, path, codec);
  } catch (error) {
    cause = error; // only reachable if a value changes under us; fall through to the generic message
  }
  if (found !== undefined) return found;
  if (cause === UNENCODABLE || (cause instanceof RangeError && /call stack/i.test(cause.message))) {
    return new SerializationError(`${path} is nested too deeply to encode (more than ${MAX_DEPTH} levels); flatten it`, { path });
  }
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new SerializationError(`${path} could not be encoded: ${reason}`, { path, cause });
}

/**
 * Walk `value` the way {@link Writer.write} does, iteratively (deep values
 * must not overflow the stack here) and tracking ancestors to name cycles.
 */
function findUnencodable(value: unknown, root: string, codec: DiagnoseHost): SerializationError | undefined {
  const ancestors = new Map<object, string>();
  const todo: Visit[] = [{ value, path: root }];
  const fail = (path: string, message: string, cause?: unknown) =>
    new SerializationError(`${path} ${message}`, cause === undefined ? { path } : { path, cause });
  while (todo.length > 0) {
    const { value: v, path, exit } = todo.pop()!;
    if (exit) {
      ancestors.delete(v as object);
      continue;
    }
    if (typeof v === "function") {
      if (codec.functions?.nameOf(v) !== undefined) continue;
      return fail(path, "is a function (anonymous or not registered as a task); functions cannot be copied to another process: define it with defineTask() and pass the task, or pass data instead");
    }
    if (typeof v === "symbol") {
      return fail(path, `is a symbol (${String(v)}); symbols are unique to their process: pass a string instead`);
    }
    if (typeof v !== "object" || v === null) continue;
    const back = ancestors.get(v);
    if (back !== undefined) {
      return fail(path, `is a cycle back to ${back}; values are copied, so send a tree (shared references are fine, loops are not): replace the back-reference with an id`);
    }
    const children: Visit[] = [];
    const own = (o: object, keys: string[]) => {
      for (const k of keys) children.push({ value: (o as Record<string, unknown>)[k], path: member(path, k) });
    };
    const proto = Object.getPrototypeOf(v);
    const entry = Array.isArray(v) || proto === Object.prototype || proto === null ? undefined : codec.classes.get(proto);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) children.push({ value: v[i], path: `${path}[${i}]` });
    } else if (proto === Object.prototype || proto === null) {
      own(v, Object.keys(v));
    } else if (entry !== undefined) {
      if (entry.encode !== undefined) {
        let data: unknown;
        try {
          data = entry.encode(v);
        } catch (error) {
          return fail(path, `could not be encoded: the encode hook of class ${entry.name} threw (${error instanceof Error ? error.message : String(error)})`, error);
        }
        children.push({ value: data, path });
      } else own(v, Object.keys(v));
    } else if (BINARY_KIND.has(proto) || proto === Date.prototype || proto === RegExp.prototype) {
      // leaves
    } else if (proto === Map.prototype) {
      let i = 0;
      for (const [k, item] of v as Map<unknown, unknown>) {
        children.push({ value: k, path: `${path}.keys()[${i}]` });
        children.push({ value: item, path: `${path}.get(${describeMapKey(k, i)})` });
        i++;
      }
    } else if (proto === Set.prototype) {
      let i = 0;
      for (const item of v as Set<unknown>) children.push({ value: item, path: `${path}[Set #${i++}]` });
    } else if (errorClassOf(v) !== undefined) {
      const e = v as Error;
      children.push({ value: e.name, path: `${path}.name` }, { value: e.message, path: `${path}.message` }, { value: e.stack, path: `${path}.stack` });
      if (hasOwn.call(e, "cause")) children.push({ value: e.cause, path: `${path}.cause` });
      own(e, errorFieldKeys(e));
      if (errorClassOf(v) === "AggregateError" && Array.isArray((e as AggregateError).errors)) {
        children.push({ value: (e as AggregateError).errors, path: `${path}.errors` });
      }
    } else {
      const builtin = UNSENDABLE.get(proto);
      if (builtin !== undefined) return fail(path, `is a ${builtin}, which cannot be copied to another process; pass the data it holds instead`);
      const name = className(proto);
      return fail(path, `is an instance of class ${name}, which is not registered; call registerClass(${name}) in every process (or pass a plain object)`);
    }
    ancestors.set(v, path);
    todo.push({ value: v, path, exit: true });
    for (let i = children.length - 1; i >= 0; i--) todo.push(children[i]);
  }
  return undefined;
}
