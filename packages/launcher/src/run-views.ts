/**
 * The views `scoop` can open on its run, all fed by the broker's event
 * stream and snapshot: the Chrome trace (`--trace FILE`), the dashboard
 * (`--dashboard[=PORT]`) and the progress lines (`--progress`).
 */
import type { Logger } from "pino";
import type { Broker, Dashboard, TraceWriter } from "@scoop/broker";
import type { ScoopEvent } from "@scoop/protocol";

/** What to show of a run. */
export interface RunViewOptions {
  /** Write the run as Chrome Trace Event JSON to this file. */
  trace?: string;
  /** Serve the dashboard on this port (0: a free one). */
  dashboard?: number;
  /**
   * Progress lines on stderr: `true` always (plain lines when stderr is not a
   * terminal), `false` never. @default on when stderr is a terminal
   */
  progress?: boolean;
}

/** Open views; `close()` finishes them (the trace file is complete once it resolves). */
export interface RunViews {
  close(): Promise<void>;
}

/**
 * True when progress lines will be redrawn on a terminal: then the origin's
 * output goes through this process too (not straight to the terminal), so
 * the lines never overwrite it.
 */
export function drawsLiveProgress(progress: boolean | undefined): boolean {
  return progress !== false && process.stderr.isTTY === true;
}

/** Open the views asked for on `broker`. */
export async function openRunViews(broker: Broker, options: RunViewOptions, log: Logger): Promise<RunViews> {
  let trace: TraceWriter | undefined;
  let onEvent: ((e: ScoopEvent) => void) | undefined;
  // The broker's views load only for runs that use them.
  const views = options.trace !== undefined || options.dashboard !== undefined ? await import("@scoop/broker") : undefined;
  if (options.trace !== undefined) {
    const writer = (trace = new views!.TraceWriter(options.trace));
    broker.on("event", (onEvent = (e) => writer.record(e)));
  }
  let dashboard: Dashboard | undefined;
  if (options.dashboard !== undefined) {
    dashboard = await views!.startDashboard(broker, { port: options.dashboard });
    process.stderr.write(`scoop: dashboard: ${dashboard.url}\n`);
  }
  const wanted = options.progress ?? process.stderr.isTTY === true;
  // Loaded only when drawn: its terminal helpers (node:readline) cost ~3 ms before the first worker's spawn.
  const progress = wanted ? new (await import("./progress.js")).ProgressView(() => broker.snapshot().maps) : undefined;
  let closing: Promise<void> | undefined;
  return {
    close: () =>
      (closing ??= (async () => {
        progress?.stop();
        if (onEvent) broker.off("event", onEvent);
        await Promise.all([
          trace?.close().then(
            () => log.info({ file: options.trace }, "trace written"),
            (error) => log.error({ err: error, file: options.trace }, "could not write the trace"),
          ),
          dashboard?.close(),
        ]);
      })()),
  };
}
