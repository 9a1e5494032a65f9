/**
 * `scoop` inside a SLURM allocation: a one-node cluster (munged, slurmctld,
 * slurmd) started by the test, `salloc` around `scoop --launcher srun`, the
 * hosts read from the allocation, every worker a job step, nothing left after.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { killTagged, newTag, processesTagged, REPO, SCOOP_BIN, waitUntil, slurmUnavailable, startSlurm, type TestSlurm } from "@scoop/test-helpers";

const fixture = (name: string) => join(__dirname, "../fixtures", name);
const unavailable = slurmUnavailable();
if (unavailable) console.warn(`SLURM tests cannot run here: ${unavailable}`);
if (unavailable && process.env.CI) {
  test("SLURM is installed for the SLURM tests (.ci/run installs slurmd slurmctld slurm-client munge)", () => {
    throw new Error(`SLURM tests cannot run under CI: ${unavailable}`);
  });
}
const slurmTest = unavailable && !process.env.CI ? test.skip : test;

const tag = newTag();
let slurm: TestSlurm | undefined;
let startError: Error | undefined;
beforeAll(async () => {
  if (unavailable) return;
  try {
    slurm = await startSlurm();
  } catch (error) {
    startError = error as Error;
    console.warn((error as Error).message);
  }
}, 60_000);
afterAll(async () => {
  killTagged(tag);
  await slurm?.stop();
});

slurmTest("inside salloc, workers are srun job steps on the allocation's node", async () => {
  if (startError) throw startError;
  const child = spawn("salloc", ["-N1", "-n2", "--quiet", process.execPath, SCOOP_BIN, "--launcher", "srun", "--verbose", fixture("where.ts"), "1", "10"], {
    cwd: REPO,
    env: { ...slurm!.env, SCOOP_TEST_TAG: tag },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  clearTimeout(timer);
  expect({ code, stderr }).toMatchObject({ code: 0 });
  expect(stderr).toContain("(from the SLURM allocation)");
  expect(stderr).toContain("localhost: 2 workers (w0-w1, w0 is the origin) via srun");
  // Every task ran in a job step (SLURM_STEP_ID set by srun).
  expect(stdout).toMatch(/started \{.*"srun":true\}/);
  expect(stdout).toContain('finished {"sum":10');
  await waitUntil(() => processesTagged(tag).length === 0, 15_000, "no process left behind");
}, 120_000);
