/**
 * The run's event stream and who receives it: in-process listeners of the
 * broker (`broker.on("task:finished", …)`, `broker.on("event", …)`) and
 * monitor peers (`role: "monitor"`: `scoop-broker status`, remote
 * dashboards). Monitors are read-only: they may ask for a snapshot (`STATUS`)
 * and for the stream (`WATCH`), which reaches them in `EVENTS` batches once
 * per event-loop turn. The per-task hooks run only while someone receives.
 */
import type { EventEmitter } from "node:events";
import type { BrokerSnapshot, Header, ScoopEvent } from "@scoop/protocol";
import type { Peer } from "./peers.js";
import { PER_TASK_EVENTS, RunObserver } from "./run-observer.js";

/** Most events in one `EVENTS` message (keeps it well under the 1 MiB header limit). */
const EVENTS_PER_MESSAGE = 1000;

/** What the monitors need from the broker. */
export interface MonitorsHost {
  send(peer: Peer, header: Header): void;
  snapshot(): BrokerSnapshot;
  /** The monitor said BYE. */
  leave(peer: Peer): void;
}

/** The run's event stream: the broker's observer, its in-process listeners and its monitors. */
export class EventStream {
  /** Fed by the broker's hooks; publishes here. */
  readonly observer = new RunObserver((event) => this.publish(event));
  readonly monitors: Monitors;

  /**
   * @param emitter the broker, whose listeners get each event under its type and under `event`
   * @param emit emits one event to the broker's listeners (a throwing listener is logged, not fatal)
   */
  constructor(
    private readonly emitter: EventEmitter,
    private readonly emit: (type: string, event: ScoopEvent) => void,
    host: MonitorsHost,
  ) {
    this.monitors = new Monitors(host, () => this.update());
    // 'newListener' fires before the listener is added, 'removeListener' after it is gone.
    emitter.on("newListener", (type: string) => {
      if (PER_TASK_EVENTS.has(type as ScoopEvent["type"])) this.observer.hot = true;
    });
    emitter.on("removeListener", () => this.update());
  }

  private publish(event: ScoopEvent): void {
    if (this.emitter.listenerCount(event.type) > 0) this.emit(event.type, event);
    if (this.emitter.listenerCount("event") > 0) this.emit("event", event);
    this.monitors.push(event);
  }

  /** Per-task hooks on while a listener or a watching monitor receives them. */
  private update(): void {
    let hot = this.monitors.watching;
    for (const type of PER_TASK_EVENTS) if (this.emitter.listenerCount(type) > 0) hot = true;
    this.observer.hot = hot;
  }
}

/** The monitors that watch the event stream, each with the events not sent yet. */
export class Monitors {
  private readonly watchers = new Map<Peer, ScoopEvent[]>();
  private flushScheduled = false;

  /** @param watchersChanged the set of watchers changed */
  constructor(
    private readonly host: MonitorsHost,
    private readonly watchersChanged: () => void,
  ) {}

  /** True while a monitor watches the stream. */
  get watching(): boolean {
    return this.watchers.size > 0;
  }

  /** Handle a message from a monitor peer: STATUS, WATCH, BYE; anything else is refused. */
  onMessage(peer: Peer, header: Header): void {
    switch (header.t) {
      case "STATUS":
        return this.host.send(peer, { t: "STATUS", snapshot: this.host.snapshot() });
      case "WATCH":
        if (header.on) this.watchers.set(peer, this.watchers.get(peer) ?? []);
        else this.watchers.delete(peer);
        return this.watchersChanged();
      case "BYE":
        return this.host.leave(peer);
      default:
        this.host.send(peer, { t: "ERROR", code: "SCOOP_MONITOR_READ_ONLY", message: `a monitor may only send STATUS, WATCH and BYE (got ${header.t}): join as a client to submit work` });
    }
  }

  /** A peer left: stop sending it events. */
  forget(peer: Peer): void {
    if (this.watchers.delete(peer)) this.watchersChanged();
  }

  /** Queue an event for every watcher; they get it at the end of this event-loop turn. */
  push(event: ScoopEvent): void {
    if (this.watchers.size === 0) return;
    for (const pending of this.watchers.values()) pending.push(event);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      for (const [peer, pending] of this.watchers) {
        for (let i = 0; i < pending.length; i += EVENTS_PER_MESSAGE) this.host.send(peer, { t: "EVENTS", events: pending.slice(i, i + EVENTS_PER_MESSAGE) });
        pending.length = 0;
      }
    });
  }
}
