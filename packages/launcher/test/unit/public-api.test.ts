import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as launcher from "../../src/index.js";

// The README's API table is the launcher's public surface: every value @scoop/launcher exports has its row,
// and every name in the table's first column (but those marked "(type)") is exported.
test("@scoop/launcher exports exactly the values its README lists", () => {
  const readme = readFileSync(resolve(__dirname, "../../README.md"), "utf8");
  const from = readme.indexOf("| export | what it is |");
  const table = readme.slice(from, readme.indexOf("\n\n", from));
  const listed = new Set<string>();
  for (const row of table.split("\n").slice(2)) {
    for (const [, name, type] of (row.split("|")[1] ?? "").matchAll(/`(\w+)[^`]*`( \(type\))?/g)) if (type === undefined) listed.add(name);
  }
  expect([...listed].sort()).toEqual(Object.keys(launcher).sort());
});
