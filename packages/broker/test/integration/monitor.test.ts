/**
 * Watching a broker with real worker processes: the typed event stream
 * in-process and on the wire (a read-only monitor peer), `/metrics` parsed
 * as Prometheus text, the dashboard's token, and `scoop-broker status`.
 */
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { Codec, type Header, type ScoopEvent } from "@scoop/protocol";
import { startBroker, startDashboard, type Broker, type Dashboard } from "../../src/index.js";
import { BROKER_BIN, FakePeer, exited, killTagged, newTag, runCli, spawnTagged, waitUntil, WORKER_BIN } from "@scoop/test-helpers";

const codec = new Codec();
const fixture = join(__dirname, "../fixtures/tasks.ts");
const tag = newTag();
let broker: Broker;
let dashboard: Dashboard | undefined;
const workers: ChildProcess[] = [];
const output: string[] = [];
const peers: FakePeer[] = [];
/** Every worker:stats event from the workers' first heartbeat on. */
const stats: Array<ScoopEvent & { type: "worker:stats" }> = [];
const onStats = (e: ScoopEvent & { type: "worker:stats" }) => stats.push(e);

/** A raw peer on a real socket (the app or a monitor), welcomed. */
async function rawPeer(id: string, role: "client" | "monitor"): Promise<FakePeer> {
  const peer = new FakePeer(broker.endpoint, id, { heartbeatMs: 200 });
  peers.push(peer);
  await peer.join(role, [], "watched", 10_000);
  return peer;
}

beforeAll(async () => {
  // Liveness well above the beat: a loaded machine must not make the broker declare the workers lost mid-test.
  broker = await startBroker({ heartbeatMs: 200, livenessMs: 10_000 });
  broker.on("worker:stats", onStats);
  for (const id of ["m0", "m1"]) workers.push(spawnTagged([WORKER_BIN, "--broker", broker.endpoint, "--module", fixture, "--id", id], tag, output));
  await waitUntil(() => broker.stats().workers >= 2, 30_000, "two workers to join");
}, 60_000);
afterAll(async () => {
  await dashboard?.close();
  await Promise.all(peers.map((p) => p.close()));
  for (const w of workers) w.kill("SIGTERM");
  await Promise.all(workers.map(exited));
  killTagged(tag);
  await broker.close();
});

test("workers' CPU and memory, from their first heartbeat on, are figures a process can have", async () => {
  await waitUntil(() => ["m0", "m1"].every((id) => stats.filter((e) => e.worker === id).length >= 3), 10_000, "three stats per worker");
  broker.off("worker:stats", onStats);
  // A process cannot use more than every core; a first beat right after start once claimed 1551%.
  for (const e of stats) {
    expect(e.cpu).toBeGreaterThanOrEqual(0);
    expect(e.cpu).toBeLessThanOrEqual(100 * availableParallelism());
    expect(e.rssBytes).toBeGreaterThan(1 << 20);
  }
});

test("every task's events arrive in order, in-process and at a monitor peer; a monitor cannot submit", async () => {
  const seen: ScoopEvent[] = [];
  const onEvent = (e: ScoopEvent) => seen.push(e);
  const finished: number[] = [];
  const onFinished = (e: ScoopEvent & { type: "task:finished" }) => finished.push(e.key);
  broker.on("event", onEvent);
  broker.on("task:finished", onFinished);
  const monitor = await rawPeer("watcher", "monitor");
  await monitor.send({ t: "WATCH", on: true });
  const app = await rawPeer("app", "client");
  const tasks = Array.from({ length: 20 }, (_, i) => ({ id: i + 1, name: i === 19 ? "fails" : "double", frames: 1, retries: 0, map: 1, ...(i === 0 ? { total: 20 } : {}) }));
  await app.send({ t: "SUBMIT", tasks }, tasks.flatMap((_, i) => codec.encode([i], "args")));
  await waitUntil(() => app.inbox.filter((m) => m.header.t === "DELIVER").reduce((n, m) => n + (m.header as Extract<Header, { t: "DELIVER" }>).results.length, 0) === 20, 20_000, "20 outcomes");
  await waitUntil(() => finished.length === 20, 5000, "20 task:finished events");
  broker.off("event", onEvent);
  broker.off("task:finished", onFinished);

  for (const key of new Set(seen.filter((e) => e.type === "task:queued").map((e) => (e as { key: number }).key))) {
    const mine = seen.filter((e) => "key" in e && e.key === key).map((e) => e.type);
    expect(mine).toEqual(["task:queued", "task:started", "task:finished"]);
  }
  const failed = seen.filter((e) => e.type === "task:finished" && !e.ok);
  expect(failed).toHaveLength(1);
  const started = seen.find((e) => e.type === "task:started")!;
  expect(["m0", "m1"]).toContain((started as { worker: string }).worker);
  const progress = seen.filter((e) => e.type === "map:progress").pop();
  expect(progress).toMatchObject({ map: { id: "app/1", name: "double", total: 20, done: 20, failed: 1 } });

  await waitUntil(() => monitor.inbox.some((m) => m.header.t === "EVENTS" && (m.header as Extract<Header, { t: "EVENTS" }>).events.some((e) => e.type === "task:finished")), 5000, "events at the monitor");
  await monitor.send({ t: "SUBMIT", tasks: [{ id: 1, name: "double", frames: 1, retries: 0 }] }, codec.encode([1], "args"));
  await waitUntil(() => monitor.inbox.some((m) => m.header.t === "ERROR"), 5000, "an error for the monitor's submit");
  expect(monitor.inbox.find((m) => m.header.t === "ERROR")!.header).toMatchObject({ code: "SCOOP_MONITOR_READ_ONLY" });
  expect(broker.snapshot().counters.submitted).toBe(20);

  // The owner tries the failed item again under the same id (what retryOnError does): a retry of the map, not a 21st item.
  const delivered = () => app.inbox.filter((m) => m.header.t === "DELIVER").reduce((n, m) => n + (m.header as Extract<Header, { t: "DELIVER" }>).results.length, 0);
  await app.send({ t: "SUBMIT", tasks: [{ ...tasks[19], total: undefined }] }, codec.encode([19], "args"));
  await waitUntil(() => delivered() === 21, 20_000, "the retry's outcome");
  expect(broker.snapshot().maps.find((m) => m.id === "app/1")).toMatchObject({ total: 20, submitted: 20, done: 20, failed: 1, retried: 1, finishedAt: expect.any(Number) });
}, 60_000);

test("/metrics parses as Prometheus text; the dashboard needs its token; scoop-broker status prints the joined workers", async () => {
  dashboard = await startDashboard(broker, { port: 0, token: "a-test-token-of-enough-length" });
  const base = `http://127.0.0.1:${dashboard.port}`;
  expect((await fetch(`${base}/metrics`)).status).toBe(401);
  const response = await fetch(`${base}/metrics`, { headers: { authorization: "Bearer a-test-token-of-enough-length" } });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  const samples = parsePrometheus(await response.text());
  expect(samples.get('scoop_peers{role="worker"}')).toBe(2);
  expect(samples.get("scoop_tasks_submitted_total")).toBeGreaterThanOrEqual(20);
  expect(samples.get("scoop_tasks_failed_total")).toBeGreaterThanOrEqual(1);
  expect([...samples.keys()].some((k) => k.startsWith('scoop_worker_tasks_run{worker="m0"'))).toBe(true);
  const page = await fetch(`${dashboard.url}`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain("<title>SCOOP dashboard</title>");

  const status = await runCli(BROKER_BIN, ["status", "--broker", broker.endpoint], { tag, timeoutMs: 30_000 });
  expect(status.stderr).toBe("");
  expect(status.code).toBe(0);
  for (const id of ["m0", "m1"]) expect(status.stdout).toMatch(new RegExp(`^${id}\\s+worker\\s+\\S+\\s+\\d+`, "m"));
  expect(status.stdout).toMatch(/tasks:\s+\d+ submitted/);
}, 60_000);

/**
 * Parse Prometheus text exposition (format 0.0.4) strictly: every line is a
 * comment (`# HELP`/`# TYPE`) or `name{labels} value`; returns samples by series.
 */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === "TYPE") {
        expect(["counter", "gauge", "histogram", "summary", "untyped"]).toContain(meta[3]);
        types.set(meta[2], meta[3]);
      }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/.exec(line);
    if (!sample) throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
    expect(types.has(sample[1])).toBe(true);
    samples.set(sample[1] + (sample[2] ?? ""), Number(sample[3]));
  }
  return samples;
}
