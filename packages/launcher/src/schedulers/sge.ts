/** Sun/Univa/Open Grid Engine: the allocation is `PE_HOSTFILE`; workers start with `qrsh -inherit`. */
import { badHosts, mergeHosts, type HostSlots } from "../host-slots.js";
import { defineScheduler, readText, type ReadFile } from "./adapter.js";

/** Hosts of an SGE allocation: PE_HOSTFILE lines are `host slots queue processors`. */
export function sgeHosts(env: NodeJS.ProcessEnv, read: ReadFile = readText): HostSlots[] {
  if (!env.PE_HOSTFILE) throw badHosts("PE_HOSTFILE is not set: run inside an SGE parallel environment");
  const hosts = read(env.PE_HOSTFILE).split(/\r?\n/).map((l) => l.trim()).filter(Boolean).map((line, i) => {
    const [host, slots] = line.split(/\s+/);
    const n = Number(slots);
    if (!host || !Number.isSafeInteger(n) || n < 1) throw badHosts(`PE_HOSTFILE line ${i + 1}: expected "host slots queue processors" (got ${JSON.stringify(line)})`);
    return { host, slots: n };
  });
  return mergeHosts(hosts);
}

/** SGE: `qrsh -inherit HOST /bin/sh -c CMD`, with `-nostdin` when nothing is sent on standard input. */
export const sge = defineScheduler({
  name: "sge",
  launcher: "qrsh",
  detect: (env) => Boolean(env.PE_HOSTFILE),
  hosts: sgeHosts,
  command: (host, shellCommand, { stdin }) => ["qrsh", "-inherit", ...(stdin ? [] : ["-nostdin"]), host, "/bin/sh", "-c", shellCommand],
  forwardsStdin: true,
});
