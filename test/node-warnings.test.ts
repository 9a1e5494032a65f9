/**
 * The warning check itself can fail: a process that adds 11 listeners to one
 * signal prints a MaxListenersExceededWarning, and the check sees it in the
 * process's children too (NODE_OPTIONS is inherited).
 */
import { spawnSync } from "node:child_process";
import { clearWarnings, nodeOptionsRedirecting, readWarnings, warningsFile } from "@scoop/test-helpers";

const LEAK = `const c = new AbortController(); for (let i = 0; i < 11; i++) c.signal.addEventListener("abort", () => {});`;

test("a warning in a spawned process, or in a process that one spawns, is caught", () => {
  // A file of its own: this test's warnings must not fail this test file.
  const file = warningsFile("self-test");
  clearWarnings(file);
  try {
    const env = { ...process.env, NODE_OPTIONS: nodeOptionsRedirecting(file) };
    const child = spawnSync(process.execPath, ["-e", LEAK], { env, encoding: "utf8" });
    expect(child.stderr).not.toContain("Warning"); // redirected, not printed
    expect(readWarnings(file)).toEqual([expect.stringMatching(/^\(node:\d+\) MaxListenersExceededWarning: Possible EventTarget memory leak detected\. 11 abort listeners/)]);
    clearWarnings(file);
    const grandchild = `require("node:child_process").spawnSync(process.execPath, ["-e", ${JSON.stringify(LEAK)}], { stdio: "inherit" })`;
    spawnSync(process.execPath, ["-e", grandchild], { env, encoding: "utf8" });
    expect(readWarnings(file)).toHaveLength(1);
  } finally {
    clearWarnings(file);
  }
});
