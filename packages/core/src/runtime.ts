/**
 * The process-wide state of SCOOP: the installed executor, the task
 * registry, the codec, the logger and the task context. It lives on
 * `globalThis` under a registered symbol because one process may load
 * `@scoop/core` twice (its ESM and CJS builds, or two copies in different
 * `node_modules`): the worker and the user's script must see one registry.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes, randomInt } from "node:crypto";
import type { Logger } from "pino";
import { CHUNK_PREFIX, Codec, InvalidOptionError, ScoopError, prettyLogDestination } from "@scoop/protocol";
import { lazyPino, syncDestination } from "@scoop/protocol/internal";
import type { Executor } from "./executor.js";
import { TaskNotRegisteredError } from "./errors.js";
import { RandomStream, checkSeed } from "./random-stream.js";
import { ownDeadline } from "./own-deadlines.js";
import type { CancelScope } from "./cancel-scope.js";

/** Where the task running now came from. Read it with {@link currentTask}. */
export interface TaskContext {
  /** Id of this run of the task (unique per worker; the calls of a map that ran in one chunk share it). */
  readonly id: number;
  /** Registered name of the task. */
  readonly name: string;
  /** Aborted when the task's future is cancelled or its deadline passes (made on first read). */
  readonly signal: AbortSignal;
  /** Worker running the task (`"serial"` in the serial fallback). */
  readonly workerId: string;
  /** 1 for the first run; higher when re-run after a worker was lost. */
  readonly attempt: number;
  /** Id of the task's random stream, as its submitter chose it (see {@link TaskContext.stream}). */
  readonly rng?: string;
  /**
   * The task's random stream: a pure function of the run's seed and the
   * task's position in the submission tree (the n-th call made by the m-th
   * task of …), never of the worker that runs it or when. A retry, a re-run
   * after a lost worker and the serial fallback draw the same numbers.
   */
  readonly stream: RandomStream;
  /** A float in [0, 1) from {@link stream}. */
  random(): number;
  /** An integer in [min, max) from {@link stream}. */
  randomInt(min: number, max: number): number;
  /** A normally distributed number (default mean 0, sd 1) from {@link stream}. */
  randomNormal(mean?: number, sd?: number): number;
}

/** What an executor knows of a task it runs; {@link runInTaskContext} makes the {@link TaskContext}. */
export interface TaskContextInit {
  readonly id: number;
  readonly name: string;
  /** The run's cancellation: its signal is made only if the task reads it. */
  readonly scope: CancelScope;
  readonly workerId: string;
  readonly attempt: number;
  /** Id of the task's random stream as it travelled; or {@link StreamPosition} for one worked out on first use. */
  readonly rng?: string | StreamPosition;
}

/** Child `n` of stream `parent`: a stream id not worked out until something needs it. */
export interface StreamPosition {
  readonly parent: RandomStream;
  readonly n: number;
}

/**
 * The context of a task: what the executor knows, plus its random stream,
 * made on first use (most tasks never draw, and a worker runs many thousands a second).
 */
class Context implements TaskContext {
  readonly id: number;
  readonly name: string;
  readonly workerId: string;
  readonly attempt: number;
  /** @internal the run's cancellation (children follow it; see cancel-scope.ts). */
  readonly cancelScope: CancelScope;
  /** @internal the deadline (epoch ms) of this task if this process submitted it with one (see own-deadlines.ts). */
  readonly dueAt: number | undefined;
  #rng?: string;
  #stream?: RandomStream;
  /** Where the stream id comes from when it is worked out on first use: child `n` of `parent`. */
  #position?: StreamPosition;

  constructor(init: TaskContextInit) {
    this.id = init.id;
    this.name = init.name;
    this.cancelScope = init.scope;
    this.workerId = init.workerId;
    this.attempt = init.attempt;
    if (typeof init.rng === "string") this.#rng = init.rng;
    else this.#position = init.rng;
    this.dueAt = ownDeadline(this.#rng);
  }

  get signal(): AbortSignal {
    return this.cancelScope.signal;
  }

  get rng(): string | undefined {
    if (this.#rng === undefined && this.#position !== undefined) this.#rng = this.#position.parent.child(this.#position.n);
    return this.#rng;
  }

  get stream(): RandomStream {
    if (this.#stream !== undefined) return this.#stream;
    // Worked out from the position without the hex round trip; a task
    // submitted without a stream (by a peer that predates them) gets an unseeded one.
    if (this.#rng === undefined && this.#position !== undefined) return (this.#stream = this.#position.parent.childStream(this.#position.n));
    return (this.#stream = new RandomStream(this.rng ?? randomBytes(16).toString("hex")));
  }

  // Getters of bound functions, not methods: `const { random } = currentTask()!`
  // keeps working, and a task that never draws makes none of them.
  get random(): () => number {
    return () => this.stream.random();
  }

  get randomInt(): (min: number, max: number) => number {
    return (min, max) => this.stream.int(min, max);
  }

  get randomNormal(): (mean?: number, sd?: number) => number {
    return (mean, sd) => this.stream.normal(mean, sd);
  }
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
  /** The entry script's exports are registered (auto-main did it before running main): an unregistered function is not exported. */
  exportsRegistered?: boolean;
  byName: Map<string, TaskFunction>;
  byFn: Map<TaskFunction, string>;
  codec?: Codec;
  logger?: Logger;
  context: AsyncLocalStorage<TaskContext>;
  nextTaskId: number;
  /** Seed of this run, once set or drawn. */
  seed?: number;
  /** The program's own stream (code outside tasks: `main`, an app using `connect()`). */
  program?: RandomStream;
  /** Id of the next map (the broker counts each map's progress by it). */
  nextMapId: number;
  /** Runs a chunk of calls (chunks.ts); set once per process, whatever the copies of core. */
  chunkRunner?: TaskFunction;
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
    nextMapId: 1,
  } satisfies Runtime) as Runtime;

/** The logger SCOOP libraries use: pino on stderr at `SCOOP_LOG_LEVEL` (default `warn`), one readable line per record on a terminal, JSON otherwise. */
export function getLogger(): Logger {
  // Readable lines for a person at a terminal; JSON otherwise (a worker's stderr is read by its launcher).
  // pino itself loads with the first record written (lazy-pino.ts).
  return (runtime.logger ??= lazyPino(process.env.SCOOP_LOG_LEVEL ?? "warn", (pino) =>
    process.stderr.isTTY ? prettyLogDestination("scoop: ", (line) => process.stderr.write(line)) : syncDestination(pino),
  ));
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


/** Names this process can run, as it advertises them to the broker: every registered task, alone and in chunks. */
export function runnableTaskNames(): string[] {
  const names = registeredTaskNames();
  return runtime.chunkRunner === undefined ? names : names.concat(names.map((name) => CHUNK_PREFIX + name));
}

/** The function registered under `name` (or, for a chunk of a registered task's calls, the chunk runner), if any. */
export function taskByName(name: string): TaskFunction | undefined {
  const fn = runtime.byName.get(name);
  if (fn !== undefined || !name.startsWith(CHUNK_PREFIX)) return fn;
  return runtime.byName.has(name.slice(CHUNK_PREFIX.length)) ? runtime.chunkRunner : undefined;
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
 * Run `fn` as task `init.name`: {@link currentTask} returns its context
 * inside it and in everything it awaits. Used by executors.
 */
export function runInTaskContext<A extends unknown[], T>(init: TaskContextInit, fn: (...args: A) => T, ...args: A): T {
  return runtime.context.run(new Context(init), fn, ...args);
}

/**
 * The task of this process's own, with a deadline, whose code runs now (a
 * task's context follows it into everything it awaits); `undefined` for
 * code outside tasks (`main`) and other tasks. The heartbeat thread asks
 * for it through the inspector when the thread stalls (see heart.ts).
 */
export function ownTaskRunning(): { key: number; name: string; deadline: number } | undefined {
  const context = runtime.context.getStore() as Context | undefined;
  return context?.dueAt === undefined ? undefined : { key: context.id, name: context.name, deadline: context.dueAt };
}

/** The cancellation of the task running now, if any (the futures it submits follow it). */
export function currentScope(): CancelScope | undefined {
  return (runtime.context.getStore() as Context | undefined)?.cancelScope;
}

/**
 * Seed the run's random streams (`scoop --seed`, `start({ seed })`,
 * `connect({ seed })`, or `SCOOP_SEED` in the environment). Restarts the
 * program's stream: call it before submitting.
 * @throws {InvalidOptionError} unless a non-negative safe integer
 */
export function setSeed(seed: number): void {
  runtime.seed = checkSeed(seed, "seed");
  runtime.program = RandomStream.fromSeed(runtime.seed);
}

/**
 * The run's seed: the one set, else `SCOOP_SEED`, else one drawn now and
 * logged (at info: `scoop -v` shows it) so the run can be replayed.
 */
export function runSeed(): number {
  if (runtime.seed === undefined) {
    const fromEnv = process.env.SCOOP_SEED;
    if (fromEnv !== undefined && fromEnv !== "") setSeed(checkSeed(fromEnv, "SCOOP_SEED"));
    else {
      setSeed(randomInt(2 ** 48 - 1));
      getLogger().info({ seed: runtime.seed }, `random seed ${runtime.seed} drawn for this run (replay it with --seed ${runtime.seed} or SCOOP_SEED=${runtime.seed})`);
    }
  }
  return runtime.seed!;
}

/** Stream of the next task submitted from here: the next position of the running task, or of the program. */
export function nextStreamPosition(): StreamPosition {
  const parent = randomStream();
  return { parent, n: parent.reserveChild() };
}

/** The stream of a new map (its calls are its children), the next position of the running task or program. */
export function nextStream(): RandomStream {
  const { parent, n } = nextStreamPosition();
  return parent.childStream(n);
}

/** A stream id as it travels on the wire. */
export function streamId(rng: string | StreamPosition | undefined): string | undefined {
  return rng === undefined || typeof rng === "string" ? rng : rng.parent.child(rng.n);
}

/** The random stream of the running task, or the program's own outside tasks (in `main`). */
export function randomStream(): RandomStream {
  const task = currentTask();
  if (task !== undefined) return task.stream;
  runSeed();
  return runtime.program!;
}

/**
 * The task this code runs in, or `undefined` outside tasks. A long task
 * should watch `currentTask()?.signal` to stop early when cancelled.
 */
export function currentTask(): TaskContext | undefined {
  return runtime.context.getStore();
}
