/**
 * The shape of a batch scheduler SCOOP runs inside: how to tell it is there,
 * which hosts its allocation holds, and how its own remote-exec tool starts a
 * command on one of them. Each scheduler is one file in this folder built with
 * {@link defineScheduler}; `registry.ts` lists them.
 */
import { readFileSync } from "node:fs";
import type { HostSlots } from "../host-slots.js";

/** Reads a file the environment names (a node file), as text. */
export type ReadFile = (path: string) => string;

/** The {@link ReadFile} of a real run: the file's UTF-8 text. */
export const readText: ReadFile = (path) => readFileSync(path, "utf8");

/** One batch scheduler: `name` for plans and errors, `launcher` its remote-exec tool (a `--launcher` value). */
export interface SchedulerAdapter<Name extends string = string, Launcher extends string = string> {
  /** Short name, shown upper-cased in plans (`the SLURM allocation`). */
  readonly name: Name;
  /** Its remote-exec tool, also the `--launcher` value that picks it (`srun`). */
  readonly launcher: Launcher;
  /** True when `env` says this process runs inside one of its allocations. */
  detect(env: NodeJS.ProcessEnv): boolean;
  /**
   * Hosts of the allocation, with their slots.
   * @throws {ScoopError} `SCOOP_BAD_HOSTS` naming the variable or file and what was expected.
   */
  hosts(env: NodeJS.ProcessEnv, read: ReadFile): HostSlots[];
  /**
   * The argv that runs `shellCommand` (a POSIX shell command) on `host`
   * inside the allocation; `stdin`: whether the worker reads its standard input.
   */
  command(host: string, shellCommand: string, options: { stdin: boolean }): string[];
  /** Whether the tool forwards standard input to the remote command (needed to hand CURVE keys to workers). */
  readonly forwardsStdin: boolean;
}

/** An adapter with its name and tool kept as literal types (so the registry yields the `Scheduler` union). */
export function defineScheduler<const Name extends string, const Launcher extends string>(adapter: SchedulerAdapter<Name, Launcher>): SchedulerAdapter<Name, Launcher> {
  return Object.freeze(adapter);
}
