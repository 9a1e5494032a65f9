/**
 * The heartbeat thread. Liveness must not depend on the worker's JavaScript
 * thread: a task may compute synchronously for minutes. So a worker thread
 * with its own DEALER socket beats for the worker, and watches the broker:
 * if the broker falls silent, it tells the main thread, and if that thread is
 * too busy to react, it ends the process so no orphan is left behind.
 *
 * The thread runs from source text (`eval`) so the same code works from the
 * built package and from sources under test; it gets the resolved paths of
 * zeromq and of the msgpack encoder @scoop/protocol uses (for its beats).
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { PROTOCOL_VERSION } from "@scoop/protocol";

const HEART_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const zmq = require(workerData.zmqPath);
const { encode } = require(workerData.msgpackPath);
const { endpoint, routingId, workerId, heartbeatMs, livenessMs, graceMs, curve, closed } = workerData;
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
let sending = false;
const beat = () => {
  if (sending) return;
  sending = true;
  try {
    sock.send(heartbeat()).then(() => { sending = false; }, () => { sending = false; });
  } catch { sending = false; }
};
beat();
// A tick far later than due means this process itself was not running
// (SIGSTOP, a suspended machine): the silence is ours, not the broker's.
let lastTick = Date.now();
const timer = setInterval(() => {
  const frozen = Date.now() - lastTick - heartbeatMs > livenessMs / 2;
  lastTick = Date.now();
  beat();
  if (!lost && Date.now() - lastSeen > livenessMs) {
    lost = true;
    parentPort.postMessage({ type: "broker-lost", silentMs: Date.now() - lastSeen, frozen });
    // The main thread exits on its own when it can; if a synchronous task
    // holds it, end the process rather than leave an orphan.
    if (graceMs > 0) setTimeout(() => process.kill(process.pid, "SIGKILL"), graceMs).unref();
  }
}, heartbeatMs);
(async () => {
  try { for await (const _ of sock) lastSeen = Date.now(); } catch {}
})();
parentPort.on("message", (m) => {
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
  /** `frozen`: this process itself was not running for most of the silence (stopped, suspended). */
  onBrokerLost(silentMs: number, frozen: boolean): void;
}

/** A running heartbeat thread. */
export interface Heart {
  stop(): Promise<void>;
}

/**
 * Threads whose socket must be closed before the process exits. A zeromq
 * socket still open in a worker thread when the process exits (a task that
 * calls `process.exit()`) aborts the process natively ("terminate called
 * after throwing an instance of 'Napi::Error'", zeromq.js issue 411), so one
 * exit handler asks each thread to close its socket and waits for it, briefly.
 */
const openHearts = new Set<{ thread: Worker; closed: Int32Array }>();
const EXIT_WAIT_MS = 500;

function closeHeartsOnExit(): void {
  for (const heart of openHearts) heart.thread.postMessage("stop");
  const deadline = Date.now() + EXIT_WAIT_MS;
  for (const heart of openHearts) Atomics.wait(heart.closed, 0, 0, Math.max(0, deadline - Date.now()));
  openHearts.clear();
}

/** Start the heartbeat thread of a worker. */
export function startHeart(options: HeartOptions): Heart {
  const require = createRequire(__filename);
  const closed = new Int32Array(new SharedArrayBuffer(4));
  const thread = new Worker(HEART_SOURCE, {
    eval: true,
    workerData: {
      zmqPath: require.resolve("zeromq"),
      endpoint: options.endpoint,
      routingId: `${options.workerId}/heart`,
      workerId: options.workerId,
      // msgpack as @scoop/protocol resolves it (core does not depend on it directly).
      msgpackPath: createRequire(require.resolve("@scoop/protocol")).resolve("@msgpack/msgpack"),
      version: PROTOCOL_VERSION,
      heartbeatMs: options.heartbeatMs,
      livenessMs: options.livenessMs,
      graceMs: options.graceMs,
      curve: options.curve ?? {},
      closed,
    },
  });
  const entry = { thread, closed };
  if (openHearts.size === 0) process.on("exit", closeHeartsOnExit);
  openHearts.add(entry);
  thread.unref();
  thread.on("message", (m: { type: string; silentMs: number; frozen?: boolean }) => {
    if (m.type === "broker-lost") options.onBrokerLost(m.silentMs, m.frozen === true);
  });
  const exited = new Promise<void>((resolve) =>
    thread.once("exit", () => {
      openHearts.delete(entry);
      if (openHearts.size === 0) process.off("exit", closeHeartsOnExit);
      resolve();
    }),
  );
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        thread.postMessage("stop");
        const timer = setTimeout(() => void thread.terminate(), 1000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
