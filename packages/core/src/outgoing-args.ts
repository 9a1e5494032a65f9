/**
 * How a task's arguments leave this process: encoded and sized against the
 * broker's limit once, their large buffers put in the run's payload store
 * (when there is one) only as the task is sent.
 */
import type { Codec, StoredBuffers } from "@scoop/protocol";
import type { TaskCall } from "./executor.js";
import { checkMessageSize } from "./message-size.js";
import { storedBuffers } from "./payload-store.js";

/** A task's arguments as they leave: frames, and the large buffers put in the run's payload store. */
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
   * Each call's arguments, encoded and sized, or none: if one cannot go, the
   * error is thrown. `encodedLone`: a lone call's arguments, already encoded.
   */
  forTasks(entries: ReadonlyArray<{ call: TaskCall }>, encodedLone?: Uint8Array[]): Uint8Array[][] {
    if (entries.length === 1 && encodedLone !== undefined) return [encodedLone];
    return entries.map(({ call }) => this.encode(call.args, call.name));
  }

  /** Encode arguments of task `name`; throws if they cannot go (their buffers stay out of the store until sent). */
  encode(args: unknown, name: string): Uint8Array[] {
    const frames = this.codec.encode(args, "args");
    this.checkSize(frames, name);
    return frames;
  }

  /**
   * `call`'s arguments as they leave now: with a payload store, encoded again
   * with their large buffers in it (only at send, so the store holds no more
   * than the in-flight byte bound lets go); else `frames` as they are.
   */
  atSend(call: TaskCall, frames: Uint8Array[]): WireArgs {
    const store = this.codec.store;
    if (store === undefined || frames.every((f, i) => i === 0 || f.byteLength < store.threshold)) return { frames };
    const stored = storedBuffers();
    try {
      const again = this.codec.encode(call.args, "args", stored);
      return stored.names.length === 0 ? { frames } : { frames: again, stored };
    } catch {
      return { frames }; // encoded once already: send those frames
    }
  }

  /** Throws {@link MessageTooLargeError} if the arguments of task `name` are over the broker's limit. */
  checkSize(frames: Uint8Array[], name: string): void {
    checkMessageSize(frames, this.limitBytes(), `the arguments of task "${name}"`, { taskName: name });
  }

  /** Remove stored buffers of a task that settled (or never went). */
  release(names: string[] | undefined): void {
    if (names === undefined) return;
    for (const name of names) this.codec.store?.remove(name);
  }
}
