/**
 * Per-run CURVE keys: a broker keypair and one client keypair per worker,
 * made fresh for every run that starts workers off this machine. A worker
 * gets its keys as one JSON line on standard input (`scoop-worker
 * --secrets-stdin`), never on a command line or in a log; the broker admits
 * only the run's own client keys.
 */
import { generateKeyPairSync } from "node:crypto";

const Z85 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

function z85Encode(bytes: Uint8Array): string {
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

/** A CURVE keypair, z85-encoded (40 characters each). */
export interface CurveKeyPair {
  publicKey: string;
  secretKey: string;
}

/** A fresh CURVE (X25519) keypair in z85. */
export function newCurveKeyPair(): CurveKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("x25519");
  const pub = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
  const sec = Buffer.from(privateKey.export({ format: "jwk" }).d!, "base64url");
  return { publicKey: z85Encode(pub), secretKey: z85Encode(sec) };
}

/** Keys of one run. */
export class RunKeys {
  readonly broker = newCurveKeyPair();
  private readonly clients = new Map<string, CurveKeyPair>();

  /** The client keypair of worker `id` (made on first use). */
  client(id: string): CurveKeyPair {
    let pair = this.clients.get(id);
    if (!pair) this.clients.set(id, (pair = newCurveKeyPair()));
    return pair;
  }

  /** Public keys of every client made so far (the broker's allow-list). */
  clientPublicKeys(): string[] {
    return [...this.clients.values()].map((p) => p.publicKey);
  }

  /** The line `scoop-worker --secrets-stdin` reads for worker `id`. */
  secretsLine(id: string): string {
    const own = this.client(id);
    return `${JSON.stringify({ curveServerKey: this.broker.publicKey, curvePublicKey: own.publicKey, curveSecretKey: own.secretKey })}\n`;
  }
}
