/**
 * CURVE key files of a broker, in the format of ZeroMQ's certificates
 * (written and read by `keyFileText`/`keyFileField` of `@scoop/protocol`):
 * `broker.key` (mode 0600) holds both keys, `broker.pub` the public key only.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ScoopError, curveKeyPair, isZ85Key, keyFileField, keyFileText, type CurveKeyPair } from "@scoop/protocol";

/** A CURVE keypair (z85). */
export type KeyPair = CurveKeyPair;

/** Paths written by {@link writeBrokerKeys}. */
export interface BrokerKeyFiles {
  /** Secret key file (mode 0600): keep it on the broker's host. */
  secretFile: string;
  /** Public key file: give it to workers and apps (`--server-key`). */
  publicFile: string;
  publicKey: string;
}

/**
 * Make a new broker keypair and write `DIR/broker.key` (both keys, mode 0600)
 * and `DIR/broker.pub` (the public key). Refuses to overwrite existing files.
 * @throws {ScoopError} `SCOOP_KEY_EXISTS` if a key file is already there.
 */
export function writeBrokerKeys(dir: string, options: { force?: boolean } = {}): BrokerKeyFiles {
  const out = resolve(dir);
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const secretFile = join(out, "broker.key");
  const publicFile = join(out, "broker.pub");
  if (!options.force && (existsSync(secretFile) || existsSync(publicFile))) {
    throw new ScoopError("SCOOP_KEY_EXISTS", `${secretFile} or ${publicFile} already exists: pick another directory, or remove them first (workers holding the old public key will no longer connect)`);
  }
  const keys = curveKeyPair();
  const { publicKey } = keys;
  const stamp = new Date().toISOString();
  writeFileSync(secretFile, keyFileText(keys, `SCOOP broker CURVE keypair, made ${stamp}. SECRET: keep it on the broker's host.`), { mode: 0o600 });
  chmodSync(secretFile, 0o600);
  writeFileSync(publicFile, keyFileText({ publicKey }, `SCOOP broker CURVE public key, made ${stamp}. Workers and apps pass this file as --server-key.`), { mode: 0o644 });
  return { secretFile, publicFile, publicKey };
}

/**
 * Read a broker keypair written by {@link writeBrokerKeys}.
 * @throws {ScoopError} `SCOOP_BAD_KEY_FILE` if the file is missing, unreadable or holds no keypair.
 */
export function readBrokerKeys(path: string): KeyPair {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ScoopError("SCOOP_BAD_KEY_FILE", `cannot read the broker key ${path}: ${(error as Error).message}; make one with scoop-broker keygen --out DIR`, { cause: error });
  }
  const publicKey = keyFileField(text, "public-key");
  const secretKey = keyFileField(text, "secret-key");
  if (!isZ85Key(publicKey) || !isZ85Key(secretKey)) {
    throw new ScoopError("SCOOP_BAD_KEY_FILE", `${path} holds no CURVE keypair (public-key = "…" and secret-key = "…" lines): pass the broker.key written by scoop-broker keygen, not broker.pub`);
  }
  return { publicKey, secretKey };
}

/**
 * Read client public keys, one per line: a bare z85 key or a `public-key = "…"`
 * line (so `.pub` files can be concatenated); `#` starts a comment.
 * @throws {ScoopError} `SCOOP_BAD_KEY_FILE` naming the first bad line.
 */
export function readPublicKeys(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ScoopError("SCOOP_BAD_KEY_FILE", `cannot read the allow-list ${path}: ${(error as Error).message}`, { cause: error });
  }
  const keys: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s*#.*$/, "").trim();
    if (line === "") return;
    const key = keyFileField(line, "public-key") ?? line;
    if (!isZ85Key(key)) throw new ScoopError("SCOOP_BAD_KEY_FILE", `${path}:${i + 1} is not a z85 public key (40 characters): one key per line`);
    keys.push(key);
  });
  return keys;
}
