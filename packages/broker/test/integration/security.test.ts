/**
 * The broker against hostile and foreign peers over real ZeroMQ sockets:
 * CURVE (rogue plain and wrong-key clients get nothing and submit nothing),
 * the ZAP allow-list, peers of another protocol version, oversized messages,
 * garbage and forged results; and the per-app scoping of shared constants a
 * daemon needs (a worker gets an app's constants before its first task of it).
 */
import { curveKeyPair } from "zeromq";
import { Codec, encodeMessage } from "@scoop/protocol";
import { FakePeer } from "@scoop/test-helpers";
import { resolveBrokerOptions, startBroker, type Broker } from "../../src/index.js";

const codec = new Codec();
const args = (...values: unknown[]) => codec.encode(values, "args");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


let broker: Broker | undefined;
const peers: FakePeer[] = [];
const peer = (id: string, socketOptions?: Record<string, unknown>) => {
  const p = new FakePeer(broker!.endpoint, id, { socket: socketOptions });
  peers.push(p);
  return p;
};
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  await broker?.close();
  broker = undefined;
});

/** Client socket options for a CURVE broker with public key `serverKey`. */
const client = (serverKey: string, own = curveKeyPair()) => ({ curveServerKey: serverKey, curvePublicKey: own.publicKey, curveSecretKey: own.secretKey });

/**
 * What a rogue tries: join as a worker of every task, take credit, submit
 * work. Not awaited: a socket whose handshake fails never becomes writable.
 */
function rogueTries(rogue: FakePeer): void {
  void rogue.hello("worker", ["square"]).catch(() => undefined);
  void rogue.send({ t: "CREDIT", n: 100 }).catch(() => undefined);
  void rogue.send({ t: "SUBMIT", tasks: [{ id: 1, name: "square", frames: 1, retries: 0 }] }, args(99)).catch(() => undefined);
}

test("CURVE: rogue clients (plain, wrong server key) get no task and submit nothing; keyed peers work", async () => {
  const server = curveKeyPair();
  broker = await startBroker({ curve: server, heartbeatMs: 100, livenessMs: 1000 });
  const plain = peer("rogue-plain");
  const wrongKey = peer("rogue-wrong-key", client(curveKeyPair().publicKey));
  rogueTries(plain);
  rogueTries(wrongKey);

  const worker = peer("worker", client(server.publicKey));
  const app = peer("app", client(server.publicKey));
  await worker.hello("worker", ["square"]);
  await worker.next("WELCOME");
  await app.hello("client", []);
  await app.next("WELCOME");
  await worker.send({ t: "CREDIT", n: 1 });
  await app.send({ t: "SUBMIT", tasks: [{ id: 7, name: "square", frames: 1, retries: 0 }] }, args(6));
  const d = await worker.next("DISPATCH");
  expect(codec.decode(d.payload)).toEqual([6]);
  await worker.send({ t: "RESULT", results: [{ key: d.header.tasks[0].key, ok: true, frames: 1 }] }, codec.encode(36));
  expect(codec.decode((await app.next("DELIVER")).payload)).toBe(36);

  // The rogues had every chance: nothing of theirs was accepted, nothing reached them.
  rogueTries(plain);
  rogueTries(wrongKey);
  await sleep(300);
  expect(broker.stats()).toMatchObject({ peers: 2, workers: 1, submitted: 1, delivered: 1 });
  expect(broker.peerList().map((p) => p.id).sort()).toEqual(["app", "worker"]);
  for (const rogue of [plain, wrongKey]) expect(rogue.inbox).toEqual([]);
});

test("CURVE allow-list: a client that knows the server key but is not listed cannot join", async () => {
  const server = curveKeyPair();
  const allowed = curveKeyPair();
  broker = await startBroker({ curve: { ...server, allowedClients: [allowed.publicKey] }, heartbeatMs: 100, livenessMs: 1000 });
  const outsider = peer("outsider", client(server.publicKey));
  rogueTries(outsider);
  const member = peer("member", client(server.publicKey, allowed));
  await member.hello("worker", ["square"]);
  await member.next("WELCOME");
  await sleep(200);
  expect(broker.stats()).toMatchObject({ peers: 1, submitted: 0 });
  expect(outsider.inbox).toEqual([]);
});

test("options: a non-loopback bind needs CURVE keys or insecure; keys are checked", () => {
  expect(() => resolveBrokerOptions({ bind: "tcp://0.0.0.0:5555" })).toThrow(expect.objectContaining({ code: "SCOOP_INSECURE_BIND" }));
  expect(() => resolveBrokerOptions({ bind: "tcp://0.0.0.0:5555", insecure: true })).not.toThrow();
  expect(() => resolveBrokerOptions({ bind: "tcp://0.0.0.0:5555", curve: curveKeyPair() })).not.toThrow();
  expect(() => resolveBrokerOptions({ bind: ["tcp://127.0.0.1:1", "ipc:///tmp/x", "tcp://localhost:2"] })).not.toThrow();
  expect(() => resolveBrokerOptions({ curve: { publicKey: "short", secretKey: "short" } })).toThrow(expect.objectContaining({ code: "SCOOP_INVALID_OPTION" }));
});

test("a peer of another protocol version is REFUSED at join", async () => {
  broker = await startBroker();
  const foreign = peer("foreign");
  const head = Buffer.from(encodeMessage({ t: "HELLO", id: "foreign", role: "worker", host: "test", pid: 1, app: "app", tasks: ["x"] })[0]);
  // The header is a msgpack map whose first entry is v: 1 (positive fixint at byte 3).
  expect(head.subarray(1, 4)).toEqual(Buffer.from([0xa1, 0x76, 0x01]));
  head[3] = 99;
  await foreign.sendRaw([head]);
  const refused = await foreign.next("REFUSED");
  expect(refused.header.code).toBe("SCOOP_PROTOCOL_VERSION");
  expect(refused.header.message).toContain("version 99");
  expect(broker.stats().peers).toBe(0);
});

test("an oversized message is cut off by maxMessageSize; the broker keeps serving", async () => {
  broker = await startBroker({ maxMessageBytes: 4096, heartbeatMs: 100, livenessMs: 1000 });
  const big = peer("big");
  // The limit is announced, so SCOOP's peers refuse to send more (SCOOP_MESSAGE_TOO_LARGE) instead of losing it.
  await big.hello("client", []);
  expect((await big.next("WELCOME")).header.maxMessageBytes).toBe(4096);
  await big.send({ t: "SUBMIT", tasks: [{ id: 1, name: "t", frames: 1, retries: 0 }] }, [new Uint8Array(64 * 1024)]);
  const worker = peer("worker");
  const owner = peer("owner");
  await worker.hello("worker", ["t"]);
  await owner.hello("client", []);
  await worker.send({ t: "CREDIT", n: 5 });
  await owner.send({ t: "SUBMIT", tasks: [{ id: 1, name: "t", frames: 1, retries: 0 }] }, args(1));
  const d = await worker.next("DISPATCH");
  expect(d.header.tasks).toHaveLength(1);
  expect(codec.decode(d.payload)).toEqual([1]);
  expect(broker.state).toBe("running");
  expect(broker.stats().submitted).toBe(1); // only the owner's: the oversized SUBMIT never arrived
});

test("garbage, ill-typed headers and forged results never crash the broker or settle others' tasks", async () => {
  broker = await startBroker({ heartbeatMs: 100, livenessMs: 2000 });
  const owner = peer("owner");
  const worker = peer("worker");
  const forger = peer("forger");
  await owner.hello("client", []);
  await worker.hello("worker", ["t"]);
  await forger.hello("worker", []);
  await worker.send({ t: "CREDIT", n: 1 });
  await owner.send({ t: "SUBMIT", tasks: [{ id: 1, name: "t", frames: 1, retries: 0 }] }, args(1));
  const d = await worker.next("DISPATCH");
  const taskKey = d.header.tasks[0].key;

  // Garbage of every shape.
  const junk: Uint8Array[][] = [
    [Buffer.alloc(0)],
    [Buffer.from([0xc1])],
    [Buffer.from("\x81\xa1v\x01")], // a map with only a version
    [Buffer.from(encodeMessage({ t: "CREDIT", n: 1 })[0]), Buffer.from("unexpected payload")],
    [Buffer.from(encodeMessage({ t: "RESULT", results: [{ key: taskKey, ok: true, frames: 2 }] })[0]), Buffer.from("one frame only")],
    [Buffer.from(encodeMessage({ t: "SUBMIT", tasks: [{ id: -1, name: "t", frames: 0, retries: 0 }] } as never)[0])],
    [Buffer.from(encodeMessage({ t: "HELLO", id: "x".repeat(5000), role: "worker", host: "h", pid: 1, app: "a", tasks: [] })[0])],
    [Buffer.from(encodeMessage({ t: "WELCOME", broker: "b", heartbeatMs: 1, livenessMs: 1 })[0])],
  ];
  for (let i = 0; i < 200; i++) junk.push([Buffer.from(Array.from({ length: 1 + (i % 40) }, (_, j) => (i * 31 + j * 7) & 0xff))]);
  for (const frames of junk) await forger.sendRaw(frames);
  // A forged result for a task dispatched to another worker is ignored.
  await forger.send({ t: "RESULT", results: [{ key: taskKey, ok: true, frames: 1 }] }, codec.encode("forged"));
  await sleep(300);
  expect(owner.count("DELIVER")).toBe(0);
  expect(broker.stats().malformed).toBeGreaterThan(5);

  await worker.send({ t: "RESULT", results: [{ key: taskKey, ok: true, frames: 1 }] }, codec.encode("real"));
  expect(codec.decode((await owner.next("DELIVER")).payload)).toBe("real");
  expect(broker.state).toBe("running");
});

test("daemon workers of app 'default' get each app's constants before its first task, and only that app's", async () => {
  broker = await startBroker({ heartbeatMs: 100, livenessMs: 2000 });
  const appA = peer("A");
  const appB = peer("B");
  const worker = peer("w");
  await appA.hello("client", [], "app-A");
  await appB.hello("client", [], "app-B");
  await worker.hello("worker", ["t"], "default");
  await appA.send({ t: "CONST_SET", name: "k", frames: 1 }, codec.encode("a"));
  await appB.send({ t: "CONST_SET", name: "k", frames: 1 }, codec.encode("b"));
  await appA.next("CONST");
  await appB.next("CONST");
  await sleep(100);
  expect(worker.count("CONST")).toBe(0); // not before it runs a task of theirs
  await worker.send({ t: "CREDIT", n: 1 });
  await appA.send({ t: "SUBMIT", tasks: [{ id: 1, name: "t", frames: 1, retries: 0 }] }, args());
  const d = await worker.next("DISPATCH");
  expect(d.header.tasks[0]).toMatchObject({ name: "t", app: "app-A" });
  // The constant arrived first (same socket, in order), tagged with its app.
  const c = await worker.next("CONST", 0);
  expect(c.header).toMatchObject({ name: "k", app: "app-A" });
  expect(codec.decode(c.payload)).toBe("a");
  expect(worker.count("CONST")).toBe(0);
  // Constants set later by app A follow; app B's do not.
  await appA.send({ t: "CONST_SET", name: "k2", frames: 1 }, codec.encode("a2"));
  await appB.send({ t: "CONST_SET", name: "k2", frames: 1 }, codec.encode("b2"));
  const c2 = await worker.next("CONST");
  expect(c2.header).toMatchObject({ name: "k2", app: "app-A" });
  await sleep(100);
  expect(worker.count("CONST")).toBe(0);
  // When app A leaves, its constants are dropped and the worker is told to forget them.
  await appA.send({ t: "BYE" });
  const forget = await worker.next("CONST");
  expect(forget.header).toMatchObject({ app: "app-A", forget: true, frames: 0 });
});

test("an origin's SHUTDOWN ends its own app only", async () => {
  broker = await startBroker({ heartbeatMs: 100, livenessMs: 2000 });
  const origin = peer("origin");
  const mine = peer("mine");
  const other = peer("other");
  await origin.hello("origin", [], "run-1");
  await mine.hello("worker", [], "run-1");
  await other.hello("worker", [], "default");
  await Promise.all([origin, mine, other].map((p) => p.next("WELCOME")));
  await origin.send({ t: "SHUTDOWN", code: 3 });
  expect((await mine.next("SHUTDOWN")).header.code).toBe(3);
  await sleep(100);
  expect(other.count("SHUTDOWN")).toBe(0);
});
