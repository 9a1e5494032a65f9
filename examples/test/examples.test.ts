/**
 * Every example runs through the real CLI, a real broker and real worker
 * processes, prints what the README says, and leaves no process behind.
 */
import { type CliRun, killTagged, newTag, processesTagged, runCli, runScoop, waitUntil } from "@scoop/test-helpers";

const tags: string[] = [];
afterAll(() => tags.forEach(killTagged));

const scoop = (...args: string[]) => runScoop(tags, ...args);
/** Exit 0, else a failure that shows what the run printed on stderr (an exit code alone does not say why). */
const expectSuccess = (run: CliRun) => expect(`exit ${run.code}\n${run.stderr}`).toMatch(/^exit 0\n/);

test("hello prints its 16 lines", async () => {
  const run = await scoop("-n", "2", "examples/hello.ts");
  expect(run.stderr).toBe("");
  expectSuccess(run);
  expect(run.stdout.trim().split("\n")).toEqual(Array.from({ length: 16 }, (_, i) => `Hello World from Future #${i}`));
});

test("Monte Carlo pi", async () => {
  const run = await scoop("-n", "2", "examples/pi.ts", "32", "20000");
  expectSuccess(run);
  const estimate = Number(/pi ≈ ([\d.]+)/.exec(run.stdout)?.[1]);
  expect(Math.abs(estimate - Math.PI)).toBeLessThan(0.05);
});

test("recursive tree of 21,845 tasks on 2 workers", async () => {
  const run = await scoop("-n", "2", "examples/tree.ts", "7", "4");
  expectSuccess(run);
  expect(run.stdout).toContain("21845 tasks");
});

test("mapReduce word count", async () => {
  const run = await scoop("-n", "2", "examples/wordcount.ts", "50");
  expectSuccess(run);
  expect(run.stdout).toContain("50000 words in 50 documents");
  const counts = run.stdout.trim().split("\n").slice(1).map((l) => Number(l.split(" ")[1]));
  expect(counts).toHaveLength(8);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(50000);
});

test("OneMax evolutionary algorithm", async () => {
  const run = await scoop("-n", "2", "examples/onemax.ts", "200", "60", "32");
  expectSuccess(run);
  expect(run.stdout).toMatch(/found the optimum \(32\/32\)|best fitness after 200 generations: (2[89]|3[0-2])\/32/);
});

test("shared constants reach every worker", async () => {
  const run = await scoop("-n", "2", "examples/shared.ts");
  expectSuccess(run);
  expect(run.stdout.trim()).toBe("un deux trois ?four");
});

test("a remote exception reaches main with its stack and worker", async () => {
  const run = await scoop("-n", "2", "examples/exception.ts");
  expectSuccess(run);
  expect(run.stdout).toContain("caught SCOOP_TASK_FAILED");
  expect(run.stdout).toContain("remote error type: RangeError");
  expect(run.stdout).toMatch(/worker: w[01]/);
  expect(run.stdout).toContain("remote stack mentions checkedSqrt: true");
});

test("a cluster started from code (scoop.start) runs the map and stops without leftovers", async () => {
  const tag = newTag();
  tags.push(tag);
  // Plain node with the tsx loader: no launcher wraps this program.
  const run = await runCli("--import", ["tsx", "examples/embedded.ts", "2"], { tag });
  expect(run.stderr).toBe("");
  expectSuccess(run);
  expect(run.stdout).toContain("148933 primes below 2000000, counted by 2 workers");
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
});
