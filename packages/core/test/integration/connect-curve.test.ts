/**
 * connect() against real brokers: CURVE with a generated client keypair, a
 * wrong server key (a clear SCOOP_BROKER_UNREACHABLE naming keys), and a
 * broker of another protocol version (SCOOP_PROTOCOL_VERSION at once, not a
 * timeout).
 */
import { Router, curveKeyPair } from "zeromq";
import { encodeMessage } from "@scoop/protocol";
// Test-only: core never depends on the broker; its build is imported by path (run pnpm build first).
import { startBroker } from "@scoop/broker";
import { connect, getExecutor } from "../../src/index.js";

test("connect() with only the broker's public key joins a CURVE broker", async () => {
  const server = curveKeyPair();
  const broker = await startBroker({ curve: server });
  try {
    const conn = await connect({ broker: broker.endpoint, app: "curve-app", curve: { serverKey: server.publicKey }, connectTimeoutMs: 5000 });
    expect(broker.peerList()).toEqual([expect.objectContaining({ app: "curve-app", role: "client" })]);
    expect(getExecutor()?.kind).toBe("distributed");
    await conn.close();
  } finally {
    await broker.close();
  }
});

test("a wrong server key fails with SCOOP_BROKER_UNREACHABLE that mentions keys; bad keys are refused up front", async () => {
  const broker = await startBroker({ curve: curveKeyPair() });
  try {
    const attempt = connect({ broker: broker.endpoint, curve: { serverKey: curveKeyPair().publicKey }, connectTimeoutMs: 500 });
    await expect(attempt).rejects.toMatchObject({ code: "SCOOP_BROKER_UNREACHABLE", message: expect.stringContaining("wrong key or wrong address?") });
    expect(broker.stats().peers).toBe(0);
    await expect(connect({ broker: broker.endpoint, curve: { serverKey: "not a key" } })).rejects.toMatchObject({ code: "SCOOP_INVALID_OPTION" });
  } finally {
    await broker.close();
  }
});

test("a broker of another protocol version: SCOOP_PROTOCOL_VERSION at once", async () => {
  const router = new Router({ linger: 0 });
  await router.bind("tcp://127.0.0.1:*");
  const refused = Buffer.from(encodeMessage({ t: "REFUSED", code: "SCOOP_PROTOCOL_VERSION", message: "speak version 2" })[0]);
  refused[3] = 2; // v: 2
  const serve = (async () => {
    for await (const [identity] of router) await router.send([identity, refused]);
  })().catch(() => undefined);
  try {
    const started = Date.now();
    await expect(connect({ broker: router.lastEndpoint!, connectTimeoutMs: 20_000 })).rejects.toMatchObject({ code: "SCOOP_PROTOCOL_VERSION", message: expect.stringContaining("version 2") });
    expect(Date.now() - started).toBeLessThan(20_000);
  } finally {
    router.close();
    await serve;
  }
});
