/**
 * Chunks, real processes: a map's tiny calls share wire tasks, yet each call
 * keeps its own value, error (with the worker that threw it), random stream
 * and place in the output; slow calls travel alone; a map stopped early
 * leaves nothing running or waiting.
 */
import { join } from "node:path";
import { killTagged, newTag, runCli, runScoop } from "@scoop/test-helpers";

const FIXTURE = join(__dirname, "../fixtures/chunks.ts");
const tags: string[] = [];
afterAll(() => tags.forEach(killTagged));

const report = (stdout: string) => JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, unknown>;

test("tiny calls share wire tasks and keep their own values, errors, streams and order", async () => {
  const two = await runScoop(tags, "--seed", "77", "-n", "2", FIXTURE);
  expect({ code: two.code, stderr: two.code === 0 ? "" : two.stderr }).toEqual({ code: 0, stderr: "" });
  const r = report(two.stdout);
  expect(r).toMatchObject({ values: true, calls: 5000, slowDistinct: 8, taken: 10, after: [14, 16, 18] });
  // 5,000 calls of a few microseconds: most share a wire task.
  expect(r.wireTasks as number).toBeLessThan(1000);
  expect(r.failure).toMatch(/^RemoteTaskFailure: task "failsAt" failed on worker w\d+ \(host [^)]+\): RangeError: bad input 1234$/);

  // The same seed serially (every call alone, in this process) draws the same numbers.
  const tag = newTag();
  tags.push(tag);
  const serial = await runCli("--import", ["tsx", FIXTURE], { tag, env: { SCOOP_SEED: "77", NODE_NO_WARNINGS: "1" } });
  expect({ code: serial.code, stderr: serial.stderr }).toEqual({ code: 0, stderr: "" });
  expect(report(serial.stdout).draws).toBe(r.draws);
  expect(report(serial.stdout).wireTasks).toBe(5000);
}, 120_000);
