/**
 * Per-run CURVE keys: a broker keypair and one client keypair per worker,
 * made fresh for every run that starts workers off this machine. A worker
 * gets its keys as one JSON line on standard input (`scoop-worker
 * --secrets-stdin`), never on a command line or in a log; the broker admits
 * only the run's own client keys.
 */
import { curveClientOptions, curveKeyPair, type CurveKeyPair } from "@scoop/protocol";

/** Keys of one run. */
export class RunKeys {
  readonly broker = curveKeyPair();
  private readonly clients = new Map<string, CurveKeyPair>();

  /** The client keypair of worker `id` (made on first use). */
  client(id: string): CurveKeyPair {
    let pair = this.clients.get(id);
    if (!pair) this.clients.set(id, (pair = curveKeyPair()));
    return pair;
  }

  /** Public keys of every client made so far (the broker's allow-list). */
  clientPublicKeys(): string[] {
    return [...this.clients.values()].map((p) => p.publicKey);
  }

  /** The line `scoop-worker --secrets-stdin` reads for worker `id`. */
  secretsLine(id: string): string {
    return `${JSON.stringify(curveClientOptions(this.broker.publicKey, this.client(id)))}\n`;
  }
}
