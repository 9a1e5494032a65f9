/**
 * Where workers run: hosts from `--hosts`, a hostfile, or the allocation of a
 * batch scheduler (SLURM, PBS/Torque, SGE, LSF), and how `-n` workers are
 * spread over them.
 */
import { ScoopError } from "@scoop/protocol";
import { badHosts, hostName, mergeHosts, type HostSlots } from "./host-slots.js";
import type { Scheduler } from "./schedulers/registry.js";
import { parseSlurmNodelist } from "./schedulers/slurm.js";

export { mergeHosts, type HostSlots } from "./host-slots.js";
// The allocation readers live with their scheduler (schedulers/*.ts); re-exported here, where hosts come from.
export { detectScheduler, schedulerHosts, type Scheduler } from "./schedulers/registry.js";
export { parseSlurmNodelist, parseSlurmTasksPerNode, slurmHosts } from "./schedulers/slurm.js";
export { pbsHosts } from "./schedulers/pbs.js";
export { sgeHosts } from "./schedulers/sge.js";
export { lsfHosts } from "./schedulers/lsf.js";

/** Where a host list came from, for `--verbose` plans and errors. */
export interface HostPlanSource {
  kind: "local" | "hosts" | "hostfile" | Scheduler;
  detail?: string;
}

/** A worker count column: `8`, or SCOOP's `workers=8` (any `word=8`). */
const COUNT = /^(?:[A-Za-z_]+=)?(\d+)$/;
/** What looks like a count but is not a valid one (`-2`, `2.5`, `workers=x`). */
const BAD_COUNT = /^(?:[A-Za-z_]+=.*|[-+]?\d*\.?\d+)$/;

/**
 * Parse a hostfile as SCOOP reads it, one host per line:
 *
 * - `hostname` alone: as many workers as it has cores;
 * - `hostname 8` or `hostname workers=8` (SCOOP's documented form; any
 *   `word=8` is read the same): 8 workers; `0` means its cores, as in SCOOP;
 * - extra columns are ignored (`host 2 3 4` → 2, `host X 2` → 2: the first
 *   count after the name wins), but a line whose columns hold no count at all
 *   (`host four`) is refused, as are counts that cannot be one (`-2`, `2.5`,
 *   `workers=x`);
 * - a SLURM node list (`node[01-04] 2`) expands to one entry per node;
 * - `#` starts a comment; blank lines are ignored; a host listed twice adds up.
 *
 * @throws {ScoopError} `SCOOP_BAD_HOSTS` naming the file, the line and what was expected.
 */
export function parseHostfile(text: string, name = "hostfile"): HostSlots[] {
  const hosts: HostSlots[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") return;
    const where = `${name} line ${i + 1} (${JSON.stringify(raw.trim())})`;
    const [first, ...columns] = line.split(/\s+/);
    const names = /[[\]]/.test(first) ? parseSlurmNodelist(first) : [first];
    for (const host of names) hostName(host, where);
    let slots: number | undefined;
    let found = false;
    for (const column of columns) {
      const m = COUNT.exec(column);
      if (m) {
        const n = Number(m[1]);
        if (!Number.isSafeInteger(n)) break;
        slots = n === 0 ? undefined : n;
        found = true;
        break;
      }
      if (BAD_COUNT.test(column)) throw badHosts(`${where}: the worker count must be a whole number of workers, as in "node01 8" or "node01 workers=8" (got ${JSON.stringify(column)})`);
    }
    if (!found && columns.length > 0) throw badHosts(`${where}: expected "hostname [workers]", e.g. "node01 8" or "node01 workers=8", or the host name alone for all its cores`);
    for (const host of names) hosts.push(slots === undefined ? { host } : { host, slots });
  });
  if (hosts.length === 0) throw badHosts(`${name} lists no host`);
  return mergeHosts(hosts);
}

/** Parse `--hosts` values: `a b c` or `a:4`; repeats add up. */
export function parseHostList(values: readonly string[]): HostSlots[] {
  const hosts = values.flatMap((v) => v.split(/[\s,]+/)).filter(Boolean).map((entry) => {
    const m = /^(.+?)(?::(\d+))?$/.exec(entry)!;
    return m[2] === undefined ? { host: m[1] } : { host: m[1], slots: Number(m[2]) };
  });
  if (hosts.length === 0) throw badHosts("--hosts lists no host");
  return mergeHosts(hosts);
}

/** A host and how many workers it runs. */
export interface HostPlan {
  host: string;
  workers: number;
}

/**
 * Spread `n` workers over hosts as SCOOP does: fill each host's slots in
 * order (a host without a count has `coresOf(host)` slots); more workers than
 * slots go round-robin over the hosts. Without `n`, every slot gets one.
 * Hosts that get no worker are left out.
 */
export function distributeWorkers(hosts: readonly HostSlots[], n: number | undefined, coresOf: (host: string) => number): HostPlan[] {
  const slots = hosts.map((h) => h.slots ?? coresOf(h.host));
  const total = slots.reduce((a, b) => a + b, 0);
  const want = n ?? total;
  if (!Number.isSafeInteger(want) || want < 1) throw new ScoopError("SCOOP_INVALID_OPTION", `the number of workers must be a positive integer (got ${want})`);
  const plan = hosts.map((h) => ({ host: h.host, workers: 0 }));
  let left = want;
  for (let i = 0; i < plan.length && left > 0; i++) {
    const take = Math.min(slots[i], left);
    plan[i].workers = take;
    left -= take;
  }
  for (let i = 0; left > 0; i = (i + 1) % plan.length, left--) plan[i].workers++;
  return plan.filter((p) => p.workers > 0);
}
