/**
 * A real OpenSSH server on loopback for tests: host and user keys generated
 * per server, key-only login, every session tagged with SCOOP_TEST_TAG (so the
 * processes it starts are found by `processesTagged`).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { processesTagged } from "./processes.js";

export const SSHD = "/usr/sbin/sshd";

/** Why sshd tests cannot run here, or undefined if they can. */
export function sshdUnavailable(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} is missing: install Debian's openssh-server (.ci/run does)`;
  if (!existsSync("/usr/bin/ssh-keygen")) return "ssh-keygen is missing: install Debian's openssh-client";
  if (process.getuid?.() !== 0) return "not root: the test sshd must log in as root with its own keys and write /run/sshd";
  return undefined;
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, host, () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** PIDs of every descendant of `root`. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => (children.get(pid) ?? []).forEach((c) => (out.push(c), walk(c)));
  walk(root);
  return out;
}

/** A running test sshd. */
export interface TestSshd {
  host: string;
  port: number;
  username: string;
  /** Tag of the sshd processes themselves (the daemon and its per-connection children), distinct from the sessions' tag. */
  daemonTag: string;
  /** Private key file a client logs in with. */
  privateKeyPath: string;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Start sshd on `host` (a loopback address, or an address inside a network
 * namespace when `netns` is given). Keys live in a fresh temporary folder.
 */
export async function startSshd(options: { tag: string; host?: string; port?: number; netns?: string }): Promise<TestSshd> {
  const host = options.host ?? "127.0.0.1";
  // Inside a namespace of our own nothing listens: port 22 is free (and freePort cannot bind there).
  const port = options.port ?? (options.netns ? 22 : await freePort(host));
  // Sessions carry `tag` (SetEnv), sshd itself another tag: tests count the
  // sessions' processes, and stop() reaps sshd's per-connection processes.
  const daemonTag = `${options.tag}-sshd`;
  const dir = mkdtempSync(join(tmpdir(), "scoop-sshd-"));
  const keygen = (file: string) => execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file]);
  keygen(join(dir, "host_key"));
  keygen(join(dir, "user_key"));
  execFileSync("cp", [join(dir, "user_key.pub"), join(dir, "authorized_keys")]);
  mkdirSync("/run/sshd", { recursive: true });
  const config = [
    `Port ${port}`,
    `ListenAddress ${host}`,
    `HostKey ${join(dir, "host_key")}`,
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PubkeyAuthentication yes",
    "PermitRootLogin prohibit-password",
    "StrictModes no",
    "UsePAM no",
    `PidFile ${join(dir, "sshd.pid")}`,
    `SetEnv SCOOP_TEST_TAG=${options.tag}`,
    "MaxSessions 64",
    // A session whose client vanished (a cut link) ends within seconds.
    "ClientAliveInterval 1",
    "ClientAliveCountMax 3",
    "MaxStartups 64",
    "LogLevel ERROR",
  ].join("\n");
  writeFileSync(join(dir, "sshd_config"), `${config}\n`);
  const argv = [SSHD, "-D", "-e", "-f", join(dir, "sshd_config")];
  const cmd = options.netns ? ["ip", "netns", "exec", options.netns, ...argv] : argv;
  const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, SCOOP_TEST_TAG: daemonTag } });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    if (options.netns) {
      // The port is inside the namespace: probe from there.
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          execFileSync("ip", ["netns", "exec", options.netns, "bash", "-c", `exec 3<>/dev/tcp/${host}/${port}`], { stdio: "ignore" });
          break;
        } catch {
          if (Date.now() > deadline || child.exitCode !== null) throw new Error(`sshd in ${options.netns} did not start: ${stderr}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    } else {
      await waitForPort(host, port, 10_000);
    }
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\nsshd said: ${stderr}`);
  }
  return {
    host,
    port,
    daemonTag,
    username: userInfo().username,
    privateKeyPath: join(dir, "user_key"),
    dir,
    process: child,
    async stop() {
      // sshd's per-connection processes outlive the daemon (and hold its stderr pipe): end them too.
      const sessions = child.pid === undefined ? [] : descendants(child.pid);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      for (const pid of sessions) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      child.stderr?.destroy();
      // The daemon's exit leaves its per-connection processes running: end them too.
      for (let i = 0; i < 100 && processesTagged(daemonTag).length > 0; i++) {
        for (const pid of processesTagged(daemonTag)) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
