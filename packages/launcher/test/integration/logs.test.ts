/**
 * One log for the whole run: `--log FILE` holds every process's records
 * (launcher, broker, each worker, tagged with its id) as JSON lines, and
 * `--log-format json` puts them on stderr the same way; the default stays
 * one readable line per record.
 */
import { execFileSync } from "node:child_process";
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
  // The origin (w0) always logs at info; w1 may join after the short run is over.
  expect(logged.map((r) => r.worker)).toContain("w0");
  expect(logged.some((r) => r.component === "broker")).toBe(true);
  expect(logged.some((r) => r.component === "launcher")).toBe(true);
});

test("--log-format json puts every process's records on stderr as JSON; the default is readable lines", async () => {
  const json = await runScoop(tags, "-n", "2", "-v", "--log-format", "json", fixture("exit-code.ts"), "0");
  expect(json.code).toBe(0);
  const logged = records(json.stderr);
  expect(logged.map((r) => r.worker)).toContain("w0");
  expect(logged.some((r) => r.component === "launcher")).toBe(true);
  const pretty = await runScoop(tags, "-n", "2", "-v", fixture("exit-code.ts"), "0");
  expect(pretty.stderr).toMatch(/^scoop: info: /m);
  expect(pretty.stderr).toMatch(/^\[w1\] info: /m);
  expect(pretty.stderr).not.toMatch(/^\{/m);
});

test("a program using @scoop/core on its own logs readable lines on a terminal, JSON into a pipe", () => {
  const command = `SCOOP_LOG_LEVEL=info ${process.execPath} --import tsx ${fixture("logs-seed.ts")}`;
  const cwd = join(__dirname, "../..");
  // A pseudo-TTY through util-linux `script`, as a person sees it.
  const onTerminal = execFileSync("script", ["-qec", command, "/dev/null"], { cwd, encoding: "utf8" });
  expect(onTerminal).toMatch(/^scoop: info: random seed \d+ drawn for this run/m);
  const piped = execFileSync("sh", ["-c", `${command} 2>&1`], { cwd, encoding: "utf8" });
  expect(JSON.parse(piped.trim())).toMatchObject({ level: 30, msg: expect.stringContaining("random seed") });
});
