/**
 * One run across two "hosts" (network namespaces of our own, each with its
 * own sshd): both hosts run tasks, and when one host's link is cut in the
 * middle of the run, its tasks run again on the other, the run ends with the
 * right result within a bound, and no process is left behind. Root only.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { killTagged, newTag, processesTagged, SCOOP_BIN, startCli, waitUntil, createHosts, netnsUnavailable, type TestHost, sshdUnavailable, startSshd, type TestSshd } from "@scoop/test-helpers";

const fixture = (name: string) => join(__dirname, "../fixtures", name);
const unavailable = sshdUnavailable() ?? netnsUnavailable();
if (unavailable) console.warn(`network-namespace tests cannot run here: ${unavailable}`);
if (unavailable && process.env.CI) {
  test("network namespaces and sshd are available (CI runs as root with iproute2 and openssh-server)", () => {
    throw new Error(`network-namespace tests cannot run under CI: ${unavailable}`);
  });
}
const nsTest = unavailable && !process.env.CI ? test.skip : test;

const tag = newTag();
let net: { hosts: TestHost[]; destroy(): void } | undefined;
const servers: TestSshd[] = [];

beforeAll(async () => {
  if (unavailable) return;
  net = createHosts(2);
  for (const h of net.hosts) servers.push(await startSshd({ tag, host: h.address, netns: h.netns }));
  // One key logs in everywhere.
  appendFileSync(join(servers[1].dir, "authorized_keys"), readFileSync(`${servers[0].privateKeyPath}.pub`));
}, 30_000);

afterAll(async () => {
  killTagged(tag);
  await Promise.all(servers.map((s) => s.stop()));
  net?.destroy();
});

nsTest("a run spans two hosts; cutting one mid-run still ends with the right result and leaves nothing", async () => {
  const [a, b] = net!.hosts;
  const t0 = Date.now();
  const run = startCli(
    SCOOP_BIN,
    ["--hosts", `${a.address}:2`, `${b.address}:2`, "--ssh-user", servers[0].username, "--ssh-key", servers[0].privateKeyPath, "--heartbeat-ms", "500", "--liveness-ms", "2000", "--verbose", fixture("where.ts"), "2", "400", "50"],
    { tag, timeoutMs: 120_000 },
  );
  await waitUntil(() => run.output().stdout.includes("started"), 60_000, "tasks on both hosts");
  // Both namespaces ran tasks, in processes started over SSH.
  expect(run.output().stdout).toMatch(/started \{"netns":2,"pids":\d+,"ssh":true/);
  // The plan went over SSH to both hosts; workers dial the address each connection came from.
  expect(run.output().stderr).toContain(`${b.address}: 2 workers (w2-w3) via ssh`);
  b.cut();
  const end = await run.done;
  const elapsed = Date.now() - t0;
  expect(end.stdout).toContain('finished {"sum":400,"ssh":true}');
  expect(end.code).toBe(0);
  // The broker noticed the lost workers and ran their tasks elsewhere.
  expect(end.stderr).toMatch(/lost|peer left/);
  expect(elapsed).toBeLessThan(110_000);
  // The cut host's workers stop by themselves (they no longer hear the broker): liveness 2 s + grace.
  await waitUntil(() => processesTagged(tag).length === 0, 30_000, "no worker left on either host");
}, 150_000);
