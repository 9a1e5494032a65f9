/**
 * The three CLIs answer `--version` and `-h`, and their help reads well in a
 * terminal: wrapped at its width, on word boundaries (yargs' ESM build broke
 * words: "the origin includ/ed").
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { BROKER_BIN, REPO, SCOOP_BIN, WORKER_BIN } from "@scoop/test-helpers";

const BINS = { scoop: SCOOP_BIN, "scoop-broker": BROKER_BIN, "scoop-worker": WORKER_BIN };
const { version } = JSON.parse(readFileSync(`${REPO}/packages/core/package.json`, "utf8")) as { version: string };
const node = (args: string[]) => execFileSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

test.each(Object.entries(BINS))("%s --version prints the packages' version, -h the usage", (name, bin) => {
  expect(node([bin, "--version"])).toBe(`${version}\n`);
  expect(node([bin, "-h"])).toMatch(new RegExp(`^${name} `));
});

test("scoop --help in a 100-column terminal wraps at word boundaries", () => {
  // A pseudo-TTY through util-linux `script`, as a person sees it.
  const out = execFileSync("script", ["-qec", `stty cols 100; ${process.execPath} ${SCOOP_BIN} --help`, "/dev/null"], { encoding: "utf8" });
  const lines = out.replace(/\r/g, "").split("\n");
  expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
  expect(Math.max(...lines.map((l) => l.length))).toBeGreaterThan(80); // the terminal's width, not yargs' default 80
  expect(out).toContain("Number of workers, the origin included");
  // No line ends inside a word: each wrapped description continues with a whole word.
  const text = lines.join(" ").replace(/\s+/g, " ");
  for (const phrase of ["spread over the workers", "several follow one flag (--hosts a b c)", "srun/pbsdsh/qrsh/blaunch inside an allocation"]) expect(text).toContain(phrase);
});
