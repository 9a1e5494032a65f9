import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Codec } from "@scoop/protocol";
import { PayloadStore, SPARE_SUFFIX, STORE_THRESHOLD_BYTES, storedBuffers } from "../../src/payload-store.js";

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "scoop-store-test-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const withStore = () => {
  const codec = new Codec({});
  codec.store = new PayloadStore(dir);
  return codec;
};
/** Files that hold a payload (not released files kept to be written again). */
const live = () => readdirSync(dir).filter((name) => !name.endsWith(SPARE_SUFFIX));
const big = (n = STORE_THRESHOLD_BYTES / 8) => Float64Array.from({ length: n }, (_, i) => i * 0.5);

test("a large buffer of an encode given a record goes to the store: a small frame travels, the other process reads it back", () => {
  const sender = withStore();
  const receiver = withStore();
  const array = big();
  const stored = storedBuffers();
  const frames = sender.encode([array, "small", new Uint8Array(10)], "args", stored);
  expect(frames).toHaveLength(1); // no out-of-band frame: only the name travels
  expect(frames[0].byteLength).toBeLessThan(100);
  expect(stored).toEqual({ names: [expect.any(String)], largest: array.byteLength });
  expect(live()).toEqual(stored.names);
  // The store holds a copy: changing the array after submit changes nothing sent.
  array[0] = 99;
  const [back, small, tiny] = receiver.decode(frames) as [Float64Array, string, Uint8Array];
  expect(back).toBeInstanceOf(Float64Array);
  expect(back[0]).toBe(0);
  expect(back[7]).toBe(3.5);
  expect([small, tiny.byteLength]).toEqual(["small", 10]);
  // An argument is read again by a retry; only a consuming read (a result's owner) removes it.
  expect(live()).toHaveLength(1);
  expect((receiver.decode(frames, true) as Float64Array[])[0][1]).toBe(0.5);
  expect(live()).toHaveLength(0);
});

test("without a record, or below the threshold, buffers travel in frames as before", () => {
  const codec = withStore();
  expect(codec.encode([big()], "args")).toHaveLength(2);
  expect(codec.encode([big(STORE_THRESHOLD_BYTES / 8 - 1)], "args", storedBuffers())).toHaveLength(2);
  expect(live()).toHaveLength(0);
});

test("an encode that fails leaves nothing in the store, and names what cannot be sent", () => {
  const codec = withStore();
  const stored = storedBuffers();
  expect(() => codec.encode([big(), () => 1], "args", stored)).toThrow(/args\[1\] is a function/);
  expect(stored.names).toHaveLength(0);
  expect(live()).toHaveLength(0);
});

test("a store that cannot keep a buffer (its directory is gone) lets it travel in a frame", () => {
  const codec = withStore();
  rmSync(dir, { recursive: true });
  const stored = storedBuffers();
  const frames = codec.encode([big()], "args", stored);
  expect(frames).toHaveLength(2);
  expect(stored.names).toHaveLength(0);
  expect((codec.decode(frames) as Float64Array[])[0][2]).toBe(1);
});

test("a buffer gone from the store, or a process without the store, gets SCOOP_PAYLOAD_GONE saying why", () => {
  const frames = withStore().encode([big()], "args", storedBuffers());
  expect(() => new Codec({}).decode(frames)).toThrow(expect.objectContaining({ code: "SCOOP_PAYLOAD_GONE", message: expect.stringMatching(/does not share/) }));
  const receiver = withStore();
  receiver.decode(frames, true);
  expect(() => receiver.decode(frames)).toThrow(expect.objectContaining({ code: "SCOOP_PAYLOAD_GONE", message: expect.stringMatching(/is gone: its task was cancelled or settled/) }));
});

test("a stored name that is not a plain store name (a path, say) is a malformed payload, never a file read", () => {
  const codec = withStore();
  for (const name of ["../../etc/passwd", "/etc/passwd", "a/b", "", "A", "x".repeat(65), "x".repeat(200)]) {
    const ext = [10, ...Buffer.from(name, "latin1")]; // Kind.Float64Array, then the name
    const frame = Uint8Array.from([0xc7, ext.length, 11, ...ext]); // ext8 of type 11, the stored-buffer extension
    expect(() => codec.decode([frame])).toThrow(expect.objectContaining({ code: "SCOOP_MALFORMED_PAYLOAD" }));
  }
});

test("what this process put comes back from memory (a task of its own the broker gives back to it reads no file), until removed", () => {
  const codec = withStore();
  const array = big();
  const stored = storedBuffers();
  const frames = codec.encode([array], "args", stored);
  rmSync(join(dir, stored.names[0])); // not read: the file is not needed here
  const [back] = codec.decode(frames) as [Float64Array];
  expect(back.buffer).toBe(array.buffer); // the very memory, as a task run where it was submitted sees its arguments
  codec.decode(frames, true);
  expect(() => codec.decode(frames)).toThrow(expect.objectContaining({ code: "SCOOP_PAYLOAD_GONE" }));
});

test("a released file of this process is kept and written again for the next buffer of its size, under a new name", () => {
  const codec = withStore();
  const first = storedBuffers();
  const frames = codec.encode([big()], "args", first);
  codec.store!.remove(first.names[0]); // its task settled
  expect(readdirSync(dir)).toEqual([`${first.names[0]}${SPARE_SUFFIX}`]);
  const second = storedBuffers();
  const again = codec.encode([big().fill(7)], "args", second);
  expect(readdirSync(dir)).toEqual(second.names); // the spare, renamed: one file
  expect(second.names[0]).not.toBe(first.names[0]);
  const reader = withStore();
  expect((reader.decode(again) as Float64Array[])[0][5]).toBe(7);
  // A late reader of the released name finds nothing (never the new content).
  expect(() => reader.decode(frames)).toThrow(expect.objectContaining({ code: "SCOOP_PAYLOAD_GONE" }));
});

describe("a full store (a small /dev/shm, as in a container)", () => {
  // A 2 MiB tmpfs of our own: root only (CI runs as root).
  const small = mkdtempSync(join(tmpdir(), "scoop-small-shm-"));
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", small]).status === 0;
  if (!mounted) console.warn("cannot mount a tmpfs here (not root?): the full-store test cannot run");
  if (!mounted && process.env.CI) test("a tmpfs can be mounted (CI runs as root)", () => expect(mounted).toBe(true));
  afterAll(() => {
    if (mounted) spawnSync("umount", [small]);
    rmSync(small, { recursive: true, force: true });
  });
  (mounted ? test : test.skip)("gives back its spare files and tries once more; what still does not fit travels in a frame", () => {
    const store = new PayloadStore(small);
    const first = store.put(new Uint8Array(2 ** 20))!;
    store.remove(first); // kept as a spare of 1 MiB
    expect(readdirSync(small)).toEqual([`${first}${SPARE_SUFFIX}`]);
    const second = store.put(new Uint8Array(1.5 * 2 ** 20).fill(1)); // does not fit beside the spare
    expect(second).toEqual(expect.any(String));
    expect(readdirSync(small)).toEqual([second]);
    expect(store.put(new Uint8Array(3 * 2 ** 20))).toBeUndefined();
    expect(readdirSync(small)).toEqual([second]); // nothing half-written left
  });
});

test("what this process puts for another to release (a result) is not held in its memory: read back, it comes from the file", () => {
  const codec = withStore();
  const stored = storedBuffers(true);
  const frames = codec.encode([big()], "result", stored);
  rmSync(join(dir, stored.names[0]));
  expect(() => codec.decode(frames, true)).toThrow(expect.objectContaining({ code: "SCOOP_PAYLOAD_GONE" }));
});
