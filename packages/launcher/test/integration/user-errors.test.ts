/**
 * What a user sees when their program fails, as they see it (the stderr of
 * `scoop`): a task that throws is printed once, short, at the user's frames;
 * an argument that cannot be sent points at the user's submit/map call.
 */
import { join } from "node:path";
import { killTagged, runScoop } from "@scoop/test-helpers";

const fixture = (name: string) => join(__dirname, "../fixtures", name);
const tags: string[] = [];
afterAll(() => tags.forEach(killTagged));

const count = (text: string, needle: string) => text.split(needle).length - 1;

test("a task that throws is printed once: task, worker and host, the user's frame, then where main called the map", async () => {
  const run = await runScoop(tags, "-n", "2", fixture("task-throws.ts"));
  expect(run.code).toBe(1);
  const err = run.stderr;
  expect(err).toMatch(/task "parse" failed on worker w[01] \(host [^)]+\): RangeError: not a number: x/);
  expect(count(err, "not a number: x")).toBe(1);
  // The remote frame of the task (the throw line), once; then the map call in main.
  expect(count(err, "task-throws.ts:6:")).toBe(1);
  expect(err).toMatch(/task-throws\.ts:6:[\s\S]*map\(\) called at[\s\S]*at main \(.*task-throws\.ts:11:/);
  expect(err).not.toMatch(/[\\/](dist|node_modules)[\\/]|node:internal/);
  expect(err.trimEnd().split("\n").length).toBeLessThan(10);
});

test.each(["submit", "map"])("an argument that cannot be sent by %s points at the user's call", async (how) => {
  const run = await runScoop(tags, "-n", "2", fixture("unserializable-arg.ts"), how);
  expect(run.code).toBe(1);
  const lines = run.stderr.trimEnd().split("\n");
  expect(lines[0]).toContain("SerializationError: args[0].onDone is a function");
  expect(lines[1]).toMatch(new RegExp(`at main \\(.*unserializable-arg\\.ts:${how === "submit" ? 10 : 11}:`));
  expect(run.stderr).toContain("code: 'SCOOP_UNSERIALIZABLE'");
  expect(run.stderr).not.toMatch(/[\\/](dist|node_modules)[\\/]|node:internal/);
  expect(lines.length).toBeLessThan(6);
});

test.each([
  ["start", "scoop.start() starts a cluster of its own", "keep scoop.start() and run the program without scoop (npx tsx script.ts)", 7],
  ["connect", "scoop.connect() joins a broker of its own", "to use another broker, run the program without scoop", 8],
])("scoop.%s() under the launcher says the program already runs on the launcher's cluster and what to do instead", async (how, what, instead, line) => {
  // -v: the origin's info lines show, so a broker started by start() would say so.
  const run = await runScoop(tags, "-v", "-n", "2", fixture("starts-a-cluster.ts"), how);
  expect(run.code).toBe(1);
  // With -v the origin's lines carry its worker id.
  const lines = run.stderr.trimEnd().split("\n").map((l) => l.replace(/^\[w0\] /, ""));
  const at = lines.findIndex((l) => l.startsWith("ScoopError: "));
  expect(lines[at]).toBe(
    `ScoopError: ${what}, but this program already runs on a cluster: the scoop launcher's, as one of its workers. Under scoop, call futures directly (scoop -n N sets the number of workers); or ${instead}`,
  );
  expect(lines[at + 1]).toMatch(new RegExp(`at main \\(.*starts-a-cluster\\.ts:${line}:`));
  expect(lines[at + 2]).toBe("  { code: 'SCOOP_ALREADY_CONNECTED' }");
  expect(run.stderr).toContain("[w0] info: worker joined");
  // Refused before it started anything: the origin started no broker of its own.
  expect(run.stderr).not.toContain("[w0] info: broker listening");
});
