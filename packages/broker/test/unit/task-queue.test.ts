/** The broker's queue: priorities first, FIFO within one, aging so nothing starves, retries at the front. */
import { TaskQueue, type QueuedTask } from "../../src/task-queue.js";

let key = 0;
const task = (name: string, priority = 0): QueuedTask => ({ key: ++key, owner: undefined, ownerTaskId: key, name, frames: [], retries: 0, attempt: 1, app: "a", priority });
const names = (...n: string[]) => new Set(n);

describe("TaskQueue", () => {
  it("takes higher priorities first and keeps FIFO within one priority", () => {
    let now = 0;
    const q = new TaskQueue({ now: () => now, agingMs: 1000 });
    const low = [task("f"), task("f"), task("f")];
    for (const t of low) q.push(t);
    now = 10;
    const high = [task("f", 2), task("f", 2)];
    for (const t of high) q.push(t);
    const mid = task("g", 1);
    q.push(mid);
    const order = Array.from({ length: 6 }, () => q.shift(names("f", "g"))!.key);
    expect(order).toEqual([...high, mid, ...low].map((t) => t.key));
    expect(q.size).toBe(0);
  });

  it("ages: a low-priority task waiting longer than Δpriority × agingMs goes before newer high ones", () => {
    let now = 0;
    const q = new TaskQueue({ now: () => now, agingMs: 100 });
    const old = task("f", 0);
    q.push(old);
    now = 150; // waited 1.5 levels' worth
    const newer = task("f", 1);
    q.push(newer);
    now = 250;
    const urgent = task("f", 3);
    q.push(urgent);
    expect(q.shift(names("f"))).toBe(urgent);
    expect(q.shift(names("f"))).toBe(old);
    expect(q.shift(names("f"))).toBe(newer);
  });

  it("offers a worker only the names it runs; retries jump the line; removed tasks are skipped", () => {
    const q = new TaskQueue();
    const a = task("a", 5);
    const b = task("b");
    const c = task("b");
    q.push(a);
    q.push(b);
    q.push(c);
    expect(q.shift(names("b"))).toBe(b);
    q.pushFront(b);
    q.remove(c);
    expect(q.size).toBe(2);
    expect(q.names().sort()).toEqual(["a", "b"]);
    expect(q.shift(names("b"))).toBe(b);
    expect(q.shift(names("b"))).toBeUndefined();
    expect(q.drain("a")).toEqual([a]);
    expect(q.size).toBe(0);
  });
});
