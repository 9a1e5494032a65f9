/**
 * Faults a run must survive or report (issue 14): the origin killed by a
 * signal, a reader that closes the output early (`scoop … | head -2`), and
 * the exit codes of signals. Real processes; every test ends with no process
 * of the run left.
 */
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { killTagged, newTag, processesTagged, runCli, SCOOP_BIN, startCli, waitUntil, type CliProcess } from "@scoop/test-helpers";

const fixture = (name: string) => join(__dirname, "../fixtures", name);
const tags: string[] = [];
afterAll(() => tags.forEach(killTagged));

function start(...args: string[]): { tag: string; run: CliProcess } {
  const tag = newTag();
  tags.push(tag);
  return { tag, run: startCli(SCOOP_BIN, args, { tag }) };
}

/** PID of the run's origin worker (the one started with --origin). */
function originPid(tag: string): number | undefined {
  return processesTagged(tag).find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes("--origin");
    } catch {
      return false;
    }
  });
}

const nothingLeft = (tag: string) => waitUntil(() => processesTagged(tag).length === 0, 10_000, "no process left behind");
/** Lines of `text` that match `re`. */
const linesMatching = (text: string, re: RegExp) => text.split("\n").filter((l) => re.test(l));

test.each([
  ["SIGKILL", 137],
  ["SIGABRT", 134],
] as const)("the origin killed by %s mid-map: one line says which worker, which signal, that main did not finish and what was in flight; exit %i", async (signal, code) => {
  const { tag, run } = start("-n", "2", fixture("long-run.ts"));
  await waitUntil(() => run.output().stdout.includes("started"), 30_000, "the run to start");
  const pid = originPid(tag);
  expect(pid).toBeDefined();
  process.kill(pid!, signal);
  const end = await run.done;
  expect(end.code).toBe(code);
  expect(end.stdout).not.toContain("finished");
  const told = linesMatching(end.stderr, /the origin/);
  expect(told).toHaveLength(1);
  expect(told[0]).toMatch(new RegExp(`^scoop: error: the origin \\(worker w0 on localhost, pid ${pid}\\) was killed by ${signal}: main did not finish; \\d+ task\\(s\\) were in flight`));
  await nothingLeft(tag);
});

test.each([
  ["the origin writes to the pipe itself", []],
  ["the launcher forwards the output (-v)", ["-v"]],
] as const)("scoop … | head -2 (%s): the run stops, says why in one line, leaves no process", async (_, flags) => {
  const { tag, run } = start(...flags, "-n", "2", fixture("chatty.ts"));
  await waitUntil(() => run.output().stdout.split("\n").length > 2, 30_000, "two lines of output");
  // What `head -2` does once it has its lines: close its end of the pipe.
  run.child.stdout!.destroy();
  const end = await run.done;
  expect(end.code).toBe(141);
  expect(linesMatching(end.stderr, /closed by its reader/)).toHaveLength(1);
  expect(end.stderr).not.toMatch(/Unhandled|EPIPE.*\n\s+at /);
  await nothingLeft(tag);
});

test("a task calling process.exit() on a worker: no native abort, its task runs again elsewhere, the run goes on", async () => {
  const marker = join(tmpdir(), `scoop-exit-${process.pid}-${Date.now()}`);
  const { tag, run } = start("-n", "3", fixture("exit-in-task.ts"), marker);
  const end = await run.done;
  expect(existsSync(marker)).toBe(true); // a worker did exit mid-task
  rmSync(marker, { force: true });
  expect(end.stderr).not.toContain("Napi::Error");
  expect(end.stderr).not.toContain("terminate called");
  expect(end.stdout).toContain("done 40");
  expect(end.code).toBe(0);
  await nothingLeft(tag);
});

/** `--broker` and `--app` of the run's origin, as any local user reads them in ps. */
function brokerAndApp(tag: string): [string, string] {
  const argv = readFileSync(`/proc/${originPid(tag)}/cmdline`, "utf8").split("\0");
  return [argv[argv.indexOf("--broker") + 1], argv[argv.indexOf("--app") + 1]];
}

/** The user `nobody`: another local user on a shared login node. */
const NOBODY = 65534;

test("a local run listens only on a Unix socket in an owner-only directory: another user who read its address in ps is refused", async () => {
  // Acting as another user takes root (as CI runs); without it this test could not show anything.
  expect(process.getuid?.()).toBe(0);
  const { tag, run } = start("-v", "-n", "2", fixture("idle-run.ts"));
  await waitUntil(() => run.output().stdout.includes("started"), 30_000, "the run to start");
  const [ipc, app] = brokerAndApp(tag);
  expect(ipc).toMatch(/^ipc:\/\//);
  expect(statSync(dirname(ipc.slice("ipc://".length))).mode & 0o777).toBe(0o700);
  expect(run.output().stderr).toContain("security: a Unix socket in an owner-only directory, no TCP port");
  expect(run.output().stderr).not.toContain("tcp://");
  const intruderTag = newTag();
  tags.push(intruderTag);
  const intruder = await runCli("--import", ["tsx", fixture("intruder.ts"), ipc, app], { tag: intruderTag, timeoutMs: 30_000, uid: NOBODY, gid: NOBODY });
  expect(intruder.stdout).toMatch(/intruder: refused \(SCOOP_BROKER_UNREACHABLE/);
  run.child.kill("SIGINT");
  await run.done;
  await nothingLeft(tag);
});

test("--insecure (the fault): another local process that read the run's addresses (ipc in ps, tcp in the plan) has a task run", async () => {
  const { tag, run } = start("--insecure", "-v", "-n", "2", fixture("idle-run.ts"));
  await waitUntil(() => run.output().stdout.includes("started"), 30_000, "the run to start");
  const [ipc, app] = brokerAndApp(tag);
  const tcp = /broker: (tcp:\/\/\S+)/.exec(run.output().stderr)?.[1];
  expect(ipc).toMatch(/^ipc:\/\//);
  expect(tcp).toBeDefined();
  const attempts = [ipc, tcp!].map((broker) => {
    const intruderTag = newTag();
    tags.push(intruderTag);
    return runCli("--import", ["tsx", fixture("intruder.ts"), broker, app], { tag: intruderTag, timeoutMs: 30_000 });
  });
  for (const intruder of await Promise.all(attempts)) expect(intruder.stdout).toMatch(/intruder: a task ran for us/);
  run.child.kill("SIGINT");
  await run.done;
  await nothingLeft(tag);
});

test.each([
  ["under scoop", (n: string) => [SCOOP_BIN, "-n", "2", fixture("many-children.ts"), n]],
  ["serially (no scoop)", (n: string) => ["--import", "tsx", fixture("many-children.ts"), n]],
] as const)("a task submitting 2,000 children prints no MaxListenersExceededWarning (%s)", async (_, argv) => {
  const tag = newTag();
  tags.push(tag);
  const [bin, ...args] = argv("2000");
  // Warnings printed, not redirected: this test reads them itself.
  const run = await runCli(bin, args, { tag, env: { NODE_OPTIONS: "", NODE_NO_WARNINGS: "" } });
  expect(run.stderr).not.toMatch(/\(node:\d+\) \w*Warning/);
  expect(run.stdout).toContain(`sum ${(1999 * 2000) / 2}`);
  await nothingLeft(tag);
});

test("arguments, results and constants over the broker's limit fail at once with SCOOP_MESSAGE_TOO_LARGE naming the limit; the run goes on", async () => {
  const { tag, run } = start("--max-message-bytes", String(4 * 2 ** 20), "-n", "2", fixture("big-messages.ts"));
  const end = await run.done;
  const lines = end.stdout.split("\n");
  const outcome = (what: string) => lines.find((l) => l.startsWith(`${what}: `));
  const tooLarge = /SCOOP_MESSAGE_TOO_LARGE .*5\.0 MiB once encoded, over the broker's limit of 4\.0 MiB .*--max-message-bytes/;
  expect(outcome("argument")).toMatch(/^argument: SCOOP_MESSAGE_TOO_LARGE the arguments of task "size": /);
  expect(outcome("argument")).toMatch(tooLarge);
  expect(outcome("string argument")).toMatch(/SCOOP_MESSAGE_TOO_LARGE the arguments of task "size": 5\.0 MiB/);
  expect(outcome("result")).toMatch(/^result: SCOOP_MESSAGE_TOO_LARGE the result of task "makeBig": /);
  expect(outcome("result")).toMatch(tooLarge);
  expect(outcome("child argument")).toMatch(/^child argument: SCOOP_MESSAGE_TOO_LARGE the arguments of task "size": 5\.0 MiB/);
  expect(outcome("constant")).toMatch(/^constant: SCOOP_MESSAGE_TOO_LARGE shared constant "big": 5\.0 MiB/);
  expect(outcome("after")).toBe(`after: ok ${2 ** 20}`);
  expect(end.code).toBe(0);
  expect(end.stderr).not.toMatch(/lost|WORKER_LOST/);
  await nothingLeft(tag);
});

test("a worker killed while it holds prefetched tasks (retries: 0): the launcher tells the broker at once, only the task it ran is lost", async () => {
  const marker = join(tmpdir(), `scoop-kill-${process.pid}-${Date.now()}`);
  // Liveness of a minute: the run ends in time only if the launcher reports the exit.
  const { tag, run } = start("--liveness-ms", "60000", "-v", "-n", "3", fixture("kill-once.ts"), marker);
  const end = await run.done;
  rmSync(marker, { force: true });
  const killer = /killer: task (\d+)/.exec(end.stdout)?.[1];
  expect(killer).toBeDefined();
  expect(end.stdout).toContain(`ok 59, lost 1: task ${killer} SCOOP_WORKER_LOST`);
  expect(end.stderr).toMatch(/peer lost \(peer=w\d/);
  expect(end.code).toBe(0);
  await nothingLeft(tag);
}, 45_000);

test("a worker stopped (SIGSTOP) past the liveness timeout, then resumed: it says in one readable line that it was dropped and the run goes on; the run ends well", async () => {
  const { tag, run } = start("-v", "--heartbeat-ms", "500", "--liveness-ms", "2500", "-n", "3", fixture("steady-run.ts"));
  await waitUntil(() => run.output().stdout.includes("started") && run.output().stderr.includes("peer joined (peer=w1 "), 30_000, "w1 to join");
  const w1 = processesTagged(tag).find((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").includes("--id w1 "));
  expect(w1).toBeDefined();
  process.kill(w1!, "SIGSTOP");
  try {
    await waitUntil(() => /peer lost \(peer=w1 /.test(run.output().stderr), 30_000, "the broker to drop the stopped worker");
  } finally {
    process.kill(w1!, "SIGCONT");
  }
  const end = await run.done;
  expect(end.code).toBe(0);
  expect(end.stdout).toContain("finished 300");
  const told = linesMatching(end.stderr, /^\[w1\] (warning|error):/);
  expect(told).toHaveLength(1);
  expect(told[0]).toMatch(/^\[w1\] warning: the broker dropped this worker: .*(stopped|liveness).*the run goes on without it; this worker leaves/);
  expect(end.stderr).not.toContain("cannot go on");
  expect(end.stderr).not.toMatch(/^\[w\d\] \{"level"/m);
  await nothingLeft(tag);
});
