/// <reference lib="dom" />
/**
 * The dashboard and the trace report in a real browser (Debian's headless
 * Chromium driven by playwright-core): the page, opened during a real run,
 * shows the worker rows and a task counter that rises. The screenshots it
 * saves (docs/dashboard.png, docs/timeline.png) are the README's.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { killTagged, newTag, processesTagged, REPO, runScoop, SCOOP_BIN, startCli, waitUntil } from "@scoop/test-helpers";

const CHROMIUM = process.env.SCOOP_CHROMIUM ?? "/usr/bin/chromium";
const fixture = join(__dirname, "../fixtures/observe.ts");
const tags: string[] = [];
let dir: string;
let browser: Browser | undefined;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "scoop-dashboard-"));
  if (!existsSync(CHROMIUM)) throw new Error(`this test needs Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set SCOOP_CHROMIUM`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  tags.forEach(killTagged);
  rmSync(dir, { recursive: true, force: true });
});

test("the dashboard, opened during a real run, shows the workers and a rising task counter; the trace report renders", async () => {
  const tag = newTag();
  tags.push(tag);
  const trace = join(dir, "run.json");
  // The run goes on until the test creates `release`: the page sees it live however slow the machine.
  const release = join(dir, "release");
  const run = startCli(SCOOP_BIN, ["-n", "3", "--dashboard=0", "--trace", trace, fixture, "slow", "400", "25", release], { tag, timeoutMs: 120_000 });
  await waitUntil(() => /dashboard: http:\/\/127\.0\.0\.1:\d+\//.test(run.output().stderr), 30_000, "scoop to print the dashboard's address");
  const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(run.output().stderr)![1];

  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(url);
  await page.waitForFunction(() => document.querySelectorAll("#workers tbody tr[data-worker]").length >= 3, undefined, { timeout: 30_000 });
  const done = async () => Number((await page.textContent("#tasks-done"))!.replace(/,/g, ""));
  const first = await done();
  await waitUntil(async () => (await done()) > first && (await done()) >= 60, 30_000, "the task counter to rise");
  const workers = await page.$$eval("#workers tbody tr[data-worker]", (rows) => rows.map((r) => r.getAttribute("data-worker")));
  expect(workers).toEqual(expect.arrayContaining(["w0", "w1", "w2"]));
  expect(await page.textContent("#maps tbody")).toContain("spin");
  expect(await page.textContent("#constants tbody")).toContain("table");
  await page.screenshot({ path: join(REPO, "docs/dashboard.png") });
  await page.close();
  writeFileSync(release, "");

  const end = await run.done;
  expect(end.code).toBe(0);
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");

  const html = join(dir, "report.html");
  expect((await runScoop(tags, "trace", trace, "--html", html)).code).toBe(0);
  const report = await browser!.newPage({ viewport: { width: 1280, height: 760 } });
  await report.goto(`file://${html}`);
  expect(await report.textContent("h1")).toContain("SCOOP run");
  // The timeline canvas was drawn (some pixel is not background).
  const painted = await report.$eval("#timeline", (c) => {
    const canvas = c as HTMLCanvasElement;
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < data.length; i += 4) if (data[i] === 0x3a && data[i + 1] === 0x6f && data[i + 2] === 0xd8) return true;
    return false;
  });
  expect(painted).toBe(true);
  await report.screenshot({ path: join(REPO, "docs/timeline.png"), fullPage: true });
  await report.close();
}, 180_000);
