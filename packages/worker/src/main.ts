/**
 * `scoop-worker`: join a broker and run tasks (or, with --origin, the program).
 * The launcher starts these; operators start them by hand or in images.
 */
import { createRequire } from "node:module";
import { constants as osConstants } from "node:os";
import type Yargs from "yargs";
import { ScoopError, curveClientOptions, readServerKey } from "@scoop/protocol";
import { parseCommandLine } from "@scoop/protocol/internal";
import { startWorker, type ScoopWorker } from "./worker.js";
import { parseSecrets, readLine } from "./curve.js";

// yargs' ESM build wraps help text mid-word (its cliui shim has no word
// wrapping); its CommonJS build wraps at word boundaries.
const yargs = createRequire(import.meta.url)("yargs") as typeof Yargs;

/** Run the CLI with these arguments; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  let verbose = false;
  let worker: ScoopWorker | undefined;
  let stopping = false;
  /** Leave the broker (so nothing waits for this worker's liveness timeout), then exit with `code`. */
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    void Promise.resolve(worker?.close()).finally(() => process.exit(code));
  };
  const onSignal = (signal: NodeJS.Signals) => stop(128 + (osConstants.signals[signal] ?? 2));
  // The reader of our output went away (`scoop … | head` closes the origin's
  // stdout): stop as a SIGPIPE would, without an unhandled EPIPE.
  for (const [name, stream] of [["stdout", process.stdout], ["stderr", process.stderr]] as const) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (stopping) return;
      if (name === "stdout") process.stderr.write(`scoop-worker: stdout was closed by its reader (${error.code ?? error.message}); the worker stops\n`);
      stop(128 + osConstants.signals.SIGPIPE);
    });
  }
  try {
    const parser = yargs(argv)
      .scriptName("scoop-worker")
      .usage("$0 --broker ENDPOINT [--module FILE]... [--origin SCRIPT [-- ARGS...]]")
      .option("broker", { type: "string", demandOption: true, describe: "Broker endpoint, e.g. tcp://head:5555" })
      .option("module", { type: "string", array: true, default: [] as string[], describe: "Module whose exported functions become tasks (repeatable)" })
      .option("compiled", { type: "string", describe: "The script compiled to JavaScript (the launcher does it once per run), imported in its place" })
      .option("origin", { type: "boolean", default: false, describe: "Run the script's main (one worker per run)" })
      .option("id", { type: "string", describe: "Unique worker id (default host:pid)" })
      .option("app", { type: "string", describe: "Run or application id (default \"default\": serve every app of a daemon broker)" })
      .option("reconnect", { type: "boolean", describe: "When the broker is lost, join again with backoff instead of exiting (default: on, unless --app or --origin is given, as the launcher does)" })
      .option("server-key", { type: "string", describe: "The broker's CURVE public key: its broker.pub file (or the z85 key); this worker makes its own keypair" })
      .option("max-tasks", { type: "number", describe: "Leave after this many tasks, with exit code 75 (the launcher starts a fresh worker)" })
      .option("max-memory-mb", { type: "number", describe: "Leave once resident memory passes this many MB, with exit code 75" })
      .option("stuck-grace-ms", { type: "number", describe: "End this worker when a task its owner gave up on (deadline, cancel) still holds it this long in synchronous code; 0: never (default 2000, 0 with --reconnect)" })
      .option("secrets-stdin", { type: "boolean", default: false, describe: "Read CURVE keys as one JSON line on standard input: {\"curveServerKey\",\"curvePublicKey\",\"curveSecretKey\"}" })
      .option("verbose", { alias: "v", type: "boolean", default: false, describe: "Log more (info level)" })
      .option("debug", { type: "boolean", default: false, describe: "Log everything (debug level)" })
      .example("$0 --broker tcp://head:5555 --module ./tasks.js", "serve the tasks of tasks.js")
      .example("$0 --broker tcp://head:5555 --server-key broker.pub --module ./tasks.js", "the same, to a CURVE broker");
    const args = await parseCommandLine(parser, "scoop-worker");
    if (args.help || args.version) return 0;
    verbose = args.verbose || args.debug;
    if (args.debug) process.env.SCOOP_LOG_LEVEL = "debug";
    else if (args.verbose) process.env.SCOOP_LOG_LEVEL = "info";
    const [script, ...scriptArgs] = args._.map(String);
    if (args["server-key"] !== undefined && args["secrets-stdin"]) throw new ScoopError("SCOOP_USAGE", "give --server-key or --secrets-stdin, not both");
    const curve = args["secrets-stdin"] ? parseSecrets(await readLine(process.stdin)) : args["server-key"] !== undefined ? curveClientOptions(readServerKey(args["server-key"])) : undefined;
    // A worker started by hand for a daemon broker outlives broker restarts; a
    // worker of one run (the launcher passes --app, and --origin to one) ends with it.
    const reconnect = args.reconnect ?? (args.app === undefined && !args.origin);
    worker = await startWorker({
      broker: args.broker,
      script,
      compiledScript: args.compiled,
      modules: args.module,
      origin: args.origin,
      argv: scriptArgs,
      id: args.id,
      app: args.app,
      curve,
      reconnect,
      maxTasks: args["max-tasks"],
      maxMemoryMb: args["max-memory-mb"],
      stuckGraceMs: args["stuck-grace-ms"],
    });
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const code = await worker.done;
    await worker.close();
    return code;
  } catch (error) {
    if (error instanceof ScoopError && !verbose) process.stderr.write(`scoop-worker: ${error.message}\n`);
    else process.stderr.write(`scoop-worker: ${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  }
}
