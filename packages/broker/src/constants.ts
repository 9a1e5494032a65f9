/**
 * Shared constants, scoped by app: the broker stores each app's constants and
 * sends them to every peer that may run that app's tasks.
 */
import type { Header } from "@scoop/protocol";
import type { Peer } from "./peers.js";

type Send = (peer: Peer, header: Header, frames?: readonly Uint8Array[]) => void;

/** Every app's constants, and who has been sent which. */
export class AppConstants {
  private readonly byApp = new Map<string, Map<string, Buffer[]>>();

  constructor(private readonly send: Send) {}

  /** Set a constant of `app` and send it to the peers holding that app; false if it is already set. */
  set(app: string, name: string, frames: Buffer[], peers: Iterable<Peer>): boolean {
    let scope = this.byApp.get(app);
    if (scope === undefined) this.byApp.set(app, (scope = new Map()));
    if (scope.has(name)) return false;
    scope.set(name, frames);
    for (const other of peers) {
      if (other.apps.has(app)) this.sendOne(other, app, name, frames);
    }
    return true;
  }

  /** Every constant's app, name and size (for monitoring). */
  list(): Array<{ app: string; name: string; bytes: number }> {
    const out: Array<{ app: string; name: string; bytes: number }> = [];
    for (const [app, scope] of this.byApp) {
      for (const [name, frames] of scope) out.push({ app, name, bytes: frames.reduce((n, f) => n + f.length, 0) });
    }
    return out;
  }

  /** Send every constant of `app` to a peer. */
  sendAll(peer: Peer, app: string): void {
    for (const [name, frames] of this.byApp.get(app) ?? []) this.sendOne(peer, app, name, frames);
  }

  /**
   * Before a worker's first task of an app, send it that app's constants (same
   * socket, so they arrive first); later ones follow as they are set.
   */
  ensure(worker: Peer, app: string): void {
    if (worker.apps.has(app)) return;
    worker.apps.add(app);
    this.sendAll(worker, app);
  }

  /** Drop the constants of apps no connected peer belongs to any more, and tell peers that hold them. */
  forgetOrphans(peers: Iterable<Peer>): void {
    const live = [...peers];
    for (const app of this.byApp.keys()) {
      if (live.some((peer) => peer.app === app)) continue;
      this.byApp.delete(app);
      for (const peer of live) {
        if (!peer.apps.delete(app)) continue;
        this.send(peer, { t: "CONST", name: "", frames: 0, app, forget: true });
      }
    }
  }

  /** Send one constant of `app` to a peer (naming the app when it is not the peer's own). */
  private sendOne(peer: Peer, app: string, name: string, frames: Buffer[]): void {
    const header: Header = app === peer.app ? { t: "CONST", name, frames: frames.length } : { t: "CONST", name, frames: frames.length, app };
    this.send(peer, header, frames);
  }
}
