/**
 * A single-node SLURM cluster for tests (root only): munged, slurmctld and
 * slurmd from Debian's slurm-wlm packages, with a private config, state
 * folder, munge socket and free ports, so it never touches a system cluster.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./sshd.js";

const TOOLS = ["/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/srun", "/usr/bin/salloc", "/usr/bin/sinfo"];

/** Why SLURM tests cannot run here, or undefined if they can. */
export function slurmUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "not root: the test runs slurmctld and slurmd as root";
  const missing = TOOLS.filter((t) => !existsSync(t));
  if (missing.length > 0) return `missing ${missing.join(", ")}: install Debian's slurmd slurmctld slurm-client munge (.ci/run does)`;
  if (!existsSync("/etc/munge/munge.key")) return "/etc/munge/munge.key is missing: reinstall Debian's munge package (it makes the key)";
  return undefined;
}

/** A running test cluster; run clients with `env`. */
export interface TestSlurm {
  dir: string;
  /** Environment for srun/salloc/sinfo (SLURM_CONF). */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

function pidOf(file: string): number | undefined {
  try {
    return Number(readFileSync(file, "utf8").trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** Start munged, slurmctld and slurmd; resolves when the node is idle. */
export async function startSlurm(timeoutMs = 30_000): Promise<TestSlurm> {
  const dir = mkdtempSync(join(tmpdir(), "scoop-slurm-"));
  for (const d of ["state", "spool", "munge"]) mkdirSync(join(dir, d));
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  const conf = join(dir, "slurm.conf");
  writeFileSync(
    conf,
    [
      "ClusterName=scooptest",
      "SlurmctldHost=localhost",
      "SlurmUser=root",
      "SlurmdUser=root",
      "AuthType=auth/munge",
      `AuthInfo=socket=${join(dir, "munge/munge.socket")}`,
      "CredType=cred/munge",
      `StateSaveLocation=${join(dir, "state")}`,
      `SlurmdSpoolDir=${join(dir, "spool")}`,
      `SlurmctldPidFile=${join(dir, "slurmctld.pid")}`,
      `SlurmdPidFile=${join(dir, "slurmd.pid")}`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      `SlurmctldLogFile=${join(dir, "slurmctld.log")}`,
      `SlurmdLogFile=${join(dir, "slurmd.log")}`,
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "MpiDefault=none",
      "ReturnToService=2",
      "SchedulerType=sched/builtin",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_Core",
      "JobCompType=jobcomp/none",
      "AccountingStorageType=accounting_storage/none",
      `NodeName=localhost CPUs=${Math.max(2, availableParallelism())} State=UNKNOWN`,
      "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
    ].join("\n") + "\n",
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const pidFiles = [join(dir, "slurmd.pid"), join(dir, "slurmctld.pid"), join(dir, "munge/munged.pid")];
  const stop = async () => {
    for (const file of pidFiles) {
      const pid = pidOf(file);
      if (pid === undefined) continue;
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        continue;
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
          if (/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"))) break;
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const log = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), "utf8").split("\n").slice(-8).join("\n") : "(no log)");
  try {
    const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { env, stdio: "pipe" });
    run("munged", ["--force", `--socket=${join(dir, "munge/munge.socket")}`, `--pid-file=${join(dir, "munge/munged.pid")}`, `--seed-file=${join(dir, "munge/seed")}`, `--log-file=${join(dir, "munge/munged.log")}`]);
    run("slurmctld", ["-c", "-f", conf]);
    run("slurmd", ["-f", conf]);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let state = "";
      try {
        state = execFileSync("sinfo", ["-h", "-o", "%T"], { env, encoding: "utf8", stdio: "pipe" }).trim();
      } catch {
        // slurmctld not answering yet
      }
      if (state === "idle") break;
      if (Date.now() > deadline) throw new Error(`the node did not become idle within ${timeoutMs} ms (state "${state}")`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (error) {
    const why = `${(error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message}\nslurmctld.log:\n${log("slurmctld.log")}\nslurmd.log:\n${log("slurmd.log")}`;
    await stop();
    throw new Error(`cannot start a one-node SLURM cluster: ${why}`);
  }
  return { dir, env, stop };
}
