/** IBM Spectrum LSF: the allocation is `LSB_MCPU_HOSTS`; workers start with `blaunch`. */
import { badHosts, mergeHosts, type HostSlots } from "../host-slots.js";
import { defineScheduler } from "./adapter.js";

/** Hosts of an LSF allocation: LSB_MCPU_HOSTS is `host1 n1 host2 n2 …`. */
export function lsfHosts(env: NodeJS.ProcessEnv): HostSlots[] {
  const value = env.LSB_MCPU_HOSTS;
  if (!value) throw badHosts("LSB_MCPU_HOSTS is not set: run inside an LSF job");
  const fields = value.trim().split(/\s+/);
  if (fields.length % 2 !== 0) throw badHosts(`LSB_MCPU_HOSTS must alternate hosts and counts (got ${JSON.stringify(value)})`);
  const hosts: HostSlots[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const n = Number(fields[i + 1]);
    if (!Number.isSafeInteger(n) || n < 1) throw badHosts(`LSB_MCPU_HOSTS: bad count ${JSON.stringify(fields[i + 1])} for ${fields[i]}`);
    hosts.push({ host: fields[i], slots: n });
  }
  return mergeHosts(hosts);
}

/** LSF: `blaunch HOST /bin/sh -c CMD`. */
export const lsf = defineScheduler({
  name: "lsf",
  launcher: "blaunch",
  detect: (env) => Boolean(env.LSB_MCPU_HOSTS),
  hosts: (env) => lsfHosts(env),
  command: (host, shellCommand) => ["blaunch", host, "/bin/sh", "-c", shellCommand],
  forwardsStdin: true,
});
