/**
 * One log for the whole run: `--log FILE` holds every process's records
 * (launcher, broker, each worker, tagged with its id) as JSON lines, and
 * `--log-format json` puts them on stderr the same way; the default stays
 * one readable line per record.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killTagged, runScoop } from "@scoop/test-helpers";

const fixture = (name: string) => join(__dirname, "../fixtures", name);
const tags: string[] = [];
const dir = mkdtempSync(join(tmpdir(), "scoop-logs-"));
afterAll(() => {
  tags.forEach(killTagged);
  rmSync(dir, { recursive: true, force: true });
});

const records = (text: string) => text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { worker?: string; component?: string; msg: string });

test("--log FILE holds the launcher's, the broker's and every worker's records", async () => {
  const file = join(dir, "run.log");
  const run = await runScoop(tags, "-n", "2", "-v", "--log", file, fixture("exit-code.ts"), "0");
  expect(run.code).toBe(0);
  expect(run.stderr).toBe("");
  const logged = records(readFileSync(file, "utf8"));
  expect(new Set(logged.map((r) => r.worker).filter(Boolean))).toEqual(new Set(["w0", "w1"]));
  expect(logged.some((r) => r.component === "broker")).toBe(true);
  expect(logged.some((r) => r.component === "launcher")).toBe(true);
});

test("--log-format json puts every process's records on stderr as JSON; the default is readable lines", async () => {
  const json = await runScoop(tags, "-n", "2", "-v", "--log-format", "json", fixture("exit-code.ts"), "0");
  expect(json.code).toBe(0);
  expect(new Set(records(json.stderr).map((r) => r.worker).filter(Boolean))).toEqual(new Set(["w0", "w1"]));
  const pretty = await runScoop(tags, "-n", "2", "-v", fixture("exit-code.ts"), "0");
  expect(pretty.stderr).toMatch(/^scoop: info: /m);
  expect(pretty.stderr).toMatch(/^\[w1\] info: /m);
  expect(pretty.stderr).not.toMatch(/^\{/m);
});
