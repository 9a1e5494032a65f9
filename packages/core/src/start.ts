/**
 * `start()` a local cluster (a broker and worker processes, through
 * `@scoop/launcher`) and connect this process to it.
 */
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Logger } from "pino";
import { ScoopError } from "@scoop/protocol";
import { connectWatched, refuseIfConnected, type ScoopConnection } from "./connect.js";
import { resolveStartOptions, type StartOptions } from "./options.js";
import { registerModule, runtime } from "./runtime.js";

/** A local cluster started by {@link start}. */
export interface ScoopCluster {
  /** The broker's endpoint (loopback). */
  readonly broker: string;
  /** Number of workers. */
  readonly workers: number;
  /** Stop the workers and the broker; nothing is left running. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * What {@link start} needs of `@scoop/launcher`: its `startCluster()`. The
 * launcher is core's optional peer dependency (package.json:
 * `peerDependenciesMeta`), loaded by name when `start()` runs, never imported:
 * it depends on the worker, which depends on core. packages/launcher/src/cluster.ts
 * holds its `startCluster` to this type (`satisfies LauncherModule["startCluster"]`),
 * so a change on either side fails the typecheck. For `@scoop/launcher`; apps
 * do not need it.
 */
export interface LauncherModule {
  /** Start a broker in the calling process and `workers` worker processes loading `modules`; resolves once every worker joined. */
  startCluster(options: { workers?: number; modules: string[]; logger?: Logger }): Promise<{ endpoint: string; app: string; workers: number; close(): Promise<void> }>;
}

async function loadLauncher(): Promise<LauncherModule> {
  // Resolved from the app (not from core): the launcher is the app's optional dependency.
  const name = "@scoop/launcher";
  let path: string = name;
  try {
    path = createRequire(join(process.cwd(), "index.js")).resolve(name);
  } catch {
    /* fall back to core's own resolution */
  }
  try {
    return (await import(path.startsWith("/") ? pathToFileURL(path).href : path)) as LauncherModule;
  } catch (error) {
    throw new ScoopError("SCOOP_LAUNCHER_MISSING", "start() needs the @scoop/launcher package: install it next to @scoop/core (npm install @scoop/launcher)", { cause: error });
  }
}

let cluster: ScoopCluster | undefined;

/**
 * Start a local cluster (a broker and `workers` worker processes loading
 * `modules`) and connect this process to it, for servers, notebooks and
 * tests where no launcher wraps the program.
 *
 * ```ts
 * await scoop.start({ workers: 4, modules: [new URL("./tasks.js", import.meta.url)] });
 * console.log(await futures.map(square, [1, 2, 3]));
 * await scoop.stop();
 * ```
 */
export async function start(options: StartOptions): Promise<ScoopCluster> {
  if (cluster) throw new ScoopError("SCOOP_ALREADY_STARTED", "a local cluster is already running in this process: stop() it first");
  // Before any worker starts: under the launcher this would start a cluster only to refuse it.
  refuseIfConnected("start()");
  const o = resolveStartOptions(options);
  runtime.managed = true;
  // The tasks must be registered here too, under the same names the workers use.
  for (const m of o.modules) {
    const url = m.startsWith("/") ? pathToFileURL(m).href : /^[a-z]+:/i.test(m) ? m : pathToFileURL(resolve(m)).href;
    registerModule((await import(url)) as Record<string, unknown>);
  }
  const launcher = await loadLauncher();
  const running = await launcher.startCluster({ workers: o.workers, modules: o.modules, logger: o.logger });
  let stopping: Promise<void> | undefined;
  let conn: ScoopConnection;
  try {
    const advice = `its local cluster (${running.workers} workers) is still running: call \`await scoop.stop()\` when done (stopped now so the process can exit)`;
    conn = await connectWatched({ broker: running.endpoint, app: running.app, logger: o.logger, seed: o.seed }, () => ({ close: () => stop(), advice }));
  } catch (error) {
    await running.close();
    throw error;
  }
  const stop = () =>
    (stopping ??= (async () => {
      try {
        await conn.close();
      } finally {
        await running.close();
        cluster = undefined;
      }
    })());
  cluster = { broker: running.endpoint, workers: running.workers, stop, [Symbol.asyncDispose]: stop };
  return cluster;
}

/** Stop the cluster started by {@link start}, if any. */
export async function stop(): Promise<void> {
  await cluster?.stop();
}
