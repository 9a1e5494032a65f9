/**
 * The common end of every SCOOP command line (`scoop`, `scoop-worker`, `scoop-broker` and its subcommands): unknown
 * options are errors, a usage error is a `SCOOP_USAGE` {@link ScoopError} (the CLI prints it and exits 2), `-h`
 * prints help, `--version` the SCOOP version, help is wrapped to the terminal.
 *
 * yargs stays a dependency of the CLI packages only: this module names its types (a type import, erased from
 * protocol's build), and drives the parser each CLI made with its own yargs.
 */
import type { Argv } from "yargs";
import { ScoopError } from "./errors.js";
import { SCOOP_VERSION } from "./version.js";

/** Finish a CLI's yargs parser the SCOOP way and parse; `command` is what the usage error tells to run with `--help`. */
export function parseCommandLine<T>(parser: Argv<T>, command: string, options: { version?: boolean } = {}): ReturnType<Argv<T>["parseAsync"]> {
  const helped = parser
    .strict()
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new ScoopError("SCOOP_USAGE", `${message}; see ${command} --help`);
    })
    .help()
    .alias("h", "help");
  const versioned = options.version === false ? helped.version(false) : helped.version(SCOOP_VERSION);
  return versioned.wrap(parser.terminalWidth()).parseAsync();
}
