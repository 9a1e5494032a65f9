/**
 * `scoop-broker`: the routing daemon. Runs for days on a head node; workers
 * and apps join and leave at any time. `scoop-broker keygen --out DIR` makes
 * its CURVE keys.
 */
import { createRequire } from "node:module";
import type Yargs from "yargs";
import type { Argv } from "yargs";
import { LOG_FORMATS, ScoopError, prettyLogDestination, readServerKey } from "@scoop/protocol";
import { parseCommandLine, requirePino, syncDestination } from "@scoop/protocol/internal";
import { startBroker } from "./start-broker.js";
import { DASHBOARD_DEFAULTS, startDashboard, type Dashboard } from "./dashboard.js";
import { fetchStatus, formatStatus } from "./status.js";
import { readBrokerKeys, readPublicKeys, writeBrokerKeys } from "./keys.js";
import { BROKER_DEFAULTS, isLoopbackEndpoint } from "./options.js";

/** yargs, loaded when a command line is parsed: the launcher imports this package and needs none of it. */
function yargs(argv: string[]) {
  // yargs' ESM build wraps help text mid-word (its cliui shim has no word
  // wrapping); its CommonJS build wraps at word boundaries.
  return (createRequire(import.meta.url)("yargs") as typeof Yargs)(argv);
}

/** Parse a subcommand's arguments: unknown options are errors, `-h` prints help, no `--version`. */
function parseSubcommand<T>(parser: Argv<T>) {
  return parseCommandLine(parser, "scoop-broker", { version: false });
}

async function keygen(argv: string[]): Promise<number> {
  const args = await parseSubcommand(
    yargs(argv)
      .scriptName("scoop-broker keygen")
      .usage("$0 --out DIR\n\nWrite a new CURVE keypair: DIR/broker.key (secret, mode 0600) and DIR/broker.pub (give it to workers and apps).")
      .option("out", { type: "string", demandOption: true, describe: "Directory to write broker.key and broker.pub to" })
      .option("force", { type: "boolean", default: false, describe: "Overwrite existing key files" }),
  );
  if (args.help) return 0;
  const files = writeBrokerKeys(args.out, { force: args.force });
  process.stdout.write(`secret key: ${files.secretFile} (keep it on the broker's host)\npublic key: ${files.publicFile} (give it to workers and apps: --server-key)\n`);
  return 0;
}

async function status(argv: string[]): Promise<number> {
  const args = await parseSubcommand(
    yargs(argv)
      .scriptName("scoop-broker status")
      .usage("$0 --broker ENDPOINT [--server-key broker.pub]\n\nPrint a broker's workers, queues, maps and shared constants (joins as a read-only monitor).")
      .option("broker", { type: "string", default: "tcp://127.0.0.1:5555", describe: "Endpoint of the broker" })
      .option("server-key", { type: "string", describe: "The broker's CURVE public key: its broker.pub file (or the z85 key)" })
      .option("timeout-ms", { type: "number", default: 5000, describe: "How long to wait for the broker" })
      .option("json", { type: "boolean", default: false, describe: "Print the snapshot as JSON" }),
  );
  if (args.help) return 0;
  const serverKey = args["server-key"] === undefined ? undefined : readServerKey(args["server-key"]);
  const snapshot = await fetchStatus(args.broker, { serverKey, timeoutMs: args["timeout-ms"] });
  process.stdout.write(args.json ? `${JSON.stringify(snapshot, null, 2)}\n` : formatStatus(snapshot));
  return 0;
}

/** `--dashboard[=PORT]`: the port asked for (undefined when the flag is absent). */
export function dashboardPort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (value === "") return DASHBOARD_DEFAULTS.port;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ScoopError("SCOOP_USAGE", `--dashboard takes a TCP port from 0 to 65535 (got ${JSON.stringify(value)})`);
  return port;
}

/** Run the CLI with these arguments; resolves with the exit code when the broker stops. */
export async function main(argv: string[]): Promise<number> {
  let verbose = false;
  try {
    if (argv[0] === "keygen") return await keygen(argv.slice(1));
    if (argv[0] === "status") return await status(argv.slice(1));
    const parser = yargs(argv)
      .scriptName("scoop-broker")
      .usage("$0 [--bind ENDPOINT]... [--key DIR/broker.key]\n$0 keygen --out DIR\n$0 status --broker ENDPOINT\n\nRoute SCOOP tasks between workers and apps.")
      .option("bind", { alias: "b", type: "string", array: true, default: ["tcp://127.0.0.1:5555"], describe: "Endpoint to listen on (repeatable)" })
      .option("key", { type: "string", describe: "CURVE key file made by `scoop-broker keygen` (broker.key): encrypt and authenticate every connection" })
      .option("allow", { type: "string", describe: "File of client public keys allowed to connect, one per line (needs --key)" })
      .option("insecure", { type: "boolean", default: false, describe: "Allow a non-loopback --bind without --key (trusted networks only)" })
      .option("unknown-tasks", { choices: ["wait", "fail"] as const, default: BROKER_DEFAULTS.unknownTasks, describe: "A task no connected worker can run: wait for one, or fail at once" })
      .option("max-message-bytes", { type: "number", default: BROKER_DEFAULTS.maxMessageBytes, describe: "Largest message part accepted; a peer sending more is disconnected" })
      .option("heartbeat-ms", { type: "number", default: BROKER_DEFAULTS.heartbeatMs, describe: "Heartbeat interval" })
      .option("liveness-ms", { type: "number", default: BROKER_DEFAULTS.livenessMs, describe: "A peer silent this long is lost; its tasks run elsewhere" })
      .option("verbose", { alias: "v", type: "boolean", default: false, describe: "Log joins, losses and more (info level)" })
      .option("debug", { type: "boolean", default: false, describe: "Log everything" })
      .option("log", { type: "string", describe: "Write logs to this file (JSON lines) instead of stderr" })
      .option("log-format", { type: "string", choices: LOG_FORMATS as unknown as string[], describe: "Logs on stderr: pretty (one readable line each) or json (pino's JSON lines)", defaultDescription: "pretty on a terminal, else json" })
      .option("dashboard", { type: "string", describe: `Serve the live dashboard and /metrics on this port (--dashboard alone: ${DASHBOARD_DEFAULTS.port}; 0: a free port)` })
      .option("dashboard-host", { type: "string", default: DASHBOARD_DEFAULTS.host, describe: "Address of the dashboard; beyond loopback it needs the token printed at start" })
      .example("$0 keygen --out ~/.scoop", "make CURVE keys")
      .example("$0 --bind tcp://0.0.0.0:5555 --key ~/.scoop/broker.key", "serve workers and apps of every host, encrypted")
      .example("$0 --dashboard", "also serve the dashboard at http://127.0.0.1:8786/ (and /metrics)")
      .example("$0 status --broker tcp://head:5555", "print the workers and queues of a running broker");
    const args = await parseCommandLine(parser, "scoop-broker");
    if (args.help || args.version) return 0;
    verbose = args.verbose || args.debug;
    if (args.allow !== undefined && args.key === undefined) throw new ScoopError("SCOOP_USAGE", "--allow needs --key: an allow-list of client keys only works with CURVE");
    const keys = args.key === undefined ? undefined : readBrokerKeys(args.key);
    const allowedClients = args.allow === undefined ? undefined : readPublicKeys(args.allow);
    const level = args.debug ? "debug" : args.verbose ? "info" : "warn";
    // Readable on a terminal; JSON for a log collector (not a TTY), in a file, or when asked.
    const format = args["log-format"] ?? (args.log === undefined && process.stderr.isTTY ? "pretty" : "json");
    const pino = requirePino(); // loaded here, not with the package: a launcher that imports it may never log
    const logger = pino({ level }, format === "pretty" && args.log === undefined ? prettyLogDestination("scoop-broker: ", (line) => process.stderr.write(line)) : syncDestination(pino, args.log));
    const exposed = args.bind.filter((e) => !isLoopbackEndpoint(e));
    if (exposed.length > 0 && keys === undefined && args.insecure) {
      process.stderr.write(
        `scoop-broker: WARNING: --insecure: ${exposed.join(", ")} accepts unauthenticated, unencrypted connections.\n` +
          "scoop-broker: anyone who can reach it can run code on your workers and read your results. Use --key on untrusted networks.\n",
      );
    }
    const broker = await startBroker({
      bind: args.bind,
      heartbeatMs: args["heartbeat-ms"],
      livenessMs: args["liveness-ms"],
      unknownTasks: args["unknown-tasks"],
      maxMessageBytes: args["max-message-bytes"],
      insecure: args.insecure,
      curve: keys && { ...keys, allowedClients },
      logger,
    });
    // The endpoints on stdout, one per line, so scripts can read the chosen ports.
    process.stdout.write(`${broker.endpoints.join("\n")}\n`);
    let dashboard: Dashboard | undefined;
    try {
      const port = dashboardPort(args.dashboard);
      if (port !== undefined) {
        dashboard = await startDashboard(broker, { port, host: args["dashboard-host"] });
        process.stderr.write(`scoop-broker: dashboard: ${dashboard.url}${dashboard.token ? " (keep the token secret)" : ""}\n`);
      }
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
    } finally {
      await dashboard?.close();
      await broker.close();
    }
    return 0;
  } catch (error) {
    if (error instanceof ScoopError && !verbose) process.stderr.write(`scoop-broker: ${error.message}\n`);
    else process.stderr.write(`scoop-broker: ${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  }
}
