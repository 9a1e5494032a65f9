/**
 * The common end of every SCOOP command line (`scoop`, `scoop-worker`, `scoop-broker` and its subcommands): unknown
 * options are errors, a usage error is a `SCOOP_USAGE` {@link ScoopError} (the CLI prints it and exits 2), `-h`
 * prints help, `--version` the SCOOP version, help is wrapped to the terminal.
 *
 * yargs stays a dependency of the CLI packages only: this module names its types (a type import, erased from
 * protocol's build), and drives the parser each CLI made with its own yargs.
 */
import type { Argv, Options } from "yargs";
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

/** Where {@link quickParse}'s flags end: at `--` (what follows is the script and its arguments), or at the first argument that is not a flag. */
export type FlagsEnd = "--" | "first-argument";

/**
 * A plain command line (known flags in their plain forms, then the
 * arguments), parsed with a CLI's own yargs flag table but without loading
 * yargs (~50 ms of a process's start). Anything else (help, version, `--no-…`,
 * an unknown flag, a repeated one unless it is an array, a value not among a
 * flag's choices, a number other than plain digits, grouped short flags, a
 * missing required flag, a flag of `yargsOnly`, an argument where `end` says
 * flags go on) is undefined, for yargs to parse or explain.
 */
export function quickParse(flags: Readonly<Record<string, Options>>, argv: readonly string[], end: FlagsEnd, yargsOnly: ReadonlySet<string> = new Set()): Record<string, unknown> & { _: string[] } | undefined {
  const names = new Map<string, string>(); // every spelling (name, alias) → name
  for (const [name, flag] of Object.entries(flags)) {
    names.set(name, name);
    if (typeof flag.alias === "string") names.set(flag.alias, name);
  }
  // With the flags ending at the first argument, a `--` anywhere is yargs' to read.
  if (end === "first-argument" && argv.includes("--")) return undefined;
  const given = new Map<string, string | boolean | string[]>();
  let i = 0;
  for (; i < argv.length; i++) {
    const token = argv[i];
    if (token === "--") {
      i++; // only with end "--": otherwise refused above
      break;
    }
    if (!token.startsWith("-")) {
      if (end === "first-argument") break;
      return undefined;
    }
    const match = /^--?([^=]+)(?:=(.*))?$/.exec(token);
    const spelled = match?.[1];
    const name = spelled === undefined ? undefined : names.get(spelled);
    // `-x` for one letter, `--word` or `--word=value` for a word.
    const long = token.startsWith("--");
    if (name === undefined || yargsOnly.has(name) || long !== spelled!.length > 1 || (!long && match![2] !== undefined)) return undefined;
    const flag = flags[name];
    if (given.has(name) && flag.array !== true) return undefined;
    if (flag.type === "boolean") {
      if (match![2] !== undefined) return undefined;
      given.set(name, true);
      continue;
    }
    const value = match![2] ?? argv[++i];
    if (value === undefined || (match![2] === undefined && value.startsWith("-"))) return undefined;
    if (flag.choices !== undefined && !(flag.choices as string[]).includes(value)) return undefined;
    if (flag.type === "number" && !/^\d+(\.\d+)?$/.test(value)) return undefined;
    given.set(name, flag.array === true ? [...((given.get(name) as string[] | undefined) ?? []), value] : value);
  }
  const args: Record<string, unknown> & { _: string[] } = { _: argv.slice(i) };
  for (const [name, flag] of Object.entries(flags)) {
    const value = given.get(name) ?? flag.default;
    if (value === undefined && flag.demandOption !== undefined && flag.demandOption !== false) return undefined;
    args[name] = flag.type === "number" && typeof value === "string" ? Number(value) : value;
  }
  return args;
}
