/**
 * The shared constants a connected peer has seen, by app (a daemon worker
 * serves tasks of many apps), with the sets it is waiting for the broker to
 * confirm and the readers waiting for constants not set yet.
 */
import type { Logger } from "pino";
import { ScoopError, type Codec } from "@scoop/protocol";
import type { BrokerConnection } from "./connection.js";
import { ConstWaiters } from "./const-waiters.js";
import { checkMessageSize } from "./message-size.js";

/** Options of {@link PeerConstants}. */
export interface PeerConstantsOptions {
  connection: BrokerConnection;
  codec: Codec;
  logger: Logger;
  /** This peer's own app: its constants travel without an `app` field. */
  app: string;
}

/** A peer's view of the shared constants. */
export class PeerConstants {
  /** Constants by app, then by name. */
  private readonly byApp = new Map<string, Map<string, unknown>>();
  /** Waiters by `app\0name`. */
  private readonly waiters = new ConstWaiters();
  private readonly sets = new Map<string, { resolve(): void; reject(e: unknown): void }>();

  constructor(private readonly options: PeerConstantsOptions) {}

  /** Set a constant of `app`; resolves once the broker broadcast it. */
  async set(app: string, name: string, value: unknown): Promise<void> {
    const frames = this.options.codec.encode(value, `shared constant "${name}"`);
    checkMessageSize(frames, this.options.connection.brokerMaxMessageBytes, `shared constant "${name}"`);
    const done = new Promise<void>((resolve, reject) => this.sets.set(constKey(app, name), { resolve, reject }));
    const header = app === this.options.app ? { t: "CONST_SET" as const, name, frames: frames.length } : { t: "CONST_SET" as const, name, frames: frames.length, app };
    this.options.connection.send(header, frames);
    return done;
  }

  /** Read a constant of `app`, waiting for it (bounded by `timeoutMs`, or `signal`). */
  async get(app: string, name: string, options: { timeoutMs?: number; signal?: AbortSignal }): Promise<unknown> {
    if (!this.byApp.get(app)?.has(name)) await this.waiters.wait(constKey(app, name), name, options);
    return this.byApp.get(app)?.get(name);
  }

  /** A CONST from the broker (`app` undefined: this peer's own). */
  received(app: string, name: string, forget: boolean, payload: Buffer[]): void {
    if (forget) {
      // The broker dropped this app's constants (no peer of it is left).
      if (app !== this.options.app) this.byApp.delete(app);
      return;
    }
    let value: unknown;
    try {
      value = this.options.codec.decode(payload);
    } catch (error) {
      this.options.logger.error({ err: error, name }, "cannot decode a shared constant");
      return;
    }
    let scope = this.byApp.get(app);
    if (scope === undefined) this.byApp.set(app, (scope = new Map()));
    scope.set(name, value);
    const k = constKey(app, name);
    this.sets.get(k)?.resolve();
    this.sets.delete(k);
    this.waiters.wake(k);
  }

  /** The broker refused the set of constant `name` (`SCOOP_CONST_EXISTS`): reject it; false if no set of that name waits. */
  refused(code: string, message: string, name: string): boolean {
    // The refused set is the oldest pending one of that name (any app).
    for (const [k, set] of this.sets) {
      if (k.slice(k.indexOf("\0") + 1) !== name) continue;
      this.sets.delete(k);
      set.reject(new ScoopError(code, message));
      return true;
    }
    return false;
  }
}

function constKey(app: string, name: string): string {
  return `${app}\0${name}`;
}
