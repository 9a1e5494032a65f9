/**
 * The heartbeat thread. Liveness must not depend on the worker's JavaScript
 * thread: a task may compute synchronously for minutes. So a worker thread
 * with its own DEALER socket beats for the worker, and watches the broker:
 * if the broker falls silent, it tells the main thread, and if that thread is
 * too busy to react, it ends the process so no orphan is left behind.
 *
 * It also frees a worker stuck in a synchronous task its owner gave up on
 * (a deadline passed, a cancel): the broker sends the task's ABORT to this
 * thread too, and if the main thread is still inside that task after
 * `stuckGraceMs` (it marks the task it runs in shared memory), the thread
 * logs one line, tells the broker (which requeues the worker's other tasks
 * without spending their retries) and ends the process. A task of this
 * process's own with a deadline (no other worker could run it) gets no abort
 * (its owner's timer is on the blocked thread): the main thread posts its
 * deadline here as it starts it, and the same rule applies past that
 * deadline; past its first await no mark shows the task, so the thread asks
 * the main thread through the inspector whose code holds it (askWhoHolds).
 * The origin ends too (the launcher then ends the run, saying why), but only
 * for its own tasks: a task another owner cancelled may be long but
 * legitimate.
 *
 * The thread's code is heart-thread.ts (source text, run with `eval`); this
 * module boots, feeds and stops it.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { PROTOCOL_VERSION } from "@scoop/protocol";
import { ownTaskRunning } from "./runtime.js";
import { HEART_SOURCE } from "./heart-thread.js";

/** Options of {@link startHeart}. */
export interface HeartOptions {
  endpoint: string;
  workerId: string;
  heartbeatMs: number;
  livenessMs: number;
  /** How long the main thread has to exit by itself once the broker is lost; 0: never end the process (apps). */
  graceMs: number;
  /** CURVE client options for the heart's socket, if the broker uses CURVE. */
  curve?: Record<string, string>;
  /** How long the main thread may stay inside a task the broker aborted, or past the deadline of its own task, before the process ends itself; 0: never. */
  stuckGraceMs: number;
  /** This is the origin: it says nothing when it ends stuck (ending it ends the run: the launcher says so). */
  origin: boolean;
  /** For the one warning the thread logs when it ends a stuck worker (as a pino record on stderr): the worker logger's level and bindings. */
  log: { level: number; bindings: Record<string, unknown> };
  /** `frozen`: this process itself was not running for most of the silence (stopped, suspended). */
  onBrokerLost(silentMs: number, frozen: boolean): void;
  /** The thread sent its first heartbeat (until then the main thread beats). */
  onBeating?(): void;
}

/** A running heartbeat thread. */
export interface Heart {
  stop(): Promise<void>;
  /** The broker task the main thread runs synchronously from now on (`undefined`: none). */
  running(key: number | undefined): void;
  /** The task just marked {@link running} is this process's own, due by `deadline` (epoch ms): its timer cannot fire while it runs. */
  ownDeadline(key: number, name: string, deadline: number): void;
  /** The runner awaits task `key` from now on (`true`: it returned a promise) or no longer (`false`: settled). */
  awaiting(key: number, on: boolean): void;
}

/** How often the main thread of a worker shows the heart that its event loop turns (see checkStuck). */
const PROGRESS_MS = 500;

/**
 * Threads whose socket must be closed before the process exits. A zeromq
 * socket still open in a worker thread when the process exits (a task that
 * calls `process.exit()`) aborts the process natively ("terminate called
 * after throwing an instance of 'Napi::Error'", zeromq.js issue 411), so one
 * exit handler asks each thread to close its socket and waits for it, briefly.
 */
const openHearts = new Set<{ thread: Worker; closed: Int32Array }>();
/** Bounds the exit handler's wait for a thread to close: it is quick, but a loaded machine may not run the thread at once. */
const EXIT_WAIT_MS = 2000;

/**
 * `closed[1]`: 0 while the thread boots, 1 once its code claimed it (before
 * it loads zeromq: terminating a thread inside zeromq's addon registration
 * aborts the process natively, so a claimed thread is stopped by message and
 * waited for), 2 if it was stopped first. A thread stopped while booting never
 * loads zeromq, so it is simply terminated: it costs a short run nothing at
 * its end (waiting for a new Node environment to boot, only to close, took
 * 60-170 ms of W0's exit).
 */
function cancelBoot(closed: Int32Array): boolean {
  return Atomics.compareExchange(closed, 1, 0, 2) === 0;
}

function closeHeartsOnExit(): void {
  for (const heart of openHearts) if (!cancelBoot(heart.closed)) heart.thread.postMessage("stop");
  const deadline = Date.now() + EXIT_WAIT_MS;
  for (const heart of openHearts) if (Atomics.load(heart.closed, 1) === 1) Atomics.wait(heart.closed, 0, 0, Math.max(0, deadline - Date.now()));
  openHearts.clear();
}

/** A heartbeat thread, booting or booted, before its settings. */
interface HeartThread {
  thread: Worker;
  closed: Int32Array;
  running: Int32Array;
  exited: Promise<void>;
  forget(): void;
}

function bootHeart(settings: Record<string, unknown>): HeartThread {
  const require = createRequire(__filename);
  // [0] the thread's socket is closed, [1] its boot (see cancelBoot).
  const closed = new Int32Array(new SharedArrayBuffer(8));
  // [0] mark of the task run synchronously, [1] task starts, [2] event-loop turns, [3] tasks awaited, [4] their marks XORed.
  const running = new Int32Array(new SharedArrayBuffer(20));
  const thread = new Worker(HEART_SOURCE, {
    eval: true,
    workerData: {
      zmqPath: require.resolve("zeromq"),
      // msgpack as @scoop/protocol resolves it (core does not depend on it directly), its one-file build:
      // its CommonJS build is 14 files, ~20 ms of the thread's boot beside the worker's own start.
      msgpackPath: createRequire(require.resolve("@scoop/protocol")).resolve("@msgpack/msgpack/dist.umd/msgpack.min.js"),
      closed,
      running,
      ...settings,
    },
  });
  const entry = { thread, closed };
  if (openHearts.size === 0) process.on("exit", closeHeartsOnExit);
  openHearts.add(entry);
  const forget = () => {
    openHearts.delete(entry);
    if (openHearts.size === 0) process.off("exit", closeHeartsOnExit);
  };
  const exited = new Promise<void>((resolve) =>
    thread.once("exit", () => {
      forget();
      resolve();
    }),
  );
  return { thread, closed, running, exited, forget };
}

/**
 * Start the heartbeat thread of a worker, once the broker welcomed it (until
 * the thread beats, the main thread does). Not earlier, at process start: the
 * thread is a second Node environment (~0.1 s of CPU to boot), and booting it
 * beside the process's own start and module loading made a short run slower
 * (W0, 15 and 21 alternations: 17 ms of wall time and 50 ms of CPU more). A run
 * shorter than the boot ends the thread unclaimed ({@link cancelBoot}), so the
 * rest of its boot is never paid for.
 */
export function startHeart(options: HeartOptions): Heart {
  const { thread, closed, running, exited, forget } = bootHeart({
    endpoint: options.endpoint,
    routingId: `${options.workerId}/heart`,
    workerId: options.workerId,
    version: PROTOCOL_VERSION,
    heartbeatMs: options.heartbeatMs,
    livenessMs: options.livenessMs,
    graceMs: options.graceMs,
    curve: options.curve ?? {},
    stuckGraceMs: options.stuckGraceMs,
    origin: options.origin,
    log: options.log,
  });
  thread.on("message", (m: { type: string; silentMs: number; frozen?: boolean }) => {
    if (m.type === "broker-lost") options.onBrokerLost(m.silentMs, m.frozen === true);
    else if (m.type === "beating") options.onBeating?.();
  });
  // After the listener: adding a "message" listener refs the thread's port again.
  thread.unref();
  // 2 wake-ups a second, whatever the task rate (measured: see the worker README).
  const progress = options.stuckGraceMs > 0 ? setInterval(() => running[2]++, PROGRESS_MS).unref() : undefined;
  (globalThis as Record<symbol, unknown>)[Symbol.for("scoop.ownTaskRunning")] ??= ownTaskRunning;
  let stopping: Promise<void> | undefined;
  return {
    running(key) {
      // Plain writes (aligned Int32 writes do not tear): this runs once per task.
      if (key === undefined) running[0] = 0;
      else {
        running[0] = (key % 0x7ffffffe) + 1;
        running[1]++;
      }
    },
    ownDeadline(key, name, deadline) {
      // Rare (only where no other worker could take it): a message is cheap enough, and it reaches the thread however long this one stays busy.
      thread.postMessage({ t: "due", key, name, deadline, seq: running[1] });
    },
    awaiting(key, on) {
      running[3] += on ? 1 : -1;
      running[4] ^= (key % 0x7ffffffe) + 1;
    },
    stop() {
      stopping ??= (async () => {
        clearInterval(progress);
        if (cancelBoot(closed)) {
          // It would end by itself without opening a socket: nothing to wait for, and no boot left to pay for.
          forget();
          void thread.terminate();
          return;
        }
        thread.postMessage("stop");
        // A last resort for a thread that does not answer (terminating it may abort the process, see cancelBoot).
        const timer = setTimeout(() => void thread.terminate(), 5000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
