/**
 * `scoop-broker status`: join a broker as a read-only monitor, ask for its
 * snapshot, and print it for a person (workers, queues, maps, constants,
 * counters) with the same keys the workers and the dashboard use.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { zmq } from "./zeromq.js";
import { retryInterrupted } from "@scoop/protocol/internal";
import { ScoopError, curveClientOptions, decodeMessage, encodeMessage, type BrokerSnapshot, type Header } from "@scoop/protocol";

/** Options of {@link fetchStatus}. */
export interface FetchStatusOptions {
  /** The broker's CURVE public key (z85), when it uses CURVE. */
  serverKey?: string;
  /** How long to wait for the answer. @default 5000 */
  timeoutMs?: number;
}

/** Ask the broker at `endpoint` for its snapshot, as a monitor peer. */
export async function fetchStatus(endpoint: string, options: FetchStatusOptions = {}): Promise<BrokerSnapshot> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const curve = options.serverKey === undefined ? {} : curveClientOptions(options.serverKey);
  const id = `status-${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const sock = new zmq.Dealer({ routingId: id, linger: 0, receiveTimeout: timeoutMs, ...curve });
  const send = (header: Header) => sock.send(encodeMessage(header));
  try {
    retryInterrupted(() => sock.connect(endpoint));
    await send({ t: "HELLO", id, role: "monitor", host: hostname(), pid: process.pid, app: id, tasks: [] });
    await send({ t: "STATUS" });
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await sock.receive();
      } catch (error) {
        throw new ScoopError("SCOOP_BROKER_UNREACHABLE", `no answer from the broker at ${endpoint} within ${timeoutMs} ms: check the address (and --server-key for a CURVE broker)`, { address: endpoint, cause: error });
      }
      const { header } = decodeMessage(frames);
      if (header.t === "STATUS" && header.snapshot) {
        await send({ t: "BYE" }).catch(() => undefined);
        return header.snapshot;
      }
      if (header.t === "REFUSED" || header.t === "ERROR") throw new ScoopError(header.code, `the broker at ${endpoint} refused: ${header.message}`, { address: endpoint });
    }
  } finally {
    sock.close();
  }
}

const mb = (bytes?: number) => (bytes == null ? "-" : (bytes / 2 ** 20).toFixed(0));
const size = (bytes: number) => (bytes < 1024 ? `${bytes} B` : bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`);

/** Columns padded to their widest cell. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")).join("\n");
}

/** A snapshot as text for a terminal. */
export function formatStatus(s: BrokerSnapshot): string {
  const c = s.counters;
  const peers = s.workers.filter((w) => w.role !== "monitor");
  const queued = s.queues.reduce((n, q) => n + q.queued, 0);
  const running = peers.reduce((n, w) => n + w.running, 0);
  const out = [
    `broker ${s.broker} at ${s.endpoints.join(", ")}, up ${Math.round(s.uptimeMs / 1000)} s`,
    `tasks: ${c.submitted} submitted, ${c.delivered} delivered, ${c.failed} failed, ${c.retried} retried, ${c.cancelled} cancelled; ${queued} queued, ${running} running; ${c.lost} peers lost`,
    "",
    peers.length === 0
      ? "no workers"
      : table([
          ["id", "role", "host", "pid", "state", "running", "tasks run", "failed", "CPU %", "memory MB"],
          ...peers.map((w) => [w.id, w.role, w.host, String(w.pid), w.state, String(w.running), String(w.tasksRun), String(w.failed), w.cpu == null ? "-" : w.cpu.toFixed(0), mb(w.rssBytes)]),
        ]),
  ];
  if (s.queues.length > 0) out.push("", table([["queued task", "queued"], ...s.queues.map((q) => [q.name, String(q.queued)])]));
  if (s.maps.length > 0) {
    out.push("", table([["map", "task", "done", "failed", "retried"], ...s.maps.map((m) => [m.id, m.name, `${m.done}/${m.total ?? "?"}`, String(m.failed), String(m.retried)])]));
  }
  if (s.constants.length > 0) out.push("", table([["constant", "app", "size"], ...s.constants.map((k) => [k.name, k.app, size(k.bytes)])]));
  return `${out.join("\n")}\n`;
}
