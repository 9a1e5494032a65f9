/**
 * Starting a run (`scoop -n N script.ts`): TypeScript compiled once by the
 * launcher for the workers of this machine (what it could change stays with
 * tsx), and `main` started once the requested workers have joined, so its
 * first tasks are spread over all of them. Assertions are on what ran where,
 * never on time.
 */
import { join } from "node:path";
import { killTagged, runScoop } from "@scoop/test-helpers";

const fixture = (name: string) => join(__dirname, "../fixtures", name);
const tags: string[] = [];
afterAll(() => tags.forEach(killTagged));

test("main's first tasks run on every requested worker, even on workers slow to start", async () => {
  const run = await runScoop(tags, "-n", "3", fixture("slow-workers.ts"), "3");
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout.trim())).toEqual(["w0", "w1", "w2"]);
});

test("a TypeScript script and its own TypeScript files are compiled once for the run; stack traces still name the .ts file", async () => {
  const run = await runScoop(tags, "--debug", "-n", "2", fixture("start/compiled.ts"));
  expect(run.code).toBe(0);
  expect(run.stdout).toContain("squares 1,4,9 stack names compiled.ts");
  expect(run.stderr).toContain("compiled the script once");
  // The workers, started while it compiled, imported the compiled file: neither loaded the script through tsx.
  expect(run.stderr).not.toContain("loaded through tsx");
});

test("a script that depends on where it is (import.meta) is left to tsx and sees its own URL", async () => {
  const run = await runScoop(tags, "--debug", "-n", "2", fixture("start/where-am-i.ts"));
  expect(run.code).toBe(0);
  expect(run.stdout).toContain("here is where-am-i.ts");
  expect(run.stderr).toContain("loaded through tsx");
});

test("a run that writes no log record loads no pino; one that logs (--debug) still writes every process's records", async () => {
  const quiet = await runScoop(tags, "-n", "2", fixture("start/quiet.ts"));
  expect(quiet.stderr).toBe("");
  expect(quiet.stdout).toBe("pino loaded: false\n");
  const debug = await runScoop(tags, "--debug", "-n", "2", fixture("start/quiet.ts"));
  expect(debug.code).toBe(0);
  expect(debug.stdout).toContain("pino loaded: true");
  // The workers' own records (logged through the logger pino was loaded for), forwarded by the launcher.
  expect(debug.stderr).toMatch(/\[w1\] info: worker joined \(worker=w1 /);
});
