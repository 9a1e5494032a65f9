/**
 * One table of every error code: each `SCOOP_…` code written in a package's
 * source must be in `ScoopErrorCode` (packages/protocol/src/error-codes.ts)
 * and have a row in ERRORS.md. Adding a code without its row fails here.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { SCOOP_ERROR_CODES, isScoopErrorCode } from "@scoop/protocol";

const REPO = join(__dirname, "..");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

/** `SCOOP_…` names that are environment variables, not error codes. */
const ENVIRONMENT = new Set(["SCOOP_LOG_LEVEL", "SCOOP_SEED", "SCOOP_WORKER"]);

/** Every code literal in packages/*\/src, with where it is first used. */
function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  for (const pkg of readdirSync(join(REPO, "packages"))) {
    let files: string[];
    try {
      files = sources(join(REPO, "packages", pkg, "src"));
    } catch {
      continue; // a package without src/
    }
    for (const file of files) {
      for (const m of readFileSync(file, "utf8").matchAll(/["'`](SCOOP_[A-Z0-9_]+)["'`]/g)) {
        if (!found.has(m[1]) && !ENVIRONMENT.has(m[1])) found.set(m[1], relative(REPO, file));
      }
    }
  }
  return found;
}

/** Rows of the table in ERRORS.md: code → [meaning, what to do]. */
function tableRows(): Map<string, [string, string]> {
  const rows = new Map<string, [string, string]>();
  for (const m of readFileSync(join(REPO, "ERRORS.md"), "utf8").matchAll(/^\| `(SCOOP_[A-Z0-9_]+)` \| (.+?) \| (.+?) \|$/gm)) rows.set(m[1], [m[2], m[3]]);
  return rows;
}

test("every code used in packages/*/src is a ScoopErrorCode", () => {
  const unlisted = [...codesInSource()].filter(([code]) => !isScoopErrorCode(code)).map(([code, file]) => `${code} (${file})`);
  expect(unlisted).toEqual([]);
});

test("every ScoopErrorCode has a row in ERRORS.md (code · meaning · what to do), and no row is stale", () => {
  const rows = tableRows();
  expect(SCOOP_ERROR_CODES.filter((code) => !rows.has(code))).toEqual([]);
  expect([...rows.keys()].filter((code) => !isScoopErrorCode(code))).toEqual([]);
  for (const [code, [meaning, action]] of rows) expect({ code, meaning: meaning.trim().length > 0, action: action.trim().length > 0 }).toEqual({ code, meaning: true, action: true });
  // Every listed code is really used somewhere (no dead rows).
  const used = codesInSource();
  expect(SCOOP_ERROR_CODES.filter((code) => !used.has(code))).toEqual([]);
});

test("the check catches a code added without a row", () => {
  // The same rule the tests above apply, on a code that is not listed.
  expect(isScoopErrorCode("SCOOP_SOMETHING_NEW")).toBe(false);
  expect(tableRows().has("SCOOP_SOMETHING_NEW")).toBe(false);
});
