/**
 * Seeing what a run does, as a person sees it: the trace of a run in which a
 * worker is SIGKILLed (spans, lost attempts, flows) and its HTML report; the
 * progress line in a real terminal (tmux) and none of its escape codes in a
 * pipe.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TraceFile } from "@scoop/broker";
import { killTagged, newTag, processesTagged, runScoop, SCOOP_BIN, waitUntil } from "@scoop/test-helpers";

const fixture = join(__dirname, "../fixtures/observe.ts");
const tags: string[] = [];
let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "scoop-observe-"))));
afterAll(() => {
  tags.forEach(killTagged);
  rmSync(dir, { recursive: true, force: true });
});

test("a traced map with a worker SIGKILLed mid-run: one successful span per task, lost attempts, parent→child flows; scoop trace --html", async () => {
  const trace = join(dir, "run.json");
  const flag = join(dir, "killed");
  const run = await runScoop(tags, "-n", "3", "--heartbeat-ms", "200", "--liveness-ms", "1000", "--no-progress", "--trace", trace, fixture, "tree", "12", "40", flag);
  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
  expect(run.stdout).toContain("tree done:");
  expect(existsSync(flag)).toBe(true); // a worker did die

  const events = (JSON.parse(readFileSync(trace, "utf8")) as TraceFile).traceEvents;
  const spans = events.filter((e) => e.ph === "X" && e.cat === "task");
  const keyOf = (e: { args?: Record<string, unknown> }) => Number(e.args!.key);
  const ok = new Map<number, number>();
  for (const s of spans) if (s.args!.ok === true) ok.set(keyOf(s), (ok.get(keyOf(s)) ?? 0) + 1);
  // No task succeeded twice; the 12 tasks of the map each succeeded once.
  expect([...ok.values()].every((n) => n === 1)).toBe(true);
  const parents = spans.filter((s) => s.name === "parent" && s.args!.ok === true);
  expect(parents).toHaveLength(12);
  expect(new Set(parents.map(keyOf)).size).toBe(12);
  // Retried tasks also have their lost attempt; at least one of the map's tasks was retried and then succeeded.
  const retries = events.filter((e) => e.ph === "i" && e.cat === "retry");
  expect(retries.length).toBeGreaterThanOrEqual(1);
  const lost = new Set(spans.filter((s) => s.args!.lost === true).map(keyOf));
  for (const r of retries) expect(lost.has(keyOf(r))).toBe(true);
  expect(parents.some((p) => lost.has(keyOf(p)))).toBe(true);
  expect(events.some((e) => e.ph === "i" && e.cat === "worker" && /lost/.test(e.name))).toBe(true);
  // Every child's span has a flow arrow from its parent's span; every parent's last attempt has its 3 children.
  const starts = new Map(events.filter((e) => e.ph === "s").map((e) => [e.id, e]));
  const ends = events.filter((e) => e.ph === "f");
  const children = spans.filter((s) => s.name === "leaf" && s.args!.ok === true);
  for (const child of children) {
    const end = ends.find((f) => f.tid === child.tid && f.ts === child.ts);
    expect(end).toBeDefined();
    expect(starts.has(end!.id)).toBe(true);
  }
  for (const p of parents) expect(children.filter((c) => Number(c.args!.parent) === keyOf(p)).length).toBeGreaterThanOrEqual(3);
  // Tracks are named after the workers.
  expect(events.filter((e) => e.ph === "M" && e.name === "thread_name").map((e) => String(e.args!.name))).toEqual(expect.arrayContaining([expect.stringMatching(/^w1 \(worker, /)]));

  const html = join(dir, "report.html");
  const report = await runScoop(tags, "trace", trace, "--html", html);
  expect(report.code).toBe(0);
  const page = readFileSync(html, "utf8");
  for (const part of ["Timeline", "Worker utilisation", "Task durations", "Slowest tasks", "lost attempt"]) expect(page).toContain(part);
  expect(page).not.toMatch(/<(script|link|img)[^>]+(src|href)=/); // self-contained
}, 120_000);

test("the progress line in a real terminal (tmux); piped output has no escape codes", async () => {
  const tag = newTag();
  tags.push(tag);
  const session = `scoop-progress-${process.pid}`;
  const out = join(dir, "tty.out");
  // The run inside tmux writes its exit code to a file once done.
  const command = `SCOOP_TEST_TAG=${tag} ${process.execPath} ${SCOOP_BIN} -n 2 ${fixture} slow 150 20; echo "exit=$?" > ${out}; sleep 30`;
  execFileSync("tmux", ["new-session", "-d", "-s", session, "-x", "120", "-y", "20", command], { cwd: join(__dirname, "../../../..") });
  try {
    let screen = "";
    const line = /spin\s+\d+\/150\s+\d+%\s+[\d.]+ tasks\/s\s+ETA/;
    await waitUntil(() => line.test((screen = execFileSync("tmux", ["capture-pane", "-p", "-t", session]).toString())), 60_000, "a progress line on the terminal");
    await waitUntil(() => existsSync(out), 60_000, "the run to end");
    screen = execFileSync("tmux", ["capture-pane", "-p", "-t", session]).toString();
    expect(readFileSync(out, "utf8")).toContain("exit=0");
    // The last state stays on screen: every task done.
    expect(screen).toMatch(/spin\s+150\/150\s+100%/);
    expect(screen).toContain("slow done: 150");
  } finally {
    execFileSync("tmux", ["kill-session", "-t", session]);
  }
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");

  const piped = await runScoop(tags, "-n", "2", fixture, "slow", "40", "5");
  expect(piped.code).toBe(0);
  expect(piped.stdout + piped.stderr).not.toContain("\u001b");
  expect(piped.stderr).not.toContain("tasks/s");
  // --progress asks for it in a pipe: plain lines, still no escape code.
  const asked = await runScoop(tags, "-n", "2", "--progress", fixture, "slow", "40", "5");
  expect(asked.code).toBe(0);
  expect(asked.stderr).toMatch(/scoop: spin\s+40\/40\s+100%/);
  expect(asked.stdout + asked.stderr).not.toContain("\u001b");
}, 180_000);
