/**
 * SLURM: the allocation is `SLURM_JOB_NODELIST` (compressed node list) with
 * `SLURM_TASKS_PER_NODE`; workers start as `srun` job steps.
 */
import { badHosts, type HostSlots } from "../host-slots.js";
import { defineScheduler } from "./adapter.js";

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
    if (depth < 0) throw badHosts(`unbalanced "]" in SLURM node list ${JSON.stringify(text)}`);
  }
  if (depth !== 0) throw badHosts(`unbalanced "[" in SLURM node list ${JSON.stringify(text)}`);
  parts.push(text.slice(start));
  return parts.filter((p) => p !== "");
}

/** Expand one bracket range list: `01-04,07` → `01 02 03 04 07` (zero padding kept). */
function expandRanges(ranges: string, whole: string): string[] {
  return ranges.split(",").flatMap((range) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(range.trim());
    if (!m) throw badHosts(`bad range ${JSON.stringify(range)} in SLURM node list ${JSON.stringify(whole)}`);
    if (m[2] === undefined) return [m[1]];
    const [lo, hi] = [Number(m[1]), Number(m[2])];
    if (hi < lo) throw badHosts(`descending range ${JSON.stringify(range)} in SLURM node list ${JSON.stringify(whole)}`);
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
    if (!m) throw badHosts(`bad SLURM_TASKS_PER_NODE item ${JSON.stringify(item)} in ${JSON.stringify(value)}`);
    return Array(m[2] === undefined ? 1 : Number(m[2])).fill(Number(m[1]));
  });
}

/** Hosts of a SLURM allocation. */
export function slurmHosts(env: NodeJS.ProcessEnv): HostSlots[] {
  const list = env.SLURM_JOB_NODELIST ?? env.SLURM_NODELIST;
  if (!list) throw badHosts("SLURM_JOB_NODELIST is not set: run inside a SLURM allocation (sbatch or salloc)");
  const nodes = parseSlurmNodelist(list);
  const perNode = env.SLURM_TASKS_PER_NODE ? parseSlurmTasksPerNode(env.SLURM_TASKS_PER_NODE) : [];
  if (perNode.length > 0 && perNode.length !== nodes.length) {
    throw badHosts(`SLURM_TASKS_PER_NODE (${env.SLURM_TASKS_PER_NODE}) names ${perNode.length} nodes but SLURM_JOB_NODELIST (${list}) has ${nodes.length}`);
  }
  return nodes.map((host, i) => ({ host, slots: perNode[i] }));
}

/**
 * SLURM. Each worker is one job step:
 * `srun --nodes=1 --ntasks=1 --nodelist=HOST --overlap --mem=0 --kill-on-bad-exit=0 --quiet /bin/sh -c CMD`;
 * `--overlap` (SLURM ≥ 20.11) lets the steps share the allocation's CPUs,
 * `--mem=0` its memory; `--input=none` when nothing is sent on standard input.
 */
export const slurm = defineScheduler({
  name: "slurm",
  launcher: "srun",
  detect: (env) => Boolean(env.SLURM_JOB_NODELIST || env.SLURM_NODELIST),
  hosts: (env) => slurmHosts(env),
  command: (host, shellCommand, { stdin }) => [
    "srun",
    "--nodes=1",
    "--ntasks=1",
    `--nodelist=${host}`,
    "--overlap",
    "--mem=0",
    "--kill-on-bad-exit=0",
    "--quiet",
    ...(stdin ? [] : ["--input=none"]),
    "/bin/sh",
    "-c",
    shellCommand,
  ],
  forwardsStdin: true,
});
