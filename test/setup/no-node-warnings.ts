/**
 * Jest setup (every project): fail a test file whose run printed any Node
 * warning, in the jest worker or in a process it started. See
 * packages/test-helpers/src/node-warnings.ts.
 */
// By path, not through the package index: this runs before every test file and must not load zeromq.
import { clearWarnings, nodeOptionsRedirecting, readWarnings, warningsFile } from "../../packages/test-helpers/src/node-warnings";

const file = warningsFile(expect.getState().testPath ?? "unknown");
clearWarnings(file);
const before = process.env.NODE_OPTIONS;
process.env.NODE_OPTIONS = nodeOptionsRedirecting(file);
const own: string[] = [];
const onWarning = (warning: Error) => own.push(`(jest worker) ${warning.name}: ${warning.message}`);
process.on("warning", onWarning);

afterAll(() => {
  process.off("warning", onWarning);
  if (before === undefined) delete process.env.NODE_OPTIONS;
  else process.env.NODE_OPTIONS = before;
  const printed = [...own, ...readWarnings(file)];
  clearWarnings(file);
  if (printed.length > 0) throw new Error(`Node printed ${printed.length} warning(s) during this test file (no run may print one):\n${[...new Set(printed)].slice(0, 20).join("\n")}`);
});
