/**
 * Where workers run: hosts from `--hosts`, a hostfile, or the allocation of a
 * batch scheduler (SLURM, PBS/Torque, SGE, LSF), and how `-n` workers are
 * spread over them.
 */
import { readFileSync } from "node:fs";
import { ScoopError } from "@scoop/protocol";

/** A host and how many workers it should run (`undefined`: as many as it has cores). */
export interface HostSlots {
  host: string;
  slots?: number;
}

/** Batch schedulers SCOOP reads allocations from. */
export type Scheduler = "slurm" | "pbs" | "sge" | "lsf";

/** Where a host list came from, for `--verbose` plans and errors. */
export interface HostPlanSource {
  kind: "local" | "hosts" | "hostfile" | Scheduler;
  detail?: string;
}

function badInput(what: string): ScoopError {
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
function hostName(name: string, where: string): string {
  if (name === "" || NOT_A_HOST.test(name)) throw badInput(`${where}: ${JSON.stringify(name)} is not a host name (expected a name or address such as node01 or 10.0.0.7)`);
  return name;
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
      if (BAD_COUNT.test(column)) throw badInput(`${where}: the worker count must be a whole number of workers, as in "node01 8" or "node01 workers=8" (got ${JSON.stringify(column)})`);
    }
    if (!found && columns.length > 0) throw badInput(`${where}: expected "hostname [workers]", e.g. "node01 8" or "node01 workers=8", or the host name alone for all its cores`);
    for (const host of names) hosts.push(slots === undefined ? { host } : { host, slots });
  });
  if (hosts.length === 0) throw badInput(`${name} lists no host`);
  return mergeHosts(hosts);
}

/** Parse `--hosts` values: `a b c` or `a:4`; repeats add up. */
export function parseHostList(values: readonly string[]): HostSlots[] {
  const hosts = values.flatMap((v) => v.split(/[\s,]+/)).filter(Boolean).map((entry) => {
    const m = /^(.+?)(?::(\d+))?$/.exec(entry)!;
    return m[2] === undefined ? { host: m[1] } : { host: m[1], slots: Number(m[2]) };
  });
  if (hosts.length === 0) throw badInput("--hosts lists no host");
  return mergeHosts(hosts);
}

/** Split on commas that are not inside brackets. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "[") depth++;
    else if (c === "]") depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
    if (depth < 0) throw badInput(`unbalanced "]" in SLURM node list ${JSON.stringify(text)}`);
  }
  if (depth !== 0) throw badInput(`unbalanced "[" in SLURM node list ${JSON.stringify(text)}`);
  parts.push(text.slice(start));
  return parts.filter((p) => p !== "");
}

/** Expand one bracket range list: `01-04,07` → `01 02 03 04 07` (zero padding kept). */
function expandRanges(ranges: string, whole: string): string[] {
  return ranges.split(",").flatMap((range) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(range.trim());
    if (!m) throw badInput(`bad range ${JSON.stringify(range)} in SLURM node list ${JSON.stringify(whole)}`);
    if (m[2] === undefined) return [m[1]];
    const [lo, hi] = [Number(m[1]), Number(m[2])];
    if (hi < lo) throw badInput(`descending range ${JSON.stringify(range)} in SLURM node list ${JSON.stringify(whole)}`);
    const width = m[1].length;
    return Array.from({ length: hi - lo + 1 }, (_, i) => String(lo + i).padStart(width, "0"));
  });
}

/** Expand a SLURM node list: `node[01-04,07],gpu[1-2]` → node01…node04, node07, gpu1, gpu2. Several bracket groups in one name multiply. */
export function parseSlurmNodelist(list: string): string[] {
  return splitTopLevel(list.trim()).flatMap((part) => {
    let names = [""];
    const re = /([^[\]]*)(?:\[([^\]]*)\])?/g;
    for (let m = re.exec(part); m !== null && m[0] !== ""; m = re.exec(part)) {
      const prefix = m[1];
      const suffixes = m[2] === undefined ? [""] : expandRanges(m[2], list);
      names = names.flatMap((n) => suffixes.map((s) => n + prefix + s));
    }
    return names;
  });
}

/** Expand SLURM_TASKS_PER_NODE: `2(x3),1` → [2, 2, 2, 1]. */
export function parseSlurmTasksPerNode(value: string): number[] {
  return value.split(",").flatMap((item) => {
    const m = /^\s*(\d+)(?:\(x(\d+)\))?\s*$/.exec(item);
    if (!m) throw badInput(`bad SLURM_TASKS_PER_NODE item ${JSON.stringify(item)} in ${JSON.stringify(value)}`);
    return Array(m[2] === undefined ? 1 : Number(m[2])).fill(Number(m[1]));
  });
}

/** Hosts of a SLURM allocation. */
export function slurmHosts(env: NodeJS.ProcessEnv): HostSlots[] {
  const list = env.SLURM_JOB_NODELIST ?? env.SLURM_NODELIST;
  if (!list) throw badInput("SLURM_JOB_NODELIST is not set: run inside a SLURM allocation (sbatch or salloc)");
  const nodes = parseSlurmNodelist(list);
  const perNode = env.SLURM_TASKS_PER_NODE ? parseSlurmTasksPerNode(env.SLURM_TASKS_PER_NODE) : [];
  if (perNode.length > 0 && perNode.length !== nodes.length) {
    throw badInput(`SLURM_TASKS_PER_NODE (${env.SLURM_TASKS_PER_NODE}) names ${perNode.length} nodes but SLURM_JOB_NODELIST (${list}) has ${nodes.length}`);
  }
  return nodes.map((host, i) => ({ host, slots: perNode[i] }));
}

/**
 * Hosts of a PBS/Torque allocation: PBS_NODEFILE names one host per slot,
 * separated by any whitespace (one per line, or several on one line as in
 * SCOOP's own test fixture).
 */
export function pbsHosts(env: NodeJS.ProcessEnv, read = (p: string) => readFileSync(p, "utf8")): HostSlots[] {
  if (!env.PBS_NODEFILE) throw badInput("PBS_NODEFILE is not set: run inside a PBS job");
  const hosts: HostSlots[] = [];
  read(env.PBS_NODEFILE).split(/\r?\n/).forEach((line, i) => {
    for (const host of line.trim().split(/\s+/).filter(Boolean)) hosts.push({ host: hostName(host, `PBS_NODEFILE ${env.PBS_NODEFILE} line ${i + 1}`), slots: 1 });
  });
  if (hosts.length === 0) throw badInput(`PBS_NODEFILE ${env.PBS_NODEFILE} lists no host`);
  return mergeHosts(hosts);
}

/** Hosts of an SGE allocation: PE_HOSTFILE lines are `host slots queue processors`. */
export function sgeHosts(env: NodeJS.ProcessEnv, read = (p: string) => readFileSync(p, "utf8")): HostSlots[] {
  if (!env.PE_HOSTFILE) throw badInput("PE_HOSTFILE is not set: run inside an SGE parallel environment");
  const hosts = read(env.PE_HOSTFILE).split(/\r?\n/).map((l) => l.trim()).filter(Boolean).map((line, i) => {
    const [host, slots] = line.split(/\s+/);
    const n = Number(slots);
    if (!host || !Number.isSafeInteger(n) || n < 1) throw badInput(`PE_HOSTFILE line ${i + 1}: expected "host slots queue processors" (got ${JSON.stringify(line)})`);
    return { host, slots: n };
  });
  return mergeHosts(hosts);
}

/** Hosts of an LSF allocation: LSB_MCPU_HOSTS is `host1 n1 host2 n2 …`. */
export function lsfHosts(env: NodeJS.ProcessEnv): HostSlots[] {
  const value = env.LSB_MCPU_HOSTS;
  if (!value) throw badInput("LSB_MCPU_HOSTS is not set: run inside an LSF job");
  const fields = value.trim().split(/\s+/);
  if (fields.length % 2 !== 0) throw badInput(`LSB_MCPU_HOSTS must alternate hosts and counts (got ${JSON.stringify(value)})`);
  const hosts: HostSlots[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const n = Number(fields[i + 1]);
    if (!Number.isSafeInteger(n) || n < 1) throw badInput(`LSB_MCPU_HOSTS: bad count ${JSON.stringify(fields[i + 1])} for ${fields[i]}`);
    hosts.push({ host: fields[i], slots: n });
  }
  return mergeHosts(hosts);
}

/** The batch scheduler whose allocation this process runs in, if any. */
export function detectScheduler(env: NodeJS.ProcessEnv): Scheduler | undefined {
  if (env.SLURM_JOB_NODELIST || env.SLURM_NODELIST) return "slurm";
  if (env.PBS_NODEFILE) return "pbs";
  if (env.PE_HOSTFILE) return "sge";
  if (env.LSB_MCPU_HOSTS) return "lsf";
  return undefined;
}

/** Hosts of the allocation of `scheduler`. */
export function schedulerHosts(scheduler: Scheduler, env: NodeJS.ProcessEnv): HostSlots[] {
  switch (scheduler) {
    case "slurm":
      return slurmHosts(env);
    case "pbs":
      return pbsHosts(env);
    case "sge":
      return sgeHosts(env);
    case "lsf":
      return lsfHosts(env);
  }
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
