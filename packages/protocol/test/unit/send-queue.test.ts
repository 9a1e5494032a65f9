import { SendQueue, type Frames } from "../../src/send-queue.js";

test("messages go out one at a time, in order, and a failed send does not stop the rest", async () => {
  const sent: string[] = [];
  const errors: string[] = [];
  let inProgress = 0;
  const queue = new SendQueue(
    async (frames: Frames) => {
      if (inProgress++ > 0) throw new Error("EBUSY: two sends at once");
      await new Promise((r) => setTimeout(r, 1));
      inProgress--;
      const text = Buffer.from(frames[0]).toString();
      if (text === "bad") throw new Error("send failed");
      sent.push(text);
    },
    (error) => errors.push((error as Error).message),
  );
  for (const m of ["a", "b", "bad", "c"]) queue.send([Buffer.from(m)]);
  expect(queue.pending).toBe(3);
  await queue.flushed();
  expect(sent).toEqual(["a", "b", "c"]);
  expect(errors).toEqual(["send failed"]);
  expect(queue.pending).toBe(0);
});

test("a send that throws synchronously is reported and the queue goes on", async () => {
  const errors: unknown[] = [];
  const sent: number[] = [];
  let calls = 0;
  const queue = new SendQueue(
    (frames) => {
      if (calls++ === 0) throw new Error("sync failure");
      sent.push(frames.length);
      return Promise.resolve();
    },
    (error) => errors.push(error),
  );
  queue.send([Buffer.from("x")]);
  queue.send([Buffer.from("y"), Buffer.from("z")]);
  await queue.flushed();
  expect(errors).toHaveLength(1);
  expect(sent).toEqual([2]);
});

test("a closed socket that throws at once with 100,000 messages waiting does not overflow the stack", async () => {
  let release!: () => void;
  let closed = false;
  let failures = 0;
  const queue = new SendQueue(
    (frames: Frames) => {
      if (closed) throw new Error("socket closed");
      return new Promise<void>((r) => (release = r));
    },
    () => failures++,
  );
  queue.send([Buffer.from("first")]);
  for (let i = 0; i < 100_000; i++) queue.send([Buffer.from("x")]);
  closed = true;
  release();
  await queue.flushed();
  expect(failures).toBe(100_000);
  expect(queue.pending).toBe(0);
});
