import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { curveClientOptions, curveKeyPair, isZ85Key, keyFileField, keyFileText, readServerKey } from "@scoop/protocol";

const dir = mkdtempSync(join(tmpdir(), "scoop-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a key file written by keyFileText reads back with keyFileField and readServerKey", () => {
  const pair = curveKeyPair();
  const secret = keyFileText(pair, "SCOOP broker CURVE keypair. SECRET");
  const pub = keyFileText({ publicKey: pair.publicKey }, "SCOOP broker CURVE public key");
  expect(secret.startsWith("# SCOOP broker")).toBe(true);
  expect([keyFileField(secret, "public-key"), keyFileField(secret, "secret-key")]).toEqual([pair.publicKey, pair.secretKey]);
  expect(keyFileField(pub, "secret-key")).toBeUndefined();
  writeFileSync(join(dir, "broker.pub"), pub);
  writeFileSync(join(dir, "broker.key"), secret);
  expect(readServerKey(join(dir, "broker.pub"))).toBe(pair.publicKey);
  expect(() => readServerKey(join(dir, "broker.key"))).toThrow(expect.objectContaining({ code: "SCOOP_BAD_KEY_FILE" }));
});

test("curveClientOptions: the broker's key with this peer's keypair, fresh unless given", () => {
  const server = curveKeyPair().publicKey;
  const own = curveKeyPair();
  expect(curveClientOptions(server, own)).toEqual({ curveServerKey: server, curvePublicKey: own.publicKey, curveSecretKey: own.secretKey });
  const fresh = curveClientOptions(server);
  expect(fresh.curveServerKey).toBe(server);
  expect(isZ85Key(fresh.curvePublicKey) && isZ85Key(fresh.curveSecretKey)).toBe(true);
  expect(fresh.curvePublicKey).not.toBe(curveClientOptions(server).curvePublicKey);
});
