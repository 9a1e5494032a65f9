/**
 * `scoop-broker`: the routing daemon. Runs for days on a head node; workers
 * and apps join and leave at any time.
 */
import pino from "pino";
import yargs from "yargs";
import { ScoopError } from "@scoop/protocol";
import { startBroker } from "./broker.js";

/** Run the CLI with these arguments; resolves with the exit code when the broker stops. */
export async function main(argv: string[]): Promise<number> {
  let verbose = false;
  try {
    const args = await yargs(argv)
      .scriptName("scoop-broker")
      .usage("$0 [--bind ENDPOINT]...\n\nRoute SCOOP tasks between workers and apps.")
      .option("bind", { alias: "b", type: "string", array: true, default: ["tcp://127.0.0.1:5555"], describe: "Endpoint to listen on (repeatable)" })
      .option("heartbeat-ms", { type: "number", default: 1000, describe: "Heartbeat interval" })
      .option("liveness-ms", { type: "number", default: 5000, describe: "A peer silent this long is lost; its tasks run elsewhere" })
      .option("verbose", { alias: "v", type: "boolean", default: false, describe: "Log joins, losses and more (info level)" })
      .option("debug", { type: "boolean", default: false, describe: "Log everything" })
      .option("log", { type: "string", describe: "Write logs to this file instead of stderr" })
      .example("$0 --bind tcp://0.0.0.0:5555", "serve workers and apps of every host")
      .strict()
      .exitProcess(false)
      .fail((message, error) => {
        throw error ?? new ScoopError("SCOOP_USAGE", `${message}; see scoop-broker --help`);
      })
      .help()
      .version(false)
      .parseAsync();
    if (args.help) return 0;
    verbose = args.verbose || args.debug;
    const level = args.debug ? "debug" : args.verbose ? "info" : "warn";
    const logger = pino({ level }, pino.destination(args.log ? { dest: args.log, sync: true, mkdir: true } : { fd: 2, sync: true }));
    const broker = await startBroker({
      bind: args.bind,
      heartbeatMs: args["heartbeat-ms"],
      livenessMs: args["liveness-ms"],
      logger,
    });
    // The endpoints on stdout, one per line, so scripts can read the chosen ports.
    process.stdout.write(`${broker.endpoints.join("\n")}\n`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await broker.close();
    return 0;
  } catch (error) {
    if (error instanceof ScoopError && !verbose) process.stderr.write(`scoop-broker: ${error.message}\n`);
    else process.stderr.write(`scoop-broker: ${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  }
}
