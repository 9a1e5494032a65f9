/**
 * CURVE keys as ZeroMQ writes them: z85 text of 40 characters. One place for
 * every package (broker, workers, apps, launcher) to make and check them, to
 * write and read key files, and to shape a CURVE client's socket options.
 */
import { generateKeyPairSync } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { ScoopError } from "./errors.js";

const Z85 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

/** A CURVE keypair, z85-encoded (40 characters each). */
export interface CurveKeyPair {
  publicKey: string;
  secretKey: string;
}

/** True if `key` is a z85-encoded CURVE key (40 characters). */
export function isZ85Key(key: unknown): key is string {
  return typeof key === "string" && Z85_KEY.test(key);
}

/** Z85-encode bytes (length a multiple of 4), as ZeroMQ does for keys. */
export function z85Encode(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 4) {
    let value = bytes[i] * 2 ** 24 + (bytes[i + 1] << 16) + (bytes[i + 2] << 8) + bytes[i + 3];
    let chunk = "";
    for (let j = 0; j < 5; j++) {
      chunk = Z85[value % 85] + chunk;
      value = Math.floor(value / 85);
    }
    out += chunk;
  }
  return out;
}

/** A fresh CURVE (X25519) keypair in z85, as zeromq's `curveKeyPair()` makes (without loading zeromq). */
export function curveKeyPair(): CurveKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("x25519");
  const pub = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
  const sec = Buffer.from(privateKey.export({ format: "jwk" }).d!, "base64url");
  return { publicKey: z85Encode(pub), secretKey: z85Encode(sec) };
}

/**
 * zeromq socket options of a CURVE client (z85 keys): the one shape every
 * client peer (app, worker, monitor) connects with, and the JSON the launcher
 * hands a worker on standard input (`--secrets-stdin`). A type, not an
 * interface, so it also passes where plain socket options (`Record<string, string>`) go.
 */
export type CurveClientOptions = {
  /** The broker's public key. */
  curveServerKey: string;
  /** This peer's public key. */
  curvePublicKey: string;
  /** This peer's secret key. */
  curveSecretKey: string;
};

/** CURVE client options for a broker public key `serverKey`, with this peer's keypair `own` (default: a fresh one). */
export function curveClientOptions(serverKey: string, own: CurveKeyPair = curveKeyPair()): CurveClientOptions {
  return { curveServerKey: serverKey, curvePublicKey: own.publicKey, curveSecretKey: own.secretKey };
}

/** A key file's fields: `public-key`, and `secret-key` in a secret key file. */
export type KeyFileField = "public-key" | "secret-key";

/**
 * The text of a key file, in the style of ZeroMQ's certificates: a `#`
 * comment line, `public-key = "…"`, and `secret-key = "…"` when `keys` holds
 * the secret (`broker.key`; `broker.pub` has the public key only).
 */
export function keyFileText(keys: { publicKey: string; secretKey?: string }, comment: string): string {
  const secret = keys.secretKey === undefined ? "" : `secret-key = "${keys.secretKey}"\n`;
  return `# ${comment}\npublic-key = "${keys.publicKey}"\n${secret}`;
}

/** The 40-character value of the `name = "…"` line of a key file's text (see {@link keyFileText}), if there is one. */
export function keyFileField(text: string, name: KeyFileField): string | undefined {
  return new RegExp(`^\\s*${name}\\s*=\\s*"(.{40})"\\s*$`, "m").exec(text)?.[1];
}

/**
 * The broker's public key: a z85 key itself, or a file holding one (the
 * `broker.pub` written by `scoop-broker keygen`, or a bare key).
 * @throws {ScoopError} `SCOOP_BAD_KEY_FILE` if neither.
 */
export function readServerKey(fileOrKey: string): string {
  if (!existsSync(fileOrKey) && isZ85Key(fileOrKey)) return fileOrKey;
  let text: string;
  try {
    text = readFileSync(fileOrKey, "utf8");
  } catch (error) {
    throw new ScoopError("SCOOP_BAD_KEY_FILE", `cannot read the broker's public key ${fileOrKey}: ${(error as Error).message}; pass the broker.pub written by scoop-broker keygen`, { cause: error });
  }
  const quoted = keyFileField(text, "public-key");
  const bare = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("#"));
  const key = quoted ?? bare;
  if (!isZ85Key(key)) throw new ScoopError("SCOOP_BAD_KEY_FILE", `${fileOrKey} holds no z85 public key: pass the broker.pub written by scoop-broker keygen`);
  if (/^\s*secret-key\s*=/m.test(text)) throw new ScoopError("SCOOP_BAD_KEY_FILE", `${fileOrKey} holds the broker's SECRET key: give workers broker.pub, and keep broker.key on the broker's host`);
  return key;
}
