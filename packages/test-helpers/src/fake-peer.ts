/**
 * A peer that speaks the wire protocol by hand over a real ZeroMQ DEALER, for
 * tests of the broker against raw, rogue or foreign peers: it beats like a
 * live peer's heart (until {@link FakePeer.silence}), keeps every message it
 * receives in {@link FakePeer.inbox} and waits for the next one of a type.
 */
import { Dealer } from "zeromq";
import { decodeMessage, encodeMessage, type Header, type Message, type PeerRole } from "@scoop/protocol";

/** Options of a {@link FakePeer}. */
export interface FakePeerOptions {
  /** Extra DEALER socket options (e.g. `curveServerKey`, `curvePublicKey`, `curveSecretKey`). @default {} */
  socket?: Record<string, unknown>;
  /** Interval of its HEARTBEATs. @default 100 */
  heartbeatMs?: number;
}

/** A hand-driven peer on a real socket. */
export class FakePeer {
  readonly sock: Dealer;
  /** Messages received and not yet taken by {@link next}. */
  readonly inbox: Message[] = [];
  private waiters: Array<() => void> = [];
  private readonly loop: Promise<void>;
  private readonly heart: NodeJS.Timeout;
  private sending: Promise<unknown> = Promise.resolve();

  constructor(endpoint: string, readonly id: string, options: FakePeerOptions = {}) {
    const sock = new Dealer({ routingId: id, linger: 0, ...options.socket });
    this.sock = sock;
    sock.connect(endpoint);
    this.heart = setInterval(() => void this.send({ t: "HEARTBEAT" }).catch(() => undefined), options.heartbeatMs ?? 100);
    this.loop = (async () => {
      try {
        for await (const frames of sock) {
          this.inbox.push(decodeMessage(frames));
          this.waiters.splice(0).forEach((w) => w());
        }
      } catch {
        // closed
      }
    })();
  }

  /** Send a message; sends go one after the other (zeromq.js allows one send in progress). */
  send(header: Header, payload: Uint8Array[] = []): Promise<void> {
    return this.sendRaw(encodeMessage(header, payload));
  }

  /** Send frames as they are (malformed input, forged headers). */
  sendRaw(frames: Uint8Array[]): Promise<void> {
    const next = this.sending.then(() => this.sock.send(frames));
    this.sending = next.catch(() => undefined);
    return next;
  }

  /** Send HELLO without waiting for an answer (a rogue is never welcomed). */
  hello(role: PeerRole, tasks: string[], app = "app"): Promise<void> {
    return this.send({ t: "HELLO", id: this.id, role, host: "test", pid: 1, app, tasks });
  }

  /** Send HELLO and wait (up to `timeoutMs`) for the broker's WELCOME. */
  async join(role: PeerRole, tasks: string[], app = "app", timeoutMs = 5000): Promise<Message<Extract<Header, { t: "WELCOME" }>>> {
    await this.hello(role, tasks, app);
    return this.next("WELCOME", timeoutMs);
  }

  /** Next message of type `t` (taken from the inbox; others stay). */
  async next<T extends Header["t"]>(t: T, timeoutMs = 5000): Promise<Message<Extract<Header, { t: T }>>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.header.t === t);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as Message<Extract<Header, { t: T }>>;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.id}: no ${t} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** True if a message of type `t` waits in the inbox. */
  has(t: Header["t"]): boolean {
    return this.inbox.some((m) => m.header.t === t);
  }

  /** How many messages of type `t` wait in the inbox. */
  count(t: Header["t"]): number {
    return this.inbox.filter((m) => m.header.t === t).length;
  }

  /** Play dead: stop heartbeats (the broker should declare this peer lost). */
  silence(): void {
    clearInterval(this.heart);
  }

  /** Stop beating, close the socket and wait for the receive loop to end. */
  async close(): Promise<void> {
    clearInterval(this.heart);
    this.sock.close();
    await this.loop;
  }
}
