/**
 * Reading the defaults a README documents, so a unit test holds them equal to the code's `…_DEFAULTS`.
 */
import { readFileSync } from "node:fs";

/**
 * The constant defaults of the options table under the README heading `heading` (`| option | default | meaning |`):
 * option → the value of the first `…` of its default cell, read as JSON (`1000`, `"wait"`, `false`,
 * `["tcp://127.0.0.1:*"]`). Rows whose default is not a JSON value in backticks (`host:pid`, "the number of cores")
 * are not constants and are left out.
 */
export function readmeDefaults(readmePath: string, heading: string): Record<string, unknown> {
  const text = readFileSync(readmePath, "utf8");
  const at = text.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`${readmePath} has no heading "${heading}"`);
  const rows = text.slice(at + heading.length + 2).split("\n\n").find((block) => block.trimStart().startsWith("|"));
  if (rows === undefined) throw new Error(`${readmePath}: no table under "${heading}"`);
  const defaults: Record<string, unknown> = {};
  for (const row of rows.trim().split("\n").slice(2)) {
    const [, option = "", cell = ""] = row.split("|").map((c) => c.trim());
    const value = /`([^`]+)`/.exec(cell)?.[1];
    if (value === undefined) continue;
    try {
      defaults[option.replace(/`/g, "")] = JSON.parse(value);
    } catch {
      /* not a constant */
    }
  }
  return defaults;
}
