/**
 * The run's payload store: large buffers passed between processes of one
 * machine as files in an owner-only directory of a RAM file system
 * (`/dev/shm`), instead of through the broker. Through the broker a MiB is
 * copied four times by the kernel and waits in two ZeroMQ pipes; through the
 * store it is copied once in and once out, and only its name is relayed (the
 * idea of Ray's shared-memory object store, without a native addon: Node
 * cannot map memory between processes).
 *
 * Who removes what: an argument's owner when its task settles (a retry reads
 * it again); a result's owner when it reads it. The launcher removes the
 * directory at the end of the run, with anything a dead process left.
 */
import { closeSync, fstatSync, openSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ScoopError, type BufferStore, type Codec, type StoredBuffers } from "@scoop/protocol";

/**
 * Buffers from this size go to the store (at 64 KiB the store already moved
 * 2–3x the MiB/s of the broker's frames here; 16 KiB rides the frames as
 * well): `benchmarks/payload-store.ts`.
 */
export const STORE_THRESHOLD_BYTES = 64 * 1024;

/**
 * Bytes of released files a process keeps to write the next buffers into:
 * rewriting a file's pages costs a copy, a new file also the allocation and
 * release of its pages (measured: about a third of a MiB's cost).
 */
const SPARE_MAX_BYTES = 32 * 2 ** 20;

/** Ending of a released file kept to be written again (never a name that travels). */
export const SPARE_SUFFIX = ".spare";

/** Stores made in this process, so that two of them never pick the same name. */
let stores = 0;

/** A {@link BufferStore} of files in `dir`, shared by the run's processes on this machine. */
export class PayloadStore implements BufferStore {
  private readonly prefix = `${process.pid.toString(36)}-${(stores++).toString(36)}-`;
  private next = 0;
  /**
   * What this process put and has not removed: read back here (a task of
   * its own the broker gave it), it is the very memory that was put, with no
   * file read, as a task run where it was submitted sees its arguments.
   */
  private readonly mine = new Map<string, Uint8Array>();
  /** Released files of this process by size, renamed `*.spare` (a late reader of the old name finds none) until written again. */
  private readonly spare = new Map<number, string[]>();
  private spareBytes = 0;

  constructor(
    readonly dir: string,
    readonly threshold = STORE_THRESHOLD_BYTES,
  ) {}

  put(bytes: Uint8Array, forOthers = false): string | undefined {
    const name = this.prefix + (this.next++).toString(36);
    if (!this.write(name, bytes)) {
      // Full (a small /dev/shm in a container, say): the spares go back, and one more try; else a frame carries it.
      if (this.spareBytes === 0) return undefined;
      this.dropSpares();
      if (!this.write(name, bytes)) return undefined;
    }
    // What another process removes is not held here: it would be held for good.
    if (!forOthers) this.mine.set(name, bytes);
    return name;
  }

  /** Write `bytes` as `name`, into a spare of their size if there is one; false (nothing left) if it failed. */
  private write(name: string, bytes: Uint8Array): boolean {
    const path = join(this.dir, name);
    const size = bytes.byteLength;
    const reuse = this.spare.get(size)?.pop();
    try {
      if (reuse !== undefined) {
        this.spareBytes -= size;
        renameSync(join(this.dir, reuse), path);
      }
      const fd = openSync(path, reuse === undefined ? "wx" : "r+", 0o600);
      try {
        for (let at = 0; at < size; ) at += writeSync(fd, bytes, at);
      } finally {
        closeSync(fd);
      }
      return true;
    } catch {
      unlinkQuietly(path);
      return false;
    }
  }

  private dropSpares(): void {
    for (const names of this.spare.values()) for (const name of names) unlinkQuietly(join(this.dir, name));
    this.spare.clear();
    this.spareBytes = 0;
  }

  get(name: string, consume: boolean): Uint8Array {
    const own = this.mine.get(name);
    if (own !== undefined) {
      if (consume) this.remove(name);
      return own;
    }
    const path = join(this.dir, name);
    let bytes: Uint8Array;
    try {
      // Into zeroed memory, not readFileSync's or allocUnsafeSlow's: measured on a 2-core VM, a MiB took 0.6 ms to
      // read and 0.18 ms to sum, against 2.1 ms and 0.7–1.1 ms in unzeroed fresh memory.
      const fd = openSync(path, "r");
      try {
        const size = fstatSync(fd).size;
        bytes = Buffer.alloc(size);
        for (let at = 0; at < size; ) {
          const n = readSync(fd, bytes, at, size - at, at);
          if (n === 0) throw new Error(`${size - at} bytes short`);
          at += n;
        }
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      throw new ScoopError(
        "SCOOP_PAYLOAD_GONE",
        `a large buffer of this payload (${name} in the run's payload store ${this.dir}) is gone: its task was cancelled or settled meanwhile, or the run's directory was removed (${(error as Error).message})`,
        { cause: error },
      );
    }
    if (consume) this.remove(name);
    return bytes;
  }

  private keepSpare(name: string, size: number): boolean {
    const spareName = `${name}${SPARE_SUFFIX}`;
    try {
      renameSync(join(this.dir, name), join(this.dir, spareName));
    } catch {
      return false;
    }
    this.spareBytes += size;
    const spare = this.spare.get(size);
    if (spare === undefined) this.spare.set(size, [spareName]);
    else spare.push(spareName);
    return true;
  }

  remove(name: string): void {
    const own = this.mine.get(name);
    if (own !== undefined) {
      this.mine.delete(name);
      if (this.spareBytes + own.byteLength <= SPARE_MAX_BYTES && this.keepSpare(name, own.byteLength)) return;
    }
    unlinkQuietly(join(this.dir, name));
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** A fresh record for one encode whose large buffers may go to the store; `forOthers`: see {@link BufferStore.put}. */
export function storedBuffers(forOthers = false): StoredBuffers {
  return forOthers ? { names: [], largest: 0, forOthers } : { names: [], largest: 0 };
}

/** Read an outcome nobody waits for (its task was cancelled), so that buffers it kept in the store are removed. */
export function discardOutcome(codec: Codec, frames: readonly Uint8Array[]): void {
  try {
    codec.decode(frames, true);
  } catch {
    // Whatever it held goes with the run's directory.
  }
}
