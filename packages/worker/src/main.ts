/**
 * `scoop-worker`: join a broker and run tasks (or, with --origin, the program).
 * The launcher starts these; operators start them by hand or in images.
 */
import { createRequire } from "node:module";
import { constants as osConstants } from "node:os";
import type Yargs from "yargs";
import type { Options } from "yargs";
import { ScoopError, curveClientOptions, readServerKey } from "@scoop/protocol";
import { parseCommandLine, quickParse as parsePlain } from "@scoop/protocol/internal";
import { startWorker, type ScoopWorker } from "./worker.js";
import { parseSecrets, readLine } from "./curve.js";

/** The flags of `scoop-worker`, for yargs and for {@link quickParse}. */
const FLAGS = {
  broker: { type: "string", demandOption: true, describe: "Broker endpoint, e.g. tcp://head:5555" },
  module: { type: "string", array: true, default: [] as string[], describe: "Module whose exported functions become tasks (repeatable)" },
  compiled: { type: "string", describe: "The script compiled to JavaScript (the launcher does it once per run), imported in its place" },
  "compiled-stdin": { type: "boolean", default: false, describe: "Read --compiled's file as one line on standard input (an empty line: none); the launcher starts the worker while it compiles" },
  "payload-store": { type: "string", describe: "The run's payload store: a private directory shared by the run's processes on this machine, where large buffers pass as files" },
  origin: { type: "boolean", default: false, describe: "Run the script's main (one worker per run)" },
  id: { type: "string", describe: "Unique worker id (default host:pid)" },
  app: { type: "string", describe: 'Run or application id (default "default": serve every app of a daemon broker)' },
  reconnect: { type: "boolean", describe: "When the broker is lost, join again with backoff instead of exiting (default: on, unless --app or --origin is given, as the launcher does)" },
  "server-key": { type: "string", describe: "The broker's CURVE public key: its broker.pub file (or the z85 key); this worker makes its own keypair" },
  "max-tasks": { type: "number", describe: "Leave after this many tasks, with exit code 75 (the launcher starts a fresh worker)" },
  "max-memory-mb": { type: "number", describe: "Leave once resident memory passes this many MB, with exit code 75" },
  "stuck-grace-ms": { type: "number", describe: "End this worker when a task its owner gave up on (deadline, cancel) still holds it this long in synchronous code; 0: never (default 2000, 0 with --reconnect)" },
  "secrets-stdin": { type: "boolean", default: false, describe: 'Read CURVE keys as one JSON line on standard input: {"curveServerKey","curvePublicKey","curveSecretKey"}' },
  verbose: { alias: "v", type: "boolean", default: false, describe: "Log more (info level)" },
  debug: { type: "boolean", default: false, describe: "Log everything (debug level)" },
} satisfies Record<string, Options>;

/** The parsed command line. */
interface WorkerArgs {
  _: (string | number)[];
  broker: string;
  module: string[];
  compiled?: string;
  "compiled-stdin": boolean;
  "payload-store"?: string;
  origin: boolean;
  id?: string;
  app?: string;
  reconnect?: boolean;
  "server-key"?: string;
  "max-tasks"?: number;
  "max-memory-mb"?: number;
  "stuck-grace-ms"?: number;
  "secrets-stdin": boolean;
  verbose: boolean;
  debug: boolean;
  help?: boolean;
  version?: boolean;
}

/**
 * A plain command line such as the launcher writes (flags, then `--` and the
 * script), parsed without loading yargs: yargs is ~15% of a worker's start.
 * Anything else is undefined, for yargs to parse or explain.
 */
export function quickParse(argv: readonly string[]): WorkerArgs | undefined {
  return parsePlain(FLAGS, argv, "--") as WorkerArgs | undefined;
}

/** yargs' parser of the command line (help, every form of flag, explained errors). */
export function yargsParser(argv: string[]) {
  // yargs' ESM build wraps help text mid-word (its cliui shim has no word
  // wrapping); its CommonJS build wraps at word boundaries.
  const yargs = createRequire(import.meta.url)("yargs") as typeof Yargs;
  return yargs(argv)
    .scriptName("scoop-worker")
    .usage("$0 --broker ENDPOINT [--module FILE]... [--origin SCRIPT [-- ARGS...]]")
    .options(FLAGS)
    .example("$0 --broker tcp://head:5555 --module ./tasks.js", "serve the tasks of tasks.js")
    .example("$0 --broker tcp://head:5555 --server-key broker.pub --module ./tasks.js", "the same, to a CURVE broker");
}

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
    const args = quickParse(argv) ?? ((await parseCommandLine(yargsParser(argv), "scoop-worker")) as WorkerArgs);
    if (args.help || args.version) return 0;
    verbose = args.verbose || args.debug;
    if (args.debug) process.env.SCOOP_LOG_LEVEL = "debug";
    else if (args.verbose) process.env.SCOOP_LOG_LEVEL = "info";
    const [script, ...scriptArgs] = args._.map(String);
    if (args["server-key"] !== undefined && args["secrets-stdin"]) throw new ScoopError("SCOOP_USAGE", "give --server-key or --secrets-stdin, not both");
    if (args["compiled-stdin"] && (args["secrets-stdin"] || args.compiled !== undefined)) throw new ScoopError("SCOOP_USAGE", "--compiled-stdin goes with neither --secrets-stdin nor --compiled");
    const curve = args["secrets-stdin"] ? parseSecrets(await readLine(process.stdin)) : args["server-key"] !== undefined ? curveClientOptions(readServerKey(args["server-key"])) : undefined;
    // A worker started by hand for a daemon broker outlives broker restarts; a
    // worker of one run (the launcher passes --app, and --origin to one) ends with it.
    const reconnect = args.reconnect ?? (args.app === undefined && !args.origin);
    worker = await startWorker({
      broker: args.broker,
      script,
      // No line (the launcher is gone): the script itself is loaded, as without a compile.
      compiledScript: args["compiled-stdin"] ? (await readLine(process.stdin).catch(() => "")) || undefined : args.compiled,
      payloadStore: args["payload-store"],
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
