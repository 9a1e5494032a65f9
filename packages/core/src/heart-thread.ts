/**
 * The heartbeat thread's own code (see heart.ts for what it does and why),
 * as source text: the thread runs it with `eval`, so the same code works from
 * the built package and from sources under test. It gets the resolved paths
 * of zeromq and of the msgpack encoder @scoop/protocol uses (for its beats)
 * and its settings as its workerData.
 */
export const HEART_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
// Claim the thread before loading zeromq: a thread terminated while zeromq's
// addon registers aborts the whole process natively ("terminate called after
// throwing an instance of 'Napi::Error'"). Claimed, it is stopped by message
// and waited for; stopped first (a run shorter than this boot), it never
// touches zeromq, and the main thread did not wait for it.
if (Atomics.compareExchange(workerData.closed, 1, 0, 1) !== 0) process.exit();
const zmq = require(workerData.zmqPath);
const { encode, decode } = require(workerData.msgpackPath);
const { endpoint, routingId, workerId, heartbeatMs, livenessMs, graceMs, curve, closed, running, stuckGraceMs, origin, log } = workerData;
// The main thread may be blocked in its exit handler, waiting for this.
const reportClosed = () => {
  Atomics.store(closed, 0, 1);
  Atomics.notify(closed, 0);
  parentPort.close();
};
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
// No receive is ever left pending (receiveTimeout 0: a receive with nothing to read fails at once): a
// zeromq receive pending when the process ends, or the thread is terminated, aborts the process
// natively ("terminate called after throwing an instance of 'Napi::Error'"). Messages are drained each tick.
const sock = new zmq.Dealer({ routingId, linger: 0, sendHighWaterMark: 4, receiveTimeout: 0, ...curve });
// A signal during the call (SIGPROF, SIGCHLD) fails it with EINTR before anything happened: again (retryInterrupted).
for (;;) { try { sock.connect(endpoint); break; } catch (error) { if (error?.code !== "EINTR") throw error; } }
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
      sock.send(encode({ v: workerData.version, t: "HEARTBEAT", of: workerId, stuck: key, ...(a.name !== undefined && { task: a.name }) })).then(() => new Promise((r) => {
        // The tick is stopped: poll for the broker's answer meanwhile.
        const poll = setInterval(() => void drain(), 10);
        acked = () => { clearInterval(poll); r(); };
      })),
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
let draining = false;
const drain = async () => {
  if (draining || stopped) return;
  draining = true;
  try {
    for (;;) {
      const frames = await sock.receive();
      lastSeen = Date.now();
      heard(frames);
    }
  } catch {} finally { draining = false; }
};
const timer = setInterval(async () => {
  const gap = Date.now() - lastTick;
  const frozen = gap - heartbeatMs > livenessMs / 2;
  lastTick = Date.now();
  await drain();
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
parentPort.on("message", (m) => {
  if (m?.t === "due" && stuckGraceMs > 0) due.set(m.key, m);
  if (m === "stop" && !stopped) {
    stopped = true;
    clearInterval(timer);
    sock.close();
    reportClosed();
  }
});
`;
