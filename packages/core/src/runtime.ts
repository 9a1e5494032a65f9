/**
 * The process-wide state of SCOOP: the installed executor, the task
 * registry, the codec, the logger and the task context. It lives on
 * `globalThis` under a registered symbol because one process may load
 * `@scoop/core` twice (its ESM and CJS builds, or two copies in different
 * `node_modules`): the worker and the user's script must see one registry.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import pino, { type Logger } from "pino";
import { Codec, InvalidOptionError, ScoopError } from "@scoop/protocol";
import type { Executor } from "./executor.js";
import { TaskNotRegisteredError } from "./errors.js";

/** Where the task running now came from. Read it with {@link currentTask}. */
export interface TaskContext {
  /** Id of this run of the task (unique per worker). */
  readonly id: number;
  /** Registered name of the task. */
  readonly name: string;
  /** Aborted when the task's future is cancelled or its deadline passes. */
  readonly signal: AbortSignal;
  /** Worker running the task (`"serial"` in the serial fallback). */
  readonly workerId: string;
  /** 1 for the first run; higher when re-run after a worker was lost. */
  readonly attempt: number;
}

type TaskFunction = (...args: any[]) => unknown;

interface Runtime {
  executor?: Executor;
  /** The program is managed (worker, `connect()`, `start()`): never auto-run `main`. */
  managed: boolean;
  /** The auto-main check is scheduled (once per process, whatever the copies of core). */
  autoMain: boolean;
  /** `futures` was used before the auto-main check (the script drives itself). */
  usedEarly: boolean;
  byName: Map<string, TaskFunction>;
  byFn: Map<TaskFunction, string>;
  codec?: Codec;
  logger?: Logger;
  context: AsyncLocalStorage<TaskContext>;
  nextTaskId: number;
}

const KEY = Symbol.for("scoop.runtime");

/** The one runtime of this process. */
export const runtime: Runtime = ((globalThis as Record<symbol, unknown>)[KEY] as Runtime | undefined) ??
  ((globalThis as Record<symbol, unknown>)[KEY] = {
    managed: false,
    autoMain: false,
    usedEarly: false,
    byName: new Map(),
    byFn: new Map(),
    context: new AsyncLocalStorage<TaskContext>(),
    nextTaskId: 1,
  } satisfies Runtime) as Runtime;

/** The logger SCOOP libraries use: pino on stderr at `SCOOP_LOG_LEVEL` (default `warn`). */
export function getLogger(): Logger {
  return (runtime.logger ??= pino({ level: process.env.SCOOP_LOG_LEVEL ?? "warn" }, pino.destination({ fd: 2, sync: true })));
}

/** Replace the logger SCOOP uses in this process. */
export function setLogger(logger: Logger): void {
  runtime.logger = logger;
}

/** Install the executor `futures` use (done by `@scoop/worker`, `connect()` and `start()`). */
export function setExecutor(executor: Executor | undefined): void {
  runtime.executor = executor;
  if (executor) runtime.managed = true;
}

/** The installed executor, if any (the serial fallback is installed on first use). */
export function getExecutor(): Executor | undefined {
  return runtime.executor;
}

/** The codec of this process; registered tasks travel by name. */
export function getCodec(): Codec {
  return (runtime.codec ??= new Codec({
    functions: { nameOf: (fn) => runtime.byFn.get(fn as TaskFunction), byName: (name) => runtime.byName.get(name) },
  }));
}

/**
 * Register a class so its instances keep their prototype across processes.
 * Call it in every process (at the top level of the script or a task module).
 */
export function registerClass<T>(cls: new (...args: any[]) => T, options?: Parameters<Codec["registerClass"]>[1]): void {
  getCodec().registerClass(cls, options as never);
}

function register(name: string, fn: TaskFunction): void {
  const existing = runtime.byName.get(name);
  if (existing !== undefined && existing !== fn) {
    throw new ScoopError("SCOOP_TASK_NAME_TAKEN", `task name "${name}" is already taken by another function: rename one of them, or register a module with { prefix }`, { taskName: name });
  }
  runtime.byName.set(name, fn);
  if (!runtime.byFn.has(fn)) runtime.byFn.set(fn, name);
}

/**
 * Name a function as a task, so it can be submitted and run on any worker
 * that ran the same `defineTask` call. Returns `fn` itself.
 *
 * ```ts
 * export const square = defineTask("square", (x: number) => x * x);
 * ```
 * @throws {ScoopError} `SCOOP_TASK_NAME_TAKEN` if another function has this name.
 */
export function defineTask<F extends TaskFunction>(name: string, fn: F): F {
  if (typeof name !== "string" || name === "") throw new InvalidOptionError(`defineTask(name, fn): name must be a non-empty string (got ${JSON.stringify(name)})`);
  if (typeof fn !== "function") throw new InvalidOptionError(`defineTask("${name}", fn): fn must be a function (got ${typeof fn})`);
  register(name, fn);
  return fn;
}

/**
 * Register every exported function of a module as a task named after its
 * export (`main` and `default` excluded: they are entry points).
 *
 * ```ts
 * import * as tasks from "./tasks.js";
 * registerModule(tasks);
 * ```
 */
export function registerModule(exports: Record<string, unknown>, options: { prefix?: string } = {}): void {
  for (const [name, value] of Object.entries(exports)) {
    if (name === "main" || name === "default" || typeof value !== "function") continue;
    register(`${options.prefix ?? ""}${name}`, value as TaskFunction);
  }
}

/** Names of every registered task. */
export function registeredTaskNames(): string[] {
  return [...runtime.byName.keys()];
}

/** The function registered under `name`, if any. */
export function taskByName(name: string): TaskFunction | undefined {
  return runtime.byName.get(name);
}

/** The task name of `fn`, if it is registered. */
export function taskName(fn: TaskFunction): string | undefined {
  return runtime.byFn.get(fn);
}

/** The task name of `fn`, or a {@link TaskNotRegisteredError} that says how to fix it. */
export function requireTaskName(fn: unknown): string {
  if (typeof fn !== "function") {
    throw new TaskNotRegisteredError(`the task must be a function (got ${fn === null ? "null" : typeof fn})`);
  }
  const name = runtime.byFn.get(fn as TaskFunction);
  if (name !== undefined) return name;
  const what = fn.name ? `function "${fn.name}"` : "an anonymous function";
  throw new TaskNotRegisteredError(
    `${what} is not a registered task, so workers cannot run it: ` +
      (fn.name
        ? `export it from the script scoop runs (top level, not inside main), or wrap it with defineTask("${fn.name}", ${fn.name}); an app using connect() registers its task modules with registerModule(await import("./tasks.js"))`
        : `give it a name and export it from the script, or wrap it with defineTask("name", fn)`),
    { taskName: fn.name || undefined },
  );
}

/**
 * Run `fn` as task `context.name`: {@link currentTask} returns `context`
 * inside it and in everything it awaits. Used by executors.
 */
export function runInTaskContext<T>(context: TaskContext, fn: () => T): T {
  return runtime.context.run(context, fn);
}

/**
 * The task this code runs in, or `undefined` outside tasks. A long task
 * should watch `currentTask()?.signal` to stop early when cancelled.
 */
export function currentTask(): TaskContext | undefined {
  return runtime.context.getStore();
}
