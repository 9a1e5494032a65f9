/**
 * The standalone daemon, end to end with real processes: `scoop-broker`,
 * `scoop-worker`s with different task modules joining and leaving, and apps
 * (one connection per process, so each is a child process running a fixture)
 * using it at once. Shows capability routing, isolation between apps (results
 * and shared constants), a worker joining mid-run taking the work nobody else
 * could do, a clear error for a task nobody can run, CURVE, refusal to bind
 * beyond loopback without keys, and workers rejoining a restarted broker while
 * apps get SCOOP_BROKER_LOST for what was in flight. No process is left behind.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BROKER_BIN, WORKER_BIN, killTagged, newTag, processesTagged, runCli, startCli, waitUntil, type CliProcess } from "@scoop/test-helpers";

const FIXTURES = "test/fixtures/daemon";
const LIVENESS = ["--heartbeat-ms", "200", "--liveness-ms", "1500"];

interface TaskResult {
  task: string;
  worker: string;
  app: string;
  value: number;
  secret: string;
}

const tag = newTag();
const started: CliProcess[] = [];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "scoop-daemon-"));
});
afterAll(async () => {
  killTagged(tag);
  await Promise.all(started.map((p) => p.done));
  rmSync(dir, { recursive: true, force: true });
});

function start(bin: string, args: string[], env?: NodeJS.ProcessEnv): CliProcess {
  const p = startCli(bin, args, { tag, env, timeoutMs: 90_000 });
  started.push(p);
  return p;
}

/** Start `scoop-broker` and resolve with it and its printed endpoint. */
async function startBrokerCli(args: string[]): Promise<{ broker: CliProcess; endpoint: string }> {
  const broker = start(BROKER_BIN, ["-v", ...LIVENESS, ...args]);
  await waitUntil(() => /^tcp:\/\/\S+:\d+$/m.test(broker.output().stdout) || broker.child.exitCode !== null, 20_000, "the broker's endpoint on stdout");
  const endpoint = /^(tcp:\/\/\S+:\d+)$/m.exec(broker.output().stdout)?.[1];
  if (endpoint === undefined) throw new Error(`the broker did not start: ${broker.output().stderr}`);
  return { broker, endpoint };
}

/** Resolve once the broker logged that peer `id` joined `times` times. */
async function joined(broker: CliProcess, id: string, times = 1): Promise<void> {
  const count = () => broker.output().stderr.split("\n").filter((l) => l.includes('"msg":"peer joined"') && l.includes(`"peer":"${id}"`)).length;
  await waitUntil(() => count() >= times, 30_000, `worker ${id} to join the broker`);
}

function startWorkerCli(endpoint: string, id: string, module: string, extra: string[] = []): CliProcess {
  return start(WORKER_BIN, ["--broker", endpoint, "--id", id, "--module", `${FIXTURES}/${module}`, ...extra]);
}

function startApp(endpoint: string, label: string, mode: string, serverKey?: string): CliProcess {
  // `node --import tsx app.mts …`: startCli runs `node <bin> <args>`.
  return start("--import", ["tsx", `${FIXTURES}/app.mts`, endpoint, label, mode, ...(serverKey ? [serverKey] : [])]);
}

async function resultOf<T>(app: CliProcess): Promise<T> {
  const run = await app.done;
  const line = run.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (line === undefined) throw new Error(`app exited with ${run.code} and no result:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(line.slice("RESULT ".length)) as T;
}

async function stopAll(...processes: CliProcess[]): Promise<void> {
  for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGTERM");
  await Promise.all(processes.map((p) => p.done));
}

test("capability routing, isolated apps, a worker joining mid-run, and a clear error for a task nobody can run", async () => {
  const { broker, endpoint } = await startBrokerCli(["--bind", "tcp://127.0.0.1:*"]);
  const w1 = startWorkerCli(endpoint, "w1", "tasks-a.mts");
  const w2 = startWorkerCli(endpoint, "w2", "tasks-b.mts");
  await joined(broker, "w1");
  await joined(broker, "w2");

  // Two apps at once, each with its own constant "secret".
  const app1 = startApp(endpoint, "app1", "run");
  const app2 = startApp(endpoint, "app2", "run");
  const [r1, r2] = await Promise.all([resultOf<{ as: TaskResult[]; bs: TaskResult[] }>(app1), resultOf<{ as: TaskResult[]; bs: TaskResult[] }>(app2)]);
  for (const [label, r] of [["app1", r1], ["app2", r2]] as const) {
    // Capability routing: taskA only on w1 (tasks-a), taskB only on w2 (tasks-b).
    expect(new Set(r.as.map((x) => x.worker))).toEqual(new Set(["w1"]));
    expect(new Set(r.bs.map((x) => x.worker))).toEqual(new Set(["w2"]));
    // Isolation: each app gets its own results, and its tasks read its own constants.
    expect(r.as.map((x) => x.value)).toEqual(Array.from({ length: 12 }, (_, i) => i * 2));
    expect(r.bs.map((x) => x.value)).toEqual(Array.from({ length: 12 }, (_, i) => i * 3));
    for (const x of [...r.as, ...r.bs]) expect(x).toMatchObject({ app: label, secret: `secret-of-${label}` });
  }
  expect((await app1.done).code).toBe(0);
  expect((await app2.done).code).toBe(0);

  // taskC: no connected worker can run it, so it waits (the app is told) …
  const app3 = startApp(endpoint, "app3", "late");
  await waitUntil(() => app3.output().stderr.includes('no connected worker can run task \\"taskC\\"'), 30_000, "the app to be told taskC waits");
  expect(app3.child.exitCode).toBeNull();
  // … until a worker that has it joins mid-run and takes the work.
  const w3 = startWorkerCli(endpoint, "w3", "tasks-c.mts");
  const r3 = await resultOf<{ cs: TaskResult[] }>(app3);
  expect(r3.cs.map((x) => x.value)).toEqual(Array.from({ length: 12 }, (_, i) => i * 5));
  for (const x of r3.cs) expect(x).toMatchObject({ worker: "w3", app: "app3", secret: "secret-of-app3" });

  // A task nobody can run, with a deadline: a clear SCOOP_TIMEOUT naming the task.
  const missing = await resultOf<{ code: string; message: string }>(startApp(endpoint, "app4", "missing"));
  expect(missing.code).toBe("SCOOP_TIMEOUT");
  expect(missing.message).toContain('task "nobodyHasThis"');

  await stopAll(w1, w2, w3, broker);
  expect(processesTagged(tag)).toEqual([]);
});

test("workers rejoin a restarted broker; apps get SCOOP_BROKER_LOST for what was in flight", async () => {
  const first = await startBrokerCli(["--bind", "tcp://127.0.0.1:*"]);
  const port = first.endpoint.split(":").pop()!;
  // Run by hand (no --app, no --origin): --reconnect is on by default.
  const w1 = startWorkerCli(first.endpoint, "w1", "tasks-a.mts");
  const w2 = startWorkerCli(first.endpoint, "w2", "tasks-b.mts");
  await joined(first.broker, "w1");
  await joined(first.broker, "w2");
  const inflight = startApp(first.endpoint, "app1", "inflight");
  await waitUntil(() => inflight.output().stdout.includes("submitted"), 30_000, "the app to submit its long task");
  first.broker.child.kill("SIGKILL");
  await first.broker.done;

  const lost = await resultOf<{ code: string; message: string }>(inflight);
  expect(lost.code).toBe("SCOOP_BROKER_LOST");
  expect(lost.message).toContain(first.endpoint);
  // The workers did not exit: they wait for the broker.
  await waitUntil(() => w1.output().stderr.includes("lost the broker"), 30_000, "w1 to notice the broker is gone");
  expect(w1.child.exitCode).toBeNull();
  expect(w2.child.exitCode).toBeNull();

  const second = await startBrokerCli(["--bind", `tcp://127.0.0.1:${port}`]);
  await joined(second.broker, "w1");
  await joined(second.broker, "w2");
  const again = await resultOf<{ as: TaskResult[]; bs: TaskResult[] }>(startApp(second.endpoint, "app2", "run"));
  expect(again.as.every((x) => x.worker === "w1" && x.secret === "secret-of-app2")).toBe(true);
  expect(again.bs.every((x) => x.worker === "w2")).toBe(true);

  // A worker of one run (the launcher passes --app) still ends with its broker.
  const runWorker = startWorkerCli(second.endpoint, "run-w", "tasks-a.mts", ["--app", "some-run"]);
  await joined(second.broker, "run-w");
  second.broker.child.kill("SIGKILL");
  expect((await runWorker.done).code).toBe(1);
  await stopAll(w1, w2, second.broker);
  expect(processesTagged(tag)).toEqual([]);
});

test("CURVE: keygen, a keyed broker, keyed workers and apps; non-loopback binds need a key or --insecure", async () => {
  const keys = join(dir, "keys");
  const gen = await runCli(BROKER_BIN, ["keygen", "--out", keys], { tag });
  expect(gen.code).toBe(0);
  expect(statSync(join(keys, "broker.key")).mode & 0o777).toBe(0o600);
  const serverKey = /public-key = "(.{40})"/.exec(readFileSync(join(keys, "broker.pub"), "utf8"))![1];
  expect(readFileSync(join(keys, "broker.pub"), "utf8")).not.toContain("secret-key");

  const refused = await runCli(BROKER_BIN, ["--bind", "tcp://0.0.0.0:*"], { tag, timeoutMs: 30_000 });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("refusing to bind tcp://0.0.0.0:*");
  expect(refused.stderr).toContain("keygen");

  const insecure = start(BROKER_BIN, ["--bind", "tcp://0.0.0.0:*", "--insecure"]);
  await waitUntil(() => /^tcp:\/\//m.test(insecure.output().stdout), 20_000, "the insecure broker to listen");
  expect(insecure.output().stderr).toContain("WARNING: --insecure");
  await stopAll(insecure);

  const { broker, endpoint } = await startBrokerCli(["--bind", "tcp://0.0.0.0:*", "--key", join(keys, "broker.key")]);
  const local = endpoint.replace("0.0.0.0", "127.0.0.1");
  const w1 = startWorkerCli(local, "w1", "tasks-a.mts", ["--server-key", join(keys, "broker.pub")]);
  const w2 = startWorkerCli(local, "w2", "tasks-b.mts", ["--server-key", join(keys, "broker.pub")]);
  await joined(broker, "w1");
  await joined(broker, "w2");
  const r = await resultOf<{ as: TaskResult[]; bs: TaskResult[] }>(startApp(local, "app1", "run", serverKey));
  expect(r.as).toHaveLength(12);
  expect(r.bs.every((x) => x.secret === "secret-of-app1")).toBe(true);
  await stopAll(w1, w2, broker);
  expect(processesTagged(tag)).toEqual([]);
});
