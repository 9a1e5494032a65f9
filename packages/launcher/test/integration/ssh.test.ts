/**
 * `scoop` over SSH end to end: a real OpenSSH server on 127.0.0.1 (keys made
 * by the test), workers started through it with `--launcher ssh`, results
 * checked, and no process left behind after a normal end, a refused login or
 * a Ctrl-C in the middle of the run.
 */
import { join } from "node:path";
import { killTagged, newTag, processesTagged, runCli, SCOOP_BIN, startCli, waitUntil, sshdUnavailable, startSshd, type TestSshd } from "@scoop/test-helpers";

const fixture = (name: string) => join(__dirname, "../fixtures", name);
const unavailable = sshdUnavailable();
if (unavailable) {
  // Say why, loudly; under CI this is a failure, not a skip.
  console.warn(`SSH end-to-end tests cannot run here: ${unavailable}`);
}
const sshTest = unavailable && !process.env.CI ? test.skip : test;

if (unavailable && process.env.CI) {
  test("an SSH server is available for the SSH tests", () => {
    throw new Error(`SSH end-to-end tests cannot run under CI: ${unavailable}`);
  });
}

// One sshd per test (its sessions carry the test's tag).
const servers: TestSshd[] = [];
const tags: string[] = [];
afterAll(async () => {
  tags.forEach(killTagged);
  await Promise.all(servers.map((s) => s.stop()));
});

async function sshd(): Promise<{ tag: string; server: TestSshd; flags: string[] }> {
  const tag = newTag();
  tags.push(tag);
  const server = await startSshd({ tag });
  servers.push(server);
  return { tag, server, flags: ["--hosts", "127.0.0.1", "--launcher", "ssh", "--ssh-user", server.username, "--ssh-port", String(server.port), "--ssh-key", server.privateKeyPath] };
}

sshTest("workers started over SSH run the tasks; nothing is left after the run", async () => {
  const { tag, flags } = await sshd();
  const run = await runCli(SCOOP_BIN, [...flags, "-n", "2", "--verbose", fixture("where.ts"), "1", "20"], { tag });
  expect(run.stderr).toContain("127.0.0.1: 2 workers (w0-w1, w0 is the origin) via ssh");
  expect(run.code).toBe(0);
  // Every task ran in a process an SSH session started; output came back prefixed.
  expect(run.stdout).toContain('[w0] started {"netns":1');
  expect(run.stdout).toMatch(/"ssh":true,"tasks":\d+/);
  expect(run.stdout).toContain('[w0] finished {"sum":20,"ssh":true}');
  await waitUntil(() => processesTagged(tag).length === 0, 15_000, "no process left behind");
});

sshTest("--tunnel: workers reach the broker through reverse SSH tunnels", async () => {
  const { tag, flags } = await sshd();
  const run = await runCli(SCOOP_BIN, [...flags, "-n", "2", "--tunnel", fixture("where.ts"), "1", "10"], { tag });
  expect(run.stderr).not.toMatch(/error|SCOOP_/i);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('finished {"sum":10,"ssh":true}');
  await waitUntil(() => processesTagged(tag).length === 0, 15_000, "no process left behind");
});

sshTest("a refused login says what to check and starts nothing", async () => {
  const { tag, server } = await sshd();
  const run = await runCli(SCOOP_BIN, ["--hosts", "127.0.0.1", "--launcher", "ssh", "--ssh-user", "nobody", "--ssh-port", String(server.port), "--ssh-key", server.privateKeyPath, "-n", "1", fixture("where.ts")], { tag });
  expect(run.code).toBe(1);
  expect(run.stderr).toContain("cannot open SSH to nobody@127.0.0.1");
  expect(run.stderr).toContain("--ssh-key");
  await waitUntil(() => processesTagged(tag).length === 0, 15_000, "no process left behind");
});

sshTest("SIGINT in the middle of an SSH run stops every remote worker", async () => {
  const { tag, flags } = await sshd();
  const run = startCli(SCOOP_BIN, [...flags, "-n", "2", fixture("where.ts"), "1", "100000"], { tag });
  await waitUntil(() => run.output().stdout.includes("started"), 60_000, "the run to start");
  // The launcher and the two remote workers (tagged by the SSH session).
  expect(processesTagged(tag).length).toBeGreaterThanOrEqual(3);
  run.child.kill("SIGINT");
  const end = await run.done;
  expect(end.code).toBe(130);
  expect(end.stdout).not.toContain("finished");
  await waitUntil(() => processesTagged(tag).length === 0, 15_000, "no process left behind");
});
