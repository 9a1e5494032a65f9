/**
 * A program that `connect()`s or `start()`s and forgets to close: ZeroMQ
 * sockets cannot be unref'd, so without this the process would never exit.
 * Once nothing but SCOOP keeps the process alive and no task is in flight,
 * the connection (or cluster) is closed with a warning saying what to add,
 * and the process ends as it would have without SCOOP.
 */

/** How often the program is looked at; it must look done three times in a row. */
const CHECK_MS = 1000;

/** What {@link watchForgottenClose} needs to know and do. */
export interface ForgottenCloseOptions {
  /** True while no task of this process is in flight. */
  idle(): boolean;
  /** Close what was forgotten. */
  close(): Promise<unknown>;
  /** What was left open and how to close it, for the warning. */
  advice: string;
}

/** libuv's name of the handle behind a stdio stream (e.g. `PipeWrap`), if it has one. */
function handleType(stream: NodeJS.WriteStream): string | undefined {
  const name = (stream as { _handle?: { constructor?: { name?: string } } })._handle?.constructor?.name;
  return name === undefined ? undefined : name === "TCP" ? "TCPSocketWrap" : `${name}Wrap`;
}

/**
 * What keeps the event loop alive for the program itself: Node lists every
 * ref'd handle, and `process.stdout`/`stderr` (a pipe or a TTY) stay listed
 * although they never hold the process.
 */
function programResources(): string[] {
  const list = process.getActiveResourcesInfo();
  for (const stream of [process.stdout, process.stderr]) {
    const at = list.indexOf(handleType(stream) ?? "");
    if (at >= 0) list.splice(at, 1);
  }
  return list;
}

/**
 * Watch for the program being done while the connection is still open.
 * Nothing SCOOP keeps in the event loop is listed by
 * `process.getActiveResourcesInfo()` (ZeroMQ's handles are not; its threads,
 * child processes and timers are unref'd), so an empty list means the program
 * itself has nothing left to wait for. A REPL's input, a server's socket or a
 * pending timer of the program all show there.
 * @returns stop watching (on close)
 */
export function watchForgottenClose(options: ForgottenCloseOptions): () => void {
  let strikes = 0;
  const timer = setInterval(() => {
    if (!options.idle() || programResources().length > 0) {
      strikes = 0;
      return;
    }
    if (++strikes < 3) return;
    clearInterval(timer);
    // One line, like the serial fallback's warning (process.emitWarning adds "Use node --trace-warnings").
    process.stderr.write(`scoop: warning: the program has nothing left to do, but ${options.advice} [SCOOP_NOT_CLOSED]\n`);
    void options.close().catch(() => undefined);
  }, CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
