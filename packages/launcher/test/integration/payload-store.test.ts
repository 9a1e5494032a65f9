/**
 * The run's payload store, real processes: a run of this machine alone passes
 * large buffers as files in a private /dev/shm directory. Values arrive
 * intact both ways, a task whose worker dies runs again from the same stored
 * argument, a cancelled task's argument is removed, nothing is left once
 * everything has settled, and the owner-only directory is gone after the run.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killTagged, newTag, processesTagged, runCli, runScoop, SCOOP_BIN, waitUntil } from "@scoop/test-helpers";
import { MALLOC_TUNABLES } from "../../src/local-workers.js";

const FIXTURE = join(__dirname, "../fixtures/payload-store.ts");
const tags: string[] = [];
let scratch: string;
beforeAll(() => (scratch = mkdtempSync(join(tmpdir(), "scoop-store-fixture-"))));
const planted: string[] = [];
afterAll(() => {
  tags.forEach(killTagged);
  for (const dir of [scratch, ...planted]) rmSync(dir, { recursive: true, force: true });
});

test("large arguments and results pass through the store, survive a lost worker, and leave nothing behind", async () => {
  // What a launcher killed outright left (its pid is gone) is removed; a live launcher's store is not.
  const deadPid = spawnSync(process.execPath, ["-e", ""]).pid;
  const orphan = `/dev/shm/scoop-store-${deadPid}-test`;
  const live = `/dev/shm/scoop-store-${process.pid}-test`;
  for (const dir of [orphan, live]) {
    planted.push(dir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, "left"), "x");
  }
  const run = await runScoop(tags, "-n", "3", FIXTURE, join(scratch, "killed"));
  expect({ code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({ code: 0, stderr: "" });
  const dir = /^store (\S+)$/m.exec(run.stdout)?.[1];
  expect(dir).toMatch(/^\/dev\/shm\/scoop-store-/);
  expect(run.stdout).toContain("mode 700"); // owner-only: other users cannot read what passes there
  expect(run.stdout).toContain(`malloc ${MALLOC_TUNABLES}`); // workers reuse warm memory for large buffers
  expect(run.stdout).toContain("map intact true, left 0");
  expect(Number(/^peak stored (\d+)$/m.exec(run.stdout)?.[1])).toBeLessThanOrEqual(17); // 16 MiB in flight, and one more
  expect(run.stdout).toContain("retry true, left 0");
  expect(run.stdout).toMatch(/^cancel: left 1 while it ran, 0 after$/m);
  expect(existsSync(join(scratch, "killed"))).toBe(true); // a worker did die holding the stored argument
  expect(existsSync(dir!)).toBe(false);
  expect([existsSync(orphan), existsSync(live)]).toEqual([false, true]);
}, 120_000);

test("a user's own GLIBC_TUNABLES (even empty) is left as it is", async () => {
  const tag = newTag();
  tags.push(tag);
  const run = await runCli(SCOOP_BIN, ["-n", "1", FIXTURE, join(scratch, "killed-3")], { tag, env: { GLIBC_TUNABLES: "" } });
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
  expect(run.stdout).toMatch(/^malloc $/m);
}, 60_000);
