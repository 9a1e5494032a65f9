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
 * The thread runs from source text (`eval`) so the same code works from the
 * built package and from sources under test; it gets the resolved paths of
 * zeromq and of the msgpack encoder @scoop/protocol uses (for its beats).
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { PROTOCOL_VERSION } from "@scoop/protocol";
import { ownTaskRunning } from "./runtime.js";

const HEART_SOURCE = `
const { parentPort, workerData: boot } = require("node:worker_threads");
const zmq = require(boot.zmqPath);
const { encode, decode } = require(boot.msgpackPath);
// The connection's settings come once the broker welcomed it: the thread may
// have booted ahead (see preheatHeart).
parentPort.once("message", (settings) => {
// Stopped while this thread was still booting (a run shorter than its boot):
// it never opens a socket, so the main thread did not wait for it.
if (Atomics.compareExchange(boot.closed, 1, 0, 1) !== 0) process.exit();
const workerData = { ...boot, ...settings };
const { endpoint, routingId, workerId, heartbeatMs, livenessMs, graceMs, curve, closed, running, stuckGraceMs, origin, log } = workerData;
// Each beat carries the process's CPU use since the last one (percent of a
// core) and its resident memory: the broker's dashboard and metrics show them.
// CPU time advances in scheduler ticks, so over a few milliseconds (the first
// beat, right after start) a ratio means nothing (seen: 1551%): such a beat
// carries no figures and the window grows until the next one.
const MIN_CPU_WINDOW_MS = 100;
let lastCpu = process.cpuUsage();
let lastAt = performance.now();
const heartbeat = () => {
  const now = performance.now();
  // The header as encodeMessage writes it (the protocol version first).
  if (now - lastAt < MIN_CPU_WINDOW_MS) return encode({ v: workerData.version, t: "HEARTBEAT", of: workerId });
  const cpu = process.cpuUsage();
  const used = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000;
  const percent = Math.round((used / (now - lastAt)) * 1000) / 10;
  lastCpu = cpu;
  lastAt = now;
  return encode({ v: workerData.version, t: "HEARTBEAT", of: workerId, cpu: percent, rss: process.memoryUsage.rss() });
};
const sock = new zmq.Dealer({ routingId, linger: 0, sendHighWaterMark: 4, ...curve });
sock.connect(endpoint);
let lastSeen = Date.now();
let lost = false;
let stopped = false;
// One send at a time (zeromq.js throws EBUSY otherwise); a beat that cannot
// go out (broker unreachable) is simply skipped: the next one will try.
let sending;
let beating = false;
const beat = () => {
  if (sending || ending) return;
  try {
    sending = sock.send(heartbeat()).then(() => {
      sending = undefined;
      // The first beat is out: the main thread stops beating for this thread.
      if (!beating) parentPort.postMessage({ type: "beating" });
      beating = true;
    }, () => { sending = undefined; });
  } catch { sending = undefined; }
};
// Tasks the broker aborted: key → { name, at, seq, since }. The main thread
// writes the task it runs synchronously in running[0] (its mark, 0: none) and
// counts task starts in running[1]: the same mark and count for stuckGraceMs
// mean the thread never left that task.
const aborted = new Map();
// Tasks of this process's own with a deadline, started (run number seq) by
// the main thread: key → { name, deadline, seq }. Their owner's timer is on
// that thread: while it stays inside the task, only this thread can act.
const due = new Map();
const mark = (key) => (key % 0x7ffffffe) + 1;
const FORGET_MS = 30000;
let ending = false;
// A timer of the main thread bumps running[2]:
// unchanged since lastProgressAt, its event loop has not turned since. The
// runner counts the tasks it awaits in running[3], their marks XORed in running[4].
let lastProgress = running[2];
let lastProgressAt = Date.now();
const checkStuck = (late) => {
  const now = Date.now();
  // A late tick (this process was stopped) says nothing about the main thread.
  if (running[2] !== lastProgress || late) {
    lastProgress = running[2];
    lastProgressAt = now;
  }
  if (ending) return;
  // The runner awaits a task and the thread has not turned for the grace:
  // ask the thread whose code holds it (see askWhoHolds).
  if (running[3] > 0 && now - lastProgressAt >= stuckGraceMs && now - lastAsked >= stuckGraceMs) askWhoHolds();
  if (aborted.size + due.size === 0) return;
  const current = running[0];
  const seq = running[1];
  // The thread has not turned for the grace, it runs no task's synchronous
  // start, and the one task the runner awaits is one its owner gave up on:
  // what holds the thread is that task's code after an await.
  const alone = !origin && current === 0 && running[3] === 1 && now - lastProgressAt >= stuckGraceMs ? running[4] : 0;
  for (const [key, d] of due) {
    if (current !== mark(key) || seq !== d.seq) due.delete(key);
    else if (now - d.deadline >= stuckGraceMs) return endStuck(key, { name: d.name, at: d.deadline, own: true }, now);
  }
  for (const [key, a] of aborted) {
    if (alone === mark(key) && now - a.at >= stuckGraceMs) return endStuck(key, { ...a, afterAwait: now - lastProgressAt }, now);
    if (current !== mark(key)) {
      if (now - a.at > FORGET_MS) aborted.delete(key);
    } else if (a.seq !== seq) {
      a.seq = seq;
      a.since = now;
    } else if (now - a.since >= stuckGraceMs) {
      return endStuck(key, a, now);
    }
  }
};
// The inspector's Runtime.evaluate interrupts the main thread even inside a
// loop and runs there, in the async context of the code it interrupted: it
// says whether that code is a task of this process's own with a deadline (a
// task's context follows it past its awaits; main's own code has none). Only
// then is the deadline's task what holds the thread: main's long work of its
// own while such a task is pending is legitimate. The session is made on the
// first question (most runs never ask); without an inspector, nobody asks.
let inspector;
let lastAsked = 0;
const askWhoHolds = () => {
  lastAsked = Infinity;
  try {
    if (inspector === undefined) {
      inspector = new (require("node:inspector").Session)();
      inspector.connectToMainThread();
    }
    inspector.post("Runtime.evaluate", { expression: 'globalThis[Symbol.for("scoop.ownTaskRunning")]?.()', returnByValue: true }, (error, answer) => {
      const now = Date.now();
      lastAsked = now;
      const held = error ? undefined : answer?.result?.value;
      if (held && !ending && now - held.deadline >= stuckGraceMs) endStuck(held.key, { name: held.name, at: held.deadline, own: true, afterAwait: now - lastProgressAt }, now);
    });
  } catch {}
};
let acked;
const endStuck = async (key, a, now) => {
  ending = true;
  clearInterval(timer);
  // The origin says nothing itself: ending it ends the run, and the launcher says so (the broker tells it why).
  if (log.level <= 40 && !origin) {
    const what = a.own
      ? "ran " + (now - a.at) + " ms past its deadline on the worker that submitted it (no other worker could run it)" + (a.afterAwait ? ", in code after an await that has held the thread for " + a.afterAwait + " ms" : "") + ", so its timer could not fire"
      : "was still running " + (now - a.at) + " ms after its owner gave up on it (its deadline passed, or it was cancelled)" + (a.afterAwait ? ", in code after an await that has held the thread for " + a.afterAwait + " ms" : "");
    const msg = 'task "' + (a.name ?? "?") + '" ' + what + ": a synchronous task cannot be interrupted, so this worker ends to free its core; its other tasks go to other workers (under scoop, a fresh worker takes its place)";
    try { require("node:fs").writeSync(2, JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, hostname: require("node:os").hostname(), ...log.bindings, task: a.name, key, msg }) + "\\n"); } catch {}
  }
  // Tell the broker first (it requeues the other tasks at once, and the
  // launcher replaces this worker), bounded: end anyway if it does not answer.
  try {
    await sending;
    await Promise.race([
      sock.send(encode({ v: workerData.version, t: "HEARTBEAT", of: workerId, stuck: key, ...(a.name !== undefined && { task: a.name }) })).then(() => new Promise((r) => (acked = r))),
      new Promise((r) => setTimeout(r, Math.max(1000, heartbeatMs))),
    ]);
  } catch {}
  process.kill(process.pid, "SIGKILL");
};
// The origin does not act on aborts: a task its owner cancelled may be long but
// legitimate, and ending the origin ends the run (only its own deadlines count).
const heard = (frames) => {
  if (stuckGraceMs <= 0) return;
  let h;
  try { h = decode(frames[0]); } catch { return; }
  if (h === null || typeof h !== "object") return;
  if (h.t === "HEARTBEAT" && h.stuck !== undefined) acked?.();
  if (h.t !== "ABORT" || !Array.isArray(h.keys) || origin) return;
  const now = Date.now();
  h.keys.forEach((key, i) => {
    if (typeof key !== "number" || aborted.has(key)) return;
    // Running already: the grace counts from now.
    const a = { name: Array.isArray(h.names) ? h.names[i] : undefined, at: now };
    if (running[0] === mark(key)) Object.assign(a, { seq: running[1], since: now });
    aborted.set(key, a);
  });
};
beat();
// A tick far later than due means this process itself was not running
// (SIGSTOP, a suspended machine): the silence is ours, not the broker's.
let lastTick = Date.now();
const timer = setInterval(() => {
  const gap = Date.now() - lastTick;
  const frozen = gap - heartbeatMs > livenessMs / 2;
  lastTick = Date.now();
  beat();
  checkStuck(gap > 2 * heartbeatMs);
  if (!lost && Date.now() - lastSeen > livenessMs) {
    lost = true;
    parentPort.postMessage({ type: "broker-lost", silentMs: Date.now() - lastSeen, frozen });
    // The main thread exits on its own when it can; if a synchronous task
    // holds it, end the process rather than leave an orphan.
    if (graceMs > 0) setTimeout(() => process.kill(process.pid, "SIGKILL"), graceMs).unref();
  }
}, heartbeatMs);
(async () => {
  try {
    for await (const frames of sock) {
      lastSeen = Date.now();
      heard(frames);
    }
  } catch {}
})();
parentPort.on("message", (m) => {
  if (m?.t === "due" && stuckGraceMs > 0) due.set(m.key, m);
  if (m === "stop" && !stopped) {
    stopped = true;
    clearInterval(timer);
    sock.close();
    // The main thread may be blocked in its exit handler, waiting for this.
    Atomics.store(closed, 0, 1);
    Atomics.notify(closed, 0);
    parentPort.close();
  }
});
});
`;

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
const EXIT_WAIT_MS = 500;

/**
 * `closed[1]`: 0 while the thread boots, 1 once it goes on to open its socket,
 * 2 if it was stopped first. A thread stopped while booting never opens a
 * socket, so it need not be waited for: it costs a short run nothing at its
 * end (waiting for a new Node environment to boot, only to close, took
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

function bootHeart(): HeartThread {
  const require = createRequire(__filename);
  // [0] the thread's socket is closed, [1] its boot (see cancelBoot).
  const closed = new Int32Array(new SharedArrayBuffer(8));
  // [0] mark of the task run synchronously, [1] task starts, [2] event-loop turns, [3] tasks awaited, [4] their marks XORed.
  const running = new Int32Array(new SharedArrayBuffer(20));
  const thread = new Worker(HEART_SOURCE, {
    eval: true,
    workerData: {
      zmqPath: require.resolve("zeromq"),
      // msgpack as @scoop/protocol resolves it (core does not depend on it directly).
      msgpackPath: createRequire(require.resolve("@scoop/protocol")).resolve("@msgpack/msgpack"),
      closed,
      running,
    },
  });
  thread.unref();
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

let preheated: HeartThread | undefined;

/**
 * Boot the next heartbeat thread now, ahead of the connection that will use
 * it ({@link startHeart} takes it). A worker process calls this first thing:
 * the thread is a second Node environment (~0.1 s of CPU to boot), and booted
 * this early it is up before the first tasks run and the process ends, instead
 * of competing with them and holding up the exit (a thread still booting when
 * the process exits is waited for).
 */
export function preheatHeart(): void {
  preheated ??= bootHeart();
}

/** Start the heartbeat thread of a worker. */
export function startHeart(options: HeartOptions): Heart {
  const { thread, closed, running, exited, forget } = preheated ?? bootHeart();
  preheated = undefined;
  thread.postMessage({
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
        const timer = setTimeout(() => void thread.terminate(), 1000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
