/**
 * The broker against raw peers speaking the wire protocol over real ZeroMQ
 * sockets: joining, credit-based dispatch, delivery to the owner, capability
 * routing, retries of a lost worker's tasks, exactly-once delivery and
 * malformed input.
 */
import { Codec, encodeMessage } from "@scoop/protocol";
import { FakePeer } from "@scoop/test-helpers";
import { startBroker, type Broker } from "../../src/index.js";

const codec = new Codec();


let broker: Broker;
const peers: FakePeer[] = [];
const peer = (id: string) => {
  const p = new FakePeer(broker.endpoint, id);
  peers.push(p);
  return p;
};

beforeEach(async () => {
  broker = await startBroker({ heartbeatMs: 100, livenessMs: 500 });
});
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  await broker.close();
});

const args = (...values: unknown[]) => codec.encode(values, "args");

test("binds a free port and reports it", () => {
  expect(broker.endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
  expect(broker.state).toBe("running");
});

test("a task goes to a worker with credit and its result to the owner", async () => {
  const owner = peer("owner");
  const worker = peer("worker");
  await owner.join("origin", []);
  await worker.join("worker", ["square"]);
  await owner.send({ t: "SUBMIT", tasks: [{ id: 7, name: "square", frames: 1, retries: 0 }] }, args(6));
  await new Promise((r) => setTimeout(r, 100));
  expect(worker.has("DISPATCH")).toBe(false); // no credit yet: nothing pushed
  await worker.send({ t: "CREDIT", n: 1 });
  const dispatch = await worker.next("DISPATCH");
  expect(dispatch.header.tasks).toEqual([{ key: expect.any(Number), name: "square", frames: 1, attempt: 1 }]);
  expect(codec.decode(dispatch.payload)).toEqual([6]);
  await worker.send({ t: "RESULT", results: [{ key: dispatch.header.tasks[0].key, ok: true, frames: 1 }] }, codec.encode(36));
  const deliver = await owner.next("DELIVER");
  expect(deliver.header.results).toEqual([{ id: 7, ok: true, frames: 1, worker: "worker", host: "test" }]);
  expect(codec.decode(deliver.payload)).toBe(36);
  expect(broker.stats()).toMatchObject({ queued: 0, running: 0, submitted: 1, delivered: 1 });
});

test("tasks go only to workers that advertise them; TASKS adds names later", async () => {
  const owner = peer("owner");
  const a = peer("a");
  const b = peer("b");
  await owner.join("client", []);
  await a.join("worker", ["alpha"]);
  await b.join("worker", ["beta"]);
  await a.send({ t: "CREDIT", n: 10 });
  await b.send({ t: "CREDIT", n: 10 });
  await owner.send({ t: "SUBMIT", tasks: [{ id: 1, name: "beta", frames: 1, retries: 0 }, { id: 2, name: "alpha", frames: 1, retries: 0 }, { id: 3, name: "gamma", frames: 1, retries: 0 }] }, [...args(1), ...args(2), ...args(3)]);
  expect((await a.next("DISPATCH")).header.tasks.map((t) => t.name)).toEqual(["alpha"]);
  expect((await b.next("DISPATCH")).header.tasks.map((t) => t.name)).toEqual(["beta"]);
  expect(broker.stats().queued).toBe(1); // gamma waits for a worker that can run it
  await b.send({ t: "TASKS", tasks: ["gamma"] });
  const d = await b.next("DISPATCH");
  expect(d.header.tasks.map((t) => t.name)).toEqual(["gamma"]);
  expect(codec.decode(d.payload)).toEqual([3]);
});

test("a lost worker's tasks run again elsewhere; the late result is not delivered twice", async () => {
  const owner = peer("owner");
  const doomed = peer("doomed");
  await owner.join("origin", []);
  await doomed.join("worker", ["slow"]);
  doomed.silence();
  await doomed.send({ t: "CREDIT", n: 1 });
  await owner.send({ t: "SUBMIT", tasks: [{ id: 1, name: "slow", frames: 1, retries: 2 }] }, args(1));
  const first = await doomed.next("DISPATCH");
  const retried = new Promise((resolve) => broker.once("task:retried", resolve));
  // The doomed worker falls silent (no heartbeat) past livenessMs.
  await expect(retried).resolves.toMatchObject({ name: "slow", attempt: 2, lostWorker: "doomed" });
  const rescuer = peer("rescuer");
  await rescuer.join("worker", ["slow"]);
  await rescuer.send({ t: "CREDIT", n: 1 });
  const second = await rescuer.next("DISPATCH");
  expect(second.header.tasks[0]).toMatchObject({ key: first.header.tasks[0].key, attempt: 2 });
  await rescuer.send({ t: "RESULT", results: [{ key: second.header.tasks[0].key, ok: true, frames: 1 }] }, codec.encode("second"));
  expect(codec.decode((await owner.next("DELIVER")).payload)).toBe("second");
  // The presumed-dead worker's late result is ignored (it is not even a member any more).
  await doomed.send({ t: "RESULT", results: [{ key: first.header.tasks[0].key, ok: true, frames: 1 }] }, codec.encode("first"));
  await new Promise((r) => setTimeout(r, 200));
  expect(owner.has("DELIVER")).toBe(false);
  expect(broker.stats().delivered).toBe(1);
});

test("out of retries, the future fails with SCOOP_WORKER_LOST naming the worker", async () => {
  const owner = peer("owner");
  const doomed = peer("doomed");
  await owner.join("origin", []);
  await doomed.join("worker", ["t"]);
  doomed.silence();
  await doomed.send({ t: "CREDIT", n: 1 });
  await owner.send({ t: "SUBMIT", tasks: [{ id: 1, name: "t", frames: 1, retries: 0 }] }, args());
  await doomed.next("DISPATCH");
  const deliver = await owner.next("DELIVER", 5000);
  expect(deliver.header.results[0]).toMatchObject({ id: 1, ok: false });
  const error = codec.decode(deliver.payload) as Error & { code: string };
  expect(error.code).toBe("SCOOP_WORKER_LOST");
  expect(error.message).toContain("doomed");
});

test("a worker process that exited (peerExited): only its oldest task spends a retry; one lost behind others too often fails", async () => {
  const owner = peer("owner");
  await owner.join("origin", []);
  // F goes first (priority), so it is the oldest each worker holds; B rides behind it with retries: 0.
  await owner.send({ t: "SUBMIT", tasks: [{ id: 1, name: "t", frames: 1, retries: 5, priority: 10 }, { id: 2, name: "t", frames: 1, retries: 0 }] }, [...args("F"), ...args("B")]);
  for (let round = 1; round <= 3; round++) {
    const w = peer(`w${round}`);
    await w.join("worker", ["t"]);
    await w.send({ t: "CREDIT", n: 2 });
    const d = await w.next("DISPATCH");
    expect(d.header.tasks.map((t) => t.attempt)).toEqual([round, 1]); // F spends a retry each time, B never
    expect(broker.peerExited(`w${round}`, 2)).toBe(false); // another process's pid: not this peer
    expect(broker.peerExited(`w${round}`, 1)).toBe(true);
    if (round < 3) expect(owner.has("DELIVER")).toBe(false);
  }
  // B was lost with 3 workers, more than 2 × (retries + 1): it fails instead of riding along forever.
  const deliver = await owner.next("DELIVER");
  expect(deliver.header.results[0]).toMatchObject({ id: 2, ok: false });
  expect((codec.decode(deliver.payload) as { code: string }).code).toBe("SCOOP_WORKER_LOST");
});

test("a worker's heart reports it stuck in an aborted task: the broker answers, drops the worker and requeues its other tasks without spending retries", async () => {
  const owner = peer("owner");
  await owner.hello("origin", []);
  const w = peer("w");
  await w.hello("worker", ["t"]);
  const heart = peer("w/heart");
  await heart.send({ t: "HEARTBEAT", of: "w" });
  const lost = new Promise((resolve) => broker.once("peer:lost", (info, counts) => resolve([info.id, counts])));
  await owner.send({ t: "SUBMIT", tasks: [1, 2, 3].map((id) => ({ id, name: "t", frames: 1, retries: 0 })) }, [...args(1), ...args(2), ...args(3)]);
  await w.send({ t: "CREDIT", n: 3 });
  const keys = (await w.next("DISPATCH")).header.tasks.map((t) => t.key);
  // The owner gives up on the first (its deadline): the worker and its heart hear of it, the heart with the name.
  await owner.send({ t: "CANCEL", ids: [1] });
  expect((await w.next("ABORT")).header.keys).toEqual([keys[0]]);
  expect((await heart.next("ABORT")).header).toMatchObject({ keys: [keys[0]], names: ["t"] });
  await heart.send({ t: "HEARTBEAT", of: "w", stuck: keys[0] });
  let echo = await heart.next("HEARTBEAT");
  while (echo.header.stuck === undefined) echo = await heart.next("HEARTBEAT");
  expect(echo.header.stuck).toBe(keys[0]);
  expect(await lost).toEqual(["w", { requeued: 2, failed: 0, stuck: keys[0] }]);
  const fresh = peer("w.1");
  await fresh.hello("worker", ["t"]);
  await fresh.send({ t: "CREDIT", n: 3 });
  const again = (await fresh.next("DISPATCH")).header.tasks;
  expect(again.map((t) => [t.key, t.attempt])).toEqual([[keys[1], 1], [keys[2], 1]]);
});

test("with unknownTasks 'fail', a task nobody can run fails at once", async () => {
  await broker.close();
  broker = await startBroker({ unknownTasks: "fail" });
  const owner = peer("owner");
  await owner.join("origin", ["known"]);
  await owner.send({ t: "SUBMIT", tasks: [{ id: 1, name: "unknown", frames: 1, retries: 0 }] }, args());
  const deliver = await owner.next("DELIVER");
  expect(deliver.header.results[0].ok).toBe(false);
  expect((codec.decode(deliver.payload) as { code: string }).code).toBe("SCOOP_TASK_NOT_REGISTERED");
});

test("cancel removes a queued task and aborts a running one", async () => {
  const owner = peer("owner");
  const worker = peer("worker");
  await owner.join("origin", []);
  await worker.join("worker", ["t"]);
  await owner.send({ t: "SUBMIT", tasks: [{ id: 1, name: "t", frames: 1, retries: 0 }, { id: 2, name: "t", frames: 1, retries: 0 }] }, [...args(1), ...args(2)]);
  await worker.send({ t: "CREDIT", n: 1 });
  const d = await worker.next("DISPATCH");
  await owner.send({ t: "CANCEL", ids: [1, 2] });
  const abort = await worker.next("ABORT");
  expect(abort.header.keys).toEqual([d.header.tasks[0].key]);
  await new Promise((r) => setTimeout(r, 100));
  expect(broker.stats()).toMatchObject({ queued: 0, running: 0 });
});

test("shared constants reach every peer of the app, late joiners too, and are read-only", async () => {
  const a = peer("a");
  await a.join("origin", []);
  await a.send({ t: "CONST_SET", name: "k", frames: 1 }, codec.encode({ x: 1 }));
  expect(codec.decode((await a.next("CONST")).payload)).toEqual({ x: 1 });
  const late = peer("late");
  await late.join("worker", []);
  const c = await late.next("CONST");
  expect(c.header.name).toBe("k");
  const other = peer("other-app");
  await other.join("worker", [], "another-app");
  await new Promise((r) => setTimeout(r, 100));
  expect(other.has("CONST")).toBe(false);
  await a.send({ t: "CONST_SET", name: "k", frames: 1 }, codec.encode(2));
  expect((await a.next("ERROR")).header).toMatchObject({ code: "SCOOP_CONST_EXISTS", name: "k" });
});

test("malformed input is answered with an error and the broker keeps serving", async () => {
  const rogue = peer("rogue");
  await rogue.sendRaw([Buffer.from("definitely not msgpack")]);
  expect((await rogue.next("ERROR")).header.code).toBe("SCOOP_MALFORMED_MESSAGE");
  await rogue.sendRaw([Buffer.from(encodeMessage({ t: "HEARTBEAT" })[0]).fill(0x99, 1, 2)]);
  expect((await rogue.next("ERROR")).header.code).toBe("SCOOP_MALFORMED_MESSAGE");
  await rogue.send({ t: "SUBMIT", tasks: [] });
  expect((await rogue.next("ERROR")).header.code).toBe("SCOOP_NOT_JOINED");
  const owner = peer("owner");
  await owner.join("origin", ["ok"]);
  await owner.send({ t: "CREDIT", n: 1 });
  await owner.send({ t: "SUBMIT", tasks: [{ id: 1, name: "ok", frames: 1, retries: 0 }] }, args());
  expect((await owner.next("DISPATCH")).header.tasks[0].name).toBe("ok");
  expect(broker.stats().malformed).toBeGreaterThanOrEqual(1);
});

test("a throwing event listener does not crash the broker", async () => {
  broker.on("peer:joined", () => {
    throw new Error("listener bug");
  });
  const a = peer("a");
  await a.join("worker", []);
  expect(broker.stats().peers).toBe(1);
});

test("close is idempotent", async () => {
  const first = broker.close();
  expect(broker.close()).toBe(first);
  await first;
  expect(broker.state).toBe("closed");
});
