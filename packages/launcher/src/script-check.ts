/**
 * A cheap look at the script before any worker starts: a script that plainly
 * has no `main` fails at once, instead of every worker running its top-level
 * code before the origin finds nothing to run.
 */
import { readFileSync } from "node:fs";
import { ScoopError } from "@scoop/protocol";

/**
 * Throw `SCOOP_NO_MAIN` when the script's text never says `main`, `default`
 * or `exports` and re-exports nothing (`export *`): no module system can give
 * it a main then. Anything less plain is left to the origin worker, which
 * checks the loaded module.
 * @throws {ScoopError} `SCOOP_NO_MAIN`
 */
export function assertMayHaveMain(script: string): void {
  let text: string;
  try {
    text = readFileSync(script, "utf8");
  } catch {
    return; // unreadable here: the workers report it
  }
  if (/\b(main|default|exports)\b|export\s*\*/.test(text)) return;
  throw new ScoopError(
    "SCOOP_NO_MAIN",
    `${script} exports no main function, so there is nothing to run: add "export async function main(...args: string[]) { … }" (or a default export); scoop calls it on the origin worker with the script's arguments`,
  );
}
