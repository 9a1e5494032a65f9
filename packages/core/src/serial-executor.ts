/**
 * The serial fallback: runs tasks in this process, one at a time, when the
 * program was not started by `scoop` (or `connect()`/`start()`). Arguments and
 * results make the same codec round trip as on a cluster, so a program that
 * works here behaves the same distributed (same copies, same errors).
 */
import type { Executor, TaskCall, TaskSink } from "./executor.js";
import { ScoopError } from "@scoop/protocol";
import { ConstWaiters } from "./const-waiters.js";
import { guardProcessExit } from "./exit-guard.js";
import { AbortedError } from "./errors.js";
import { remoteFailure } from "./remote-failure.js";
import { getCodec, runInTaskContext } from "./runtime.js";
import { CancelScope } from "./cancel-scope.js";

interface Queued {
  call: TaskCall;
  sink: TaskSink;
  frames: Uint8Array[];
}

/** Runs tasks in-process, in submission order; async tasks interleave at their awaits. */
export class SerialExecutor implements Executor {
  readonly kind = "serial" as const;
  private queue: Array<Queued | undefined> = [];
  private head = 0;
  private scheduled = false;
  /** Started async tasks, by id: cancelling one aborts its signal. */
  private readonly running = new Map<number, CancelScope>();
  private readonly constants = new Map<string, unknown>();
  private readonly constWaiters = new ConstWaiters();
  private idleWaiters: Array<() => void> = [];

  constructor() {
    guardProcessExit(); // a task must not end main, here as on a cluster
  }

  submit(entries: ReadonlyArray<{ call: TaskCall; sink: TaskSink }>): void {
    const codec = getCodec();
    const encoded = entries.map(({ call }) => codec.encode(call.args, "args"));
    entries.forEach(({ call, sink }, i) => this.queue.push({ call, sink, frames: encoded[i] }));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  cancel(id: number): boolean {
    for (let i = this.head; i < this.queue.length; i++) {
      if (this.queue[i]?.call.id === id) {
        this.queue[i] = undefined;
        this.checkIdle();
        return true;
      }
    }
    const scope = this.running.get(id);
    if (scope === undefined) return false;
    this.running.delete(id);
    scope.cancel(new AbortedError("the task was cancelled"));
    this.checkIdle();
    return true;
  }

  async setConst(name: string, value: unknown): Promise<void> {
    const codec = getCodec();
    if (this.constants.has(name)) throw new ScoopError("SCOOP_CONST_EXISTS", `shared constant "${name}" is already set: constants are read-only, use a new name`);
    this.constants.set(name, codec.decode(codec.encode(value, `shared constant "${name}"`)));
    this.constWaiters.wake(name);
  }

  async getConst(name: string, options: { timeoutMs?: number; signal?: AbortSignal }): Promise<unknown> {
    if (!this.constants.has(name)) await this.constWaiters.wait(name, name, options);
    return this.constants.get(name);
  }

  async shutdown(wait: boolean): Promise<void> {
    if (!wait || this.idle()) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private drain(): void {
    this.scheduled = false;
    // One task per turn of the event loop, so timers, I/O and the awaits of
    // async tasks interleave with a long map instead of waiting for its end.
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head];
      this.queue[this.head++] = undefined;
      if (entry === undefined) continue;
      this.run(entry);
      break;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.head < this.queue.length) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
    this.checkIdle();
  }

  private run({ call, sink, frames }: Queued): void {
    const codec = getCodec();
    const scope = new CancelScope();
    sink.started();
    let result: unknown;
    try {
      const args = codec.decode(frames) as unknown[];
      result = runInTaskContext({ id: call.id, name: call.name, scope, workerId: "serial", attempt: 1, rng: call.rng }, call.fn, ...args);
    } catch (error) {
      sink.reject(remoteFailure(call.name, error, "serial", "localhost"));
      return;
    }
    if (typeof (result as PromiseLike<unknown>)?.then !== "function") {
      this.deliver(call, sink, result);
      return;
    }
    this.running.set(call.id, scope);
    Promise.resolve(result).then(
      (value) => {
        if (this.running.delete(call.id)) this.deliver(call, sink, value);
        this.checkIdle();
      },
      (error) => {
        if (this.running.delete(call.id)) sink.reject(remoteFailure(call.name, error, "serial", "localhost"));
        this.checkIdle();
      },
    );
  }

  /** Results make the codec round trip too: what cannot travel fails here as it would on a cluster. */
  private deliver(call: TaskCall, sink: TaskSink, value: unknown): void {
    const codec = getCodec();
    try {
      sink.resolve(codec.decode(codec.encode(value, `result of task "${call.name}"`)));
    } catch (error) {
      sink.reject(remoteFailure(call.name, error, "serial", "localhost"));
    }
  }

  private idle(): boolean {
    return this.head >= this.queue.length && this.running.size === 0;
  }

  private checkIdle(): void {
    if (!this.idle() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
