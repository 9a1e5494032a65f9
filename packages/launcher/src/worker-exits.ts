/**
 * How a worker process ended, said to people. A process that runs out of
 * memory aborts (SIGABRT) like any other fatal error, so the run's local
 * workers write Node's fatal-error report into a private directory, and the
 * launcher reads its trigger to say "ran out of memory" instead.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LocalWorker } from "./local-workers.js";
import type { LaunchedWorker } from "./worker-spec.js";

/** `, pid N` for a local worker process, else nothing. */
export function pidOf(worker: LaunchedWorker): string {
  const pid = (worker as Partial<LocalWorker>).child?.pid;
  return pid === undefined ? "" : `, pid ${pid}`;
}

/** Node's fatal-error reports of the run's local workers, in a private (0700) directory until {@link close}. */
export class FatalReports {
  private readonly dir: string;
  /** Node options of a local worker: on a fatal error, write a compact report (it includes the environment: hence the private directory). */
  readonly nodeArgs: readonly string[];

  /** @param privateDir the run's own private directory (its Unix socket's), if it has one: one directory less to leave behind */
  constructor(privateDir?: string) {
    this.dir = privateDir === undefined ? mkdtempSync(join(tmpdir(), "scoop-reports-")) : join(privateDir, "reports");
    if (privateDir !== undefined) mkdirSync(this.dir, { mode: 0o700 });
    this.nodeArgs = ["--report-on-fatalerror", "--report-compact", `--report-directory=${this.dir}`];
  }

  /** What ended process `pid`, from its report (`undefined`: it wrote none). */
  event(pid: number): { outOfMemory: boolean; event: string } | undefined {
    try {
      // report.<date>.<time>.<pid>.<thread>.<sequence>.json
      const name = readdirSync(this.dir).find((f) => f.split(".")[3] === String(pid));
      if (name === undefined) return undefined;
      const header = (JSON.parse(readFileSync(join(this.dir, name), "utf8")) as { header?: { trigger?: string; event?: string } }).header;
      return { outOfMemory: header?.trigger === "OOMError", event: header?.event ?? "a fatal error" };
    } catch {
      return undefined;
    }
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** How `worker` ended, to follow its name: `ran out of memory (…)`, `was killed by SIGKILL`, `exited with code 3`. */
export function howItEnded(worker: LaunchedWorker, exit: { code: number; signal: NodeJS.Signals | null }, reports?: FatalReports): string {
  const pid = (worker as Partial<LocalWorker>).child?.pid;
  const report = pid === undefined ? undefined : reports?.event(pid);
  if (report?.outOfMemory) return `ran out of memory (${report.event}; give Node more with NODE_OPTIONS=--max-old-space-size=MB, or keep less per task)`;
  if (report) return `ended on a fatal error (${report.event})`;
  return exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

/**
 * How the run ends when its origin ended without ending it itself (`exit`;
 * `inFlight` tasks dropped): the one line that says why, if any, and the
 * run's exit code. `stuckTask`: the origin ended itself, stuck in that task.
 */
export function originEnd(origin: LaunchedWorker, exit: { code: number; signal: NodeJS.Signals | null }, inFlight: number, stuckTask?: string, reports?: FatalReports): { line?: string; code: number } {
  const which = `worker ${origin.id} on ${origin.host}${pidOf(origin)}`;
  const dropped = `${inFlight} task(s) were in flight and are dropped`;
  if (stuckTask !== undefined) {
    return { code: 1, line: `task "${stuckTask}" held the origin's thread (${which}) past its deadline and its grace (--stuck-grace-ms): a synchronous task cannot be interrupted, and main runs on that thread, so main cannot go on; ${dropped}; the run stops with exit code 1. Run with -n 2 or more (tasks with a deadline then run off the origin), or make the task return` };
  }
  if (exit.signal === null) return { code: exit.code };
  return { code: exit.code, line: `the origin (${which}) ${howItEnded(origin, exit, reports)}: main did not finish; ${dropped}; the run stops with exit code ${exit.code}` };
}
