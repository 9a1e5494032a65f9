/**
 * What every host source shares: a host and its slots, merging repeats, and
 * the `SCOOP_BAD_HOSTS` error that names the place and what was expected.
 */
import { ScoopError } from "@scoop/protocol";

/** A host and how many workers it should run (`undefined`: as many as it has cores). */
export interface HostSlots {
  host: string;
  slots?: number;
}

/** A `SCOOP_BAD_HOSTS` error saying `what` is wrong with a host list. */
export function badHosts(what: string): ScoopError {
  return new ScoopError("SCOOP_BAD_HOSTS", what);
}

/** Merge repeated hosts (keeping first-seen order), adding their slots. */
export function mergeHosts(hosts: readonly HostSlots[]): HostSlots[] {
  const byName = new Map<string, HostSlots>();
  for (const { host, slots } of hosts) {
    const seen = byName.get(host);
    if (seen === undefined) byName.set(host, { host, slots });
    else if (seen.slots !== undefined || slots !== undefined) seen.slots = (seen.slots ?? 1) + (slots ?? 1);
  }
  return [...byName.values()];
}

/** Characters no host name holds: whitespace, and what SCOOP's hostfiles use as separators. */
const NOT_A_HOST = /[\s/=,#"'`;]/;

/** A host name from `where`, or a {@link ScoopError} naming the place and what was expected. */
export function hostName(name: string, where: string): string {
  if (name === "" || NOT_A_HOST.test(name)) throw badHosts(`${where}: ${JSON.stringify(name)} is not a host name (expected a name or address such as node01 or 10.0.0.7)`);
  return name;
}
