/**
 * Fuzzing a live broker: 100,000 malformed or hostile messages from several
 * sockets while a real workload (a broker process, two worker processes, an
 * app) runs through it. The workload must finish with correct results and
 * the broker must still be serving.
 */
import { join } from "node:path";
import { encode } from "@msgpack/msgpack";
import { Dealer } from "zeromq";
import { encodeMessage, PROTOCOL_VERSION, SendQueue, type Header } from "@scoop/protocol";
import { spawnBroker, exited, killTagged, newTag, processesTagged, seeded, spawnTagged, waitUntil, WORKER_BIN } from "@scoop/test-helpers";

const fixture = (name: string) => join(__dirname, "../fixtures", name);
const tags: string[] = [];
afterAll(() => tags.forEach(killTagged));

/** One malformed or hostile message, chosen by `random`. */
function badMessage(random: () => number, i: number): Uint8Array[] {
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  const header = (h: Record<string, unknown>) => Buffer.from(encode(h));
  switch (Math.floor(random() * 12)) {
    case 0:
      return [bytes(1 + Math.floor(random() * 64))]; // random bytes
    case 1:
      return [bytes(8), bytes(16), bytes(3)]; // random multipart
    case 2:
      return [header({ v: PROTOCOL_VERSION + 1 + Math.floor(random() * 10), t: "HELLO", id: `x${i}`, role: "worker", host: "h", pid: 1, app: "a", tasks: [] })]; // wrong version
    case 3:
      return [header({ v: PROTOCOL_VERSION, t: "NOPE" })]; // unknown type
    case 4:
      return [header({ v: PROTOCOL_VERSION, t: "SUBMIT" })]; // missing fields
    case 5:
      return [header({ v: PROTOCOL_VERSION, t: "SUBMIT", tasks: [{ id: -1, name: 7, frames: "x", retries: null }] })]; // wrong field types
    case 6: {
      const valid = Buffer.from(encodeMessage({ t: "CREDIT", n: 3 })[0]);
      return [valid.subarray(0, Math.max(1, Math.floor(random() * valid.length)))]; // truncated msgpack
    }
    case 7:
      return [header({ v: PROTOCOL_VERSION, t: "CREDIT", n: -5 })]; // invalid value
    case 8:
      return [header({ v: PROTOCOL_VERSION, t: "RESULT", results: [{ key: Math.floor(random() * 1e6), ok: true, frames: 1 }] }), bytes(4)]; // result for a task it does not run
    case 9:
      return [header({ v: PROTOCOL_VERSION, t: "SUBMIT", tasks: [{ id: i, name: "spin", frames: 2, retries: 0 }] }), bytes(4)]; // frame count mismatch
    case 10:
      return [Buffer.alloc(0)]; // empty frame
    default:
      return [header({ v: PROTOCOL_VERSION, t: "CONST_SET", name: "x", frames: 1 })]; // missing payload
  }
}

test("100,000 malformed messages while a workload runs: the workload completes, the broker keeps serving", async () => {
  const tag = newTag();
  tags.push(tag);
  const log: string[] = [];
  const { broker, endpoint } = await spawnBroker(tag, log);
  const children = [broker];
  const sockets: Dealer[] = [];
  try {
    for (let i = 0; i < 2; i++) children.push(spawnTagged([WORKER_BIN, "--broker", endpoint, "--module", fixture("chaos-tasks.ts"), "--id", `f${i}`], tag, log));
    const appOut: string[] = [];
    const app = spawnTagged(["--import", "tsx", fixture("chaos-app.ts"), endpoint, "5000", "8"], tag, appOut);
    children.push(app);
    const appDone = new Promise<number>((r) => app.once("exit", (code) => r(code ?? 1)));

    // Fuzzers: some never join, one joins as a client first (so its messages get past the join check).
    const random = seeded(424242);
    const queues: SendQueue[] = [];
    for (let s = 0; s < 4; s++) {
      const sock = new Dealer({ routingId: `fuzz-${s}`, linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
      sock.connect(endpoint);
      sockets.push(sock);
      void (async () => {
        try {
          for await (const _ of sock); // drain ERROR replies
        } catch {
          // closed
        }
      })();
      queues.push(new SendQueue((f) => sock.send(f as Uint8Array[]), () => undefined));
    }
    const hello: Header = { t: "HELLO", id: "fuzz-3", role: "client", host: "fuzz", pid: 1, app: "fuzz", tasks: [] };
    queues[3].send(encodeMessage(hello));
    const total = 100_000;
    for (let i = 0; i < total; i++) {
      queues[i % queues.length].send(badMessage(random, i));
      if (i % 1000 === 999) await Promise.all(queues.map((q) => q.flushed())); // keep memory flat
    }
    await Promise.all(queues.map((q) => q.flushed()));

    const code = await appDone;
    const summary = JSON.parse(appOut.join("").trim().split("\n").pop() ?? "{}");
    expect({ code, summary }).toMatchObject({ code: 0, summary: { mapResults: 5000, wrong: 0, nodes: 511 } });
    // Still serving: a new peer joins and is welcomed.
    expect(broker.exitCode).toBeNull();
    const probe = new Dealer({ routingId: "probe", linger: 0 });
    sockets.push(probe);
    probe.connect(endpoint);
    await probe.send(encodeMessage({ t: "HELLO", id: "probe", role: "client", host: "probe", pid: 1, app: "probe", tasks: [] }));
    const [reply] = await probe.receive();
    expect(reply.length).toBeGreaterThan(0);
    expect(log.join("")).not.toMatch(/Uncaught|FATAL|Segmentation/i);
  } finally {
    for (const s of sockets) s.close();
    for (const c of children) c.kill("SIGKILL");
    await Promise.all(children.map(exited));
  }
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
}, 300_000);
