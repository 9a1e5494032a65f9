/**
 * The live dashboard: a small HTTP server beside the broker. `/` is one
 * self-contained page that follows `/events` (server-sent events: a
 * snapshot and the recent history every `intervalMs`); `/api/snapshot` is
 * the same as JSON, `/metrics` the Prometheus text. Loopback only by default;
 * on any other address every request needs the token printed at start.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { InvalidOptionError, ScoopError, type BrokerSnapshot } from "@scoop/protocol";
import type { BrokerMetrics, SnapshotSource } from "./metrics.js";
import { DASHBOARD_PAGE } from "./dashboard-page.js";

/**
 * Make a Prometheus registry of the broker's metrics (see metrics.ts).
 * prom-client loads on this first use: a broker or `scoop` run without a
 * dashboard starts without it (~80 modules).
 */
export async function createBrokerMetrics(source: SnapshotSource): Promise<BrokerMetrics> {
  return (await import("./metrics.js")).createBrokerMetrics(source);
}

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** TCP port; 0 picks a free one (see `dashboard.url`). @default 8786 */
  port?: number;
  /** Address to listen on. Anything but loopback requires a token. @default "127.0.0.1" */
  host?: string;
  /** Token every request must carry (`?token=` or `Authorization: Bearer`). @default none on loopback; a random one elsewhere */
  token?: string;
  /** How often the page is updated. @default 1000 */
  intervalMs?: number;
  /** Points of history kept for the charts. @default 300 */
  historyPoints?: number;
}

/** Defaults of {@link DashboardOptions}. */
export const DASHBOARD_DEFAULTS = Object.freeze({ port: 8786, host: "127.0.0.1", intervalMs: 1000, historyPoints: 300 });

/** One point of the charts. */
export interface DashboardSample {
  at: number;
  queued: number;
  running: number;
  /** Outcomes delivered per second since the previous sample. */
  tasksPerSec: number;
}

/** A running dashboard. */
export interface Dashboard {
  /** Page address, with the token when one is needed: print it for the user. */
  readonly url: string;
  readonly port: number;
  /** Token required by every request, if any. */
  readonly token?: string;
  readonly metrics: BrokerMetrics;
  /** Stop serving (closes live pages). Idempotent. */
  close(): Promise<void>;
}

const isLoopbackHost = (host: string) => host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);

/** Serve the dashboard of `source` (a broker). Resolves once it listens. */
export async function startDashboard(source: SnapshotSource, options: DashboardOptions = {}): Promise<Dashboard> {
  const port = options.port ?? DASHBOARD_DEFAULTS.port;
  const host = options.host ?? DASHBOARD_DEFAULTS.host;
  const intervalMs = options.intervalMs ?? DASHBOARD_DEFAULTS.intervalMs;
  const historyPoints = options.historyPoints ?? DASHBOARD_DEFAULTS.historyPoints;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidOptionError(`options.port must be a TCP port from 0 to 65535 (got ${port})`);
  if (!Number.isInteger(intervalMs) || intervalMs <= 0) throw new InvalidOptionError(`options.intervalMs must be a positive integer (got ${intervalMs})`);
  if (options.token !== undefined && (typeof options.token !== "string" || options.token.length < 16)) {
    throw new InvalidOptionError("options.token must be a string of at least 16 characters");
  }
  const token = options.token ?? (isLoopbackHost(host) ? undefined : randomBytes(18).toString("base64url"));
  const metrics = await createBrokerMetrics(source);
  const history: DashboardSample[] = [];
  const clients = new Set<ServerResponse>();
  let last: { at: number; delivered: number } | undefined;

  const sample = (s: BrokerSnapshot) => {
    const dt = last ? (s.at - last.at) / 1000 : 0;
    history.push({
      at: s.at,
      queued: s.queues.reduce((n, q) => n + q.queued, 0),
      running: s.workers.reduce((n, w) => n + w.running, 0),
      tasksPerSec: dt > 0 ? Math.max(0, (s.counters.delivered - last!.delivered) / dt) : 0,
    });
    if (history.length > historyPoints) history.splice(0, history.length - historyPoints);
    last = { at: s.at, delivered: s.counters.delivered };
  };
  const payload = () => {
    const snapshot = source.snapshot();
    sample(snapshot);
    return JSON.stringify({ snapshot, history });
  };
  const timer = setInterval(() => {
    if (clients.size === 0) {
      sample(source.snapshot());
      return;
    }
    const data = `event: snapshot\ndata: ${payload()}\n\n`;
    for (const res of clients) res.write(data);
  }, intervalMs);
  timer.unref();

  const authorized = (req: IncomingMessage, url: URL): boolean => {
    if (token === undefined) return true;
    const given = url.searchParams.get("token") ?? /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://dashboard");
    if (req.method !== "GET") {
      res.writeHead(405, { allow: "GET" }).end("only GET\n");
      return;
    }
    if (!authorized(req, url)) {
      res.writeHead(401, { "content-type": "text/plain" }).end("this dashboard needs the token printed when it started: add ?token=… to the address\n");
      return;
    }
    switch (url.pathname) {
      case "/":
        res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(DASHBOARD_PAGE);
        return;
      case "/api/snapshot":
        res.writeHead(200, { "content-type": "application/json" }).end(payload());
        return;
      case "/events":
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
        res.write(`retry: 2000\nevent: snapshot\ndata: ${payload()}\n\n`);
        clients.add(res);
        req.on("close", () => clients.delete(res));
        return;
      case "/metrics":
        res.writeHead(200, { "content-type": metrics.contentType }).end(await metrics.text());
        return;
      default:
        res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /, /events, /api/snapshot or /metrics\n");
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`dashboard error: ${(error as Error).message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(new ScoopError("SCOOP_BIND_FAILED", `cannot serve the dashboard on ${host}:${port}: ${error.message}; pick another port (--dashboard=PORT)`, { address: `${host}:${port}`, cause: error })),
    );
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${bound}/${token ? `?token=${token}` : ""}`,
    port: bound,
    token,
    metrics,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        clearInterval(timer);
        for (const res of clients) res.end();
        clients.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
