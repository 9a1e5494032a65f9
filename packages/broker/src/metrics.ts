/**
 * Prometheus metrics of a broker, read from its snapshot at each scrape
 * (nothing is counted twice: the snapshot is the one source).
 */
import { Counter, Gauge, Registry } from "prom-client";
import type { BrokerSnapshot } from "@scoop/protocol";

/** What the metrics read: anything that can take a {@link BrokerSnapshot}. */
export interface SnapshotSource {
  snapshot(): BrokerSnapshot;
}

/** A Prometheus registry bound to a broker. */
export interface BrokerMetrics {
  readonly registry: Registry;
  /** `Content-Type` of {@link BrokerMetrics.text}. */
  readonly contentType: string;
  /** The metrics in Prometheus text format. */
  text(): Promise<string>;
}

/**
 * Make a registry of the broker's metrics (`scoop_*`): peers, queue depth per
 * task name, running tasks, task counters, per-worker CPU and memory, map
 * progress and shared constants' bytes.
 */
export function createBrokerMetrics(source: SnapshotSource): BrokerMetrics {
  const registry = new Registry();
  // One snapshot per scrape, shared by every metric's collect().
  let cached: { at: number; snapshot: BrokerSnapshot } | undefined;
  const snap = () => {
    const now = Date.now();
    if (cached === undefined || now - cached.at > 50) cached = { at: now, snapshot: source.snapshot() };
    return cached.snapshot;
  };
  const registers = [registry];
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, s: BrokerSnapshot) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        fill(this, snap());
      },
    });
  const counter = (name: string, help: string, value: (s: BrokerSnapshot) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(value(snap()));
      },
    });
  gauge("scoop_peers", "Connected peers by role", ["role"], (g, s) => {
    const byRole = new Map<string, number>();
    for (const w of s.workers) byRole.set(w.role, (byRole.get(w.role) ?? 0) + 1);
    for (const [role, n] of byRole) g.set({ role }, n);
  });
  gauge("scoop_queue_depth", "Tasks waiting for a worker, by task name", ["task"], (g, s) => {
    for (const q of s.queues) g.set({ task: q.name }, q.queued);
  });
  gauge("scoop_tasks_running", "Tasks running on workers", [], (g, s) => g.set(s.workers.reduce((n, w) => n + w.running, 0)));
  counter("scoop_tasks_submitted_total", "Tasks submitted", (s) => s.counters.submitted);
  counter("scoop_tasks_delivered_total", "Task outcomes delivered to their owners (ok or failed)", (s) => s.counters.delivered);
  counter("scoop_tasks_failed_total", "Tasks that failed (threw, or ran out of retries)", (s) => s.counters.failed);
  counter("scoop_tasks_retried_total", "Task attempts re-queued after their worker was lost", (s) => s.counters.retried);
  counter("scoop_tasks_cancelled_total", "Tasks cancelled by their owner", (s) => s.counters.cancelled);
  counter("scoop_workers_lost_total", "Peers declared lost (silent past liveness)", (s) => s.counters.lost);
  counter("scoop_messages_malformed_total", "Malformed messages dropped", (s) => s.counters.malformed);
  gauge("scoop_worker_tasks_run", "Tasks a worker finished since it joined", ["worker", "host"], (g, s) => {
    for (const w of s.workers) if (w.role === "worker" || w.role === "origin") g.set({ worker: w.id, host: w.host }, w.tasksRun);
  });
  gauge("scoop_worker_cpu_percent", "CPU use of a worker process, percent of one core", ["worker", "host"], (g, s) => {
    for (const w of s.workers) if (w.cpu !== undefined) g.set({ worker: w.id, host: w.host }, w.cpu);
  });
  gauge("scoop_worker_resident_bytes", "Resident memory of a worker process", ["worker", "host"], (g, s) => {
    for (const w of s.workers) if (w.rssBytes !== undefined) g.set({ worker: w.id, host: w.host }, w.rssBytes);
  });
  gauge("scoop_map_done", "Finished tasks of a running map", ["map", "task"], (g, s) => {
    for (const m of s.maps) g.set({ map: m.id, task: m.name }, m.done);
  });
  gauge("scoop_constant_bytes", "Size of a shared constant", ["app", "name"], (g, s) => {
    for (const c of s.constants) g.set({ app: c.app, name: c.name }, c.bytes);
  });
  gauge("scoop_uptime_seconds", "Seconds since the broker started", [], (g, s) => g.set(s.uptimeMs / 1000));
  return { registry, contentType: registry.contentType, text: () => registry.metrics() };
}
