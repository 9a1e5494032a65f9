/**
 * The `scoop` CLI: `scoop [options] script [args...]`.
 */
import { statSync } from "node:fs";
import type { Logger } from "pino";
import { createRequire } from "node:module";
import type Yargs from "yargs";
import type { InferredOptionTypes, Options } from "yargs";
import { LOG_FORMATS, ScoopError, tagLogRecord, type LogFormat } from "@scoop/protocol";
import { lazyPino, parseCommandLine, quickParse as parsePlain, requirePino, syncDestination } from "@scoop/protocol/internal";
import { humanLogDestination, onOutputClosed, sendWorkerLogsTo, writeOutput } from "./output.js";
import { RUN_DEFAULTS } from "./options.js";
import { LAUNCHERS, type LauncherKind } from "./plan.js";
import { SCHEDULERS } from "./schedulers/registry.js";
import { runProgram } from "./run.js";
import { writeTraceReport } from "./trace-report.js";

/** yargs, loaded only when a command line needs it (~50 ms of the launcher's start). */
function loadYargs(): typeof Yargs {
  // yargs' ESM build wraps help text mid-word (its cliui shim has no word
  // wrapping); its CommonJS build wraps at word boundaries.
  return createRequire(import.meta.url)("yargs") as typeof Yargs;
}

/** The flags of `scoop`, for yargs and for {@link quickParse}. */
const FLAGS = {
  n: { alias: "workers", type: "number", describe: "Number of workers, the origin included", defaultDescription: "every slot of the hosts; this machine: number of cores" },
  hosts: { alias: "host", type: "string", describe: "Hosts to run workers on: name or name:workers; several follow one flag (--hosts a b c)" },
  hostfile: { type: "string", describe: "SCOOP hostfile: `hostname`, `hostname 8` or `hostname workers=8` per line, # comments" },
  launcher: { type: "string", choices: LAUNCHERS as string[], default: RUN_DEFAULTS.launcher as string, describe: `How workers start: local for this machine, ${SCHEDULERS.map((s) => s.launcher).join("/")} inside an allocation, else ssh` },
  path: { alias: "p", type: "string", describe: "Working directory of the workers (the same path on every host)" },
  nice: { type: "number", default: RUN_DEFAULTS.nice as number, describe: "Niceness of the workers (0-19)" },
  "max-tasks-per-worker": { type: "number", describe: "Replace a worker with a fresh process after this many tasks (leaky task code)" },
  "max-worker-memory-mb": { type: "number", describe: "Replace a worker with a fresh process once its memory passes this many MB" },
  "stuck-grace-ms": { type: "number", describe: "Replace a worker still stuck in synchronous code this long after a task's owner gave up on it (deadline, cancel) or past its own task's deadline (the origin ends the run instead); 0: never", defaultDescription: "2000" },
  "ssh-user": { type: "string", describe: "SSH login name", defaultDescription: "current user" },
  "ssh-port": { type: "number", describe: "SSH port", defaultDescription: "22" },
  "ssh-key": { type: "string", describe: "SSH private key file (ssh-agent is used too when SSH_AUTH_SOCK is set)" },
  prolog: { type: "string", describe: "Shell file sourced on remote hosts before each worker starts" },
  node: { type: "string", describe: "Node executable on remote hosts", defaultDescription: "this node's path" },
  tunnel: { type: "boolean", default: RUN_DEFAULTS.tunnel as boolean, describe: "Remote workers reach the broker through reverse SSH tunnels" },
  insecure: { type: "boolean", default: RUN_DEFAULTS.insecure as boolean, describe: "No per-run CURVE keys on the broker's TCP port (trusted networks only): anyone who reaches the port can join. A local run has no TCP port unless --insecure" },
  "payload-store": { type: "boolean", default: RUN_DEFAULTS.payloadStore as boolean, describe: "A run of this machine alone passes buffers of 64 KiB or more as files in a private /dev/shm directory, not through the broker (--no-payload-store: through the broker)" },
  "broker-hostname": { alias: "external-hostname", type: "string", describe: "Address remote workers dial to reach the broker", defaultDescription: "the address each SSH connection comes from" },
  seed: { type: "number", describe: "Seed of the run's random streams (currentTask().random()): the same seed gives the same numbers", defaultDescription: "drawn, and logged with -v" },
  log: { type: "string", describe: "Write logs (the launcher's, the broker's and every worker's, as JSON lines) to this file instead of stderr" },
  "log-format": { type: "string", choices: LOG_FORMATS as unknown as string[], default: "pretty", describe: "Logs on stderr: pretty (one readable line each) or json (pino's JSON lines, every process's)" },
  verbose: { alias: "v", type: "boolean", default: false, describe: "More logs; prefix worker output with its id" },
  quiet: { alias: "q", type: "boolean", default: false, describe: "Only errors" },
  debug: { type: "boolean", default: false, describe: "Log everything" },
  trace: { type: "string", describe: "Write the run as Chrome Trace Event JSON (Perfetto, chrome://tracing; `scoop trace FILE --html OUT` makes a report)" },
  dashboard: { type: "string", describe: "Serve a live dashboard and /metrics on this port (--dashboard alone: 8786; 0: a free port)" },
  progress: { type: "boolean", describe: "Progress line per running map on stderr (default: when stderr is a terminal)" },
  "heartbeat-ms": { type: "number", default: RUN_DEFAULTS.heartbeatMs as number, describe: "Heartbeat interval" },
  "liveness-ms": { type: "number", default: RUN_DEFAULTS.livenessMs as number, describe: "A worker silent this long is lost; its tasks run elsewhere" },
  "max-message-bytes": { type: "number", describe: "Largest message part (one task's arguments or result) the broker accepts; bigger ones fail at submit with SCOOP_MESSAGE_TOO_LARGE", defaultDescription: "256 MiB" },
} satisfies Record<string, Options>;

/** The parsed command line, as {@link main} reads it. */
type ScoopArgs = InferredOptionTypes<typeof FLAGS> & { _: (string | number)[]; help?: boolean; version?: boolean };

/** Flags whose values yargs alone handles: several values after one flag (`--hosts a b`), an optional value (`--dashboard`). */
const YARGS_ONLY = new Set(["hosts", "host", "dashboard"]);

/** A plain `scoop` command line, parsed without loading yargs (see the protocol's quickParse); anything else is undefined, for yargs. */
export function quickParse(argv: readonly string[]): ScoopArgs | undefined {
  return parsePlain(FLAGS, argv, "first-argument", YARGS_ONLY) as ScoopArgs | undefined;
}

/** yargs' parser of the `scoop` command line (help, every form of flag, explained errors). */
export function yargsParser(argv: readonly string[]) {
  return loadYargs()(expandHostsFlag(argv))
    .scriptName("scoop")
    .usage("$0 [options] SCRIPT [ARGS...]\n\nRun SCRIPT's main on every core (or the given hosts, or the batch allocation), with its futures spread over the workers.")
    .parserConfiguration({ "halt-at-non-option": true, "camel-case-expansion": false })
    .options(FLAGS)
    .example("$0 examples/hello.ts", "run on every local core")
    .example("$0 -n 8 -v sim.ts --steps 1000", "8 workers, verbose, arguments for main")
    .example("$0 --hosts node1 node2:4 sim.ts", "workers on other machines over SSH")
    .example("$0 --hostfile hosts.txt --ssh-key ~/.ssh/id_ed25519 sim.ts", "hosts from a file")
    .example("$0 --trace run.json sim.ts && $0 trace run.json --html run.html", "a timeline of the run");
}

/**
 * The run's logger. Readable lines on stderr by default; JSON in a `--log`
 * file or with `--log-format json`, and then the workers' records go there
 * too, each tagged with its worker.
 */
function makeLogger(level: string, file: string | undefined, format: LogFormat): Logger {
  // pino loads with the first record the launcher writes (none at the default level).
  if (file === undefined && format === "pretty") return lazyPino(level, () => humanLogDestination());
  const pino = requirePino(); // the workers' records go there too
  const dest = syncDestination(pino, file);
  sendWorkerLogsTo((record, worker) => dest.write(`${tagLogRecord(record, worker)}\n`));
  return pino({ level }, dest);
}

const SCRIPT_LIKE = /\.(c|m)?[jt]sx?$/;

/**
 * `--hosts a b c script.ts args` as SCOOP writes it: the values after
 * `--hosts` run up to the next flag or the first one that names a script
 * (a file, or a name ending in .ts/.js/…). Rewritten as `--hosts=a --hosts=b …`
 * so the script and its arguments stay positional.
 */
export function expandHostsFlag(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === "--hosts" || token === "--host") {
      let j = i + 1;
      for (; j < argv.length && !argv[j].startsWith("-") && !SCRIPT_LIKE.test(argv[j]) && !isFile(argv[j]); j++) out.push(`--hosts=${argv[j]}`);
      if (j === i + 1) out.push(token); // no value: let yargs say so
      i = j - 1;
      continue;
    }
    if (token === "--" || !token.startsWith("-")) return [...out, ...argv.slice(i)]; // the script and its arguments
    if (token === "--dashboard") {
      out.push("--dashboard="); // the port is optional: never take the script for it
      continue;
    }
    out.push(token);
    // A flag that takes a value: skip the value.
    if (!token.includes("=") && !BOOLEAN_FLAGS.has(token.replace(/^-+/, "")) && /^-[a-z]$|^--/.test(token) && i + 1 < argv.length) out.push(argv[++i]);
  }
  return out;
}

/** Flags that take no value, in every spelling (alias, `--no-…`), from {@link FLAGS}. */
const BOOLEAN_FLAGS = new Set([
  "help",
  "h",
  "version",
  ...Object.entries(FLAGS).flatMap(([name, flag]) => (flag.type === "boolean" ? [name, `no-${name}`, ...("alias" in flag ? [flag.alias] : [])] : [])),
]);

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `scoop trace run.json --html report.html`: the HTML report of a trace written by `scoop --trace`. */
async function trace(argv: string[]): Promise<number> {
  const parser = loadYargs()(argv)
    .scriptName("scoop trace")
    .usage("$0 TRACE.json --html REPORT.html\n\nTurn a trace written by `scoop --trace` into one self-contained HTML page: timeline, per-worker utilisation, task-duration histogram, slowest tasks.")
    .option("html", { type: "string", demandOption: true, describe: "HTML file to write" })
    .demandCommand(1, 1, "name the trace file written by scoop --trace");
  const args = await parseCommandLine(parser, "scoop trace", { version: false });
  if (args.help) return 0;
  const summary = writeTraceReport(String(args._[0]), args.html);
  process.stdout.write(`${args.html}: ${summary.tasks} tasks on ${summary.workers.length} workers over ${(summary.spanMs / 1000).toFixed(2)} s\n`);
  return 0;
}

/** Run the CLI with these arguments; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  let verbose = false;
  if (argv[0] === "trace" && !isFile("trace")) {
    try {
      return await trace(argv.slice(1));
    } catch (error) {
      process.stderr.write(`scoop trace: ${error instanceof ScoopError ? error.message : ((error as Error)?.stack ?? String(error))}\n`);
      return 1;
    }
  }
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    writeOutput("stderr", `scoop: ${signal} received, stopping the workers\n`);
    controller.abort(signal);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  // `scoop … | head`: the reader of our output went away. Stop as a SIGPIPE would, but reap the workers first.
  const offOutputClosed = onOutputClosed((name) => {
    if (controller.signal.aborted) return;
    writeOutput(name === "stdout" ? "stderr" : "stdout", `scoop: ${name} was closed by its reader (EPIPE), stopping the workers\n`);
    controller.abort("SIGPIPE");
  });
  try {
    const args = quickParse(argv) ?? ((await parseCommandLine(yargsParser(argv), "scoop")) as ScoopArgs);
    if (args.help || args.version) return 0;
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
      maxTasksPerWorker: args["max-tasks-per-worker"],
      maxWorkerMemoryMb: args["max-worker-memory-mb"],
      stuckGraceMs: args["stuck-grace-ms"],
      seed: args.seed,
      hosts: args.hosts === undefined ? undefined : [args.hosts].flat(),
      hostfile: args.hostfile,
      launcher: args.launcher as LauncherKind | "auto",
      ssh: { username: args["ssh-user"], port: args["ssh-port"], identityFile: args["ssh-key"] },
      remoteNode: args.node,
      prolog: args.prolog,
      tunnel: args.tunnel,
      insecure: args.insecure,
      payloadStore: args["payload-store"],
      brokerHostname: args["broker-hostname"],
      prefixOutput: args.verbose || args.debug,
      logLevel: level,
      heartbeatMs: args["heartbeat-ms"],
      livenessMs: args["liveness-ms"],
      maxMessageBytes: args["max-message-bytes"],
      trace: args.trace,
      dashboard: args.dashboard === undefined ? undefined : (await import("@scoop/broker")).dashboardPort(args.dashboard),
      progress: args.progress,
      logger: makeLogger(level, args.log, args["log-format"] as LogFormat),
      signal: controller.signal,
    });
  } catch (error) {
    if (error instanceof ScoopError && !verbose) writeOutput("stderr", `scoop: ${error.message}\n`);
    else writeOutput("stderr", `scoop: ${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    offOutputClosed();
    sendWorkerLogsTo(undefined);
  }
}
