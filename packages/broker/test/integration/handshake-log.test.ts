/**
 * A CURVE broker says why a client waits in vain: one warning per kind of
 * refused handshake (wrong server key, no key), however often the client
 * retries, over real ZeroMQ sockets.
 */
import { Writable } from "node:stream";
import pino from "pino";
import { curveKeyPair } from "zeromq";
import { FakePeer, waitUntil } from "@scoop/test-helpers";
import { startBroker, type Broker } from "../../src/index.js";

let broker: Broker | undefined;
const peers: FakePeer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  await broker?.close();
  broker = undefined;
});

test("a client with a wrong server key, and one without a key, each give one warning with the reason", async () => {
  const lines: Array<{ level: number; msg: string; code?: string }> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const server = curveKeyPair();
  broker = await startBroker({ curve: server, logger: pino({ level: "warn" }, sink) });
  const own = curveKeyPair();
  const wrongKey = new FakePeer(broker.endpoint, "wrong-key", { socket: { curveServerKey: curveKeyPair().publicKey, curvePublicKey: own.publicKey, curveSecretKey: own.secretKey } });
  const noKey = new FakePeer(broker.endpoint, "no-key");
  peers.push(wrongKey, noKey);
  void wrongKey.hello("client", []).catch(() => undefined);
  void noKey.hello("client", []).catch(() => undefined);
  const refused = (code: string) => lines.filter((l) => l.code === code);
  await waitUntil(() => refused("ERR_ZMTP_CRYPTOGRAPHIC").length > 0 && refused("ERR_ZMTP_MECHANISM_MISMATCH").length > 0, 10_000, "both refusals logged");
  // The clients keep retrying (every ~100 ms): still one line each.
  const retried = lines.length;
  await new Promise((r) => setTimeout(r, 800));
  expect(lines.length).toBe(retried);
  const [wrong] = refused("ERR_ZMTP_CRYPTOGRAPHIC");
  expect(wrong.level).toBe(40);
  expect(wrong.msg).toContain(`refused a client's handshake on ${broker.endpoint}`);
  expect(wrong.msg).toContain("server key is not this broker's");
  expect(refused("ERR_ZMTP_MECHANISM_MISMATCH")[0].msg).toContain("uses no CURVE key");
});
