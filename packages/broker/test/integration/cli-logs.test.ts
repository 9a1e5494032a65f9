/**
 * `scoop-broker`'s logs as a person and a log collector see them: readable
 * lines on a terminal (a pseudo-TTY through util-linux `script`), JSON when
 * stderr is not a terminal, and `--log-format` to choose.
 */
import { spawn } from "node:child_process";
import { BROKER_BIN, killTagged, newTag, processesTagged, waitUntil } from "@scoop/test-helpers";

const tags: string[] = [];
afterAll(() => tags.forEach(killTagged));

/** Start the broker (`-v`), wait for its "listening" log line, stop it; what it printed on stderr (or the terminal). */
async function listeningLine(args: string[], tty: boolean): Promise<string> {
  const tag = newTag();
  tags.push(tag);
  const command = [process.execPath, BROKER_BIN, "-v", "--bind", "tcp://127.0.0.1:0", ...args];
  const child = tty
    ? spawn("script", ["-qfec", command.join(" "), "/dev/null"], { env: { ...process.env, SCOOP_TEST_TAG: tag }, stdio: ["pipe", "pipe", "pipe"] })
    : spawn(command[0], command.slice(1), { env: { ...process.env, SCOOP_TEST_TAG: tag }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  await waitUntil(() => out.includes("broker listening"), 20_000, "the broker's listening line");
  for (const pid of processesTagged(tag)) process.kill(pid, "SIGTERM");
  await waitUntil(() => processesTagged(tag).length === 0, 10_000, "the broker to exit");
  return out.split(/\r?\n/).find((l) => l.includes("broker listening"))!;
}

test("on a terminal, -v logs read as lines for people", async () => {
  expect(await listeningLine([], true)).toMatch(/^scoop-broker: info: broker listening \(endpoints=\["tcp:\/\/127\.0\.0\.1:\d+"\]\)$/);
});

test("not on a terminal, logs are JSON lines; --log-format chooses", async () => {
  expect(JSON.parse(await listeningLine([], false))).toMatchObject({ level: 30, msg: "broker listening" });
  expect(await listeningLine(["--log-format", "pretty"], false)).toMatch(/^scoop-broker: info: broker listening/);
  expect(JSON.parse(await listeningLine(["--log-format", "json"], true))).toMatchObject({ msg: "broker listening" });
});
