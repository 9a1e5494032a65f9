/**
 * Serial and distributed behave the same (the README's promise): every
 * example, and every documented error a script can meet, run under `scoop`
 * and serially (plain node through tsx, the serial fallback) end with the
 * same exit code, the same output (up to what is random or names a worker)
 * and the same error codes.
 */
import { killTagged, newTag, runCli, runScoop } from "@scoop/test-helpers";

const tags: string[] = [];
afterAll(() => tags.forEach(killTagged));

interface Ending {
  code: number | null;
  stdout: string;
  /** SCOOP_… codes on stderr, in order of first appearance. */
  codes: string[];
}

const ending = (run: { code: number | null; stdout: string; stderr: string }, normalize: (s: string) => string): Ending => ({
  code: run.code,
  stdout: normalize(run.stdout),
  codes: [...new Set(run.stderr.match(/SCOOP_[A-Z_]+/g) ?? [])],
});

async function bothWays(script: string, args: string[], normalize: (s: string) => string = (s) => s): Promise<{ distributed: Ending; serial: Ending }> {
  const tag = newTag();
  tags.push(tag);
  const [distributed, serial] = await Promise.all([runScoop(tags, "-n", "2", script, ...args), runCli("--import", ["tsx", script, ...args], { tag })]);
  return { distributed: ending(distributed, normalize), serial: ending(serial, normalize) };
}

const number = (s: string) => s.replace(/\d+(\.\d+)?/g, "N");

test.each([
  ["examples/hello.ts", [], undefined],
  ["examples/pi.ts", ["32", "20000"], number],
  ["examples/tree.ts", ["5", "4"], undefined],
  ["examples/wordcount.ts", ["20"], undefined],
  ["examples/onemax.ts", ["40", "30", "16"], number],
  ["examples/shared.ts", [], undefined],
  ["examples/exception.ts", [], (s: string) => s.replace(/worker: \S+/, "worker: W").replace(/on worker \S+ \(host [^)]+\)/, "on worker W (host H)")],
] as const)("%s %j: the same ending serially and under scoop", async (script, args, normalize) => {
  const { distributed, serial } = await bothWays(script, [...args], normalize);
  expect(distributed.code).toBe(0);
  expect(serial).toEqual(distributed);
});

test.each([
  ["unexported", "SCOOP_TASK_NOT_REGISTERED"],
  ["unserializable", "SCOOP_UNSERIALIZABLE"],
  ["task-throws", "SCOOP_TASK_FAILED"],
  ["timeout", "SCOOP_TIMEOUT"],
  ["empty-reduce", "SCOOP_EMPTY_REDUCE"],
  ["const-exists", "SCOOP_CONST_EXISTS"],
  ["map-consumed", "SCOOP_MAP_CONSUMED"],
])("the documented error %s (%s) ends a script the same way serially and under scoop", async (which, code) => {
  const { distributed, serial } = await bothWays("examples/test/fixtures/error-cases.ts", [which]);
  expect(distributed).toEqual({ code: 1, stdout: "", codes: [code] });
  expect(serial).toEqual(distributed);
});
