/**
 * How a task's arguments leave this process: encoded once, large buffers in
 * the run's payload store when there is one, sized against the broker's limit.
 */
import type { Codec, StoredBuffers } from "@scoop/protocol";
import type { TaskCall } from "./executor.js";
import { checkMessageSize } from "./message-size.js";
import { storedBuffers } from "./payload-store.js";

/** A task's arguments as they go to the broker: frames, and the large buffers put in the run's payload store. */
export interface WireArgs {
  frames: Uint8Array[];
  stored?: StoredBuffers;
}

/** Encodes what the distributed executor sends. */
export class OutgoingArgs {
  constructor(
    private readonly codec: Codec,
    /** The broker's limit per message part (from its WELCOME). */
    private readonly limitBytes: () => number | undefined,
  ) {}

  /**
   * `call`'s arguments as they go to the broker: `encoded` (not stored, as a
   * task held here is encoded) is reused unless a buffer of it belongs in the
   * run's payload store.
   */
  forTask(call: TaskCall, encoded?: Uint8Array[]): WireArgs {
    const store = this.codec.store;
    if (encoded !== undefined && (store === undefined || encoded.every((f, i) => i === 0 || f.byteLength < store.threshold))) return { frames: encoded };
    return this.encode(call.args, call.name);
  }

  /**
   * {@link forTask} for each call, or none: if one cannot go, the error is
   * thrown and nothing is left stored. `encodedLone`: a lone call's arguments, already encoded.
   */
  forTasks(entries: ReadonlyArray<{ call: TaskCall }>, encodedLone?: Uint8Array[]): WireArgs[] {
    const wires: WireArgs[] = [];
    try {
      for (const { call } of entries) wires.push(this.forTask(call, entries.length === 1 ? encodedLone : undefined));
    } catch (error) {
      for (const w of wires) this.release(w.stored?.names);
      throw error;
    }
    return wires;
  }

  /** Encode arguments of task `name`; throws (leaving nothing stored) if they cannot go. */
  encode(args: unknown, name: string): WireArgs {
    const stored = this.codec.store === undefined ? undefined : storedBuffers();
    const frames = this.codec.encode(args, "args", stored);
    if (stored === undefined || stored.names.length === 0) {
      this.checkSize(frames, name);
      return { frames };
    }
    try {
      this.checkSize(frames, name, stored.largest);
    } catch (error) {
      this.release(stored.names);
      throw error;
    }
    return { frames, stored };
  }

  /** Throws {@link MessageTooLargeError} if the arguments of task `name` are over the broker's limit. */
  checkSize(frames: Uint8Array[], name: string, storedLargest = 0): void {
    checkMessageSize(frames, this.limitBytes(), `the arguments of task "${name}"`, { taskName: name }, storedLargest);
  }

  /** Remove stored buffers of a task that settled (or never went). */
  release(names: string[] | undefined): void {
    if (names === undefined) return;
    for (const name of names) this.codec.store?.remove(name);
  }
}
