/**
 * Packed batches with bad offset tables, against real processes: a broker
 * process drops them (answering SCOOP_MALFORMED_MESSAGE, logging it) and
 * keeps serving; a worker process given them by a broker drops them, logs
 * SCOOP_MALFORMED_MESSAGE, and keeps running the tasks it is sent.
 */
import { join } from "node:path";
import { decode, encode } from "@msgpack/msgpack";
import { Dealer, Router } from "zeromq";
import { Codec, decodeMessage, encodeMessage, PACK_RECORD_BYTES as RECORD, type Header, type Message } from "@scoop/protocol";
import { spawnBroker, exited, killTagged, newTag, processesTagged, spawnTagged, waitUntil, WORKER_BIN } from "@scoop/test-helpers";

const fixture = (name: string) => join(__dirname, "../fixtures", name);
const codec = new Codec();
const tags: string[] = [];
afterAll(() => tags.forEach(killTagged));

/** Field offsets in a record of the packed item table (see @scoop/protocol's README). */
const OFFSET = 8;
const LENGTH = 12;
const OWN = 16;

/** Three bad variants of a valid packed batch of three one-frame items: out of range, overlapping, miscounted. */
function corrupted(header: Header, payload: Uint8Array[]): Array<{ why: RegExp; frames: Buffer[] }> {
  const [head, ...rest] = encodeMessage(header, payload).map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength));
  const variant = (mutate: (v: DataView) => void) => {
    const h = decode(head) as Record<string, any>;
    h.tab = Uint8Array.from(h.tab as Uint8Array);
    mutate(new DataView(h.tab.buffer));
    return [Buffer.from(encode(h)), ...rest];
  };
  return [
    { why: /out of range/, frames: variant((v) => v.setUint32(2 * RECORD + LENGTH, 1 << 20, true)) },
    { why: /overlaps/, frames: variant((v) => v.setUint32(RECORD + OFFSET, 0, true)) },
    { why: /owns 2 frames/, frames: variant((v) => v.setUint32(OWN, 2, true)) },
  ];
}

/** A raw peer: collects decoded messages. */
function collect(sock: Dealer | Router, inbox: Array<{ from?: Buffer; message: Message }>, routed: boolean): void {
  void (async () => {
    try {
      for await (const frames of sock) {
        const [from, ...rest] = routed ? frames : [undefined, ...frames];
        inbox.push({ from, message: decodeMessage(rest as Buffer[]) });
      }
    } catch {
      // closed
    }
  })();
}

async function next(inbox: Array<{ from?: Buffer; message: Message }>, t: Header["t"], what: string): Promise<{ from?: Buffer; message: Message }> {
  await waitUntil(() => inbox.some((m) => m.message.header.t === t), 20_000, what);
  return inbox.splice(inbox.findIndex((m) => m.message.header.t === t), 1)[0];
}

test("a broker drops packed batches with bad offsets or counts (SCOOP_MALFORMED_MESSAGE) and keeps serving", async () => {
  const tag = newTag();
  tags.push(tag);
  const log: string[] = [];
  const { broker, endpoint } = await spawnBroker(tag, log);
  const children = [broker];
  const app = new Dealer({ routingId: "app", linger: 0 });
  try {
    children.push(spawnTagged([WORKER_BIN, "--broker", endpoint, "--module", fixture("chaos-tasks.ts"), "--id", "w0", "--app", "packed"], tag, log));
    const inbox: Array<{ message: Message }> = [];
    app.connect(endpoint);
    collect(app, inbox, false);
    await app.send(encodeMessage({ t: "HELLO", id: "app", role: "client", host: "test", pid: 1, app: "packed", tasks: [] }));
    await next(inbox, "WELCOME", "WELCOME");

    const tasks = [1, 2, 3].map((id) => ({ id, name: "spin", frames: 1, retries: 0 }));
    for (const bad of corrupted({ t: "SUBMIT", tasks }, tasks.map((t) => codec.encode([t.id * 10, 0])[0]))) {
      await app.send(bad.frames);
      const error = (await next(inbox, "ERROR", "the broker's ERROR reply")).message.header as Extract<Header, { t: "ERROR" }>;
      expect(error.code).toBe("SCOOP_MALFORMED_MESSAGE");
      expect(error.message).toMatch(bad.why);
    }
    await waitUntil(() => log.join("").includes("SCOOP_MALFORMED_MESSAGE"), 10_000, "the broker to log SCOOP_MALFORMED_MESSAGE");

    // Still serving: the same batch, intact, runs on the worker and comes back.
    await app.send(encodeMessage({ t: "SUBMIT", tasks }, tasks.map((t) => codec.encode([t.id * 10, 0])[0])));
    const values = new Map<number, unknown>();
    while (values.size < 3) {
      const { message } = await next(inbox, "DELIVER", "the results");
      let offset = 0;
      for (const r of (message.header as Extract<Header, { t: "DELIVER" }>).results) {
        values.set(r.id, codec.decode(message.payload.slice(offset, (offset += r.frames))));
      }
    }
    expect([...values].sort()).toEqual([[1, 10], [2, 20], [3, 30]]);
    expect(broker.exitCode).toBeNull();
  } finally {
    app.close();
    for (const c of children) c.kill("SIGKILL");
    await Promise.all(children.map(exited));
  }
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
}, 120_000);

test("a worker drops packed DISPATCHes with bad offsets or counts (logs SCOOP_MALFORMED_MESSAGE) and keeps running tasks", async () => {
  const tag = newTag();
  tags.push(tag);
  const log: string[] = [];
  // A stand-in broker: the only way a malformed DISPATCH reaches a worker is a broken or hostile broker.
  const router = new Router({ linger: 0 });
  await router.bind("tcp://127.0.0.1:*");
  const inbox: Array<{ from?: Buffer; message: Message }> = [];
  collect(router, inbox, true);
  const worker = spawnTagged([WORKER_BIN, "--broker", router.lastEndpoint!, "--module", fixture("chaos-tasks.ts"), "--id", "w0", "--app", "packed"], tag, log);
  try {
    const hello = await next(inbox, "HELLO", "the worker's HELLO");
    const to = (header: Header, payload: Uint8Array[] = []) => router.send([hello.from!, ...encodeMessage(header, payload)]);
    await to({ t: "WELCOME", broker: "stand-in", heartbeatMs: 60_000, livenessMs: 600_000 });
    await next(inbox, "CREDIT", "the worker's CREDIT");

    const tasks = [1, 2, 3].map((key) => ({ key, name: "spin", frames: 1, attempt: 1 }));
    for (const bad of corrupted({ t: "DISPATCH", tasks }, tasks.map((t) => codec.encode([t.key, 0])[0]))) await router.send([hello.from!, ...bad.frames]);
    await waitUntil(() => (log.join("").match(/SCOOP_MALFORMED_MESSAGE/g) ?? []).length >= 3, 20_000, "the worker to log three SCOOP_MALFORMED_MESSAGE");

    await to({ t: "DISPATCH", tasks: [{ key: 9, name: "spin", frames: 1, attempt: 1 }] }, codec.encode([42, 0]));
    const result = (await next(inbox, "RESULT", "the worker's RESULT")).message;
    expect(result.header).toEqual({ t: "RESULT", results: [{ key: 9, ok: true, frames: 1 }] });
    expect(codec.decode(result.payload)).toBe(42);
    expect(inbox.some((m) => m.message.header.t === "RESULT")).toBe(false); // nothing ran from the bad batches
    await to({ t: "SHUTDOWN", code: 0 });
    await exited(worker);
    expect(worker.exitCode).toBe(0);
  } finally {
    worker.kill("SIGKILL");
    await exited(worker);
    router.close();
  }
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
}, 120_000);
