/**
 * Every batch scheduler SCOOP runs inside. Adding one: a new file in this
 * folder (see `slurm.ts`: detect, hosts, command, forwardsStdin) and its line
 * in {@link SCHEDULERS}; plans, `--launcher` choices and worker start-up pick
 * it up from here.
 */
import type { HostSlots } from "../host-slots.js";
import { readText, type ReadFile, type SchedulerAdapter } from "./adapter.js";
import { lsf } from "./lsf.js";
import { pbs } from "./pbs.js";
import { sge } from "./sge.js";
import { slurm } from "./slurm.js";

/** The batch schedulers, in detection order: the first whose `detect` is true is the allocation this runs in. */
export const SCHEDULERS = [slurm, pbs, sge, lsf] as const;

/** Batch schedulers SCOOP reads allocations from. */
export type Scheduler = (typeof SCHEDULERS)[number]["name"];

/** Launchers that are a batch scheduler's remote-exec tool. */
export type SchedulerLauncher = (typeof SCHEDULERS)[number]["launcher"];

/** The adapter named `name`. */
export function schedulerNamed(name: Scheduler): SchedulerAdapter<Scheduler, SchedulerLauncher> {
  return SCHEDULERS.find((s) => s.name === name)!;
}

/** The adapter whose remote-exec tool is `launcher`, if any. */
export function schedulerOfLauncher(launcher: string): SchedulerAdapter<Scheduler, SchedulerLauncher> | undefined {
  return SCHEDULERS.find((s) => s.launcher === launcher);
}

/** The batch scheduler whose allocation this process runs in, if any. */
export function detectScheduler(env: NodeJS.ProcessEnv): Scheduler | undefined {
  return SCHEDULERS.find((s) => s.detect(env))?.name;
}

/** Hosts of the allocation of `scheduler`; `read` reads its node file where it has one (default: the file's UTF-8 text). */
export function schedulerHosts(scheduler: Scheduler, env: NodeJS.ProcessEnv, read: ReadFile = readText): HostSlots[] {
  return schedulerNamed(scheduler).hosts(env, read);
}
