/**
 * The `scoop` CLI: `scoop [options] script [args...]`.
 */
import { availableParallelism } from "node:os";
import pino, { type Logger } from "pino";
import yargs from "yargs";
import { ScoopError } from "@scoop/protocol";
import { humanLogDestination } from "./output.js";
import { runProgram } from "./run.js";

function makeLogger(level: string, file?: string): Logger {
  return pino({ level }, file ? pino.destination({ dest: file, sync: true, mkdir: true }) : humanLogDestination());
}

/** Run the CLI with these arguments; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  let verbose = false;
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`scoop: ${signal} received, stopping the workers\n`);
    controller.abort(signal);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const args = await yargs(argv)
      .scriptName("scoop")
      .usage("$0 [options] SCRIPT [ARGS...]\n\nRun SCRIPT's main on every core, with its futures spread over the workers.")
      .parserConfiguration({ "halt-at-non-option": true, "camel-case-expansion": false })
      .option("n", { alias: "workers", type: "number", describe: "Number of workers, the origin included", default: availableParallelism(), defaultDescription: "number of cores" })
      .option("path", { alias: "p", type: "string", describe: "Working directory of the workers" })
      .option("nice", { type: "number", default: 0, describe: "Niceness of the workers (0-19)" })
      .option("log", { type: "string", describe: "Write logs to this file instead of stderr" })
      .option("verbose", { alias: "v", type: "boolean", default: false, describe: "More logs; prefix worker output with its id" })
      .option("quiet", { alias: "q", type: "boolean", default: false, describe: "Only errors" })
      .option("debug", { type: "boolean", default: false, describe: "Log everything" })
      .option("heartbeat-ms", { type: "number", default: 1000, describe: "Heartbeat interval" })
      .option("liveness-ms", { type: "number", default: 5000, describe: "A worker silent this long is lost; its tasks run elsewhere" })
      .example("$0 examples/hello.ts", "run on every local core")
      .example("$0 -n 8 -v sim.ts --steps 1000", "8 workers, verbose, arguments for main")
      .strict()
      .exitProcess(false)
      .fail((message, error) => {
        throw error ?? new ScoopError("SCOOP_USAGE", `${message}; see scoop --help`);
      })
      .help()
      .version(false)
      .parseAsync();
    if (args.help) return 0;
    verbose = args.verbose || args.debug;
    const level = args.debug ? "debug" : args.verbose ? "info" : args.quiet ? "error" : "warn";
    const [script, ...scriptArgs] = args._.map(String);
    // Checked here rather than with demandCommand, which yargs runs before
    // reporting unknown flags (and "--typo script" would then blame the script).
    if (script === undefined) throw new ScoopError("SCOOP_USAGE", "name the script to run, e.g. scoop examples/hello.ts; see scoop --help");
    return await runProgram({
      script,
      argv: scriptArgs,
      workers: args.n,
      cwd: args.path,
      nice: args.nice,
      prefixOutput: args.verbose,
      logLevel: level,
      heartbeatMs: args["heartbeat-ms"],
      livenessMs: args["liveness-ms"],
      logger: makeLogger(level, args.log),
      signal: controller.signal,
    });
  } catch (error) {
    if (error instanceof ScoopError && !verbose) process.stderr.write(`scoop: ${error.message}\n`);
    else process.stderr.write(`scoop: ${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
