/** PBS/Torque: the allocation is `PBS_NODEFILE`; workers start with `pbsdsh`. */
import { badHosts, hostName, mergeHosts, type HostSlots } from "../host-slots.js";
import { defineScheduler, readText, type ReadFile } from "./adapter.js";

/**
 * Hosts of a PBS/Torque allocation: PBS_NODEFILE names one host per slot,
 * separated by any whitespace (one per line, or several on one line as in
 * SCOOP's own test fixture).
 */
export function pbsHosts(env: NodeJS.ProcessEnv, read: ReadFile = readText): HostSlots[] {
  if (!env.PBS_NODEFILE) throw badHosts("PBS_NODEFILE is not set: run inside a PBS job");
  const hosts: HostSlots[] = [];
  read(env.PBS_NODEFILE).split(/\r?\n/).forEach((line, i) => {
    for (const host of line.trim().split(/\s+/).filter(Boolean)) hosts.push({ host: hostName(host, `PBS_NODEFILE ${env.PBS_NODEFILE} line ${i + 1}`), slots: 1 });
  });
  if (hosts.length === 0) throw badHosts(`PBS_NODEFILE ${env.PBS_NODEFILE} lists no host`);
  return mergeHosts(hosts);
}

/** PBS/Torque: `pbsdsh -h HOST /bin/sh -c CMD`; pbsdsh forwards no standard input. */
export const pbs = defineScheduler({
  name: "pbs",
  launcher: "pbsdsh",
  detect: (env) => Boolean(env.PBS_NODEFILE),
  hosts: pbsHosts,
  command: (host, shellCommand) => ["pbsdsh", "-h", host, "/bin/sh", "-c", shellCommand],
  forwardsStdin: false,
});
